/*  panda_config.c - configuration table and loaders. See panda_config.h.

    Each setting is one row of panda_config_settings: key, short flag, type, offset in
    panda_config_t, default (as text, parsed by the same code as any other
    source) and help. The loaders only find the row and hand a value to
    s_apply; nothing else knows about individual keys except the derived
    defaults at the end of panda_config_load. --help, --print-config and
    the not-used-yet check are in panda_config_print.c.                                */
#include "panda_config_int.h"
#include "panda/panda_schema_id.h"
#include "panda_log_filter.h"
#include "panda_toml.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define AT(field) offsetof (panda_config_t, field)

const setting_t panda_config_settings[] = {
    {"allow_schema_ids", 's', T_STAR_LIST, AT (allow_schema_ids), AT (allow_all_schema_ids), "*",
     "SCHEMA_ID...", "schemas this node stores, replicates and serves: \"*\" or a list"},
    {"database_url", 'd', T_STRING, AT (database_url), 0, NULL, "URL",
     "sqlite:PATH or sqlite::memory: (default: sqlite:<data_dir>/pandad.sqlite3)"},
    {"database_max_connections", 0, T_UINT, AT (database_max_connections), 0, "32", "N",
     "aquadoggo: size of its database connection pool"},
    {"http_port", 'p', T_PORT, AT (http_port), 0, "2020", "PORT",
     "HTTP port for GraphQL and blobs (0: any free port)"},
    {"transport", 'q', T_TRANSPORT, AT (transport), 0, "TCP", "TRANSPORT",
     "replication transport: pandad speaks TCP (CurveZMQ); QUIC is accepted for aquadoggo configs, with a "
     "warning"},
    {"node_port", 't', T_PORT, AT (node_port), 0, "2022", "PORT", "replication port"},
    {"psk", 'y', T_PSK, AT (psk), 0, NULL, "PSK", "pre-shared key (64 hex chars) for a private network"},
    {"blobs_base_path", 'f', T_STRING, AT (blobs_base_path), 0, NULL, "PATH",
     "where blob files are written (default: <data_dir>/blobs)"},
    {"private_key", 'k', T_STRING, AT (private_key), 0, NULL, "PATH",
     "node identity key file (created if missing)"},
    {"mdns", 'm', T_BOOL, AT (mdns), 0, "true", "BOOL",
     "discover peers on the local network (UDP broadcast beacons on discovery_port)"},
    {"direct_node_addresses", 'n', T_LIST, AT (direct_node_addresses), 0, "", "IP:PORT...", "nodes to dial"},
    {"allow_peer_ids", 'a', T_STAR_LIST, AT (allow_peer_ids), AT (allow_all_peer_ids), "*", "PEER_ID...",
     "peers allowed to connect: \"*\" or a list"},
    {"block_peer_ids", 'b', T_LIST, AT (block_peer_ids), 0, "", "PEER_ID...", "peers never connected"},
    {"relay_addresses", 'r', T_LIST, AT (relay_addresses), 0, "", "IP:PORT...",
     "relays to register at ([<peer id>@]host:port): they tell us the other nodes of our network, and "
     "forward "
     "our replication with those we cannot dial"},
    {"relay_mode", 'e', T_BOOL, AT (relay_mode), 0, "false", "BOOL",
     "act as a relay and rendezvous point for other nodes (with allow_schema_ids = [] a pure relay that "
     "stores nothing)"},
    {"worker_pool_size", 0, T_UINT, AT (worker_pool_size), 0, "16", "N",
     "aquadoggo: materialisation tasks run at once"},
    {"log_level", 'l', T_LEVEL, AT (log_level), 0, "info", "FILTER",
     "off, error, warn, info, debug or trace, or a filter as aquadoggo's "
     "(\"aquadoggo=info,replicate=debug\", "
     "docs/operating.md)"},
    {"data_dir", 0, T_STRING, AT (data_dir), 0, NULL, "PATH",
     "data directory, created at start (default: $XDG_DATA_HOME/pandad or ~/.local/share/pandad)"},
    {"migrate", 0, T_LIST, AT (migrate), 0, "", "FILE...",
     "schema.lock files (fishy's format) whose commits the node publishes at start, skipping those it has, "
     "so an app ships its schemas; a bad file stops the start"},
    {"http_address", 0, T_STRING, AT (http_address), 0, "0.0.0.0", "ADDRESS",
     "address the HTTP server binds"},
    {"verify_threads", 0, T_UINT, AT (verify_threads), 0, "0", "N",
     "signature verification threads (0: one per core)"},
    {"http_threads", 0, T_UINT, AT (http_threads), 0, "1024", "N",
     "HTTP worker threads (civetweb keeps one busy per open connection)"},
    {"http_max_connections_per_address", 0, T_UINT, AT (http_max_connections_per_address), 0, "32", "N",
     "open HTTP connections one client address may hold (0: no limit)"},
    {"http_header_timeout_ms", 0, T_UINT, AT (http_header_timeout_ms), 0, "10000", "MS",
     "time a client has to send a whole request head"},
    {"http_body_timeout_ms", 0, T_UINT, AT (http_body_timeout_ms), 0, "30000", "MS",
     "time a client has to send a whole request body (and to take a GraphQL answer)"},
    {"http_keep_alive_timeout_ms", 0, T_UINT, AT (http_keep_alive_timeout_ms), 0, "5000", "MS",
     "idle time after which a keep-alive connection is closed"},
    {"http_max_body_bytes", 0, T_UINT, AT (http_max_body_bytes), 0, "2097152", "BYTES",
     "largest POST /graphql body (a publish of a full blob piece needs ~513 kB)"},
    {"http_max_body_memory_bytes", 0, T_UINT, AT (http_max_body_memory_bytes), 0, "67108864", "BYTES",
     "memory for all request bodies being read at once; beyond it requests get 503"},
    {"graphql_max_page_size", 0, T_UINT, AT (graphql_max_page_size), 0, "1000", "N",
     "largest `first` a collection query may ask for"},
    {"graphql_max_json_depth", 0, T_UINT, AT (graphql_max_json_depth), 0, "32", "N",
     "deepest nesting of a request's JSON"},
    {"graphql_max_json_nodes", 0, T_UINT, AT (graphql_max_json_nodes), 0, "10000", "N",
     "most values (strings, numbers, arrays, objects, ...) in a request's JSON"},
    {"graphql_max_cost", 0, T_UINT, AT (graphql_max_cost), 0, "100000", "N",
     "most a request may cost: fields resolved, each times the page sizes above it"},
    {"graphql_max_documents", 0, T_UINT, AT (graphql_max_documents), 0, "10000", "N",
     "most documents one request may return, over all its collections and lists"},
    {"graphql_timeout_ms", 0, T_UINT, AT (graphql_timeout_ms), 0, "10000", "MS",
     "time one GraphQL request may run; also stopped when its client disconnects"},
    {"views_behind_limit", 0, T_UINT, AT (views_behind_limit), 0, "100", "N",
     "entries the views may lag behind the stored ones; beyond it GET /health says not ready and GraphQL "
     "answers carry extensions.viewsBehind"},
    {"shutdown_timeout_ms", 0, T_UINT, AT (shutdown_timeout_ms), 0, "5000", "MS",
     "longest a SIGTERM waits for running requests before the node exits anyway"},
    {"actors", 0, T_LIST, AT (actors), 0, "api,ingest,verify,storage,materialize,replicate", "ACTOR...",
     "actors this process runs (api, ingest, verify, storage, materialize, replicate); the others are "
     "reached over "
     "the endpoints below, which must then be ipc:// or tcp://"},
    {"node_address", 0, T_STRING, AT (node_address), 0, "0.0.0.0", "ADDRESS",
     "address the replication port binds"},
    {"discovery_port", 0, T_PORT, AT (discovery_port), 0, "2023", "PORT",
     "UDP port of LAN discovery beacons (mdns), shared by every node of the LAN and of this host"},
    {"max_peers", 0, T_UINT, AT (max_peers), 0, "16", "N",
     "nodes connected at once, both directions together"},
    {"replication_live", 0, T_BOOL, AT (replication_live), 0, "true", "BOOL",
     "after catching up, keep sessions open and push new entries at once"},
    {"replication_interval_ms", 0, T_UINT, AT (replication_interval_ms), 0, "60000", "MS",
     "anti-entropy: how often a connected pair compares everything again (+-20 %)"},
    {"replication_timeout_ms", 0, T_UINT, AT (replication_timeout_ms), 0, "60000", "MS",
     "a catch-up session that makes no progress for this long fails"},
    {"replication_credit_entries", 0, T_UINT, AT (replication_credit_entries), 0, "1024", "N",
     "entries a peer may send before we grant more (our queue per peer)"},
    {"replication_credit_bytes", 0, T_UINT, AT (replication_credit_bytes), 0, "4194304", "BYTES",
     "entry and operation bytes a peer may send before we grant more"},
    {"relay_max_registrations", 0, T_UINT, AT (relay_max_registrations), 0, "256", "N",
     "relay_mode: nodes registered at once; more are refused (connections are at most 256 whatever it says)"},
    {"relay_registration_ttl_ms", 0, T_UINT, AT (relay_registration_ttl_ms), 0, "3600000", "MS",
     "relay_mode: longest a registration lasts without renewal"},
    {"relay_max_circuits", 0, T_UINT, AT (relay_max_circuits), 0, "256", "N",
     "relay_mode: pairs of nodes forwarding through us at once; new ones beyond are refused"},
    {"relay_node_rate", 0, T_UINT, AT (relay_node_rate), 0, "16777216", "BYTES",
     "relay_mode: bytes per second one node may send through us"},
    {"relay_rate", 0, T_UINT, AT (relay_rate), 0, "67108864", "BYTES",
     "relay_mode: bytes per second through us, all nodes together"},
    {"relay_node_queue_bytes", 0, T_UINT, AT (relay_node_queue_bytes), 0, "16777216", "BYTES",
     "relay_mode: bytes queued, or sent and not yet acknowledged, toward one node"},
    {"relay_queue_bytes", 0, T_UINT, AT (relay_queue_bytes), 0, "268435456", "BYTES",
     "relay_mode: the same, all nodes together"},
    {"pipeline_timeout_ms", 0, T_UINT, AT (pipeline_timeout_ms), 0, "5000", "MS",
     "time ingest waits for verify or storage to answer a request before failing it"},
    {"ingest_endpoint", 0, T_STRING, AT (ingest_endpoint), 0, "inproc://pandad-ingest", "URL",
     "ZeroMQ endpoint of the ingest actor (requests from the api)"},
    {"verify_endpoint", 0, T_STRING, AT (verify_endpoint), 0, "inproc://pandad-verify-*", "URL",
     "ZeroMQ endpoint of each verify worker; * is replaced by the worker number"},
    {"storage_endpoint", 0, T_STRING, AT (storage_endpoint), 0, "inproc://pandad-storage", "URL",
     "ZeroMQ endpoint of the storage actor"},
    {"replies_endpoint", 0, T_STRING, AT (replies_endpoint), 0, "inproc://pandad-replies", "URL",
     "ZeroMQ endpoint where ingest collects answers for the api"},
    {"events_endpoint", 0, T_STRING, AT (events_endpoint), 0, "inproc://pandad-events", "URL",
     "ZeroMQ PUB endpoint of storage events (STORED)"},
    {"schemas_endpoint", 0, T_STRING, AT (schemas_endpoint), 0, "inproc://pandad-schemas", "URL",
     "ZeroMQ PUB endpoint of the materialiser's events (SCHEMA: a new schema is queryable)"},
    {"replication_endpoint", 0, T_STRING, AT (replication_endpoint), 0, "inproc://pandad-replication", "URL",
     "ZeroMQ endpoint where the replicate actor answers the api's GET /replication"},
    {"notify_endpoint", 0, T_STRING, AT (notify_endpoint), 0, "inproc://pandad-notify", "URL",
     "ZeroMQ endpoint where an application embedding the node (panda_node.h) hears document and peer "
     "events"},
};

