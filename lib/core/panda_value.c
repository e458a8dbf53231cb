/*  panda_value.c - operation field values. See panda_value.h.

    A value owns everything behind its pointers. STR data always carries a
    terminating NUL (not counted in len) so callers can print it; BYTES data
    is never NULL either, so an empty value still has a valid pointer.       */
#include "panda/panda_value.h"

#include <stdlib.h>
#include <string.h>

const char *
panda_value_kind_name (panda_value_kind_t kind)
{
    switch (kind) {
        case PANDA_VALUE_BOOL: return "bool";
        case PANDA_VALUE_INT: return "int";
        case PANDA_VALUE_FLOAT: return "float";
        case PANDA_VALUE_STR: return "str";
        case PANDA_VALUE_BYTES: return "bytes";
        case PANDA_VALUE_HASH_LIST: return "hash[]";
        case PANDA_VALUE_HASH_LIST_LIST: return "hash[][]";
    }
    return "unknown";
}

void
panda_value_set_bool (panda_value_t *self, bool value)
{
    memset (self, 0, sizeof *self);
    self->kind = PANDA_VALUE_BOOL;
    self->as.boolean = value;
}

void
panda_value_set_int (panda_value_t *self, int64_t value)
{
    memset (self, 0, sizeof *self);
    self->kind = PANDA_VALUE_INT;
    self->as.integer = value;
}

void
panda_value_set_float (panda_value_t *self, double value)
{
    memset (self, 0, sizeof *self);
    self->kind = PANDA_VALUE_FLOAT;
    self->as.real = value;
}

static panda_err_t
s_set_buffer (panda_value_t *self, panda_value_kind_t kind, const void *data, size_t len)
{
    memset (self, 0, sizeof *self);
    self->kind = PANDA_VALUE_BOOL;
    if (len == SIZE_MAX)
        return PANDA_ERR_NOMEM;
    uint8_t *copy = malloc (len + 1);
    if (!copy)
        return PANDA_ERR_NOMEM;
    if (len)
        memcpy (copy, data, len);
    copy[len] = '\0';
    self->kind = kind;
    self->as.bytes.data = copy;
    self->as.bytes.len = len;
    return PANDA_OK;
}

panda_err_t
panda_value_set_str (panda_value_t *self, const char *text, size_t len)
{
    return s_set_buffer (self, PANDA_VALUE_STR, text, len);
}

panda_err_t
panda_value_set_bytes (panda_value_t *self, const uint8_t *data, size_t len)
{
    return s_set_buffer (self, PANDA_VALUE_BYTES, data, len);
}

//  Copy count hashes into list (items NULL when count is 0).
static panda_err_t
s_list_copy (panda_hash_list_t *list, const panda_hash_t *items, size_t count)
{
    list->count = 0;
    list->items = NULL;
    if (count == 0)
        return PANDA_OK;
    if (count > SIZE_MAX / sizeof (panda_hash_t))
        return PANDA_ERR_NOMEM;
    list->items = malloc (count * sizeof (panda_hash_t));
    if (!list->items)
        return PANDA_ERR_NOMEM;
    memcpy (list->items, items, count * sizeof (panda_hash_t));
    list->count = count;
    return PANDA_OK;
}

panda_err_t
panda_value_set_hash_list (panda_value_t *self, const panda_hash_t *items, size_t count)
{
    memset (self, 0, sizeof *self);
    self->kind = PANDA_VALUE_HASH_LIST;
    panda_err_t rc = s_list_copy (&self->as.list, items, count);
    if (rc)
        self->kind = PANDA_VALUE_BOOL;
    return rc;
}

void
panda_value_set_hash_list_list (panda_value_t *self)
{
    memset (self, 0, sizeof *self);
    self->kind = PANDA_VALUE_HASH_LIST_LIST;
}

panda_err_t
panda_value_append_list (panda_value_t *self, const panda_hash_t *items, size_t count)
{
    if (PANDA_NEVER (self->kind != PANDA_VALUE_HASH_LIST_LIST))
        return PANDA_ERR_INTERNAL;
    size_t n = self->as.lists.count;
    if (n >= SIZE_MAX / sizeof (panda_hash_list_t) - 1)
        return PANDA_ERR_NOMEM;
    panda_hash_list_t *grown = realloc (self->as.lists.lists, (n + 1) * sizeof (panda_hash_list_t));
    if (!grown)
        return PANDA_ERR_NOMEM;
    self->as.lists.lists = grown;
    panda_err_t rc = s_list_copy (&grown[n], items, count);
    if (rc)
        return rc;
    self->as.lists.count = n + 1;
    return PANDA_OK;
}

panda_err_t
panda_value_copy (panda_value_t *dest, const panda_value_t *src)
{
    switch (src->kind) {
        case PANDA_VALUE_STR:
        case PANDA_VALUE_BYTES: return s_set_buffer (dest, src->kind, src->as.bytes.data, src->as.bytes.len);
        case PANDA_VALUE_HASH_LIST:
            return panda_value_set_hash_list (dest, src->as.list.items, src->as.list.count);
        case PANDA_VALUE_HASH_LIST_LIST:
            panda_value_set_hash_list_list (dest);
            for (size_t i = 0; i < src->as.lists.count; i++) {
                const panda_hash_list_t *inner = &src->as.lists.lists[i];
                if (panda_value_append_list (dest, inner->items, inner->count)) {
                    panda_value_clear (dest);
                    return PANDA_ERR_NOMEM;
                }
            }
            return PANDA_OK;
        default: *dest = *src; return PANDA_OK;
    }
}

static bool
s_list_eq (const panda_hash_list_t *a, const panda_hash_list_t *b)
{
    return a->count == b->count &&
           (a->count == 0 || memcmp (a->items, b->items, a->count * sizeof (panda_hash_t)) == 0);
}

bool
panda_value_eq (const panda_value_t *a, const panda_value_t *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
        case PANDA_VALUE_BOOL: return a->as.boolean == b->as.boolean;
        case PANDA_VALUE_INT: return a->as.integer == b->as.integer;
        case PANDA_VALUE_FLOAT: return memcmp (&a->as.real, &b->as.real, sizeof (double)) == 0;
        case PANDA_VALUE_STR:
        case PANDA_VALUE_BYTES:
            return a->as.bytes.len == b->as.bytes.len &&
                   (a->as.bytes.len == 0 ||
                    memcmp (a->as.bytes.data, b->as.bytes.data, a->as.bytes.len) == 0);
        case PANDA_VALUE_HASH_LIST: return s_list_eq (&a->as.list, &b->as.list);
        case PANDA_VALUE_HASH_LIST_LIST:
            if (a->as.lists.count != b->as.lists.count)
                return false;
            for (size_t i = 0; i < a->as.lists.count; i++)
                if (!s_list_eq (&a->as.lists.lists[i], &b->as.lists.lists[i]))
                    return false;
            return true;
    }
    return false;
}

void
panda_value_clear (panda_value_t *self)
{
    if (!self)
        return;
    switch (self->kind) {
        case PANDA_VALUE_STR:
        case PANDA_VALUE_BYTES: free (self->as.bytes.data); break;
        case PANDA_VALUE_HASH_LIST: free (self->as.list.items); break;
        case PANDA_VALUE_HASH_LIST_LIST:
            for (size_t i = 0; i < self->as.lists.count; i++)
                free (self->as.lists.lists[i].items);
            free (self->as.lists.lists);
            break;
        default: break;
    }
    panda_value_set_bool (self, false);
}
