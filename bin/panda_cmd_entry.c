/*  panda_cmd_entry.c - `panda entry sign|decode`: Bamboo entries as hex.

    sign: encode and sign an entry for an operation with the private key in
    --key FILE (or $PANDA_KEY_FILE), print its hex.
    decode: decode and verify an entry, print its fields as one JSON object
    (u64s as decimal strings, absent links as null).                        */
#include "panda_cmd.h"
#include "panda_client.h"
#include "panda/panda_hex.h"
#include "panda/panda_entry.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#define S_SIGN_USAGE                                                                                         \
    "usage: panda entry sign --key FILE --log-id N --seq-num N --operation HEX [--backlink HASH] "           \
    "[--skiplink HASH]"

//  Strict decimal u64: digits only, no sign, no overflow.
static bool
s_parse_u64 (const char *text, uint64_t *value)
{
    if (!*text || strlen (text) > 20)
        return false;
    uint64_t v = 0;
    for (const char *c = text; *c; c++) {
        if (*c < '0' || *c > '9')
            return false;
        uint64_t digit = (uint64_t) (*c - '0');
        if (v > (UINT64_MAX - digit) / 10)
            return false;
        v = v * 10 + digit;
    }
    *value = v;
    return true;
}

//  Hex text to fresh bytes; NULL on bad hex. Caller owns the result (free).
static uint8_t *
s_unhex (const char *hex, size_t *len)
{
    uint8_t *bytes;
    return panda_hex_decode (hex, strlen (hex), &bytes, len, NULL) == PANDA_OK ? bytes : NULL;
}

typedef struct {
    const char *key_file, *log_id, *seq_num, *operation, *backlink, *skiplink;
} s_sign_args_t;

static int
s_parse_sign_args (int argc, char **argv, s_sign_args_t *args)
{
    memset (args, 0, sizeof *args);
    args->key_file = getenv ("PANDA_KEY_FILE");
    if (args->key_file && !*args->key_file)
        args->key_file = NULL;
    bool key_given = false;
    for (int i = 2; i < argc; i += 2) {
        const char **slot = NULL;
        if (strcmp (argv[i], "--key") == 0)
            slot = &args->key_file;
        else if (strcmp (argv[i], "--log-id") == 0)
            slot = &args->log_id;
        else if (strcmp (argv[i], "--seq-num") == 0)
            slot = &args->seq_num;
        else if (strcmp (argv[i], "--operation") == 0)
            slot = &args->operation;
        else if (strcmp (argv[i], "--backlink") == 0)
            slot = &args->backlink;
        else if (strcmp (argv[i], "--skiplink") == 0)
            slot = &args->skiplink;
        bool is_key = slot == &args->key_file;
        if (!slot || i + 1 >= argc || (*slot && !(is_key && !key_given)))
            return panda_cmd_fail (S_SIGN_USAGE);
        key_given = key_given || is_key;
        *slot = argv[i + 1];
    }
    if (!args->key_file || !args->log_id || !args->seq_num || !args->operation)
        return panda_cmd_fail (S_SIGN_USAGE);
    return 0;
}

//  Optional hash option: NULL when absent, else parsed into *hash.
static int
s_parse_link (const char *name, const char *hex, panda_hash_t *hash, const panda_hash_t **link)
{
    *link = NULL;
    if (!hex)
        return 0;
    panda_error_t err;
    if (panda_hash_from_hex (hash, hex, strlen (hex), &err) != PANDA_OK)
        return panda_cmd_fail ("--%s: %s", name, err.message);
    *link = hash;
    return 0;
}