const size_t panda_config_settings_count = sizeof panda_config_settings / sizeof panda_config_settings[0];

//  aquadoggo's keys that size parts pandad does not have: accepted so its
//  config files work, said so in --help and warned about when set.
static const struct {
    const char *key, *why;
} s_no_effect[] = {
    {"worker_pool_size", "the materialiser is one thread, the only writer of the views database: SQLite "
                         "takes one writer at a time, so more workers would wait on its lock"},
    {"database_max_connections",
     "each HTTP worker keeps its own read-only connection (http_threads bounds them) and storage is the "
     "only writer: there is no shared pool to size"},
};

const char *
panda_config_no_effect (const char *key)
{
    for (size_t i = 0; i < sizeof s_no_effect / sizeof s_no_effect[0]; i++)
        if (strcmp (s_no_effect[i].key, key) == 0)
            return s_no_effect[i].why;
    return NULL;
}

static const char *s_level_names[] = {"off", "error", "warn", "info", "debug", "trace"};

const char *
panda_log_level_name (panda_log_level_t level)
{
    return level <= PANDA_LOG_TRACE ? s_level_names[level] : "?";
}

static void *
s_field (panda_config_t *self, size_t offset)
{
    return (char *) self + offset;
}

static void
s_strlist_clear (panda_strlist_t *list)
{
    for (size_t i = 0; i < list->count; i++)
        free (list->items[i]);
    free (list->items);
    list->items = NULL;
    list->count = 0;
}

