/*  panda_test.c - shared helpers for the unit tests. See panda_test.h.     */
#include "panda_test.h"

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

static int
s_hex_digit (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

uint8_t *
panda_test_unhex (const char *hex, size_t *len)
{
    size_t n = strlen (hex);
    if (n % 2)
        fail_msg ("odd-length hex: %s", hex);
    uint8_t *bytes = malloc (n / 2 + 1);
    assert_non_null (bytes);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = s_hex_digit (hex[2 * i]), lo = s_hex_digit (hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            fail_msg ("bad hex: %s", hex);
        bytes[i] = (uint8_t) (hi << 4 | lo);
    }
    *len = n / 2;
    return bytes;
}

char *
panda_test_hex (const uint8_t *bytes, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    char *hex = malloc (2 * len + 1);
    assert_non_null (hex);
    for (size_t i = 0; i < len; i++) {
        hex[2 * i] = digits[bytes[i] >> 4];
        hex[2 * i + 1] = digits[bytes[i] & 15];
    }
    hex[2 * len] = '\0';
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
