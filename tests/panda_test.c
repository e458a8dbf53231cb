/*  panda_test.c - shared helpers for the unit tests. See panda_test.h.     */
#include "panda_test.h"
#include "panda/panda_hex.h"

#include <stdio.h>
#include <sys/wait.h>

json_t *
panda_test_vectors (const char *name)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/%s", PANDA_TEST_VECTORS, name);
    json_error_t error;
    json_t *root = json_load_file (path, 0, &error);
    if (!root)
        fail_msg ("cannot load %s: %s (line %d)", path, error.text, error.line);
    return root;
}

uint8_t *
panda_test_unhex (const char *hex, size_t *len)
{
    uint8_t *bytes;
    panda_error_t err;
    if (panda_hex_decode (hex, strlen (hex), &bytes, len, &err))
        fail_msg ("bad hex (%s): %s", err.message, hex);
    return bytes;
}

char *
panda_test_hex (const uint8_t *bytes, size_t len)
{
    char *hex = panda_hex_encode (bytes, len);
    assert_non_null (hex);
    return hex;
}

void
panda_test_random_bytes (uint64_t *state, uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint64_t x = *state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *state = x;
        buf[i] = (uint8_t) (x >> 24);
    }
}

int
panda_test_run (const char *command, char **out)
{
    FILE *pipe = popen (command, "r");
    if (!pipe)
        return -1;
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc (cap + 1);
    assert_non_null (buf);
    size_t got;
    while (len < cap && (got = fread (buf + len, 1, cap - len, pipe)) > 0)
        len += got;
    buf[len] = '\0';
    int status = pclose (pipe);
    if (out)
        *out = buf;
    else
        free (buf);
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

const char *
panda_test_bin (const char *program)
{
    static char path[1024];
    snprintf (path, sizeof path, "%s/%s", PANDA_TEST_BIN, program);
    return path;
}