static panda_err_t
s_strlist_push (panda_strlist_t *list, const char *item, size_t len)
{
    char **items = realloc (list->items, (list->count + 1) * sizeof *items);
    if (!items)
        return PANDA_ERR_NOMEM;
    list->items = items;
    if (!(items[list->count] = strndup (item, len)))
        return PANDA_ERR_NOMEM;
    list->count++;
    return PANDA_OK;
}

static panda_err_t
s_bad (panda_error_t *err, const char *source, const setting_t *s, const char *why)
{
    return panda_error_set (err, PANDA_ERR_INVALID, "%s: %s: %s", source, s->key, why);
}

static panda_err_t
s_parse_uint (const char *text, uint64_t max, uint64_t *out)
{
    if (!*text || !isdigit ((unsigned char) *text))
        return PANDA_ERR_INVALID;
    errno = 0;
    char *end;
    unsigned long long v = strtoull (text, &end, 10);
    if (*end || errno || v > max)
        return PANDA_ERR_INVALID;
    *out = v;
    return PANDA_OK;
}

//  Apply one scalar value given as text. Lists take a JSON array instead
//  (see panda_config_apply_json) or, from text, one item per call (append == true).
static panda_err_t
s_apply_text (panda_config_t *self, const setting_t *s, const char *text, const char *source,
              panda_error_t *err)
{
    void *field = s_field (self, s->offset);
    uint64_t n;
    switch (s->type) {
        case T_PORT:
            if (s_parse_uint (text, 65535, &n))
                return s_bad (err, source, s, "expected a port number from 0 to 65535");
            *(uint16_t *) field = (uint16_t) n;
            return PANDA_OK;
        case T_UINT:
            if (s_parse_uint (text, UINT32_MAX, &n))
                return s_bad (err, source, s, "expected a non-negative integer");
            *(uint32_t *) field = (uint32_t) n;
            return PANDA_OK;
        case T_BOOL:
            if (strcasecmp (text, "true") == 0 || strcmp (text, "1") == 0)
                *(bool *) field = true;
            else if (strcasecmp (text, "false") == 0 || strcmp (text, "0") == 0)
                *(bool *) field = false;
            else
                return s_bad (err, source, s, "expected true or false");
            return PANDA_OK;
        case T_LEVEL: {
            //  A level or an env_logger filter, as aquadoggo takes it.
            panda_log_filter_t filter;
            panda_error_t why;
            if (panda_log_filter_parse (text, &filter, &why) != PANDA_OK)
                return s_bad (err, source, s, why.message);
            break;
        }
        case T_TRANSPORT:
            if (strcasecmp (text, "QUIC") != 0 && strcasecmp (text, "TCP") != 0)
                return s_bad (err, source, s, "expected QUIC or TCP");
            break;
        case T_PSK:
            if (strlen (text) != 64 || strspn (text, "0123456789abcdefABCDEF") != 64)
                return s_bad (err, source, s, "expected 64 hex characters (32 bytes)");
            break;
        case T_STRING:
            if (!*text)
                return s_bad (err, source, s, "must not be empty");
            break;
        case T_LIST:
        case T_STAR_LIST: return PANDA_ERR_INTERNAL; //  lists never come here
    }
    char *copy = strdup (text);
    if (!copy)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    if (s->type == T_TRANSPORT)
        for (char *p = copy; *p; p++)
            *p = (char) toupper ((unsigned char) *p);
    free (*(char **) field);
    *(char **) field = copy;
    return PANDA_OK;
}

