/*  panda_cmd_operation.c - `panda operation encode|decode`.

    encode JSON   typed operation JSON (see panda_operation_json.h; "-" reads
                  stdin) -> canonical CBOR hex, as p2panda-js encodeOperation
    decode HEX    operation CBOR hex ("-" reads stdin) -> schema-less JSON   */
#include "panda_cmd.h"
#include "panda/panda_hex.h"
#include "panda/panda_operation_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_STDIN_MAX (64u << 20) //  refuse inputs above 64 MiB

//  The argument, or all of stdin for "-". Caller owns the result (free).
static char *
s_input (const char *arg, size_t *len)
{
    if (strcmp (arg, "-") != 0) {
        *len = strlen (arg);
        return strdup (arg);
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc (cap);
    while (buf) {
        size_t got = fread (buf + n, 1, cap - n, stdin);
        n += got;
        if (got == 0)
            break;
        if (n == cap) {
            char *grown = cap < S_STDIN_MAX ? realloc (buf, cap * 2) : NULL;
            if (!grown)
                free (buf);
            buf = grown;
            cap *= 2;
        }
    }
    //  Trim trailing whitespace (a newline from echo or a file).
    while (buf && n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        n--;
    *len = n;
    return buf;
}

static int
s_encode (const char *text, size_t len)
{
    panda_error_t err;
    panda_operation_t *op = panda_operation_from_json_text (text, len, &err);
    if (!op)
        return panda_cmd_fail ("%s", err.message);
    size_t n;
    const uint8_t *bytes = panda_operation_bytes (op, &n);
    if (!bytes) {
        panda_operation_destroy (&op);
        return panda_cmd_fail ("out of memory");
    }
    for (size_t i = 0; i < n; i++)
        printf ("%02x", bytes[i]);
    printf ("\n");
    panda_operation_destroy (&op);
    return 0;
}

static int
s_decode (const char *hex, size_t len)
{
    uint8_t *bytes;
    size_t n;
    panda_error_t err;
    if (panda_hex_decode (hex, len, &bytes, &n, &err))
        return panda_cmd_fail ("invalid hex: %s", err.message);
    panda_operation_t *op = panda_operation_decode (bytes, n, &err);
    free (bytes);
    if (!op)
        return panda_cmd_fail ("%s", err.message);
    char *text = panda_operation_to_json_text (op);
    panda_operation_destroy (&op);
    if (!text)
        return panda_cmd_fail ("out of memory");
    printf ("%s\n", text);
    free (text);
    return 0;
}

int
panda_cmd_operation (int argc, char **argv)
{
    if (argc != 3 || (strcmp (argv[1], "encode") != 0 && strcmp (argv[1], "decode") != 0))
        return panda_cmd_fail ("usage: panda operation encode JSON | panda operation decode HEX");
    size_t len;
    char *input = s_input (argv[2], &len);
    if (!input)
        return panda_cmd_fail ("cannot read input");
    int rc = strcmp (argv[1], "encode") == 0 ? s_encode (input, len) : s_decode (input, len);
    free (input);
    return rc;
}
