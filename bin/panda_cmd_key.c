/*  panda_cmd_key.c - `panda key new [FILE]`: make a new Ed25519 key pair.

    With FILE, the private key (64 hex characters and a newline) goes into a
    new file created with mode 0600 (an existing file is never overwritten)
    and stdout gets the public key. Without FILE, stdout gets the private
    key, then the public key, one per line.                                 */
#include "panda_cmd.h"
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
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return panda_cmd_fail ("cannot create %s: %s", path, strerror (errno));
    size_t len = strlen (hex);
    bool ok = write (fd, hex, len) == (ssize_t) len && write (fd, "\n", 1) == 1;
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
    int rc = 0;
    if (path)
        rc = s_write_private_key (path, private_hex);
    else
        printf ("%s\n", private_hex);
    sodium_memzero (private_hex, sizeof private_hex);
    if (rc == 0)
        printf ("%s\n", public_hex);
    return rc;
}

int
panda_cmd_key (int argc, char **argv)
{
    if (argc >= 2 && strcmp (argv[1], "new") == 0 && argc <= 3)
        return s_key_new (argc == 3 ? argv[2] : NULL);
    return panda_cmd_fail ("usage: panda key new [FILE]");
}
