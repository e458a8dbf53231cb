/*  panda_cmd_key.c - `panda key new FILE` and `panda key public FILE`.

    new: a new Ed25519 key pair; the private key (64 hex characters and a
    newline) goes into FILE, created with mode 0600 (an existing file is
    never overwritten), stdout gets the public key. A private key never
    appears on a command line or on stdout: commands that sign read it from
    the file (--key FILE).
    public: the public key of the private key in FILE.                      */
#include "panda_cmd.h"
#include "panda_client.h"
#include "panda/panda_keypair.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

static int
s_write_private_key (const char *path, const char *hex)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return panda_cmd_fail ("cannot create %s: %s", path, strerror (errno));
    size_t len = strlen (hex);
    bool ok = write (fd, hex, len) == (ssize_t) len && write (fd, "\n", 1) == 1;
    ok = (fsync (fd) == 0) && ok;
    ok = (close (fd) == 0) && ok;
    if (!ok) {
        unlink (path);
        return panda_cmd_fail ("cannot write %s", path);
    }
    return 0;
}

static int
s_key_new (const char *path)
{
    panda_keypair_t *keypair = panda_keypair_new ();
    if (!keypair)
        return panda_cmd_fail ("cannot create a key pair");
    char private_hex[PANDA_PRIVATE_KEY_HEX_SIZE + 1], public_hex[PANDA_PUBLIC_KEY_HEX_SIZE + 1];
    panda_keypair_private_key_hex (keypair, private_hex);
    panda_public_key_t key = panda_keypair_public_key (keypair);
    panda_public_key_to_hex (&key, public_hex);
    panda_keypair_destroy (&keypair);
    int rc = s_write_private_key (path, private_hex);
    sodium_memzero (private_hex, sizeof private_hex);
    if (rc == 0)
        printf ("%s\n", public_hex);
    return rc;
}

static int
s_key_public (const char *path)
{
    panda_error_t err;
    panda_keypair_t *keypair = panda_client_key_from_file (path, &err);
    if (!keypair)
        return panda_cmd_fail ("%s", err.message);
    char public_hex[PANDA_PUBLIC_KEY_HEX_SIZE + 1];
    panda_public_key_t key = panda_keypair_public_key (keypair);
    panda_keypair_destroy (&keypair);
    printf ("%s\n", panda_public_key_to_hex (&key, public_hex));
    return 0;
}

int
panda_cmd_key (int argc, char **argv)
{
    if (argc == 3 && strcmp (argv[1], "new") == 0)
        return s_key_new (argv[2]);
    if (argc == 3 && strcmp (argv[1], "public") == 0)
        return s_key_public (argv[2]);
    return panda_cmd_fail ("usage: panda key new FILE | panda key public FILE");
}
