/*  panda_schema_lock_build.c - sign what brings a lock file to a schema
    file, as fishy's `build` does. See panda_schema_lock_build.

    1. The previous state: the schema_definition_v1 documents of the lock
       (latest views, not deleted), each with the field definition views
       its `fields` name (at those view ids), keyed by schema name.
    2. For each schema of the file in build order, each field by name: a
       field the previous schema had with the same type keeps its view id;
       with another type it gets an UPDATE {type}; a new one a CREATE
       {name, type}. Relations name the target's schema id as it is now.
    3. The schema: a CREATE {name, description, fields} when there was
       none by that name, else an UPDATE with the description and/or field
       list that changed, or nothing.
    Each operation is signed into the author's log of its document (a new
    log for a CREATE, or for an UPDATE of a document the author never
    wrote), with the next seq num and links, and appended as a commit.  */
#include "panda/panda_document.h"
#include "panda/panda_view_id.h"
#include "panda_schema_lock_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *name, *type;
    panda_hash_t *view_id; //  the field definition view the schema names
    size_t view_count;
} s_prev_field_t;

typedef struct {
    const char *name, *description; //  borrowed from the lock's operations
    panda_hash_t *view_id;
    size_t view_count;
    s_prev_field_t *fields; //  in the schema's order
    size_t field_count;
    long last; //  index of the document's latest commit (later wins a name)
} s_prev_t;

typedef struct {
    panda_schema_lock_t *lock;
    const panda_keypair_t *keypair;
    s_prev_t *prev;
    size_t prev_count;
    panda_error_t *err;
} s_build_t;

static void
s_prev_clear (s_prev_t *p)
{
    for (size_t i = 0; i < p->field_count; i++) {
        free (p->fields[i].name);
        free (p->fields[i].type);
        free (p->fields[i].view_id);
    }
    free (p->fields);
    free (p->view_id);
}

static panda_hash_t *
s_ids_dup (const panda_hash_t *ids, size_t count)
{
    panda_hash_t *copy = malloc (count * sizeof *copy + 1);
    if (copy && count)
        memcpy (copy, ids, count * sizeof *copy);
    return copy;
}

//  A document of the lock as a view: the latest, or at view_id.
static panda_err_t
s_view (const panda_schema_lock_t *lock, const panda_hash_t *document_id, const panda_hash_t *view_id,
        size_t view_count, panda_document_view_t **view, panda_error_t *err)
{
    panda_document_builder_t *builder = panda_document_builder_new ();
    if (!builder)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    panda_err_t rc = PANDA_OK;
    for (size_t i = 0; i < lock->count && !rc; i++)
        if (panda_hash_eq (&lock->commits[i].document_id, document_id))
            rc = panda_document_builder_add (builder, panda_entry_hash (lock->commits[i].entry),
                                             lock->commits[i].operation, err);
    if (!rc)
        rc = view_id ? panda_document_build_to_view (builder, view_id, view_count, view, err)
                     : panda_document_build (builder, view, err);
    panda_document_builder_destroy (&builder);
    return rc;
}

//  The field definitions a schema definition view names.
static panda_err_t
s_prev_fields (s_build_t *b, s_prev_t *p, const panda_value_t *fields)
{
    size_t n = fields && fields->kind == PANDA_VALUE_HASH_LIST_LIST ? fields->as.lists.count : 0;
    if (!(p->fields = calloc (n + 1, sizeof *p->fields)))
        return panda_error_set (b->err, PANDA_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const panda_hash_list_t *id = &fields->as.lists.lists[i];
        long at = id->count ? panda_schema_lock_find (b->lock, &id->items[0]) : -1;
        if (at < 0)
            return panda_error_set (b->err, PANDA_ERR_NOT_FOUND,
                                    "field definition %d is not in the lock file", (int) i + 1);
        panda_document_view_t *view = NULL;
        if (s_view (b->lock, &b->lock->commits[at].document_id, id->items, id->count, &view, b->err))
            return b->err->code;
        const panda_value_t *name = panda_document_view_field (view, "name", NULL);
        const panda_value_t *type = panda_document_view_field (view, "type", NULL);
        s_prev_field_t *f = &p->fields[p->field_count++];
        if (name && type &&
            strcmp (panda_document_view_schema_id (view), PANDA_SCHEMA_ID_SCHEMA_FIELD_DEFINITION) == 0) {
            f->name = strdup ((const char *) name->as.bytes.data);
            f->type = strdup ((const char *) type->as.bytes.data);
        }
        f->view_id = s_ids_dup (id->items, id->count);
        f->view_count = id->count;
        panda_document_view_destroy (&view);
        if (!f->name || !f->type || !f->view_id)
            return panda_error_set (b->err, PANDA_ERR_INVALID, "field definition %d is deleted or not one",
                                    (int) i + 1);
    }
    return PANDA_OK;
}

