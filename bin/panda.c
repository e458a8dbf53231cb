/*  panda.c - the p2panda client CLI: keys, entries, operations.

    Thin dispatcher over the subcommands in bin/panda_cmd_*.c, which call
    lib/ and nothing else. Useful on its own (sign and inspect data) and as
    the way outside checks (tests/interop) drive the library.               */
#include "panda_cmd.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

static const panda_cmd_t s_commands[] = {
    //  Subcommands register here.
    {"key", panda_cmd_key,
     "  panda key new [FILE]          new key pair: private key to FILE (mode 0600) or stdout,\n"
     "                                public key to stdout"},
    {"entry", panda_cmd_entry,
     "  panda entry sign --private-key HEX --log-id N --seq-num N --operation HEX\n"
     "                   [--backlink HASH] [--skiplink HASH]   encode and sign, print the entry hex\n"
     "  panda entry decode HEX        verify an entry, print its fields as JSON"},
    {"operation", panda_cmd_operation,
     "  panda operation encode JSON    typed operation JSON (- = stdin) -> canonical CBOR hex\n"
     "  panda operation decode HEX     operation CBOR hex (- = stdin) -> JSON"},
    {"schema", panda_cmd_schema,
     "  panda schema build [SCHEMA_FILE] [--lock FILE] [--key FILE] [--dry-run]\n"
     "                   sign schema.toml's changes into schema.lock (fishy's format)\n"
     "  panda schema deploy [LOCK_FILE] [--node URL]   publish what the node lacks"},
    {NULL, NULL, NULL},
};

int
panda_cmd_fail (const char *format, ...)
{
    va_list args;
    va_start (args, format);
    fputs ("panda: ", stderr);
    vfprintf (stderr, format, args);
    fputc ('\n', stderr);
    va_end (args);
    return 1;
}

static void
s_usage (FILE *out)
{
    fprintf (out, "usage: panda <command> [arguments]\n\ncommands:\n");
    for (const panda_cmd_t *c = s_commands; c->name; c++)
        fprintf (out, "%s\n", c->usage);
    fprintf (out, "  panda --help | --version\n");
}

int
main (int argc, char *argv[])
{
    if (argc < 2)
        return s_usage (stderr), 1;
    if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
        return s_usage (stdout), 0;
    if (strcmp (argv[1], "--version") == 0)
        return printf ("panda %s\n", PANDA_VERSION), 0;
    if (sodium_init () < 0)
        return panda_cmd_fail ("libsodium failed to initialise");
    for (const panda_cmd_t *c = s_commands; c->name; c++)
        if (strcmp (argv[1], c->name) == 0)
            return c->run (argc - 1, argv + 1);
    return panda_cmd_fail ("unknown command '%s' (see panda --help)", argv[1]);
}
