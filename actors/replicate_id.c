/*  replicate_id.c - who this node is and whom it lets in: the node key
    file, the allow and block lists as CURVE keys, the network tag and the
    psk proof of the Hello exchange (docs/replication.md).                 */
#include "replicate.h"

#include "panda/panda_blake3.h"
#include "panda/panda_hex.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_KEY_FILE "node.key" //  in data_dir when private_key is not set
#define S_KEY_FILE_MAX 4096 //  whitespace around the 64 hex characters

//  Write a new key to path, readable by its owner only; fails if the file
//  appeared meanwhile (O_EXCL), so two starts never write different keys.
static panda_peer_identity_t *
s_create (const char *path, panda_error_t *err)
{
    panda_peer_identity_t *identity = panda_peer_identity_new_random (err);
    if (!identity)
        return NULL;
    char text[PANDA_PEER_KEY_FILE_SIZE + 1];
    panda_peer_identity_key_file (identity, text);
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    bool ok =
        fd >= 0 && write (fd, text, PANDA_PEER_KEY_FILE_SIZE) == PANDA_PEER_KEY_FILE_SIZE && fsync (fd) == 0;
    int saved = errno;
    if (fd >= 0)
        close (fd);
    sodium_memzero (text, sizeof text);
    if (!ok) {
        panda_error_set (err, PANDA_ERR_IO, "cannot write node key %s: %s", path, strerror (saved));
        panda_peer_identity_destroy (&identity);
        if (fd >= 0)
            unlink (path);
        return NULL;
    }
    panda_log_info ("replicate", "new node key written to %s", path);
    return identity;
}

panda_peer_identity_t *
panda_replicate_identity (const panda_config_t *config, panda_error_t *err)
{
    char path[4096];
    if (config->private_key)
        snprintf (path, sizeof path, "%s", config->private_key);
    else
        snprintf (path, sizeof path, "%s/%s", config->data_dir ? config->data_dir : ".", S_KEY_FILE);
    FILE *file = fopen (path, "r");
    if (!file && errno == ENOENT)
        return s_create (path, err);
    if (!file) {
        panda_error_set (err, PANDA_ERR_IO, "cannot read node key %s: %s", path, strerror (errno));
        return NULL;
    }
    struct stat st;
    if (fstat (fileno (file), &st) == 0 && (st.st_mode & 077))
        panda_log_warn ("replicate", "node key %s is readable by others (mode %03o); chmod 600 it", path,
                        (unsigned) (st.st_mode & 0777));
    char text[S_KEY_FILE_MAX];
    size_t len = fread (text, 1, sizeof text, file);
    fclose (file);
    panda_peer_identity_t *identity = NULL;
    if (len == sizeof text)
        panda_error_set (err, PANDA_ERR_DECODE, "node key %s: not a key file (too long)", path);
    else if (!(identity = panda_peer_identity_new_from_key_file (text, len, err)))
        panda_error_prefix (err, "node key %s: ", path);
    sodium_memzero (text, sizeof text);
    return identity;
}

//  The CURVE keys of a list of peer ids, into *keys (caller frees).
static panda_err_t
s_keys (const panda_strlist_t *ids, const char *setting, uint8_t (**keys)[32], size_t *n, panda_error_t *err)
{
    *n = 0;
    *keys = ids->count ? calloc (ids->count, 32) : NULL;
    if (ids->count && !*keys)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < ids->count; i++) {
        uint8_t ed[32];
        panda_error_t why;
        if (panda_peer_id_parse (ids->items[i], strlen (ids->items[i]), ed, &why) != PANDA_OK ||
            panda_peer_curve_public_key (ed, (*keys)[*n], &why) != PANDA_OK)
            return panda_error_set (err, PANDA_ERR_DECODE, "%s: %s: %s", setting, ids->items[i], why.message);
        (*n)++;
    }
    return PANDA_OK;
}

panda_err_t
panda_replicate_policy_load (panda_replicate_policy_t *policy, const panda_config_t *config,
                             panda_error_t *err)
{
    memset (policy, 0, sizeof *policy);
    policy->allow_any = config->allow_all_peer_ids;
    panda_err_t rc = PANDA_OK;
    if (!policy->allow_any)
        rc = s_keys (&config->allow_peer_ids, "allow_peer_ids", &policy->allowed, &policy->n_allowed, err);
    if (rc == PANDA_OK)
        rc = s_keys (&config->block_peer_ids, "block_peer_ids", &policy->blocked, &policy->n_blocked, err);
    if (rc != PANDA_OK)
        panda_replicate_policy_clear (policy);
    return rc;
}

void
panda_replicate_policy_clear (panda_replicate_policy_t *policy)
{
    free (policy->allowed);
    free (policy->blocked);
    memset (policy, 0, sizeof *policy);
}

//  The psk's 32 bytes (config validated it as 64 hex characters).
static bool
s_psk (const panda_config_t *config, uint8_t psk[32])
{
    return config->psk && panda_replicate_unhex32 (config->psk, psk);
}

bool
panda_replicate_unhex32 (const char *text, uint8_t out[32])
{
    if (!text || strlen (text) != 64)
        return false;
    for (size_t i = 0; i < 32; i++) {
        int hi = panda_hex_digit (text[2 * i]), lo = panda_hex_digit (text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t) (hi << 4 | lo);
    }
    return true;
}

void
panda_replicate_network_tag (const panda_config_t *config, uint8_t tag[PANDA_REPL_NETWORK_TAG_SIZE])
{
    //  A one-way tag: seeing it tells nothing about the psk.
    panda_blake3_t hasher;
    panda_blake3_init_derive_key (&hasher, "pandad 2026 network tag");
    uint8_t psk[32];
    if (s_psk (config, psk))
        panda_blake3_update (&hasher, psk, sizeof psk);
    sodium_memzero (psk, sizeof psk);
    panda_blake3_final (&hasher, tag, PANDA_REPL_NETWORK_TAG_SIZE);
}

bool
panda_replicate_psk_proof (const panda_config_t *config, bool client, const uint8_t *client_curve,
                           const uint8_t *server_curve, uint8_t proof[PANDA_REPL_PSK_PROOF_SIZE])
{
    uint8_t psk[32];
    if (!s_psk (config, psk))
        return false;
    //  Each side proves the psk for this very pair of keys, in its role,
    //  so a proof can be neither replayed to another node nor reflected.
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init (&state, psk, sizeof psk);
    const char *label = client ? "pandad psk client" : "pandad psk server";
    crypto_auth_hmacsha256_update (&state, (const uint8_t *) label, strlen (label));
    crypto_auth_hmacsha256_update (&state, client_curve, 32);
    crypto_auth_hmacsha256_update (&state, server_curve, 32);
    crypto_auth_hmacsha256_final (&state, proof);
    sodium_memzero (psk, sizeof psk);
    return true;
}
