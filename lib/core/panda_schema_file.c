/*  panda_schema_file.c - fishy's schema.toml. See panda_schema_lock.h.

    Read as fishy's serde types read it (unknown keys refused), checked
    with the rules a node applies to the definitions built from it, and
    put in build order: a schema after every schema of the file its
    relations name (levels of a topological sort), by name within a
    level. fishy takes the schemas of one level in hash-map order, so its
    order there varies from run to run; ours is fixed.                    */
#include "panda/panda_schema_id.h"
#include "panda_schema_lock_int.h"
#include "panda_toml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_schema_clear (panda_schema_file_schema_t *s)
{
    for (size_t i = 0; i < s->field_count; i++) {
        free (s->fields[i].name);
        free (s->fields[i].target_id);
    }
    free (s->fields);
    free (s->name);
    free (s->description);
    free (s->schema_id);
}

void
panda_schema_file_destroy (panda_schema_file_t **self_p)
{
    panda_schema_file_t *self = self_p ? *self_p : NULL;
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++)
        s_schema_clear (&self->schemas[i]);
    free (self->schemas);
    free (self);
    *self_p = NULL;
}

static int
s_cmp_name (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

//  Kind from fishy's type names.
static bool
s_kind (const char *text, panda_field_kind_t *kind)
{
    for (panda_field_kind_t k = PANDA_FIELD_BOOL; k <= PANDA_FIELD_PINNED_RELATION_LIST; k++)
        if (strcmp (panda_field_kind_name (k), text) == 0)
            return *kind = k, true;
    return false;
}

//  { type = ..., schema = { name = ... } | { id = ... } }. Relations by
//  name keep the name in target_id until the file is resolved.
static panda_err_t
s_parse_field (panda_schema_file_field_t *f, json_t *def, panda_error_t *err)
{
    if (!json_is_object (def))
        return panda_error_set (err, PANDA_ERR_DECODE, "expected a table such as { type = \"str\" }");
    const char *key;
    json_t *value;
    json_object_foreach (def, key, value)
    {
        if (strcmp (key, "type") != 0 && strcmp (key, "schema") != 0)
            return panda_error_set (err, PANDA_ERR_DECODE, "unknown key '%s'", key);
    }
    const char *type = json_string_value (json_object_get (def, "type"));
    if (!type || !s_kind (type, &f->kind))
        return panda_error_set (err, PANDA_ERR_DECODE,
                                "type must be one of bool, int, float, str, bytes, relation, relation_list, "
                                "pinned_relation, pinned_relation_list");
    json_t *schema = json_object_get (def, "schema");
    f->target = -1;
    if (!panda_field_kind_is_relation (f->kind))
        return schema ? panda_error_set (err, PANDA_ERR_DECODE, "a %s field has no schema", type) : PANDA_OK;
    if (!json_is_object (schema))
        return panda_error_set (err, PANDA_ERR_DECODE,
                                "a %s field needs schema = { name = \"...\" } or { id = \"...\" }", type);
    json_object_foreach (schema, key, value)
    {
        if (strcmp (key, "git") == 0 || strcmp (key, "path") == 0)
            return panda_error_set (err, PANDA_ERR_DECODE,
                                    "schema.%s: schemas from other files or repositories are not supported; "
                                    "name a schema of this file or give its id",
                                    key);
        if (strcmp (key, "name") != 0 && strcmp (key, "id") != 0)
            return panda_error_set (err, PANDA_ERR_DECODE, "unknown key 'schema.%s'", key);
    }
    json_t *name = json_object_get (schema, "name"), *id = json_object_get (schema, "id");
    if ((name != NULL) == (id != NULL) || !json_is_string (name ? name : id))
        return panda_error_set (err, PANDA_ERR_DECODE, "schema needs exactly one of name or id, a string");
    const char *text = json_string_value (name ? name : id);
    if (name && !panda_schema_name_valid (text, strlen (text)))
        return panda_error_set (err, PANDA_ERR_DECODE, "schema name '%s' is not a valid schema name", text);
    if (id && panda_schema_id_validate (text, strlen (text), err))
        return panda_error_prefix (err, "schema id: ");
    if (!(f->target_id = strdup (text)))
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    f->target = name ? -2 : -1; //  -2: by name, resolved later
    return PANDA_OK;
}

static panda_err_t
s_parse_schema (panda_schema_file_schema_t *s, const char *name, json_t *def, panda_error_t *err)
{
    if (!(s->name = strdup (name)))
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    if (!panda_schema_name_valid (name, strlen (name)))
        return panda_error_set (err, PANDA_ERR_DECODE,
                                "not a valid schema name (letters, digits and _, 2 to 64)");
    if (!json_is_object (def))
        return panda_error_set (err, PANDA_ERR_DECODE, "expected a table with description and fields");
    const char *key;
    json_t *value;
    json_object_foreach (def, key, value)
    {
        if (strcmp (key, "description") != 0 && strcmp (key, "fields") != 0)
            return panda_error_set (err, PANDA_ERR_DECODE, "unknown key '%s'", key);
    }
    json_t *description = json_object_get (def, "description"), *fields = json_object_get (def, "fields");
    if (!json_is_string (description))
        return panda_error_set (err, PANDA_ERR_DECODE, "missing description (a string)");
    if (!panda_schema_description_is_valid (json_string_value (description),
                                            json_string_length (description)))
        return panda_error_set (err, PANDA_ERR_DECODE, "description is longer than 256 characters");
    if (!(s->description = strdup (json_string_value (description))))
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    if (!json_is_object (fields))
        return panda_error_set (err, PANDA_ERR_DECODE, "missing fields (a table)");
    size_t n = json_object_size (fields);
    if (n == 0)
        return panda_error_set (err, PANDA_ERR_DECODE, "Schema %s does not contain any fields", name);
    if (n > PANDA_SCHEMA_FIELDS_MAX)
        return panda_error_set (err, PANDA_ERR_LIMIT, "more than %d fields", PANDA_SCHEMA_FIELDS_MAX);
    if (!(s->fields = calloc (n, sizeof *s->fields)))
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    json_object_foreach (fields, key, value)
    {
        panda_schema_file_field_t *f = &s->fields[s->field_count++];
        if (!(f->name = strdup (key)))
            return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        if (!panda_schema_field_name_is_valid (key, strlen (key)))
            return panda_error_set (err, PANDA_ERR_DECODE, "field '%s': not a valid field name", key);
        if (s_parse_field (f, value, err))
            return panda_error_prefix (err, "field '%s': ", key);
    }
    qsort (s->fields, s->field_count, sizeof *s->fields, s_cmp_name);
    return PANDA_OK;
}

static long
s_find (const panda_schema_file_t *self, const char *name)
{
    for (size_t i = 0; i < self->count; i++)
        if (strcmp (self->schemas[i].name, name) == 0)
            return (long) i;
    return -1;
}

//  Order the schemas by levels: each level the schemas whose relations
//  all point at earlier levels, by name. Relations by name become indexes.
static panda_err_t
s_order (panda_schema_file_t *self, panda_error_t *err)
{
    size_t n = self->count, done = 0;
    qsort (self->schemas, n, sizeof *self->schemas, s_cmp_name);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < self->schemas[i].field_count; j++) {
            panda_schema_file_field_t *f = &self->schemas[i].fields[j];
            if (f->target == -2 && s_find (self, f->target_id) < 0)
                return panda_error_set (err, PANDA_ERR_DECODE,
                                        "schema %s, field '%s': no schema named %s in this file",
                                        self->schemas[i].name, f->name, f->target_id);
        }
    long *level = malloc (n * sizeof *level);
    panda_schema_file_schema_t *sorted = malloc (n * sizeof *sorted);
    if (!level || !sorted) {
        free (level), free (sorted);
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        level[i] = -1;
    for (long round = 0; done < n; round++) {
        size_t before = done;
        for (size_t i = 0; i < n; i++) {
            if (level[i] >= 0)
                continue;
            bool ready = true;
            for (size_t j = 0; j < self->schemas[i].field_count && ready; j++) {
                const panda_schema_file_field_t *f = &self->schemas[i].fields[j];
                long t = f->target == -2 ? s_find (self, f->target_id) : -1;
                ready = t < 0 || (level[t] >= 0 && level[t] < round);
            }
            if (ready)
                level[i] = round, done++;
        }
        if (done == before) {
            free (level), free (sorted);
            return panda_error_set (err, PANDA_ERR_DECODE, "Cyclic dependency detected between relations");
        }
    }
    //  Stable by level: names stay sorted within one.
    size_t k = 0;
    for (long round = 0; k < n; round++)
        for (size_t i = 0; i < n; i++)
            if (level[i] == round)
                sorted[k++] = self->schemas[i];
    free (level);
    free (self->schemas);
    self->schemas = sorted;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < self->schemas[i].field_count; j++) {
            panda_schema_file_field_t *f = &self->schemas[i].fields[j];
            if (f->target == -2) {
                f->target = s_find (self, f->target_id);
                free (f->target_id);
                f->target_id = NULL;
            }
        }
    return PANDA_OK;
}

