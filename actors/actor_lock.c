/*  actor_lock.c - one node per database.

    Two nodes writing one database would each trust their own cache of log
    heads and answer clients with raw constraint errors. flock() is tied to
    the open file, so a second node in the same process is refused too, and
    a crashed node leaves no stale lock behind.                            */
#include "panda_actors.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

//  The pid written by the holder, or 0 when unreadable.
static long
s_holder (int fd)
{
    char buf[32] = {0};
    ssize_t n = pread (fd, buf, sizeof buf - 1, 0);
    return n > 0 ? strtol (buf, NULL, 10) : 0;
}

int
panda_actor_lock_database (const panda_config_t *config, panda_error_t *err)
{
    char *db = panda_actor_store_path (config);
    if (!db)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory"), -1;
    if (strncmp (db, "file:", 5) == 0) { //  the per-node memdb database
        free (db);
        return -2;
    }
    char path[4096];
    int fd = -1;
    if (snprintf (path, sizeof path, "%s-lock", db) >= (int) sizeof path)
        panda_error_set (err, PANDA_ERR_INVALID, "database path too long: %s", db);
    else if ((fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
        panda_error_set (err, PANDA_ERR_IO, "cannot open %s: %s", path, strerror (errno));
    else if (flock (fd, LOCK_EX | LOCK_NB) != 0) {
        long pid = s_holder (fd);
        if (errno == EWOULDBLOCK && pid > 0)
            panda_error_set (err, PANDA_ERR_IO,
                             "database %s is in use by another pandad (pid %ld): stop it, or give this one "
                             "another data_dir or database_url",
                             db, pid);
        else
            panda_error_set (err, PANDA_ERR_IO, "cannot lock %s: %s", path,
                             errno == EWOULDBLOCK ? "held by another process" : strerror (errno));
        close (fd);
        fd = -1;
    } else {
        char pid[32];
        int len = snprintf (pid, sizeof pid, "%ld\n", (long) getpid ());
        if (ftruncate (fd, 0) != 0 || pwrite (fd, pid, (size_t) len, 0) != len)
            panda_log_warn ("node", "cannot write the pid into %s: %s", path, strerror (errno));
    }
    free (db);
    return fd;
}
