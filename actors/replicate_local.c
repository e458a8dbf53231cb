/*  replicate_local.c - what this node has to offer: the logs of a target
    set (the store's heights plus aquadoggo's blob rule, from the views)
    and the schema set it announces.                                       */
#include "replicate.h"

#include <stdlib.h>
#include <string.h>

static panda_err_t
s_add_log (void *ctx, const panda_public_key_t *key, uint64_t log_id, uint64_t seq_num)
{
    panda_error_t err;
    return panda_recon_set_add (ctx, key->bytes, log_id, seq_num, &err);
}

panda_recon_set_t *
panda_replicate_local_logs (panda_replicate_t *node, const panda_schema_set_t *target, panda_error_t *err)
{
    panda_recon_set_t *set = panda_recon_set_new ();
    if (!set) {
        panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        return NULL;
    }
    panda_err_t rc = PANDA_OK;
    for (size_t i = 0; rc == PANDA_OK && i < target->count; i++) {
        char *id = panda_schema_id_format (&target->ids[i]);
        if (!id) {
            rc = panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
            break;
        }
        //  Blobs and pieces travel only with what relates to them (§9.5).
        if (strcmp (id, "blob_v1") != 0 && strcmp (id, "blob_piece_v1") != 0)
            rc = panda_store_schema_logs (node->store, id, s_add_log, set, err);
        free (id);
    }
    if (rc == PANDA_OK)
        rc = panda_replicate_blob_logs (node, target, set, err);
    if (rc != PANDA_OK)
        panda_recon_set_destroy (&set);
    return set;
}

//  Blobs related to by the documents of the target set, and (with
//  blob_piece_v1 in the set too) the pieces those blobs list: aquadoggo's
//  rule, so unrelated blobs never travel.
typedef struct {
    panda_replicate_t *node;
    panda_recon_set_t *set;
    zhashx_t *seen; //  document ids (hex) whose logs are in set
    bool pieces;
    panda_error_t *err;
} s_blobs_t;

static panda_err_t
s_document_logs (s_blobs_t *blobs, const panda_hash_t *id, bool *fresh)
{
    char hex[PANDA_HASH_HEX_SIZE + 1];
    panda_hash_to_hex (id, hex);
    *fresh = !zhashx_lookup (blobs->seen, hex);
    if (!*fresh)
        return PANDA_OK;
    zhashx_insert (blobs->seen, hex, (void *) 1);
    return panda_store_document_logs (blobs->node->store, id, s_add_log, blobs->set, blobs->err);
}

static panda_err_t
s_piece (void *ctx, const panda_hash_t *id)
{
    bool fresh;
    return s_document_logs (ctx, id, &fresh);
}

static panda_err_t
s_blob (void *ctx, const panda_hash_t *id)
{
    s_blobs_t *blobs = ctx;
    bool fresh;
    panda_err_t rc = s_document_logs (blobs, id, &fresh);
    if (rc == PANDA_OK && fresh && blobs->pieces)
        rc = panda_views_blob_pieces (blobs->node->views, id, s_piece, blobs, blobs->err);
    return rc;
}

panda_err_t
panda_replicate_blob_logs (panda_replicate_t *node, const panda_schema_set_t *target, panda_recon_set_t *set,
                           panda_error_t *err)
{
    bool blobs_in = false, pieces_in = false;
    for (size_t i = 0; i < target->count; i++) {
        blobs_in |= target->ids[i].kind == PANDA_SCHEMA_ID_SYSTEM &&
                    target->ids[i].system == PANDA_SYSTEM_SCHEMA_BLOB;
        pieces_in |= target->ids[i].kind == PANDA_SCHEMA_ID_SYSTEM &&
                     target->ids[i].system == PANDA_SYSTEM_SCHEMA_BLOB_PIECE;
    }
    if (!blobs_in)
        return PANDA_OK;
    s_blobs_t blobs = {node, set, zhashx_new (), pieces_in, err};
    if (!blobs.seen)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    panda_err_t rc = PANDA_OK;
    for (size_t i = 0; rc == PANDA_OK && i < target->count; i++) {
        if (target->ids[i].kind != PANDA_SCHEMA_ID_APPLICATION)
            continue;
        char *id = panda_schema_id_format (&target->ids[i]);
        rc = id ? panda_views_related_blobs (node->views, id, s_blob, &blobs, err)
                : panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        free (id);
    }
    panda_log_debug ("replicate", "%zu blob and piece documents travel with the target set",
                     zhashx_size (blobs.seen));
    zhashx_destroy (&blobs.seen);
    return rc;
}

static panda_err_t
s_add_supported (void *ctx, panda_schema_t *schema)
{
    panda_schema_set_t *set = ctx;
    panda_error_t err;
    panda_err_t rc =
        panda_schema_set_add_text (set, panda_schema_id (schema), strlen (panda_schema_id (schema)), &err);
    panda_schema_destroy (&schema);
    return rc;
}

//  What we announce (§9.7): the allow list if there is one, else every
//  schema we know, system schemas included.
void
panda_replicate_refresh_supported (panda_replicate_t *self)
{
    const panda_config_t *c = self->config;
    panda_schema_set_t set;
    panda_schema_set_init (&set);
    panda_error_t err;
    panda_err_t rc = PANDA_OK;
    if (!c->allow_all_schema_ids)
        for (size_t i = 0; rc == PANDA_OK && i < c->allow_schema_ids.count; i++)
            rc = panda_schema_set_add_text (&set, c->allow_schema_ids.items[i],
                                            strlen (c->allow_schema_ids.items[i]), &err);
    else {
        static const char *system[] = {"schema_definition_v1", "schema_field_definition_v1", "blob_v1",
                                       "blob_piece_v1"};
        for (size_t i = 0; rc == PANDA_OK && i < 4; i++)
            rc = panda_schema_set_add_text (&set, system[i], strlen (system[i]), &err);
        if (rc == PANDA_OK && self->views)
            rc = panda_views_schemas (self->views, s_add_supported, &set, &err);
    }
    if (rc != PANDA_OK) {
        panda_log_error ("replicate", "cannot list the schemas to announce: %s", err.message);
        panda_schema_set_clear (&set);
        return;
    }
    panda_schema_set_normalize (&set);
    if (panda_schema_set_eq (&set, &self->supported)) {
        panda_schema_set_clear (&set);
        return;
    }
    panda_schema_set_clear (&self->supported);
    self->supported = set;
    uint64_t now = (uint64_t) (zclock_time () / 1000);
    self->announce_timestamp = now > self->announce_timestamp ? now : self->announce_timestamp + 1;
    for (size_t i = 0; i < self->n_peers; i++) {
        panda_replicate_peer_announce (self->peers[i]);
        self->peers[i]->next_sync = zclock_mono (); //  more in common now, perhaps
    }
}
