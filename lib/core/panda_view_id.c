/*  panda_view_id.c - document view ids. See panda_view_id.h.

    Ids are compared with memcmp, which equals the order of their hex
    strings and of the reference's OperationId ordering.                    */
#include "panda/panda_view_id.h"

#include <stdlib.h>
#include <string.h>

//  An array of panda_hash_t is the concatenation of the binary ids, which is
//  exactly the view hash input.
_Static_assert(sizeof (panda_hash_t) == PANDA_HASH_SIZE, "panda_hash_t must not be padded");

static int
s_hash_qsort_cmp (const void *a, const void *b)
{
    return memcmp (a, b, PANDA_HASH_SIZE);
}

size_t
panda_view_id_canonicalize (panda_hash_t *ids, size_t count)
{
    if (count == 0)
        return 0;
    qsort (ids, count, sizeof (panda_hash_t), s_hash_qsort_cmp);
    size_t kept = 1;
    for (size_t i = 1; i < count; i++)
        if (!panda_hash_eq (&ids[i], &ids[kept - 1]))
            ids[kept++] = ids[i];
    return kept;
}

bool
panda_view_id_is_canonical (const panda_hash_t *ids, size_t count)
{
    if (count == 0)
        return false;
    for (size_t i = 1; i < count; i++)
        if (panda_hash_cmp (&ids[i - 1], &ids[i]) >= 0)
            return false;
    return true;
}

panda_err_t
panda_view_id_validate (const panda_hash_t *ids, size_t count, panda_error_t *err)
{
    if (count == 0)
        return panda_error_set (err, PANDA_ERR_DECODE, "expected one or more operation ids");
    if (!panda_view_id_is_canonical (ids, count))
        return panda_error_set (err, PANDA_ERR_DECODE, "expected sorted operation ids in document view id");
    return PANDA_OK;
}

size_t
panda_view_id_string_len (size_t count)
{
    return count == 0 ? 0 : count * (PANDA_HASH_HEX_SIZE + 1) - 1;
}

char *
panda_view_id_to_string (const panda_hash_t *ids, size_t count, char *out)
{
    char *cursor = out;
    for (size_t i = 0; i < count; i++) {
        if (i > 0)
            *cursor++ = PANDA_VIEW_ID_SEPARATOR;
        panda_hash_to_hex (&ids[i], cursor);
        cursor += PANDA_HASH_HEX_SIZE;
    }
    *cursor = '\0';
    return out;
}

char *
panda_view_id_to_string_new (const panda_hash_t *ids, size_t count)
{
    char *out = malloc (panda_view_id_string_len (count) + 1);
    return out ? panda_view_id_to_string (ids, count, out) : NULL;
}

panda_err_t
panda_view_id_from_string (const char *text, size_t len, panda_hash_t **ids_p, size_t *count_p,
                           panda_error_t *err)
{
    *ids_p = NULL;
    *count_p = 0;
    //  Count the parts first to allocate once.
    size_t parts = 1;
    for (size_t i = 0; i < len; i++)
        parts += text[i] == PANDA_VIEW_ID_SEPARATOR;
    panda_hash_t *ids = calloc (parts, sizeof (panda_hash_t));
    if (!ids)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory parsing a document view id");

    const char *cursor = text, *end = text + len;
    panda_err_t rc = PANDA_OK;
    for (size_t i = 0; i < parts; i++) {
        const char *stop =
            cursor < end ? memchr (cursor, PANDA_VIEW_ID_SEPARATOR, (size_t) (end - cursor)) : NULL;
        if (!stop)
            stop = end;
        rc = panda_hash_from_hex (&ids[i], cursor, (size_t) (stop - cursor), err);
        if (rc != PANDA_OK)
            goto fail;
        //  The reference checks order after parsing every part; an unsorted
        //  list with a bad later part reports the bad part, as here.
        cursor = stop + 1;
    }
    rc = panda_view_id_validate (ids, parts, err);
    if (rc != PANDA_OK)
        goto fail;
    *ids_p = ids;
    *count_p = parts;
    return PANDA_OK;
fail:
    free (ids);
    return rc;
}

void
panda_view_id_hash (const panda_hash_t *ids, size_t count, panda_hash_t *out)
{
    panda_hash_compute (out, ids, count * sizeof (panda_hash_t));
}
