/*  panda_netns.c - network namespaces for multi-node tests: a LAN or two
    homes behind NAT (panda_netns.h).                                      */
#define _GNU_SOURCE //  setns

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "panda_test.h"
#include "panda_netns.h"

//  The NAT shape's script, beside this file.
#define PANDA_NETNS_NAT_SCRIPT PANDA_TEST_VECTORS "/../netns_nat.sh"

static char s_prefix[32]; //  pdd<pid>
static int s_home = -1; //  the test's own network namespace
static bool s_made; //  namespaces may exist and must be removed
static bool s_hooked; //  atexit and signal handlers are in place

//  Run an ip command (printf format); 0 on success. Quiet unless loud.
static int
s_ip (bool loud, const char *format, ...)
{
    char command[512];
    va_list args;
    va_start (args, format);
    int n = vsnprintf (command, sizeof command, format, args);
    va_end (args);
    if (n < 0 || (size_t) n >= sizeof command)
        return -1;
    char line[600];
    snprintf (line, sizeof line, "ip %s%s", command, loud ? "" : " >/dev/null 2>&1");
    int rc = system (line);
    if (rc != 0 && loud)
        fprintf (stderr, "panda_netns: '%s' failed (%d)\n", line, rc);
    return rc;
}

//  The pid of a pdd<pid>... name, or 0 for another name.
static long
s_owner (const char *name)
{
    char *end = NULL;
    long pid = strncmp (name, "pdd", 3) == 0 ? strtol (name + 3, &end, 10) : 0;
    return end && end > name + 3 && !isdigit ((unsigned char) *end) ? pid : 0;
}

//  Every namespace of a pdd<pid> whose process is gone, or (mine) of this
//  process, after killing what runs in it.
static void
s_remove (bool mine)
{
    FILE *list = popen ("ip netns list 2>/dev/null", "r");
    if (!list)
        return;
    char line[256];
    while (fgets (line, sizeof line, list)) {
        line[strcspn (line, " \n")] = 0;
        long pid = s_owner (line);
        if (pid <= 0)
            continue;
        if (mine != (pid == getpid ()))
            continue;
        if (!mine && (kill ((pid_t) pid, 0) == 0 || errno != ESRCH))
            continue; //  its test still runs
        if (!mine)
            fprintf (stderr, "panda_netns: removing leftover namespace %s\n", line);
        char command[320];
        snprintf (command, sizeof command, "ip netns pids %s 2>/dev/null | xargs -r kill -9 2>/dev/null",
                  line);
        (void) !system (command);
        s_ip (false, "netns del %s", line);
    }
    pclose (list);
}

void
panda_netns_destroy (void)
{
    if (!s_made)
        return;
    if (s_home >= 0)
        setns (s_home, CLONE_NEWNET);
    s_remove (true);
    s_made = false;
}

//  A test stopped from outside (ctest's timeout, ^C) leaves nothing.
static void
s_on_signal (int sig)
{
    panda_netns_destroy ();
    signal (sig, SIG_DFL);
    raise (sig);
}

//  What every shape needs: root, ip, a working 'ip netns add', the exit
//  hooks, no leftovers. 0, or -1 with why.
static int
s_prepare (char *why, size_t size)
{
    if (s_made) {
        snprintf (why, size, "namespaces of this test exist already");
        return -1;
    }
    if (geteuid () != 0) {
        snprintf (why, size, "not root: network namespaces need it");
        return -1;
    }
    if (s_home < 0 && (s_home = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) < 0) {
        snprintf (why, size, "no /proc/thread-self/ns/net");
        return -1;
    }
    snprintf (s_prefix, sizeof s_prefix, "pdd%d", (int) getpid ());
    if (!s_hooked) {
        atexit (panda_netns_destroy);
        signal (SIGINT, s_on_signal);
        signal (SIGTERM, s_on_signal);
        s_hooked = true;
    }
    if (system ("ip -V >/dev/null 2>&1") != 0) {
        snprintf (why, size, "no 'ip' command (iproute2)");
        return -1;
    }
    s_remove (false);
    if (s_ip (false, "netns add %stry", s_prefix)) {
        snprintf (why, size, "'ip netns add' fails here (a container?)");
        return -1;
    }
    s_made = true;
    s_ip (false, "netns del %stry", s_prefix);
    return 0;
}

