/*  panda_gql_cache.c - small LRU of parsed and validated documents, keyed
    by query text. Entries remember the schema generation they were
    validated against; a newer schema revalidates (and a failing document is
    cached as its errors, so repeated bad queries are cheap too).           */
#include <stdlib.h>
#include <string.h>
#include "panda_gql.h"

typedef struct {
    uint64_t hash;
    char *text;
    size_t len;
    uint64_t generation;
    panda_gql_document_t *doc; //  NULL when the text does not parse
    json_t *errors; //  parse or validation errors (NULL when valid)
    uint64_t used; //  LRU clock
} s_entry_t;

struct _panda_gql_cache_t {
    s_entry_t *entries;
    size_t capacity, count;
    uint64_t clock;
    size_t hits;
};

static uint64_t
s_hash (const char *text, size_t len)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t) text[i]) * 1099511628211ull;
    return h;
}

static void
s_entry_clear (s_entry_t *e)
{
    free (e->text);
    panda_gql_document_destroy (&e->doc);
    json_decref (e->errors);
    memset (e, 0, sizeof (*e));
}

panda_gql_cache_t *
panda_gql_cache_new (size_t capacity)
{
    panda_gql_cache_t *self = calloc (1, sizeof (*self));
    if (!self)
        return NULL;
    self->capacity = capacity ? capacity : PANDA_GQL_CACHE_SIZE;
    self->entries = calloc (self->capacity, sizeof (s_entry_t));
    if (!self->entries) {
        free (self);
        return NULL;
    }
    return self;
}

void
panda_gql_cache_destroy (panda_gql_cache_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    panda_gql_cache_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        s_entry_clear (&self->entries[i]);
    free (self->entries);
    free (self);
    *self_p = NULL;
}

size_t
panda_gql_cache_hits (const panda_gql_cache_t *self)
{
    return self->hits;
}

//  Parse (if needed) and validate into e. Returns the stop message of a
//  stopped validation, which leaves e parsed but not validated.
static json_t *
s_entry_fill (s_entry_t *e, const panda_gql_schema_t *schema, const panda_gql_options_t *options)
{
    json_decref (e->errors);
    e->errors = NULL;
    if (!e->doc) {
        panda_error_t err;
        int line = 0, column = 0;
        e->doc = panda_gql_parse (e->text, e->len, &err, &line, &column);
        if (!e->doc) {
            e->errors = json_pack ("[o]", panda_gql_error_new (err.message, line, column));
            e->generation = panda_gql_schema_generation (schema);
            return NULL;
        }
    }
    bool stopped;
    json_t *errors = panda_gql_validate (schema, e->doc, options, &stopped);
    if (stopped) {
        e->generation = 0; //  no schema has it: the next lookup validates again
        return errors;
    }
    e->errors = errors;
    e->generation = panda_gql_schema_generation (schema);
    return NULL;
}

static s_entry_t *
s_slot (panda_gql_cache_t *self)
{
    if (self->count < self->capacity)
        return &self->entries[self->count++];
    s_entry_t *oldest = &self->entries[0];
    for (size_t i = 1; i < self->count; i++)
        if (self->entries[i].used < oldest->used)
            oldest = &self->entries[i];
    s_entry_clear (oldest);
    return oldest;
}

const panda_gql_document_t *
panda_gql_cache_lookup (panda_gql_cache_t *self, const panda_gql_schema_t *schema, const char *text,
                        size_t len, const panda_gql_options_t *options, json_t **errors)
{
    uint64_t h = s_hash (text, len);
    s_entry_t *e = NULL;
    json_t *stopped = NULL;
    for (size_t i = 0; i < self->count && !e; i++)
        if (self->entries[i].hash == h && self->entries[i].len == len &&
            memcmp (self->entries[i].text, text, len) == 0)
            e = &self->entries[i];
    if (e) {
        self->hits++;
        if (e->generation != panda_gql_schema_generation (schema) && e->doc)
            stopped = s_entry_fill (e, schema, options);
    } else {
        e = s_slot (self);
        e->text = malloc (len + 1);
        if (!e->text) {
            *errors = json_pack ("[o]", panda_gql_error_new ("out of memory", 0, 0));
            return NULL;
        }
        memcpy (e->text, text, len);
        e->text[len] = 0;
        e->len = len;
        e->hash = h;
        stopped = s_entry_fill (e, schema, options);
    }
    e->used = ++self->clock;
    if (stopped) {
        *errors = stopped;
        return NULL;
    }
    if (e->errors) {
        *errors = json_deep_copy (e->errors);
        return NULL;
    }
    *errors = NULL;
    return e->doc;
}
