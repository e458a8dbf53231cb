/*  panda_schema_validate.c - an operation against its schema (spec
    data-types.md §5.6, then the system-schema content rules of §5.4).

    Order and messages follow p2panda-rs: CREATE walks schema fields and
    operation fields pairwise in sorted order (name, then value), UPDATE
    checks each given field; then the system-schema content rules; then the
    leftover/unknown fields. We are stricter than the reference (§11) in
    three places, each with its own message: a pinned_relation_list given as
    a non-empty flat hash list, an empty blob_v1 "pieces" list, an empty
    schema_definition_v1 "fields" list. Field type strings must parse
    canonically (panda_field_type_parse).                                    */
#include "panda/panda_schema.h"

#include <stdio.h>
#include <string.h>

#define S_INVALID_FIELD "field '%s' does not match schema: "

//  "non-canonic document view id, …" unless ids form a canonical view id.
static panda_err_t
s_check_view_id (const panda_hash_list_t *list, panda_error_t *err)
{
    if (list->count == 0)
        return panda_error_set (err, PANDA_ERR_SCHEMA,
                                "non-canonic document view id, expected one or more operation ids");
    for (size_t i = 1; i < list->count; i++)
        if (panda_hash_cmp (&list->items[i - 1], &list->items[i]) >= 0)
            return panda_error_set (
                err, PANDA_ERR_SCHEMA,
                "non-canonic document view id, expected sorted operation ids in document view id");
    return PANDA_OK;
}

//  Does the value's plain kind fit the field kind? Empty arrays decode as
//  empty hash lists, which also stand for an empty pinned_relation_list.
static bool
s_kind_fits (panda_field_kind_t kind, const panda_value_t *value)
{
    switch (kind) {
        case PANDA_FIELD_BOOL: return value->kind == PANDA_VALUE_BOOL;
        case PANDA_FIELD_INT: return value->kind == PANDA_VALUE_INT;
        case PANDA_FIELD_FLOAT: return value->kind == PANDA_VALUE_FLOAT;
        case PANDA_FIELD_STR: return value->kind == PANDA_VALUE_STR;
        case PANDA_FIELD_BYTES:
        case PANDA_FIELD_RELATION: return value->kind == PANDA_VALUE_BYTES;
        case PANDA_FIELD_RELATION_LIST:
        case PANDA_FIELD_PINNED_RELATION: return value->kind == PANDA_VALUE_HASH_LIST;
        case PANDA_FIELD_PINNED_RELATION_LIST:
            return value->kind == PANDA_VALUE_HASH_LIST_LIST ||
                   (value->kind == PANDA_VALUE_HASH_LIST && value->as.list.count == 0);
    }
    return false;
}

panda_err_t
panda_schema_validate_value (const panda_schema_t *self, size_t index, const panda_value_t *value,
                             panda_error_t *err)
{
    panda_field_kind_t kind = panda_schema_field_kind (self, index);
    if (!s_kind_fits (kind, value))
        return panda_error_set (err, PANDA_ERR_SCHEMA, "invalid field type '%s', expected '%s'",
                                panda_value_kind_name (value->kind), panda_schema_field_type (self, index));
    panda_hash_t hash;
    panda_err_t rc = PANDA_OK;
    if (kind == PANDA_FIELD_RELATION) {
        rc = panda_hash_from_bytes (&hash, value->as.bytes.data, value->as.bytes.len, err);
        if (rc != PANDA_OK && err)
            err->code = PANDA_ERR_SCHEMA;
        return rc == PANDA_OK ? PANDA_OK : PANDA_ERR_SCHEMA;
    }
    if (kind == PANDA_FIELD_PINNED_RELATION)
        return s_check_view_id (&value->as.list, err);
    if (kind == PANDA_FIELD_PINNED_RELATION_LIST && value->kind == PANDA_VALUE_HASH_LIST_LIST)
        for (size_t i = 0; rc == PANDA_OK && i < value->as.lists.count; i++)
            rc = s_check_view_id (&value->as.lists.lists[i], err);
    return rc;
}

//  Field i of the operation against field index of the schema.
static panda_err_t
s_check_field (const panda_schema_t *self, size_t index, const panda_operation_t *operation, size_t i,
               panda_error_t *err)
{
    const char *name = panda_operation_field_name (operation, i);
    if (strcmp (name, panda_schema_field_name (self, index)) != 0)
        return panda_error_set (err, PANDA_ERR_SCHEMA, S_INVALID_FIELD "expected field name '%s'", name,
                                panda_schema_field_name (self, index));
    if (panda_schema_validate_value (self, index, panda_operation_field_value (operation, i), err) !=
        PANDA_OK) {
        panda_error_prefix (err, S_INVALID_FIELD, name);
        return PANDA_ERR_SCHEMA;
    }
    return PANDA_OK;
}

