/*  panda_schema_set.c - SchemaIdSet canonical form. See panda_schema_set.h. */
#include "panda_schema_set.h"
#include "panda_grow.h"

#include <stdlib.h>
#include <string.h>

int
panda_schema_id_cmp (const panda_schema_id_t *a, const panda_schema_id_t *b)
{
    bool a_system = a->kind == PANDA_SCHEMA_ID_SYSTEM, b_system = b->kind == PANDA_SCHEMA_ID_SYSTEM;
    if (a_system != b_system)
        return a_system ? -1 : 1;
    if (a_system)
        return (int) a->system - (int) b->system;
    //  Names are NUL-terminated ASCII, so strcmp is byte order with the
    //  shorter name first: "a" < "a0".
    int rc = strcmp (a->name, b->name);
    if (rc)
        return rc < 0 ? -1 : 1;
    size_t n = a->n_view_ids < b->n_view_ids ? a->n_view_ids : b->n_view_ids;
    for (size_t i = 0; i < n; i++) {
        rc = panda_hash_cmp (&a->view_ids[i], &b->view_ids[i]);
        if (rc)
            return rc < 0 ? -1 : 1;
    }
    return a->n_view_ids < b->n_view_ids ? -1 : a->n_view_ids > b->n_view_ids ? 1 : 0;
}

void
panda_schema_set_init (panda_schema_set_t *self)
{
    memset (self, 0, sizeof *self);
}

void
panda_schema_set_clear (panda_schema_set_t *self)
{
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++)
        panda_schema_id_clear (&self->ids[i]);
    free (self->ids);
    memset (self, 0, sizeof *self);
}

//  Make room for one more id.
static panda_err_t
s_reserve (panda_schema_set_t *self, panda_error_t *err)
{
    if (!panda_grow ((void **) &self->ids, &self->cap, self->count + 1, sizeof self->ids[0]))
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    return PANDA_OK;
}

//  Deep copy of an id into *dest.
static panda_err_t
s_id_copy (panda_schema_id_t *dest, const panda_schema_id_t *src, panda_error_t *err)
{
    *dest = *src;
    dest->view_ids = NULL;
    if (src->n_view_ids) {
        dest->view_ids = malloc (src->n_view_ids * sizeof src->view_ids[0]);
        if (!dest->view_ids) {
            dest->n_view_ids = 0;
            return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        }
        memcpy (dest->view_ids, src->view_ids, src->n_view_ids * sizeof src->view_ids[0]);
    }
    return PANDA_OK;
}

panda_err_t
panda_schema_set_add (panda_schema_set_t *self, const panda_schema_id_t *id, panda_error_t *err)
{
    panda_err_t rc = s_reserve (self, err);
    if (rc == PANDA_OK)
        rc = s_id_copy (&self->ids[self->count], id, err);
    if (rc == PANDA_OK)
        self->count++;
    return rc;
}

panda_err_t
panda_schema_set_add_text (panda_schema_set_t *self, const char *text, size_t len, panda_error_t *err)
{
    panda_err_t rc = s_reserve (self, err);
    if (rc == PANDA_OK)
        rc = panda_schema_id_parse (&self->ids[self->count], text, len, err);
    if (rc == PANDA_OK)
        self->count++;
    return rc;
}

bool
panda_schema_set_is_canonical (const panda_schema_set_t *self)
{
    for (size_t i = 1; i < self->count; i++)
        if (panda_schema_id_cmp (&self->ids[i - 1], &self->ids[i]) >= 0)
            return false;
    return true;
}

panda_err_t
panda_schema_set_validate (const panda_schema_set_t *self, panda_error_t *err)
{
    for (size_t i = 1; i < self->count; i++) {
        int rc = panda_schema_id_cmp (&self->ids[i - 1], &self->ids[i]);
        if (rc < 0)
            continue;
        char *text = panda_schema_id_format (&self->ids[i]);
        panda_error_set (err, PANDA_ERR_DECODE, "schema id `%.160s` at position %zu %s the one before it",
                         text ? text : "?", i, rc == 0 ? "duplicates" : "sorts before");
        free (text);
        return PANDA_ERR_DECODE;
    }
    return PANDA_OK;
}

static int
s_qsort_cmp (const void *a, const void *b)
{
    return panda_schema_id_cmp (a, b);
}

void
panda_schema_set_normalize (panda_schema_set_t *self)
{
    if (self->count < 2)
        return;
    qsort (self->ids, self->count, sizeof self->ids[0], s_qsort_cmp);
    size_t kept = 1;
    for (size_t i = 1; i < self->count; i++) {
        if (panda_schema_id_cmp (&self->ids[kept - 1], &self->ids[i]) == 0)
            panda_schema_id_clear (&self->ids[i]);
        else
            self->ids[kept++] = self->ids[i];
    }
    self->count = kept;
}

bool
panda_schema_set_contains (const panda_schema_set_t *self, const panda_schema_id_t *id)
{
    size_t low = 0, high = self->count;
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        int rc = panda_schema_id_cmp (&self->ids[mid], id);
        if (rc == 0)
            return true;
        if (rc < 0)
            low = mid + 1;
        else
            high = mid;
    }
    return false;
}

panda_err_t
panda_schema_set_intersect (const panda_schema_set_t *a, const panda_schema_set_t *b, panda_schema_set_t *out,
                            panda_error_t *err)
{
    panda_schema_set_clear (out);
    //  Merge walk: both are ascending, so the common ids come out ascending.
    size_t i = 0, j = 0;
    while (i < a->count && j < b->count) {
        int rc = panda_schema_id_cmp (&a->ids[i], &b->ids[j]);
        if (rc < 0)
            i++;
        else if (rc > 0)
            j++;
        else {
            if (panda_schema_set_add (out, &a->ids[i], err)) {
                panda_schema_set_clear (out);
                return PANDA_ERR_NOMEM;
            }
            i++;
            j++;
        }
    }
    return PANDA_OK;
}

bool
panda_schema_set_eq (const panda_schema_set_t *a, const panda_schema_set_t *b)
{
    if (a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++)
        if (panda_schema_id_cmp (&a->ids[i], &b->ids[i]) != 0)
            return false;
    return true;
}