//  Replace a list (or set "*") from a JSON value: an array of strings, or
//  for star lists the string "*".
static panda_err_t
s_apply_list (panda_config_t *self, const setting_t *s, json_t *value, const char *source, panda_error_t *err)
{
    panda_strlist_t *list = s_field (self, s->offset);
    if (s->type == T_STAR_LIST && json_is_string (value) && strcmp (json_string_value (value), "*") == 0) {
        s_strlist_clear (list);
        *(bool *) s_field (self, s->star_offset) = true;
        return PANDA_OK;
    }
    if (!json_is_array (value))
        return s_bad (err, source, s,
                      s->type == T_STAR_LIST ? "expected \"*\" or a list of strings"
                                             : "expected a list of strings");
    size_t i;
    json_t *item;
    json_array_foreach (value, i, item) //  a bad item changes nothing
    {
        if (!json_is_string (item) || json_string_length (item) == 0)
            return s_bad (err, source, s, "list items must be non-empty strings");
    }
    s_strlist_clear (list);
    if (s->type == T_STAR_LIST)
        *(bool *) s_field (self, s->star_offset) = false;
    json_array_foreach (value, i, item)
    {
        if (s_strlist_push (list, json_string_value (item), json_string_length (item)))
            return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    }
    return PANDA_OK;
}

