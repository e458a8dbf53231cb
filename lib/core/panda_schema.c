/*  panda_schema.c - schemas, field types, and the hand-written checks for
    names, descriptions, schema ids and mime types. See panda_schema.h.

    A schema owns its strings and its field array, except the four system
    schemas, which are static constants (is_system set): they are never
    freed or changed. Fields stay sorted by name (strcmp, i.e. byte-wise, the
    order of operation fields).                                              */
#include "panda/panda_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MESSAGE_QUOTE_MAX 200 //  quote at most this much of bad input

typedef struct {
    const char *name;
    const char *type; //  canonical type string
    panda_field_kind_t kind;
    const char *target; //  relation target schema id, or NULL
} s_field_t;

//  Members are const so the system schemas can be static constants; heap
//  schemas own what they point to and cast the const away to free it.
struct _panda_schema_t {
    const char *id;
    const char *name;
    const char *description;
    const s_field_t *fields;
    size_t field_count;
    size_t field_capacity; //  heap schemas: allocated entries of fields
    bool is_system;
};

//  --------------------------------------------------------------------------
//  The system schemas (§5.4), fields sorted by name.

static const s_field_t s_schema_definition_fields[] = {
    {"description", "str", PANDA_FIELD_STR, NULL},
    {"fields", "pinned_relation_list(schema_field_definition_v1)", PANDA_FIELD_PINNED_RELATION_LIST,
     PANDA_SCHEMA_ID_SCHEMA_FIELD_DEFINITION},
    {"name", "str", PANDA_FIELD_STR, NULL},
};
static const s_field_t s_schema_field_definition_fields[] = {
    {"name", "str", PANDA_FIELD_STR, NULL},
    {"type", "str", PANDA_FIELD_STR, NULL},
};
static const s_field_t s_blob_fields[] = {
    {"length", "int", PANDA_FIELD_INT, NULL},
    {"mime_type", "str", PANDA_FIELD_STR, NULL},
    {"pieces", "pinned_relation_list(blob_piece_v1)", PANDA_FIELD_PINNED_RELATION_LIST,
     PANDA_SCHEMA_ID_BLOB_PIECE},
};
static const s_field_t s_blob_piece_fields[] = {
    {"data", "bytes", PANDA_FIELD_BYTES, NULL},
};

#define S_SYSTEM(id, name, description, fields)                                                              \
    {                                                                                                        \
        id, name, description, fields, sizeof fields / sizeof fields[0], 0, true                             \
    }

static const panda_schema_t s_system_schemas[] = {
    S_SYSTEM (PANDA_SCHEMA_ID_SCHEMA_DEFINITION, "schema_definition",
              "Publish data schemas for your application.", s_schema_definition_fields),
    S_SYSTEM (PANDA_SCHEMA_ID_SCHEMA_FIELD_DEFINITION, "schema_field_definition",
              "Define fields for application data schemas.", s_schema_field_definition_fields),
    S_SYSTEM (PANDA_SCHEMA_ID_BLOB, "blob", "Definition of a blob file.", s_blob_fields),
    S_SYSTEM (PANDA_SCHEMA_ID_BLOB_PIECE, "blob_piece",
              "Representation of the (partial) binary data of a file.", s_blob_piece_fields),
};

static const struct {
    const char *name;
    panda_field_kind_t kind;
} s_kinds[] = {
    {"bool", PANDA_FIELD_BOOL},
    {"int", PANDA_FIELD_INT},
    {"float", PANDA_FIELD_FLOAT},
    {"str", PANDA_FIELD_STR},
    {"bytes", PANDA_FIELD_BYTES},
    {"relation", PANDA_FIELD_RELATION},
    {"relation_list", PANDA_FIELD_RELATION_LIST},
    {"pinned_relation", PANDA_FIELD_PINNED_RELATION},
    {"pinned_relation_list", PANDA_FIELD_PINNED_RELATION_LIST},
};
#define S_KIND_COUNT (sizeof s_kinds / sizeof s_kinds[0])

//  --------------------------------------------------------------------------
//  Hand-written pattern checks

static bool
s_is_alpha (char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool
s_is_digit (char c)
{
    return c >= '0' && c <= '9';
}

static bool
s_is_lower_alnum (char c)
{
    return (c >= 'a' && c <= 'z') || s_is_digit (c);
}

bool
panda_schema_field_name_is_valid (const char *text, size_t len)
{
    if (len < 1 || len > PANDA_SCHEMA_FIELD_NAME_MAX || !s_is_alpha (text[0]))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!s_is_alpha (text[i]) && !s_is_digit (text[i]) && text[i] != '_')
            return false;
    return true;
}