//  "unexpected fields found: 'a', 'b'" for the operation fields from first
//  on that are unknown to the schema (all of them when all is set).
static panda_err_t
s_unexpected (const panda_schema_t *self, const panda_operation_t *operation, size_t first, bool all,
              panda_error_t *err)
{
    size_t count = panda_operation_field_count (operation), used = 0;
    char list[PANDA_ERROR_MESSAGE_MAX] = "";
    for (size_t i = first; i < count; i++) {
        const char *name = panda_operation_field_name (operation, i);
        if (!all && panda_schema_field_index (self, name) >= 0)
            continue;
        int n = snprintf (list + used, sizeof list - used, "%s'%s'", used ? ", " : "", name);
        used += n < 0 ? 0 : (size_t) n;
        if (used >= sizeof list)
            used = sizeof list - 1;
    }
    if (used == 0)
        return PANDA_OK;
    return panda_error_set (err, PANDA_ERR_SCHEMA, "unexpected fields found: %s", list);
}

//  The string value of field name, or NULL if absent or not a string.
static const panda_value_t *
s_str_field (const panda_operation_t *operation, const char *name)
{
    const panda_value_t *value = panda_operation_field (operation, name);
    return value && value->kind == PANDA_VALUE_STR ? value : NULL;
}

//  Number of view ids in a pinned relation list value (0 for an empty
//  hash list), or -1 if the field is absent.
static long
s_list_count (const panda_operation_t *operation, const char *name)
{
    const panda_value_t *value = panda_operation_field (operation, name);
    if (!value)
        return -1;
    return value->kind == PANDA_VALUE_HASH_LIST_LIST ? (long) value->as.lists.count : 0;
}

#define S_BAD_DEFINITION "invalid 'schema_definition_v1' operation: "
#define S_BAD_FIELD_DEFINITION "invalid 'schema_field_definition_v1' operation: "
#define S_WRONGLY " field in schema field definitions is wrongly formatted"

static panda_err_t
s_check_schema_definition (const panda_operation_t *operation, panda_error_t *err)
{
    const panda_value_t *name = s_str_field (operation, "name");
    if (name && !panda_schema_name_valid ((const char *) name->as.bytes.data, name->as.bytes.len))
        return panda_error_set (err, PANDA_ERR_SCHEMA, S_BAD_DEFINITION "'name'" S_WRONGLY);
    const panda_value_t *text = s_str_field (operation, "description");
    if (text && !panda_schema_description_is_valid ((const char *) text->as.bytes.data, text->as.bytes.len))
        return panda_error_set (err, PANDA_ERR_SCHEMA, S_BAD_DEFINITION "'description'" S_WRONGLY);
    long fields = s_list_count (operation, "fields");
    if (fields > PANDA_SCHEMA_FIELDS_MAX)
        return panda_error_set (err, PANDA_ERR_SCHEMA, S_BAD_DEFINITION "'fields'" S_WRONGLY);
    if (fields == 0) //  strict: the reference accepts it but never builds such a schema
        return panda_error_set (err, PANDA_ERR_SCHEMA,
                                S_BAD_DEFINITION
                                "'fields' field can not be empty, a schema needs 1 to %d fields",
                                PANDA_SCHEMA_FIELDS_MAX);
    return PANDA_OK;
}

static panda_err_t
s_check_field_definition (const panda_operation_t *operation, panda_error_t *err)
{
    const panda_value_t *name = s_str_field (operation, "name");
    if (name && !panda_schema_field_name_is_valid ((const char *) name->as.bytes.data, name->as.bytes.len))
        return panda_error_set (err, PANDA_ERR_SCHEMA, S_BAD_FIELD_DEFINITION "'name'" S_WRONGLY);
    const panda_value_t *type = s_str_field (operation, "type");
    panda_field_kind_t kind;
    if (type && panda_field_type_parse ((const char *) type->as.bytes.data, type->as.bytes.len, &kind, NULL,
                                        NULL, NULL) != PANDA_OK)
        return panda_error_set (err, PANDA_ERR_SCHEMA, S_BAD_FIELD_DEFINITION "'type'" S_WRONGLY);
    return PANDA_OK;
}