panda_err_t
panda_config_apply_json (panda_config_t *self, const setting_t *s, json_t *value, const char *source,
                         panda_error_t *err)
{
    if (s->type == T_LIST || s->type == T_STAR_LIST)
        return s_apply_list (self, s, value, source, err);
    char text[64];
    if (json_is_string (value))
        return s_apply_text (self, s, json_string_value (value), source, err);
    if (json_is_integer (value) && s->type != T_STRING) {
        snprintf (text, sizeof text, "%lld", (long long) json_integer_value (value));
        if (json_integer_value (value) < 0)
            return s_bad (err, source, s, "must not be negative");
        return s_apply_text (self, s, text, source, err);
    }
    if (json_is_boolean (value) && s->type == T_BOOL)
        return s_apply_text (self, s, json_is_true (value) ? "true" : "false", source, err);
    return s_bad (err, source, s, "wrong type of value");
}

//  Text for a list from the environment or a default: "*", a TOML array
//  ("[\"a\", \"b\"]"), or comma-separated items.
static panda_err_t
s_apply_list_text (panda_config_t *self, const setting_t *s, const char *text, const char *source,
                   panda_error_t *err)
{
    json_t *value;
    if (text[0] == '[') {
        size_t len = strlen (text) + 8;
        char *doc = malloc (len);
        if (!doc)
            return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
        snprintf (doc, len, "v = %s\n", text);
        panda_error_t toml_err;
        json_t *root = panda_toml_parse (doc, strlen (doc), &toml_err);
        free (doc);
        if (!root)
            return s_bad (err, source, s, "expected a list such as [\"a\", \"b\"]");
        value = json_incref (json_object_get (root, "v"));
        json_decref (root);
    } else if (strcmp (text, "*") == 0)
        value = json_string ("*");
    else {
        value = json_array ();
        for (const char *p = text; *p;) {
            size_t n = strcspn (p, ",");
            if (n > 0)
                json_array_append_new (value, json_stringn (p, n));
            p += n + (p[n] == ',');
        }
    }
    panda_err_t rc = s_apply_list (self, s, value, source, err);
    json_decref (value);
    return rc;
}

static panda_err_t
s_apply_any_text (panda_config_t *self, const setting_t *s, const char *text, const char *source,
                  panda_error_t *err)
{
    if (s->type == T_LIST || s->type == T_STAR_LIST)
        return s_apply_list_text (self, s, text, source, err);
    return s_apply_text (self, s, text, source, err);
}

panda_config_t *
panda_config_new (void)
{
    panda_config_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    for (size_t i = 0; i < panda_config_settings_count; i++)
        if (panda_config_settings[i].fallback &&
            s_apply_any_text (self, &panda_config_settings[i], panda_config_settings[i].fallback, "default",
                              NULL)) {
            panda_config_destroy (&self);
            return NULL;
        }
    return self;
}

void
panda_config_destroy (panda_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    panda_config_t *self = *self_p;
    for (size_t i = 0; i < panda_config_settings_count; i++) {
        void *field = s_field (self, panda_config_settings[i].offset);
        if (panda_config_settings[i].type == T_LIST || panda_config_settings[i].type == T_STAR_LIST)
            s_strlist_clear (field);
        else if (panda_config_settings[i].type == T_STRING || panda_config_settings[i].type == T_TRANSPORT ||
                 panda_config_settings[i].type == T_PSK || panda_config_settings[i].type == T_LEVEL)
            free (*(char **) field);
    }
    free (self->config_path);
    s_strlist_clear (&self->warnings);
    free (self);
    *self_p = NULL;
}