static int
s_entry_sign (int argc, char **argv)
{
    s_sign_args_t args;
    if (s_parse_sign_args (argc, argv, &args))
        return 1;
    uint64_t log_id, seq_num;
    if (!s_parse_u64 (args.log_id, &log_id))
        return panda_cmd_fail ("--log-id: not an unsigned 64-bit integer: %s", args.log_id);
    if (!s_parse_u64 (args.seq_num, &seq_num))
        return panda_cmd_fail ("--seq-num: not an unsigned 64-bit integer: %s", args.seq_num);
    panda_hash_t backlink, skiplink;
    const panda_hash_t *bl, *sl;
    if (s_parse_link ("backlink", args.backlink, &backlink, &bl) ||
        s_parse_link ("skiplink", args.skiplink, &skiplink, &sl))
        return 1;
    size_t op_len;
    uint8_t *operation = s_unhex (args.operation, &op_len);
    if (!operation)
        return panda_cmd_fail ("--operation: invalid hex");
    panda_error_t err;
    panda_keypair_t *keypair = panda_client_key_from_file (args.key_file, &err);
    if (!keypair) {
        free (operation);
        return panda_cmd_fail ("%s", err.message);
    }
    panda_entry_t *entry = panda_entry_new_signed (keypair, log_id, seq_num, bl, sl, operation, op_len, &err);
    panda_keypair_destroy (&keypair);
    free (operation);
    if (!entry)
        return panda_cmd_fail ("%s", err.message);
    size_t len;
    const uint8_t *bytes = panda_entry_bytes (entry, &len);
    char hex[2 * PANDA_ENTRY_MAX_SIZE + 1];
    printf ("%s\n", sodium_bin2hex (hex, sizeof hex, bytes, len));
    panda_entry_destroy (&entry);
    return 0;
}

static json_t *
s_entry_json (const panda_entry_t *entry)
{
    char key_hex[PANDA_PUBLIC_KEY_HEX_SIZE + 1], sig_hex[2 * PANDA_SIGNATURE_SIZE + 1];
    panda_public_key_t key = panda_entry_public_key (entry);
    json_t *object = json_object ();
    if (!object)
        return NULL;
    json_object_set_new (object, "publicKey", json_string (panda_public_key_to_hex (&key, key_hex)));
    json_object_set_new (object, "logId", panda_client_u64_json (panda_entry_log_id (entry)));
    json_object_set_new (object, "seqNum", panda_client_u64_json (panda_entry_seq_num (entry)));
    json_object_set_new (object, "backlink", panda_client_hash_json (panda_entry_backlink (entry)));
    json_object_set_new (object, "skiplink", panda_client_hash_json (panda_entry_skiplink (entry)));
    json_object_set_new (object, "payloadSize", panda_client_u64_json (panda_entry_payload_size (entry)));
    json_object_set_new (object, "payloadHash", panda_client_hash_json (panda_entry_payload_hash (entry)));
    sodium_bin2hex (sig_hex, sizeof sig_hex, panda_entry_signature (entry), PANDA_SIGNATURE_SIZE);
    json_object_set_new (object, "signature", json_string (sig_hex));
    json_object_set_new (object, "hash", panda_client_hash_json (panda_entry_hash (entry)));
    return object;
}

static int
s_entry_decode (const char *hex)
{
    size_t len;
    uint8_t *bytes = s_unhex (hex, &len);
    if (!bytes)
        return panda_cmd_fail ("invalid hex encoding in entry");
    panda_entry_t *entry = NULL;
    panda_error_t err;
    panda_err_t rc = panda_entry_decode_verified (&entry, bytes, len, &err);
    free (bytes);
    if (rc != PANDA_OK)
        return panda_cmd_fail ("%s", err.message);
    json_t *object = s_entry_json (entry);
    panda_entry_destroy (&entry);
    char *text = object ? json_dumps (object, JSON_COMPACT) : NULL;
    json_decref (object);
    if (!text)
        return panda_cmd_fail ("out of memory");
    printf ("%s\n", text);
    free (text);
    return 0;
}

int
panda_cmd_entry (int argc, char **argv)
{
    if (argc >= 2 && strcmp (argv[1], "sign") == 0)
        return s_entry_sign (argc, argv);
    if (argc == 3 && strcmp (argv[1], "decode") == 0)
        return s_entry_decode (argv[2]);
    return panda_cmd_fail ("usage: panda entry sign ... | panda entry decode HEX (see panda --help)");
}
