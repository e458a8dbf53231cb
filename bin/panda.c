/*  panda.c - the p2panda client CLI: keys, entries, operations, and a
    node's documents, queries and blobs over its HTTP GraphQL API.

    Thin dispatcher over the subcommands in bin/panda_cmd_*.c (one table
    entry each), which call lib/ and, for the node, bin/panda_client.c.
    Useful on its own (sign and inspect data), as a client for people
    without JavaScript, and as the way outside checks (tests/interop) drive
    the library.                                                            */
#include "panda_cmd.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

static int s_help (int argc, char **argv);

static const panda_cmd_t s_commands[] = {
    //  Subcommands register here.
    {"key", panda_cmd_key,
     "  panda key new FILE            new key pair: private key to FILE (mode 0600), public key to stdout\n"
     "  panda key public FILE         the public key of the private key in FILE"},
    {"entry", panda_cmd_entry,
     "  panda entry sign --key FILE --log-id N --seq-num N --operation HEX\n"
     "                   [--backlink HASH] [--skiplink HASH]   encode and sign, print the entry hex\n"
     "  panda entry decode HEX        verify an entry, print its fields as JSON"},
    {"operation", panda_cmd_operation,
     "  panda operation encode JSON   typed operation JSON (- = stdin) -> canonical CBOR hex\n"
     "  panda operation decode HEX    operation CBOR hex (- = stdin) -> JSON"},
    {"next-args", panda_cmd_next_args,
     "  panda next-args [--key FILE | --public-key HEX] [--view-id VIEW_ID]\n"
     "                                the node's arguments for the next entry (log id, seq num, links)"},
    {"publish", panda_cmd_publish,
     "  panda publish ENTRY_HEX OPERATION_HEX    publish an entry signed elsewhere, as it is\n"
     "  panda publish --key FILE OPERATION       sign OPERATION (typed JSON or CBOR hex; - = stdin,\n"
     "                                @FILE = a file) after nextArgs, and publish it"},
    {"document", panda_cmd_document,
     "  panda document create SCHEMA_ID [NAME=VALUE...] [--fields JSON] [--type NAME=TYPE...]\n"
     "  panda document update SCHEMA_ID DOCUMENT_ID [NAME=VALUE...] [--previous VIEW_ID] [...]\n"
     "  panda document delete SCHEMA_ID DOCUMENT_ID [--previous VIEW_ID]\n"
     "                                sign with --key and publish; update/delete build on the\n"
     "                                document's current view unless --previous names one"},
    {"query", panda_cmd_query,
     "  panda query GRAPHQL [--variables JSON]   run a GraphQL document (- = stdin, @FILE), print data\n"
     "  panda query SCHEMA_ID [--filter NAME<op>VALUE...] [--order FIELD] [--desc] [--first N]\n"
     "              [--after CURSOR]   list documents; <op>: = != > >= < <= ~ (contains) !~,\n"
     "                                or NAME.OP=VALUE with OP one of eq notEq in notIn gt gte lt lte\n"
     "                                contains notContains (in/notIn: values joined by ',')"},
    {"blob", panda_cmd_blob,
     "  panda blob upload FILE [--mime-type TYPE]   publish FILE (- = stdin) in 256000-byte\n"
     "                                blob_piece_v1 pieces and one blob_v1 document (needs --key)\n"
     "  panda blob download DOCUMENT_ID [--output FILE] [--view-id VIEW_ID] [--wait SECONDS]\n"
     "                                GET /blobs/<id> into FILE or stdout; --wait polls until it is there"},
    {"schema", panda_cmd_schema,
     "  panda schema build [SCHEMA_FILE] [--lock FILE] [--key FILE] [--dry-run]\n"
     "                   sign schema.toml's changes into schema.lock (fishy's format)\n"
     "  panda schema deploy [LOCK_FILE] [--node URL]   publish what the node lacks"},
    {"help", s_help, "  panda help | --help | --version"},
    {NULL, NULL, NULL},
};

static const char s_formats[] =
    "\nfield values (NAME=VALUE, or --fields '{\"NAME\": VALUE, ...}' as JSON text, @FILE or -):\n"
    "  typed by the schema, read from the node (or by --type NAME=TYPE, or a value written as\n"
    "  {\"type\": TYPE, \"value\": ...} in the operation JSON form below):\n"
    "    str                   text                 int    decimal (JSON: integer or \"decimal\")\n"
    "    float                 number, NaN, inf     bool   true | false\n"
    "    bytes                 hex                  relation   a document id\n"
    "    relation_list         ids joined by ','    pinned_relation   a view id (ids joined by '_')\n"
    "    pinned_relation_list  view ids joined by ',' (JSON: arrays)\n"
    "\noperation JSON (panda operation encode, panda publish --key):\n"
    "  {\"version\": 1, \"action\": \"create\" | \"update\" | \"delete\", \"schemaId\": \"SCHEMA_ID\",\n"
    "   \"previous\": [\"OPERATION_ID\", ...],          (update and delete)\n"
    "   \"fields\": {\"NAME\": {\"type\": TYPE, \"value\": VALUE}, ...}}   (create and update)\n"
    "  TYPE is str, int, float, bool, bytes, relation, relation_list, pinned_relation or\n"
    "  pinned_relation_list; ints are decimal strings, bytes hex, relations ids (lists: arrays,\n"
    "  pinned relations arrays of operation ids); a float may be {\"type\": \"float\", \"f64_bits\":\n"
    "  \"16 hex digits\"} for NaN/inf. See docs/client.md.\n"
    "\noptions of the commands that talk to a node (next-args, publish, document, query, blob):\n";

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
s_usage (FILE *out, bool full)
{
    fprintf (out, "usage: panda <command> [arguments]\n\ncommands:\n");
    for (const panda_cmd_t *c = s_commands; c->name; c++)
        fprintf (out, "%s\n", c->usage);
    if (full)
        fprintf (out, "%s%s", s_formats, panda_client_options_help);
}

static int
s_help (int argc, char **argv)
{
    s_usage (stdout, true);
    return 0;
}

int
main (int argc, char *argv[])
{
    if (argc < 2)
        return s_usage (stderr, false), 1;
    if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
        return s_usage (stdout, true), 0;
    if (strcmp (argv[1], "--version") == 0)
        return printf ("panda %s\n", PANDA_VERSION), 0;
    if (sodium_init () < 0)
        return panda_cmd_fail ("libsodium failed to initialise");
    for (const panda_cmd_t *c = s_commands; c->name; c++)
        if (strcmp (argv[1], c->name) == 0)
            return c->run (argc - 1, argv + 1);
    return panda_cmd_fail ("unknown command '%s' (see panda help)", argv[1]);
}