//  aquadoggo's keys of earlier versions, read as today's with a warning.
static const struct {
    const char *old, *key, *since;
} s_renamed[] = {
    {"quic_port", "node_port", "0.8"}, //  -q/--quic-port before; -q is transport now
};

static const setting_t *
s_find_key (const char *key, size_t len)
{
    for (size_t i = 0; i < panda_config_settings_count; i++)
        if (strlen (panda_config_settings[i].key) == len &&
            strncasecmp (panda_config_settings[i].key, key, len) == 0)
            return &panda_config_settings[i];
    return NULL;
}

const setting_t *
panda_config_find_key (panda_config_t *self, const char *key, size_t len, const char *source)
{
    const setting_t *s = s_find_key (key, len);
    for (size_t i = 0; !s && i < sizeof s_renamed / sizeof s_renamed[0]; i++)
        if (strlen (s_renamed[i].old) == len && strncasecmp (s_renamed[i].old, key, len) == 0) {
            s = s_find_key (s_renamed[i].key, strlen (s_renamed[i].key));
            panda_config_warn (self, "%s: %s is aquadoggo's name before %s, read as %s (rename it)", source,
                               s_renamed[i].old, s_renamed[i].since, s_renamed[i].key);
        }
    return s;
}

void
panda_config_warn (panda_config_t *self, const char *format, ...)
{
    char text[1024];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    (void) s_strlist_push (&self->warnings, text, strlen (text)); //  out of memory: one warning less
}

static panda_err_t
s_load_env (panda_config_t *self, char **envp, panda_error_t *err)
{
    for (char **e = envp; e && *e; e++) {
        const char *eq = strchr (*e, '=');
        if (!eq)
            continue;
        char source[96];
        snprintf (source, sizeof source, "environment %.*s", (int) (eq - *e), *e);
        const setting_t *s = panda_config_find_key (self, *e, (size_t) (eq - *e), source);
        if (!s)
            continue; //  the environment holds much else
        if (s_apply_any_text (self, s, eq + 1, source, err))
            return PANDA_ERR_INVALID;
    }
    return PANDA_OK;
}

static const setting_t *
s_find_flag (panda_config_t *self, const char *arg, const char **inline_value)
{
    *inline_value = NULL;
    if (arg[0] == '-' && arg[1] && arg[1] != '-' && !arg[2]) {
        for (size_t i = 0; i < panda_config_settings_count; i++)
            if (panda_config_settings[i].flag == arg[1])
                return &panda_config_settings[i];
        return NULL;
    }
    if (strncmp (arg, "--", 2) != 0)
        return NULL;
    const char *name = arg + 2, *eq = strchr (name, '=');
    size_t len = eq ? (size_t) (eq - name) : strlen (name);
    if (eq)
        *inline_value = eq + 1;
    for (size_t i = 0; i < panda_config_settings_count; i++) {
        const char *key = panda_config_settings[i].key;
        if (strlen (key) != len)
            continue;
        size_t k = 0; //  flags spell '_' as '-'
        while (k < len && (name[k] == key[k] || (name[k] == '-' && key[k] == '_')))
            k++;
        if (k == len)
            return &panda_config_settings[i];
    }
    char key[64], source[96];
    if (len >= sizeof key)
        return NULL;
    for (size_t k = 0; k <= len; k++)
        key[k] = k == len ? '\0' : name[k] == '-' ? '_' : name[k];
    snprintf (source, sizeof source, "option --%.*s", (int) len, name);
    return panda_config_find_key (self, key, len, source);
}

static bool
s_is_flag (const char *arg)
{
    return arg[0] == '-' && arg[1] && !isdigit ((unsigned char) arg[1]);
}