//  Length of the UTF-8 sequence at p (at most left bytes), 0 if invalid:
//  overlong forms, surrogates and code points above U+10FFFF are rejected.
static size_t
s_utf8_sequence (const unsigned char *p, size_t left)
{
    size_t n;
    uint32_t cp;
    if (p[0] < 0x80)
        return 1;
    else if ((p[0] & 0xe0) == 0xc0)
        n = 2, cp = p[0] & 0x1f;
    else if ((p[0] & 0xf0) == 0xe0)
        n = 3, cp = p[0] & 0x0f;
    else if ((p[0] & 0xf8) == 0xf0)
        n = 4, cp = p[0] & 0x07;
    else
        return 0;
    if (n > left)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

bool
panda_schema_description_is_valid (const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *) text, *end = p + len;
    size_t chars = 0;
    while (p < end) {
        size_t n = s_utf8_sequence (p, (size_t) (end - p));
        if (n == 0 || ++chars > PANDA_SCHEMA_DESCRIPTION_MAX)
            return false;
        p += n;
    }
    return true;
}

//  The mime pattern ^[a-z-]{1,12}/(([a-z0-9]{1,18})[.|+-]){0,6}[a-z0-9]{1,16}$
//  splits the subtype into alnum tokens at separators ('.', '|', '+', '-'):
//  since separators are not alnum, the split is unique, so the pattern holds
//  iff there are at most 6 separators, no token is empty, every token but
//  the last has 1..18 chars and the last 1..16.
bool
panda_schema_mime_type_is_valid (const char *text, size_t len)
{
    size_t i = 0;
    while (i < len && ((text[i] >= 'a' && text[i] <= 'z') || text[i] == '-'))
        i++;
    if (i < 1 || i > 12 || i == len || text[i] != '/')
        return false;
    size_t separators = 0, token = 0;
    for (i++; i < len; i++) {
        char c = text[i];
        if (s_is_lower_alnum (c))
            token++;
        else if (c == '.' || c == '|' || c == '+' || c == '-') {
            if (token < 1 || token > 18 || ++separators > 6)
                return false;
            token = 0;
        } else
            return false;
    }
    return token >= 1 && token <= 16;
}

//  Canonical application schema id: "<name>_<id>[_<id>…]". The reference
//  splits ids off the end until what is left is shorter than 68 chars; that
//  rest is the name. Ids must be lower-case hex hashes, strictly ascending.
//  --------------------------------------------------------------------------
//  Field types

const char *
panda_field_kind_name (panda_field_kind_t kind)
{
    for (size_t i = 0; i < S_KIND_COUNT; i++)
        if (s_kinds[i].kind == kind)
            return s_kinds[i].name;
    return "unknown";
}

bool
panda_field_kind_is_relation (panda_field_kind_t kind)
{
    return kind == PANDA_FIELD_RELATION || kind == PANDA_FIELD_RELATION_LIST ||
           kind == PANDA_FIELD_PINNED_RELATION || kind == PANDA_FIELD_PINNED_RELATION_LIST;
}

//  Kind with this exact name (len bytes), or -1.
static int
s_kind_lookup (const char *name, size_t len)
{
    for (size_t i = 0; i < S_KIND_COUNT; i++)
        if (strlen (s_kinds[i].name) == len && memcmp (s_kinds[i].name, name, len) == 0)
            return (int) s_kinds[i].kind;
    return -1;
}

panda_err_t
panda_field_type_parse (const char *text, size_t len, panda_field_kind_t *kind, size_t *target_offset,
                        size_t *target_len, panda_error_t *err)
{
    int quote = len > S_MESSAGE_QUOTE_MAX ? S_MESSAGE_QUOTE_MAX : (int) len;
    const char *open = memchr (text, '(', len);
    size_t name_len = open ? (size_t) (open - text) : len;
    int found = s_kind_lookup (text, name_len);
    if (found < 0)
        return panda_error_set (err, PANDA_ERR_SCHEMA, "unknown field type '%.*s'", quote, text);
    bool relation = panda_field_kind_is_relation ((panda_field_kind_t) found);
    if (relation && !open)
        return panda_error_set (err, PANDA_ERR_SCHEMA,
                                "field type '%.*s' needs a schema id: '%.*s(<schema id>)'", quote, text,
                                quote, text);
    if (!relation && open)
        return panda_error_set (err, PANDA_ERR_SCHEMA, "field type '%s' takes no schema id",
                                panda_field_kind_name ((panda_field_kind_t) found));
    size_t offset = 0, target = 0;
    if (relation) {
        const char *close = memchr (open, ')', len - name_len);
        if (!close)
            return panda_error_set (err, PANDA_ERR_SCHEMA, "missing ')' in field type '%.*s'", quote, text);
        if (close != text + len - 1)
            return panda_error_set (err, PANDA_ERR_SCHEMA, "unexpected text after ')' in field type '%.*s'",
                                    quote, text);
        offset = name_len + 1;
        target = len - offset - 1;
        if (panda_schema_id_validate (text + offset, target, NULL) != PANDA_OK)
            return panda_error_set (err, PANDA_ERR_SCHEMA,
                                    "invalid or non-canonical schema id in field type '%.*s'", quote, text);
    }
    *kind = (panda_field_kind_t) found;
    if (target_offset)
        *target_offset = offset;
    if (target_len)
        *target_len = target;
    return PANDA_OK;
}

