/*  panda_schema_id.c - schema id strings. See panda_schema_id.h.

    Reference algorithm (spec §5.1): look at the part after the last `_`. If
    it starts with `v` and is shorter than a hash, it is a system id;
    otherwise peel hashes off the end until the rest is shorter than a hash,
    and that rest is the name.                                               */
#include "panda/panda_schema_id.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_VERSION_MAX 255 //  the reference parses the version as a u8

static const struct {
    panda_system_schema_t which;
    const char *name;
    const char *id;
} s_system[] = {
    {PANDA_SYSTEM_SCHEMA_DEFINITION, "schema_definition", "schema_definition_v1"},
    {PANDA_SYSTEM_SCHEMA_FIELD_DEFINITION, "schema_field_definition", "schema_field_definition_v1"},
    {PANDA_SYSTEM_SCHEMA_BLOB, "blob", "blob_v1"},
    {PANDA_SYSTEM_SCHEMA_BLOB_PIECE, "blob_piece", "blob_piece_v1"},
};
#define S_SYSTEM_COUNT (sizeof s_system / sizeof s_system[0])

const char *
panda_system_schema_id (panda_system_schema_t which)
{
    for (size_t i = 0; i < S_SYSTEM_COUNT; i++)
        if (s_system[i].which == which)
            return s_system[i].id;
    return NULL;
}