static panda_err_t
s_check_blob (const panda_operation_t *operation, panda_error_t *err)
{
    const panda_value_t *mime = s_str_field (operation, "mime_type");
    if (mime && !panda_schema_mime_type_is_valid ((const char *) mime->as.bytes.data, mime->as.bytes.len))
        return panda_error_set (
            err, PANDA_ERR_SCHEMA,
            "invalid 'blob_v1' operation: 'mime_type' field in blob is wrongly formatted");
    //  Strict: the reference lets an empty CBOR array through (§11).
    if (s_list_count (operation, "pieces") == 0)
        return panda_error_set (err, PANDA_ERR_SCHEMA,
                                "invalid 'blob_v1' operation: 'pieces' field can not be empty");
    return PANDA_OK;
}

static panda_err_t
s_check_blob_piece (const panda_operation_t *operation, panda_error_t *err)
{
    const panda_value_t *data = panda_operation_field (operation, "data");
    if (data && data->kind == PANDA_VALUE_BYTES && data->as.bytes.len > PANDA_SCHEMA_BLOB_PIECE_MAX)
        return panda_error_set (err, PANDA_ERR_SCHEMA,
                                "invalid 'blob_piece_v1' operation: 'data' field in blob is "
                                "over maximum allowed length");
    return PANDA_OK;
}

//  The content rules of §5.4, for the fields the operation has.
static panda_err_t
s_check_system (const panda_schema_t *self, const panda_operation_t *operation, panda_error_t *err)
{
    if (!panda_schema_is_system (self))
        return PANDA_OK;
    const char *id = panda_schema_id (self);
    if (strcmp (id, PANDA_SCHEMA_ID_SCHEMA_DEFINITION) == 0)
        return s_check_schema_definition (operation, err);
    if (strcmp (id, PANDA_SCHEMA_ID_SCHEMA_FIELD_DEFINITION) == 0)
        return s_check_field_definition (operation, err);
    if (strcmp (id, PANDA_SCHEMA_ID_BLOB) == 0)
        return s_check_blob (operation, err);
    if (strcmp (id, PANDA_SCHEMA_ID_BLOB_PIECE) == 0)
        return s_check_blob_piece (operation, err);
    return PANDA_OK;
}

//  CREATE: schema fields and operation fields pairwise in sorted order.
static panda_err_t
s_validate_create (const panda_schema_t *self, const panda_operation_t *operation, panda_error_t *err)
{
    size_t count = panda_operation_field_count (operation);
    size_t schema_count = panda_schema_field_count (self);
    for (size_t index = 0; index < schema_count; index++) {
        if (index == count)
            return panda_error_set (err, PANDA_ERR_SCHEMA, "missing required field: '%s' of type %s",
                                    panda_schema_field_name (self, index),
                                    panda_schema_field_type (self, index));
        if (s_check_field (self, index, operation, index, err) != PANDA_OK)
            return PANDA_ERR_SCHEMA;
    }
    if (s_check_system (self, operation, err) != PANDA_OK)
        return PANDA_ERR_SCHEMA;
    return s_unexpected (self, operation, schema_count, true, err);
}

//  UPDATE: each given field that the schema knows; unknown ones last.
static panda_err_t
s_validate_update (const panda_schema_t *self, const panda_operation_t *operation, panda_error_t *err)
{
    size_t count = panda_operation_field_count (operation);
    for (size_t i = 0; i < count; i++) {
        long index = panda_schema_field_index (self, panda_operation_field_name (operation, i));
        if (index >= 0 && s_check_field (self, (size_t) index, operation, i, err) != PANDA_OK)
            return PANDA_ERR_SCHEMA;
    }
    if (s_check_system (self, operation, err) != PANDA_OK)
        return PANDA_ERR_SCHEMA;
    return s_unexpected (self, operation, 0, false, err);
}

panda_err_t
panda_schema_validate_operation (const panda_schema_t *self, const panda_operation_t *operation,
                                 panda_error_t *err)
{
    //  Work on a local error so prefixing works when the caller passed NULL.
    panda_error_t local;
    panda_error_t *e = err ? err : &local;
    panda_error_clear (e);
    if (strcmp (panda_operation_schema_id (operation), panda_schema_id (self)) != 0)
        return panda_error_set (e, PANDA_ERR_SCHEMA, "operation has schema '%.200s', expected '%.200s'",
                                panda_operation_schema_id (operation), panda_schema_id (self));
    switch (panda_operation_action (operation)) {
        case PANDA_ACTION_CREATE: return s_validate_create (self, operation, e);
        case PANDA_ACTION_UPDATE: return s_validate_update (self, operation, e);
        case PANDA_ACTION_DELETE:
            if (panda_operation_field_count (operation) != 0)
                return panda_error_set (e, PANDA_ERR_SCHEMA, "a delete operation has no fields");
            return PANDA_OK;
    }
    return panda_error_set (e, PANDA_ERR_SCHEMA, "unknown operation action");
}