size_t
panda_field_type_format (panda_field_kind_t kind, const char *target, char *out, size_t size)
{
    int n;
    if (panda_field_kind_is_relation (kind))
        n = snprintf (out, size, "%s(%s)", panda_field_kind_name (kind), target ? target : "");
    else
        n = snprintf (out, size, "%s", panda_field_kind_name (kind));
    return n < 0 ? 0 : (size_t) n;
}

//  --------------------------------------------------------------------------
//  Schemas

const panda_schema_t *
panda_schema_system (const char *schema_id)
{
    for (size_t i = 0; schema_id && i < sizeof s_system_schemas / sizeof s_system_schemas[0]; i++)
        if (strcmp (s_system_schemas[i].id, schema_id) == 0)
            return &s_system_schemas[i];
    return NULL;
}

//  Free a heap field's strings (the casts drop the const of the layout
//  shared with the static system schemas).
static void
s_field_free (s_field_t *field)
{
    free ((char *) field->name);
    free ((char *) field->type);
    free ((char *) field->target);
}

void
panda_schema_destroy (panda_schema_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    panda_schema_t *self = *self_p;
    if (PANDA_NEVER (self->is_system)) {
        *self_p = NULL;
        return;
    }
    for (size_t i = 0; i < self->field_count; i++)
        s_field_free ((s_field_t *) &self->fields[i]);
    free ((s_field_t *) self->fields);
    free ((char *) self->id);
    free ((char *) self->name);
    free ((char *) self->description);
    free (self);
    *self_p = NULL;
}

//  A heap schema with copies of the three strings, room for capacity
//  fields, no fields, no checks. Caller owns the result; NULL on OOM.
static panda_schema_t *
s_schema_alloc (const char *id, const char *name, const char *description, size_t capacity)
{
    panda_schema_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->id = strdup (id);
    self->name = strdup (name);
    self->description = strdup (description);
    self->field_capacity = capacity ? capacity : 1;
    self->fields = calloc (self->field_capacity, sizeof (s_field_t));
    if (!self->id || !self->name || !self->description || !self->fields)
        panda_schema_destroy (&self);
    return self;
}

panda_schema_t *
panda_schema_new (const char *id, const char *name, const char *description, panda_error_t *err)
{
    size_t name_len = strlen (name), id_len = strlen (id);
    if (!panda_schema_name_valid (name, name_len)) {
        panda_error_set (err, PANDA_ERR_SCHEMA, "invalid schema name '%.*s'", S_MESSAGE_QUOTE_MAX, name);
        return NULL;
    }
    if (!panda_schema_description_is_valid (description, strlen (description))) {
        panda_error_set (err, PANDA_ERR_SCHEMA,
                         "schema description must be UTF-8 text of at most %d characters",
                         PANDA_SCHEMA_DESCRIPTION_MAX);
        return NULL;
    }
    //  An application id is its name, '_', then the view id.
    panda_schema_id_t parsed;
    if (panda_schema_id_parse (&parsed, id, id_len, NULL) != PANDA_OK) {
        panda_error_set (err, PANDA_ERR_SCHEMA, "'%.*s' is not a canonical schema id", S_MESSAGE_QUOTE_MAX,
                         id);
        return NULL;
    }
    bool matches = parsed.kind == PANDA_SCHEMA_ID_APPLICATION && strcmp (parsed.name, name) == 0;
    panda_schema_id_clear (&parsed);
    if (!matches) {
        panda_error_set (err, PANDA_ERR_SCHEMA, "'%.*s' is not an application schema id for name '%s'",
                         S_MESSAGE_QUOTE_MAX, id, name);
        return NULL;
    }
    panda_schema_t *self = s_schema_alloc (id, name, description, 8);
    if (!self)
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    return self;
}