//  One flag and its values at argv[*i]; advances *i past what it used.
//  seen marks the list settings the command line named already.
static panda_err_t
s_load_flag (panda_config_t *self, int argc, char **argv, int *i, bool *seen, panda_error_t *err)
{
    const char *arg = argv[*i], *value;
    if (strcmp (arg, "-h") == 0 || strcmp (arg, "--help") == 0)
        return self->show_help = true, PANDA_OK;
    if (strcmp (arg, "-V") == 0 || strcmp (arg, "--version") == 0)
        return self->show_version = true, PANDA_OK;
    if (strcmp (arg, "--print-config") == 0)
        return self->print_config = true, PANDA_OK;
    if (strcmp (arg, "-c") == 0 || strcmp (arg, "--config") == 0)
        return (*i)++, PANDA_OK; //  read before everything else
    if (strncmp (arg, "--config=", 9) == 0)
        return PANDA_OK;
    const setting_t *s = s_find_flag (self, arg, &value);
    if (!s)
        return panda_error_set (err, PANDA_ERR_INVALID, "unknown option '%s' (see --help)", arg);
    char source[96];
    snprintf (source, sizeof source, "option %s", arg);
    if (s->type == T_LIST || s->type == T_STAR_LIST) {
        //  -s a b c: every following non-flag argument; a lone "*" is the
        //  wildcard, a lone "" the empty list (aquadoggo's CLI rules).
        json_t *list = json_array ();
        if (value)
            json_array_append_new (list, json_string (value));
        while (!value && *i + 1 < argc && !s_is_flag (argv[*i + 1]))
            json_array_append_new (list, json_string (argv[++*i]));
        json_t *only = json_array_size (list) == 1 ? json_array_get (list, 0) : NULL;
        json_t *effective = list;
        if (only && strcmp (json_string_value (only), "*") == 0)
            effective = only;
        else if (only && json_string_length (only) == 0)
            json_array_clear (list);
        //  Named again: the items add up, as aquadoggo's repeated flags do
        //  (-n a -n b dials both); the first time they replace the file's.
        size_t index = (size_t) (s - panda_config_settings);
        const panda_strlist_t *before = s_field (self, s->offset);
        bool wildcard = s->type == T_STAR_LIST && *(bool *) s_field (self, s->star_offset);
        if (seen[index] && effective == list && !wildcard)
            for (size_t k = before->count; k-- > 0;)
                json_array_insert_new (list, 0, json_string (before->items[k]));
        seen[index] = true;
        panda_err_t rc = s_apply_list (self, s, effective, source, err);
        json_decref (list);
        return rc;
    }
    if (!value && s->type == T_BOOL) //  a bare -m means true
        value = *i + 1 < argc &&
                        (strcasecmp (argv[*i + 1], "true") == 0 || strcasecmp (argv[*i + 1], "false") == 0)
                    ? argv[++*i]
                    : "true";
    if (!value) {
        if (*i + 1 >= argc)
            return panda_error_set (err, PANDA_ERR_INVALID, "option %s needs a value (%s)", arg,
                                    s->value_name);
        value = argv[++*i];
    }
    return s_apply_text (self, s, value, source, err);
}

//  XDG data directory for pandad: $XDG_DATA_HOME/pandad, ~/.local/share/pandad.
static char *
s_default_data_dir (char **envp)
{
    const char *xdg = panda_config_env (envp, "XDG_DATA_HOME"), *home = panda_config_env (envp, "HOME");
    char path[4096];
    if (xdg)
        snprintf (path, sizeof path, "%s/pandad", xdg);
    else if (home)
        snprintf (path, sizeof path, "%s/.local/share/pandad", home);
    else
        snprintf (path, sizeof path, "pandad-data");
    return strdup (path);
}

static panda_err_t
s_derive_defaults (panda_config_t *self, char **envp, panda_error_t *err)
{
    char path[4096];
    if (!self->data_dir && !(self->data_dir = s_default_data_dir (envp)))
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    if (!self->database_url) {
        snprintf (path, sizeof path, "sqlite:%s/pandad.sqlite3", self->data_dir);
        if (!(self->database_url = strdup (path)))
            return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    }
    if (strncmp (self->database_url, "sqlite:", 7) != 0)
        return panda_error_set (err, PANDA_ERR_INVALID,
                                "database_url: only sqlite:PATH and sqlite::memory: are supported, got '%s'",
                                self->database_url);
    for (size_t i = 0; i < self->allow_schema_ids.count; i++) {
        panda_error_t id_err;
        const char *id = self->allow_schema_ids.items[i];
        if (panda_schema_id_validate (id, strlen (id), &id_err))
            return panda_error_set (err, PANDA_ERR_INVALID, "allow_schema_ids: invalid schema id '%s': %s",
                                    id, id_err.message);
    }
    if (!self->blobs_base_path) {
        snprintf (path, sizeof path, "%s/blobs", self->data_dir);
        if (!(self->blobs_base_path = strdup (path)))
            return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    }
    return PANDA_OK;
}