panda_schema_file_t *
panda_schema_file_parse (const char *text, size_t len, panda_error_t *err)
{
    if (len > PANDA_SCHEMA_LOCK_MAX_BYTES) {
        panda_error_set (err, PANDA_ERR_LIMIT, "schema file of %zu bytes is larger than %u bytes", len,
                         PANDA_SCHEMA_LOCK_MAX_BYTES);
        return NULL;
    }
    json_t *root = panda_toml_parse_document (text, len, err);
    if (!root) {
        panda_error_prefix (err, "Invalid TOML syntax in schema file: ");
        return NULL;
    }
    panda_schema_file_t *self = calloc (1, sizeof *self);
    size_t n = json_object_size (root);
    panda_err_t rc = PANDA_OK;
    if (!self || (n && !(self->schemas = calloc (n, sizeof *self->schemas))))
        rc = panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    else if (n == 0)
        rc = panda_error_set (err, PANDA_ERR_DECODE, "Schema file is empty");
    const char *name;
    json_t *def;
    json_object_foreach (root, name, def)
    {
        if (rc)
            break;
        if ((rc = s_parse_schema (&self->schemas[self->count++], name, def, err)))
            panda_error_prefix (err, "schema %s: ", name);
    }
    json_decref (root);
    if (!rc)
        rc = s_order (self, err);
    if (rc)
        panda_schema_file_destroy (&self);
    return self;
}

size_t
panda_schema_file_count (const panda_schema_file_t *self)
{
    return self->count;
}

const char *
panda_schema_file_name (const panda_schema_file_t *self, size_t index)
{
    return index < self->count ? self->schemas[index].name : NULL;
}

const char *
panda_schema_file_schema_id (const panda_schema_file_t *self, size_t index)
{
    return index < self->count ? self->schemas[index].schema_id : NULL;
}

panda_schema_change_t
panda_schema_file_change (const panda_schema_file_t *self, size_t index)
{
    return index < self->count ? self->schemas[index].change : PANDA_SCHEMA_UNCHANGED;
}