int
panda_netns_lan_new (int nodes, char *why, size_t size)
{
    if (nodes < 1 || nodes > PANDA_NETNS_MAX_NODES) {
        snprintf (why, size, "bad number of nodes");
        return -1;
    }
    if (s_prepare (why, size))
        return -1;
    const char *p = s_prefix;
    int rc = s_ip (true, "netns add %shub", p) || s_ip (true, "-n %shub link add %sbr type bridge", p, p) ||
             s_ip (true, "-n %shub link set %sbr up", p, p);
    for (int i = 0; rc == 0 && i < nodes; i++)
        rc =
            s_ip (true, "netns add %sn%d", p, i) ||
            s_ip (true,
                  "-n %sn%d link add %sv%d address 02:77:00:00:00:%02x type veth peer name %sb%d netns %shub",
                  p, i, p, i, i + 1, p, i, p) ||
            s_ip (true, "-n %shub link set %sb%d master %sbr up", p, p, i, p) ||
            s_ip (true, "-n %sn%d addr add 10.77.0.%d/24 brd + dev %sv%d", p, i, i + 1, p, i) ||
            s_ip (true, "-n %sn%d link set %sv%d up", p, i, p, i) ||
            s_ip (true, "-n %sn%d link set lo up", p, i);
    if (rc) {
        snprintf (why, size, "cannot build the bridge and veths");
        panda_netns_destroy ();
        return -1;
    }
    return 0;
}

int
panda_netns_nat_new (char *why, size_t size)
{
    if (system ("command -v nft >/dev/null 2>&1") != 0) {
        snprintf (why, size, "nft (Debian package nftables) is not installed");
        return -1;
    }
    if (s_prepare (why, size))
        return -1;
    char command[512];
    snprintf (command, sizeof command, "%s up %s", PANDA_NETNS_NAT_SCRIPT, s_prefix);
    if (system (command) != 0) {
        snprintf (why, size, "cannot build the namespaces, veths and NAT (%s)", PANDA_NETNS_NAT_SCRIPT);
        panda_netns_destroy ();
        return -1;
    }
    return 0;
}

void
panda_netns_enter_name (const char *name)
{
    char path[128];
    snprintf (path, sizeof path, "/run/netns/%s%s", s_prefix, name);
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns (fd, CLONE_NEWNET) != 0)
        fail_msg ("cannot enter %s: %s", path, strerror (errno));
    close (fd);
}

const char *
panda_netns_name (const char *name)
{
    static char full[96];
    snprintf (full, sizeof full, "%s%s", s_prefix, name);
    return full;
}

void
panda_netns_enter (int i)
{
    char name[16];
    snprintf (name, sizeof name, "n%d", i);
    panda_netns_enter_name (name);
}

void
panda_netns_leave (void)
{
    if (setns (s_home, CLONE_NEWNET) != 0)
        fail_msg ("cannot return to the test's namespace: %s", strerror (errno));
}

const char *
panda_netns_interface (int i)
{
    static char name[48];
    snprintf (name, sizeof name, "%sv%d", s_prefix, i);
    return name;
}

const char *
panda_netns_address (int i)
{
    static char address[24];
    snprintf (address, sizeof address, "10.77.0.%d", i + 1);
    return address;
}

int
panda_netns_link_set (int i, bool up)
{
    return s_ip (true, "-n %shub link set %sb%d %s", s_prefix, s_prefix, i, up ? "up" : "down");
}

int
panda_netns_neigh_static (int i, int j)
{
    return s_ip (true, "-n %sn%d neigh replace 10.77.0.%d lladdr 02:77:00:00:00:%02x dev %sv%d nud permanent",
                 s_prefix, i, j + 1, j + 1, s_prefix, i);
}