//  Bounds that 0 would turn into "nothing is ever allowed" (or civetweb's
//  own default), and a body memory that holds at least one largest body.
static panda_err_t
s_check_bounds (const panda_config_t *self, panda_error_t *err)
{
    static const char *positive[] = {"http_threads",
                                     "http_header_timeout_ms",
                                     "http_body_timeout_ms",
                                     "http_keep_alive_timeout_ms",
                                     "http_max_body_bytes",
                                     "graphql_timeout_ms",
                                     "shutdown_timeout_ms",
                                     "graphql_max_cost",
                                     "graphql_max_documents",
                                     "graphql_max_json_depth",
                                     "graphql_max_json_nodes",
                                     "pipeline_timeout_ms",
                                     "max_peers",
                                     "replication_interval_ms",
                                     "replication_timeout_ms",
                                     "replication_credit_entries",
                                     "replication_credit_bytes"};
    for (size_t i = 0; i < sizeof positive / sizeof positive[0]; i++) {
        const setting_t *s = s_find_key (positive[i], strlen (positive[i]));
        if (s && *(const uint32_t *) ((const char *) self + s->offset) == 0)
            return panda_error_set (err, PANDA_ERR_INVALID, "%s: must be greater than 0", s->key);
    }
    static const char *actors[] = {"api", "ingest", "verify", "storage", "materialize", "replicate"};
    size_t known = 0;
    for (size_t i = 0; i < sizeof actors / sizeof actors[0]; i++)
        known += panda_config_runs (self, actors[i]);
    size_t named = 0;
    for (size_t i = 0; i < self->actors.count; i++)
        for (const char *p = self->actors.items[i]; *p;) {
            size_t n = strcspn (p, ",");
            named += n > 0;
            p += n + (p[n] == ',');
        }
    if (named == 0)
        return panda_error_set (err, PANDA_ERR_INVALID, "actors: must name at least one actor");
    if (known != named)
        return panda_error_set (err, PANDA_ERR_INVALID,
                                "actors: expected names among api, ingest, verify, storage, materialize, "
                                "replicate (each once)");
    if (self->http_max_body_memory_bytes <= self->http_max_body_bytes)
        return panda_error_set (err, PANDA_ERR_INVALID,
                                "http_max_body_memory_bytes: must be greater than http_max_body_bytes (%u)",
                                self->http_max_body_bytes);
    return PANDA_OK;
}

panda_err_t
panda_config_set (panda_config_t *self, const char *key, const char *value, panda_error_t *err)
{
    const setting_t *s = key ? s_find_key (key, strlen (key)) : NULL;
    if (!s)
        return panda_error_set (err, PANDA_ERR_INVALID, "unknown setting '%s'", key ? key : "(null)");
    if (!value)
        return panda_error_set (err, PANDA_ERR_INVALID, "%s: no value", s->key);
    char source[96];
    snprintf (source, sizeof source, "panda_config_set %s", s->key);
    return s_apply_any_text (self, s, value, source, err);
}

panda_err_t
panda_config_check (panda_config_t *self, panda_error_t *err)
{
    extern char **environ;
    panda_err_t rc = s_derive_defaults (self, environ, err);
    return rc == PANDA_OK ? s_check_bounds (self, err) : rc;
}

bool
panda_config_runs (const panda_config_t *self, const char *actor)
{
    size_t len = strlen (actor);
    for (size_t i = 0; i < self->actors.count; i++)
        for (const char *p = self->actors.items[i]; *p;) {
            size_t n = strcspn (p, ",");
            if (n == len && strncmp (p, actor, n) == 0)
                return true;
            p += n + (p[n] == ',');
        }
    return false;
}

panda_err_t
panda_config_load (panda_config_t *self, int argc, char **argv, char **envp, panda_error_t *err)
{
    if (panda_config_load_file (self, argc, argv, envp, err))
        return err ? err->code : PANDA_ERR_INVALID;
    panda_err_t rc = s_load_env (self, envp, err);
    bool *seen = calloc (panda_config_settings_count, sizeof *seen);
    if (!seen)
        rc = panda_error_set (err, PANDA_ERR_NOMEM, "out of memory");
    for (int i = 1; rc == PANDA_OK && i < argc; i++)
        rc = s_load_flag (self, argc, argv, &i, seen, err);
    free (seen);
    if (rc == PANDA_OK)
        rc = panda_config_expand_paths (self, envp, err);
    if (rc == PANDA_OK)
        rc = s_derive_defaults (self, envp, err);
    if (rc == PANDA_OK)
        rc = s_check_bounds (self, err);
    return rc;
}
