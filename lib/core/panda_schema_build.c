/*  panda_schema_build.c - application schemas from their definition views
    (spec data-types.md §5.5). See panda_schema_build in panda_schema.h.

    The caller resolves nothing: it hands over the schema_definition_v1 view
    and a pool of schema_field_definition_v1 views as plain data, and this
    file checks every rule and assembles the schema. Unlike the reference,
    which silently never materialises a bad definition, we say why.         */
#include "panda/panda_schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  A view id is canonical when its ids are strictly ascending, at least one.
static bool
s_view_id_is_canonical (const panda_hash_t *ids, size_t count)
{
    if (count == 0 || !ids)
        return false;
    for (size_t i = 1; i < count; i++)
        if (panda_hash_cmp (&ids[i - 1], &ids[i]) >= 0)
            return false;
    return true;
}

static bool
s_view_id_eq (const panda_hash_t *a, size_t a_count, const panda_hash_t *b, size_t b_count)
{
    return a_count == b_count && (a_count == 0 || memcmp (a, b, a_count * sizeof (panda_hash_t)) == 0);
}

//  "<name>_<id>[_<id>…]". Caller owns the result; NULL on OOM.
static char *
s_schema_id_new (const char *name, const panda_hash_t *view_id, size_t count)
{
    size_t name_len = strlen (name);
    char *id = malloc (name_len + count * (1 + PANDA_HASH_HEX_SIZE) + 1);
    if (!id)
        return NULL;
    memcpy (id, name, name_len);
    char *at = id + name_len;
    for (size_t i = 0; i < count; i++) {
        *at++ = '_';
        panda_hash_to_hex (&view_id[i], at);
        at += PANDA_HASH_HEX_SIZE;
    }
    *at = '\0';
    return id;
}

//  The pool entry with this view id, or NULL.
static const panda_schema_field_def_t *
s_pool_find (const panda_schema_field_def_t *pool, size_t pool_count, const panda_hash_list_t *view_id)
{
    for (size_t i = 0; i < pool_count; i++)
        if (s_view_id_eq (pool[i].view_id, pool[i].view_id_count, view_id->items, view_id->count))
            return &pool[i];
    return NULL;
}

//  Check the definition's own fields before allocating anything.
static panda_err_t
s_check_definition (const panda_schema_def_t *def, panda_error_t *err)
{
    if (!s_view_id_is_canonical (def->view_id, def->view_id_count))
        return panda_error_set (err, PANDA_ERR_SCHEMA,
                                "schema definition view id must be one or more sorted, unique operation ids");
    if (!def->name || !panda_schema_name_valid (def->name, strlen (def->name)))
        return panda_error_set (err, PANDA_ERR_SCHEMA, "invalid schema name '%.200s'",
                                def->name ? def->name : "");
    if (!def->description || !panda_schema_description_is_valid (def->description, strlen (def->description)))
        return panda_error_set (err, PANDA_ERR_SCHEMA,
                                "schema description must be UTF-8 text of at most %d characters",
                                PANDA_SCHEMA_DESCRIPTION_MAX);
    if (def->field_count == 0 || !def->fields)
        return panda_error_set (err, PANDA_ERR_SCHEMA,
                                "schema '%s' has no fields, a schema needs 1 to %d fields", def->name,
                                PANDA_SCHEMA_FIELDS_MAX);
    if (def->field_count > PANDA_SCHEMA_FIELDS_MAX)
        return panda_error_set (err, PANDA_ERR_LIMIT, "schema '%s' has %zu fields, at most %d are allowed",
                                def->name, def->field_count, PANDA_SCHEMA_FIELDS_MAX);
    return PANDA_OK;
}

//  Resolve field i of def in the pool and add it to self.
static panda_err_t
s_add_field (panda_schema_t *self, const panda_schema_def_t *def, size_t i,
             const panda_schema_field_def_t *pool, size_t pool_count, panda_error_t *err)
{
    const panda_hash_list_t *view_id = &def->fields[i];
    if (!s_view_id_is_canonical (view_id->items, view_id->count))
        return panda_error_set (err, PANDA_ERR_SCHEMA,
                                "field definition %zu of schema '%s' is not a canonical document view id", i,
                                def->name);
    const panda_schema_field_def_t *field = s_pool_find (pool, pool_count, view_id);
    if (!field) {
        char hex[PANDA_HASH_HEX_SIZE + 1];
        return panda_error_set (err, PANDA_ERR_NOT_FOUND, "field definition %s%s of schema '%s' not found",
                                panda_hash_to_hex (&view_id->items[0], hex), view_id->count > 1 ? "_…" : "",
                                def->name);
    }
    if (!field->name || !field->type)
        return panda_error_set (err, PANDA_ERR_SCHEMA, "field definition of schema '%s' lacks a name or type",
                                def->name);
    panda_err_t rc = panda_schema_add_field (self, field->name, field->type, err);
    if (rc != PANDA_OK && err)
        panda_error_prefix (err, "schema '%s': ", def->name);
    return rc;
}

panda_schema_t *
panda_schema_build (const panda_schema_def_t *def, const panda_schema_field_def_t *pool, size_t pool_count,
                    panda_error_t *err)
{
    if (s_check_definition (def, err) != PANDA_OK)
        return NULL;
    char *id = s_schema_id_new (def->name, def->view_id, def->view_id_count);
    if (!id) {
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        return NULL;
    }
    panda_schema_t *self = panda_schema_new (id, def->name, def->description, err);
    free (id);
    for (size_t i = 0; self && i < def->field_count; i++)
        if (s_add_field (self, def, i, pool, pool_count, err) != PANDA_OK)
            panda_schema_destroy (&self);
    return self;
}