panda_err_t
panda_schema_add_field (panda_schema_t *self, const char *name, const char *type, panda_error_t *err)
{
    if (PANDA_NEVER (self->is_system))
        return panda_error_set (err, PANDA_ERR_INTERNAL, "system schemas can not be changed");
    if (!panda_schema_field_name_is_valid (name, strlen (name)))
        return panda_error_set (err, PANDA_ERR_SCHEMA, "invalid field name '%.*s'", S_MESSAGE_QUOTE_MAX,
                                name);
    if (self->field_count == PANDA_SCHEMA_FIELDS_MAX)
        return panda_error_set (err, PANDA_ERR_LIMIT, "a schema has at most %d fields",
                                PANDA_SCHEMA_FIELDS_MAX);
    panda_field_kind_t kind;
    size_t offset, target_len;
    panda_err_t rc = panda_field_type_parse (type, strlen (type), &kind, &offset, &target_len, err);
    if (rc != PANDA_OK)
        return rc;
    if (self->field_count == self->field_capacity) {
        size_t capacity = self->field_capacity * 2;
        if (capacity > PANDA_SCHEMA_FIELDS_MAX)
            capacity = PANDA_SCHEMA_FIELDS_MAX;
        s_field_t *grown = realloc ((s_field_t *) self->fields, capacity * sizeof (s_field_t));
        if (!grown)
            return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        self->fields = grown;
        self->field_capacity = capacity;
    }
    //  Find the sorted position; equal names are duplicates.
    s_field_t *fields = (s_field_t *) self->fields;
    size_t at = 0;
    while (at < self->field_count && strcmp (fields[at].name, name) < 0)
        at++;
    if (at < self->field_count && strcmp (fields[at].name, name) == 0)
        return panda_error_set (err, PANDA_ERR_SCHEMA, "duplicate field name '%s'", name);
    s_field_t field = {strdup (name), strdup (type), kind, NULL};
    if (panda_field_kind_is_relation (kind))
        field.target = strndup (type + offset, target_len);
    if (!field.name || !field.type || (panda_field_kind_is_relation (kind) && !field.target)) {
        s_field_free (&field);
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    }
    memmove (&fields[at + 1], &fields[at], (self->field_count - at) * sizeof field);
    fields[at] = field;
    self->field_count++;
    return PANDA_OK;
}

panda_schema_t *
panda_schema_dup (const panda_schema_t *self)
{
    panda_schema_t *copy = s_schema_alloc (self->id, self->name, self->description, self->field_count);
    if (!copy)
        return NULL;
    s_field_t *fields = (s_field_t *) copy->fields;
    for (size_t i = 0; i < self->field_count; i++) {
        const s_field_t *from = &self->fields[i];
        fields[i] = (s_field_t){strdup (from->name), strdup (from->type), from->kind,
                                from->target ? strdup (from->target) : NULL};
        copy->field_count++;
        if (!fields[i].name || !fields[i].type || (from->target && !fields[i].target)) {
            panda_schema_destroy (&copy);
            return NULL;
        }
    }
    return copy;
}

const char *
panda_schema_id (const panda_schema_t *self)
{
    return self->id;
}

const char *
panda_schema_name (const panda_schema_t *self)
{
    return self->name;
}

const char *
panda_schema_description (const panda_schema_t *self)
{
    return self->description;
}

bool
panda_schema_is_system (const panda_schema_t *self)
{
    return self->is_system;
}

size_t
panda_schema_field_count (const panda_schema_t *self)
{
    return self->field_count;
}

const char *
panda_schema_field_name (const panda_schema_t *self, size_t index)
{
    return index < self->field_count ? self->fields[index].name : NULL;
}

const char *
panda_schema_field_type (const panda_schema_t *self, size_t index)
{
    return index < self->field_count ? self->fields[index].type : NULL;
}

panda_field_kind_t
panda_schema_field_kind (const panda_schema_t *self, size_t index)
{
    return index < self->field_count ? self->fields[index].kind : PANDA_FIELD_BOOL;
}

const char *
panda_schema_field_target (const panda_schema_t *self, size_t index)
{
    return index < self->field_count ? self->fields[index].target : NULL;
}

long
panda_schema_field_index (const panda_schema_t *self, const char *name)
{
    size_t lo = 0, hi = self->field_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp (self->fields[mid].name, name);
        if (cmp == 0)
            return (long) mid;
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}