//  Check the previous schema assembles, as a node would build it.
static panda_err_t
s_prev_check (s_build_t *b, const s_prev_t *p, const panda_value_t *fields)
{
    panda_schema_field_def_t *pool = calloc (p->field_count + 1, sizeof *pool);
    if (!pool)
        return panda_error_set (b->err, PANDA_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < p->field_count; i++)
        pool[i] = (panda_schema_field_def_t){p->fields[i].view_id, p->fields[i].view_count, p->fields[i].name,
                                             p->fields[i].type};
    panda_schema_def_t def = {p->view_id,     p->view_count,          p->name,
                              p->description, fields->as.lists.lists, fields->as.lists.count};
    panda_schema_t *schema = panda_schema_build (&def, pool, p->field_count, b->err);
    free (pool);
    if (!schema)
        return b->err->code ? b->err->code : PANDA_ERR_NOMEM;
    panda_schema_destroy (&schema);
    return PANDA_OK;
}

static panda_err_t
s_prev_schema (s_build_t *b, size_t index)
{
    const panda_hash_t *doc = &b->lock->commits[index].document_id;
    panda_document_view_t *view = NULL;
    if (s_view (b->lock, doc, NULL, 0, &view, b->err))
        return b->err->code;
    if (panda_document_view_deleted (view)) {
        panda_document_view_destroy (&view);
        return PANDA_OK;
    }
    s_prev_t p = {0};
    const panda_value_t *name = panda_document_view_field (view, "name", NULL);
    const panda_value_t *description = panda_document_view_field (view, "description", NULL);
    const panda_value_t *fields = panda_document_view_field (view, "fields", NULL);
    p.name = (const char *) name->as.bytes.data; //  the system schema checked all three
    p.description = (const char *) description->as.bytes.data;
    const panda_hash_t *ids = panda_document_view_id (view, &p.view_count);
    p.view_id = s_ids_dup (ids, p.view_count);
    p.last = (long) index;
    panda_err_t rc = p.view_id ? s_prev_fields (b, &p, fields)
                               : panda_error_set (b->err, PANDA_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = s_prev_check (b, &p, fields);
    panda_document_view_destroy (&view);
    if (rc) {
        char hex[PANDA_HASH_HEX_SIZE + 1];
        s_prev_clear (&p);
        return panda_error_prefix (b->err, "the lock file's schema definition %s cannot be assembled: ",
                                   panda_hash_to_hex (doc, hex));
    }
    for (size_t i = 0; i < b->prev_count; i++)
        if (strcmp (b->prev[i].name, p.name) == 0) {
            s_prev_clear (&b->prev[i]);
            b->prev[i] = p;
            return PANDA_OK;
        }
    b->prev[b->prev_count++] = p;
    return PANDA_OK;
}

//  Step 1, over the documents in the order of their latest commit.
static panda_err_t
s_previous (s_build_t *b)
{
    if (!(b->prev = calloc (b->lock->count + 1, sizeof *b->prev)))
        return panda_error_set (b->err, PANDA_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < b->lock->count; i++) {
        const panda_schema_commit_t *c = &b->lock->commits[i];
        if (strcmp (panda_operation_schema_id (c->operation), PANDA_SCHEMA_ID_SCHEMA_DEFINITION) != 0)
            continue;
        bool latest = true; //  the document's last commit?
        for (size_t j = i + 1; j < b->lock->count && latest; j++)
            latest = !panda_hash_eq (&b->lock->commits[j].document_id, &c->document_id);
        if (latest && s_prev_schema (b, i))
            return b->err->code;
    }
    return PANDA_OK;
}

//  Sign op (taken) into the author's log of document (NULL for a CREATE)
//  and append it; *id gets its operation id.
static panda_err_t
s_commit (s_build_t *b, panda_operation_t *op, const panda_hash_t *document, panda_hash_t *id)
{
    panda_public_key_t pk = panda_keypair_public_key (b->keypair);
    uint64_t log_id;
    if (!document || !panda_schema_lock_document_log (b->lock, &pk, document, &log_id))
        log_id = panda_schema_lock_free_log (b->lock, &pk);
    panda_entry_args_t args;
    size_t len;
    const uint8_t *bytes = panda_operation_bytes (op, &len);
    panda_entry_t *entry = NULL;
    if (!bytes)
        panda_error_set (b->err, PANDA_ERR_NOMEM, "out of memory");
    else if (!panda_schema_lock_next_args (b->lock, &pk, log_id, &args, b->err))
        entry = panda_entry_new_signed (b->keypair, args.log_id, args.seq_num,
                                        args.has_backlink ? &args.backlink : NULL,
                                        args.has_skiplink ? &args.skiplink : NULL, bytes, len, b->err);
    if (!entry) {
        panda_operation_destroy (&op);
        return b->err->code ? b->err->code : PANDA_ERR_NOMEM;
    }
    *id = *panda_entry_hash (entry);
    return panda_schema_lock_append (b->lock, &entry, &op, b->err);
}

static panda_err_t
s_set_str (panda_operation_t *op, const char *name, const char *text, panda_error_t *err)
{
    panda_value_t v;
    if (panda_value_set_str (&v, text, strlen (text)))
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    panda_err_t rc = panda_operation_set_field (op, name, &v, err);
    panda_value_clear (&v);
    return rc;
}

static const s_prev_field_t *
s_prev_field (const s_prev_t *p, const char *name)
{
    for (size_t i = 0; p && i < p->field_count; i++)
        if (strcmp (p->fields[i].name, name) == 0)
            return &p->fields[i];
    return NULL;
}

//  Step 2 for one field: its view id (one id: ours are linear) in *id,
//  or the previous view id in *keep.
static panda_err_t
s_field (s_build_t *b, const panda_schema_file_t *file, const panda_schema_file_field_t *f, const s_prev_t *p,
         panda_value_t *list)
{
    char type[PANDA_SCHEMA_NAME_MAX + 40 + 2 * 1024];
    const char *target = f->target >= 0 ? file->schemas[f->target].schema_id : f->target_id;
    panda_field_type_format (f->kind, target, type, sizeof type);
    const s_prev_field_t *prev = s_prev_field (p, f->name);
    if (prev && strcmp (prev->type, type) == 0)
        return panda_value_append_list (list, prev->view_id, prev->view_count)
                   ? panda_error_set (b->err, PANDA_ERR_NOMEM, "out of memory")
                   : PANDA_OK;
    panda_operation_t *op = panda_operation_new (
        prev ? PANDA_ACTION_UPDATE : PANDA_ACTION_CREATE, PANDA_SCHEMA_ID_SCHEMA_FIELD_DEFINITION,
        prev ? prev->view_id : NULL, prev ? prev->view_count : 0, b->err);
    if (!op)
        return b->err->code;
    if ((!prev && s_set_str (op, "name", f->name, b->err)) || s_set_str (op, "type", type, b->err)) {
        panda_operation_destroy (&op);
        return b->err->code;
    }
    panda_hash_t id;
    long at = prev ? panda_schema_lock_find (b->lock, &prev->view_id[0]) : -1;
    if (s_commit (b, op, at >= 0 ? &b->lock->commits[at].document_id : NULL, &id))
        return b->err->code;
    return panda_value_append_list (list, &id, 1) ? panda_error_set (b->err, PANDA_ERR_NOMEM, "out of memory")
                                                  : PANDA_OK;
}

static bool
s_lists_equal (const panda_value_t *list, const s_prev_t *p)
{
    if (list->as.lists.count != p->field_count)
        return false;
    for (size_t i = 0; i < p->field_count; i++) {
        const panda_hash_list_t *a = &list->as.lists.lists[i];
        if (a->count != p->fields[i].view_count ||
            memcmp (a->items, p->fields[i].view_id, a->count * sizeof (panda_hash_t)) != 0)
            return false;
    }
    return true;
}

//  Steps 2 and 3 for one schema.
static panda_err_t
s_schema (s_build_t *b, panda_schema_file_t *file, panda_schema_file_schema_t *s)
{
    const s_prev_t *p = NULL;
    for (size_t i = 0; i < b->prev_count && !p; i++)
        if (strcmp (b->prev[i].name, s->name) == 0)
            p = &b->prev[i];
    panda_value_t list;
    panda_value_set_hash_list_list (&list);
    panda_err_t rc = PANDA_OK;
    for (size_t i = 0; i < s->field_count && !rc; i++)
        if ((rc = s_field (b, file, &s->fields[i], p, &list)))
            panda_error_prefix (b->err, "schema %s, field '%s': ", s->name, s->fields[i].name);
    bool new_description = p && strcmp (p->description, s->description) != 0;
    bool new_fields = p && !s_lists_equal (&list, p);
    panda_hash_t id;
    const panda_hash_t *view_id = p ? p->view_id : NULL;
    size_t view_count = p ? p->view_count : 0;
    s->change = !p                              ? PANDA_SCHEMA_CREATED
                : new_description || new_fields ? PANDA_SCHEMA_UPDATED
                                                : PANDA_SCHEMA_UNCHANGED;
    if (!rc && s->change != PANDA_SCHEMA_UNCHANGED) {
        panda_operation_t *op =
            panda_operation_new (p ? PANDA_ACTION_UPDATE : PANDA_ACTION_CREATE,
                                 PANDA_SCHEMA_ID_SCHEMA_DEFINITION, view_id, view_count, b->err);
        rc = op ? PANDA_OK : b->err->code;
        if (!rc && !p)
            rc = s_set_str (op, "name", s->name, b->err);
        if (!rc && (!p || new_description))
            rc = s_set_str (op, "description", s->description, b->err);
        if (!rc && (!p || new_fields))
            rc = panda_operation_set_field (op, "fields", &list, b->err);
        long at = p ? panda_schema_lock_find (b->lock, &p->view_id[0]) : -1;
        if (rc)
            panda_operation_destroy (&op);
        else
            rc = s_commit (b, op, at >= 0 ? &b->lock->commits[at].document_id : NULL, &id);
        if (rc)
            panda_error_prefix (b->err, "schema %s: ", s->name);
        view_id = &id, view_count = 1;
    }
    panda_value_clear (&list);
    if (rc)
        return rc;
    size_t name_len = strlen (s->name);
    free (s->schema_id);
    if (!(s->schema_id = malloc (name_len + 1 + panda_view_id_string_len (view_count) + 1)))
        return panda_error_set (b->err, PANDA_ERR_NOMEM, "out of memory");
    memcpy (s->schema_id, s->name, name_len);
    s->schema_id[name_len] = '_';
    panda_view_id_to_string (view_id, view_count, s->schema_id + name_len + 1);
    return PANDA_OK;
}

panda_err_t
panda_schema_lock_build (panda_schema_lock_t *lock, panda_schema_file_t *file, const panda_keypair_t *keypair,
                         size_t *added, panda_error_t *err)
{
    s_build_t b = {.lock = lock, .keypair = keypair, .err = err};
    size_t before = lock->count;
    panda_error_clear (err);
    panda_err_t rc = s_previous (&b);
    for (size_t i = 0; i < file->count && !rc; i++)
        rc = s_schema (&b, file, &file->schemas[i]);
    for (size_t i = 0; i < b.prev_count; i++)
        s_prev_clear (&b.prev[i]);
    free (b.prev);
    *added = lock->count - before;
    return rc;
}