static bool
s_alpha (char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
s_digit (char c)
{
    return c >= '0' && c <= '9';
}

bool
panda_schema_name_valid (const char *name, size_t len)
{
    if (len < PANDA_SCHEMA_NAME_MIN || len > PANDA_SCHEMA_NAME_MAX)
        return false;
    if (!s_alpha (name[0]) || !(s_alpha (name[len - 1]) || s_digit (name[len - 1])))
        return false;
    for (size_t i = 1; i < len - 1; i++)
        if (!s_alpha (name[i]) && !s_digit (name[i]) && name[i] != '_')
            return false;
    return true;
}

//  Offset of the last '_' in text[0..len), or -1.
static long
s_last_underscore (const char *text, size_t len)
{
    for (size_t i = len; i > 0; i--)
        if (text[i - 1] == '_')
            return (long) (i - 1);
    return -1;
}

static panda_err_t
s_parse_system (panda_schema_id_t *self, const char *text, size_t len, size_t split, panda_error_t *err)
{
    const char *digits = text + split + 2;
    size_t n = len - split - 2;
    //  The reference reads the version with u8::from_str (also "+1", "01");
    //  we accept only the canonical decimal form.
    bool lenient = n > 1 && (digits[0] == '+' || digits[0] == '0');
    size_t start = n > 0 && digits[0] == '+' ? 1 : 0;
    unsigned value = 0;
    bool ok = n > start;
    for (size_t i = start; ok && i < n; i++) {
        ok = s_digit (digits[i]) && (value = value * 10 + (unsigned) (digits[i] - '0')) <= S_VERSION_MAX;
    }
    if (!ok)
        return panda_error_set (err, PANDA_ERR_DECODE,
                                "malformed schema id `%.*s`: couldn't parse system schema version", (int) len,
                                text);
    if (lenient)
        return panda_error_set (
            err, PANDA_ERR_DECODE,
            "malformed schema id `%.*s`: system schema version is not written canonically", (int) len, text);
    for (size_t i = 0; i < S_SYSTEM_COUNT; i++) {
        if (strlen (s_system[i].name) == split && memcmp (s_system[i].name, text, split) == 0) {
            if (value != PANDA_SCHEMA_SYSTEM_VERSION)
                return panda_error_set (err, PANDA_ERR_DECODE, "unsupported system schema version: %.*s",
                                        (int) len, text);
            self->kind = PANDA_SCHEMA_ID_SYSTEM;
            self->system = s_system[i].which;
            self->version = (uint8_t) value;
            memcpy (self->name, text, split);
            self->name[split] = '\0';
            return PANDA_OK;
        }
    }
    return panda_error_set (err, PANDA_ERR_DECODE, "unsupported system schema: %.*s", (int) split, text);
}

static panda_err_t
s_parse_hash (panda_hash_t *hash, const char *hex, size_t len, panda_error_t *err)
{
    for (size_t i = 0; i < len; i++)
        if (hex[i] >= 'A' && hex[i] <= 'F')
            return panda_error_set (err, PANDA_ERR_DECODE,
                                    "encountered invalid hash while parsing application schema id: "
                                    "upper-case hex is not canonical");
    panda_err_t rc = panda_hash_from_hex (hash, hex, len, err);
    if (rc)
        panda_error_prefix (err, "encountered invalid hash while parsing application schema id: ");
    return rc;
}

static panda_err_t
s_parse_application (panda_schema_id_t *self, const char *text, size_t len, panda_error_t *err)
{
    //  Each hash takes 69 characters with its '_': this bounds the list.
    size_t max = len / (PANDA_HASH_HEX_SIZE + 1) + 1;
    self->view_ids = malloc (max * sizeof (panda_hash_t));
    if (!self->view_ids)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    size_t rest = len;
    while (true) {
        long split = s_last_underscore (text, rest);
        if (split < 0)
            return panda_error_set (err, PANDA_ERR_DECODE, "application schema id is missing a name: %.*s",
                                    (int) len, text);
        panda_err_t rc = s_parse_hash (&self->view_ids[self->n_view_ids], text + split + 1,
                                       rest - (size_t) split - 1, err);
        if (rc)
            return rc;
        self->n_view_ids++;
        rest = (size_t) split;
        if (rest < PANDA_HASH_HEX_SIZE)
            break;
    }
    if (rest == 0)
        return panda_error_set (err, PANDA_ERR_DECODE, "application schema id is missing a name: %.*s",
                                (int) len, text);
    if (!panda_schema_name_valid (text, rest))
        return panda_error_set (err, PANDA_ERR_DECODE,
                                "malformed schema id `%.*s`: name contains too many or invalid characters",
                                (int) len, text);
    //  Collected back to front: reverse, then require strictly ascending.
    for (size_t i = 0; i < self->n_view_ids / 2; i++) {
        panda_hash_t tmp = self->view_ids[i];
        self->view_ids[i] = self->view_ids[self->n_view_ids - 1 - i];
        self->view_ids[self->n_view_ids - 1 - i] = tmp;
    }
    for (size_t i = 1; i < self->n_view_ids; i++)
        if (panda_hash_cmp (&self->view_ids[i - 1], &self->view_ids[i]) >= 0)
            return panda_error_set (
                err, PANDA_ERR_DECODE,
                "encountered invalid document view id while parsing application schema id: "
                "expected sorted operation ids in document view id");
    self->kind = PANDA_SCHEMA_ID_APPLICATION;
    self->system = PANDA_SYSTEM_SCHEMA_NONE;
    memcpy (self->name, text, rest);
    self->name[rest] = '\0';
    return PANDA_OK;
}

panda_err_t
panda_schema_id_parse (panda_schema_id_t *self, const char *text, size_t len, panda_error_t *err)
{
    memset (self, 0, sizeof *self);
    long split = s_last_underscore (text, len);
    if (split < 0)
        return panda_error_set (err, PANDA_ERR_DECODE,
                                "malformed schema id `%.*s`: doesn't contain an underscore", (int) len, text);
    size_t tail = len - (size_t) split - 1;
    panda_err_t rc;
    if (tail > 0 && text[split + 1] == 'v' && tail < PANDA_HASH_HEX_SIZE)
        rc = s_parse_system (self, text, len, (size_t) split, err);
    else
        rc = s_parse_application (self, text, len, err);
    if (rc)
        panda_schema_id_clear (self);
    return rc;
}

panda_err_t
panda_schema_id_validate (const char *text, size_t len, panda_error_t *err)
{
    panda_schema_id_t id;
    panda_err_t rc = panda_schema_id_parse (&id, text, len, err);
    panda_schema_id_clear (&id);
    return rc;
}

void
panda_schema_id_clear (panda_schema_id_t *self)
{
    if (!self)
        return;
    free (self->view_ids);
    memset (self, 0, sizeof *self);
}

char *
panda_schema_id_format (const panda_schema_id_t *self)
{
    size_t name_len = strlen (self->name);
    size_t size = name_len + 8 + self->n_view_ids * (PANDA_HASH_HEX_SIZE + 1);
    char *out = malloc (size);
    if (!out)
        return NULL;
    if (self->kind == PANDA_SCHEMA_ID_SYSTEM) {
        snprintf (out, size, "%s_v%u", self->name, (unsigned) self->version);
        return out;
    }
    memcpy (out, self->name, name_len);
    char *p = out + name_len;
    for (size_t i = 0; i < self->n_view_ids; i++) {
        *p++ = '_';
        panda_hash_to_hex (&self->view_ids[i], p);
        p += PANDA_HASH_HEX_SIZE;
    }
    *p = '\0';
    return out;
}

char *
panda_schema_id_hash_id (const panda_schema_id_t *self)
{
    size_t size = strlen (self->name) + 3 + PANDA_HASH_HEX_SIZE + 1;
    char *out = malloc (size);
    if (!out)
        return NULL;
    if (self->kind == PANDA_SCHEMA_ID_SYSTEM) {
        snprintf (out, size, "%s__%u", self->name, (unsigned) self->version);
        return out;
    }
    panda_hash_t view_hash;
    char hex[PANDA_HASH_HEX_SIZE + 1];
    panda_hash_compute (&view_hash, self->view_ids, self->n_view_ids * sizeof (panda_hash_t));
    snprintf (out, size, "%s__%s", self->name, panda_hash_to_hex (&view_hash, hex));
    return out;
}
