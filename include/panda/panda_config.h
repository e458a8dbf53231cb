/*  panda_config.h - the node's configuration, with aquadoggo's names.

    One table (lib/config/panda_config.c) declares every key: its type, default,
    flags and help. Sources are applied in aquadoggo's order: defaults,
    then config.toml (-c/--config or $CONFIG, else ./config.toml, else
    $XDG_CONFIG_HOME/pandad/config.toml or ~/.config/pandad/config.toml if
    one exists), then environment variables named like the keys (HTTP_PORT,
    case-insensitive), then command-line flags. Everything is validated
    before the node starts; afterwards the struct is read-only and passed
    as const to every actor.                                                 */
#ifndef PANDA_CONFIG_H_INCLUDED
#define PANDA_CONFIG_H_INCLUDED

#include "panda/panda_err.h"

#include <stdbool.h>
#include <stdio.h>

typedef struct {
    size_t count;
    char **items;
} panda_strlist_t;

typedef enum {
    PANDA_LOG_OFF,
    PANDA_LOG_ERROR,
    PANDA_LOG_WARN,
    PANDA_LOG_INFO,
    PANDA_LOG_DEBUG,
    PANDA_LOG_TRACE
} panda_log_level_t;

typedef struct {
    //  aquadoggo keys
    panda_strlist_t allow_schema_ids; //  used when allow_all_schema_ids is false
    bool allow_all_schema_ids; //  "*"
    char *database_url; //  "sqlite:PATH" or "sqlite::memory:"
    uint32_t database_max_connections;
    uint16_t http_port;
    char *transport; //  "QUIC" or "TCP" (upper-cased)
    uint16_t node_port;
    char *psk; //  64 hex chars or NULL
    char *blobs_base_path;
    char *private_key; //  path of the node key file or NULL
    bool mdns;
    panda_strlist_t direct_node_addresses;
    panda_strlist_t allow_peer_ids;
    bool allow_all_peer_ids;
    panda_strlist_t block_peer_ids;
    panda_strlist_t relay_addresses;
    bool relay_mode;
    uint32_t worker_pool_size;
    char *log_level; //  a level or a filter (lib/config/panda_log_filter.h)
    //  pandad's own keys
    char *data_dir; //  where the default database and blobs live
    char *http_address; //  address to bind, "0.0.0.0" like aquadoggo
    uint32_t verify_threads; //  0: one per core
    uint32_t http_threads;
    uint32_t graphql_max_page_size;
    panda_strlist_t migrate; //  schema.lock files published at start
    //  what one client can cost (docs/operating.md)
    uint32_t http_max_connections_per_address; //  0: no limit
    uint32_t http_header_timeout_ms; //  whole request head
    uint32_t http_body_timeout_ms; //  whole request body
    uint32_t http_keep_alive_timeout_ms; //  idle between requests
    uint32_t http_max_body_bytes; //  one POST /graphql body
    uint32_t http_max_body_memory_bytes; //  all bodies being read at once
    uint32_t graphql_max_json_depth;
    uint32_t graphql_max_json_nodes;
    uint32_t graphql_max_cost; //  fields resolved x page sizes
    uint32_t graphql_max_documents; //  documents one request may return
    uint32_t graphql_timeout_ms; //  one request's execution
    uint32_t shutdown_timeout_ms; //  SIGTERM to exit
    uint32_t views_behind_limit; //  entries; beyond: not ready, viewsBehind
    //  actors this process runs (items may also hold "a,b"): see
    //  panda_config_runs; the others run in processes of their own
    panda_strlist_t actors;
    uint32_t pipeline_timeout_ms; //  ingest's wait for verify or storage
    //  replication (docs/replication.md)
    char *node_address; //  address node_port binds
    uint16_t discovery_port; //  UDP, LAN beacons (mdns)
    uint32_t max_peers; //  connections at once
    bool replication_live; //  push new entries after catch-up
    uint32_t replication_interval_ms; //  anti-entropy period
    uint32_t replication_timeout_ms; //  a stalled catch-up fails
    uint32_t replication_credit_entries; //  per peer, granted by the receiver
    uint32_t replication_credit_bytes;
    //  relay_mode: the relay's limits (docs/replication.md, "Relay")
    uint32_t relay_max_registrations; //  nodes registered at once
    uint32_t relay_registration_ttl_ms; //  longest registration granted
    uint32_t relay_max_circuits; //  node pairs forwarding at once
    uint32_t relay_node_rate; //  bytes/s one node may send through us
    uint32_t relay_rate; //  bytes/s through us, all nodes
    uint32_t relay_node_queue_bytes; //  queued or unacknowledged toward one node
    uint32_t relay_queue_bytes; //  the same, all nodes
    //  ZeroMQ endpoints between actors: inproc by default, any ZeroMQ URL
    //  to put a stage into another process (docs/design.md)
    char *ingest_endpoint;
    char *verify_endpoint; //  '*' stands for the worker number
    char *storage_endpoint;
    char *replies_endpoint;
    char *events_endpoint;
    char *schemas_endpoint;
    char *replication_endpoint; //  where the replicate actor answers GET /replication
    char *notify_endpoint; //  where an embedding application hears events (panda_node.h)
    //  what the command line asked for besides settings
    char *config_path; //  the file that was read, or NULL
    panda_strlist_t warnings; //  for the operator at start (old aquadoggo key names)
    bool show_help;
    bool show_version;
    bool print_config;
} panda_config_t;

//  A config with every default. Caller owns the result.
panda_config_t *panda_config_new (void);

void panda_config_destroy (panda_config_t **self_p);

//  True if actor ("api", "ingest", "verify", "storage", "materialize",
//  "replicate")
//  is among the actors setting, i.e. runs in this process.
bool panda_config_runs (const panda_config_t *self, const char *actor);

//  Apply config file, environment (envp, NULL-terminated "KEY=value"
//  strings, may be NULL) and command-line flags (argv[1..argc-1]) in that
//  order, then derive the defaults that depend on others (database_url and
//  blobs_base_path inside data_dir). Unknown keys or flags and bad values
//  fail with a message naming the key and the source.
PANDA_NODISCARD panda_err_t panda_config_load (panda_config_t *self, int argc, char **argv, char **envp,
                                               panda_error_t *err);

//  Set one setting by its key ("http_port") from text, as an environment
//  variable would: "true", "2020", a list as "a,b" or "*". For a program
//  that builds its configuration itself (embedding a node). Unknown keys
//  and bad values fail with a message naming the key; nothing changes.
PANDA_NODISCARD panda_err_t panda_config_set (panda_config_t *self, const char *key, const char *value,
                                              panda_error_t *err);

//  What panda_config_load does last, for a config made with
//  panda_config_set: derive the defaults that depend on others (data_dir
//  from $XDG_DATA_HOME or $HOME, database_url and blobs_base_path inside
//  data_dir, each only while unset) and check the bounds between settings.
//  Reads no file and no flag.
PANDA_NODISCARD panda_err_t panda_config_check (panda_config_t *self, panda_error_t *err);

//  The keys among aquadoggo's that pandad accepts but does not use (those
//  panda_config_no_effect names) whose value differs from the default, so
//  the caller can warn about them. Fills up to max of keys
//  (static strings); returns how many.
size_t panda_config_set_without_effect (const panda_config_t *self, const char **keys, size_t max);

//  Why setting key has no effect in pandad (accepted for aquadoggo's
//  config files), or NULL for a key that works.
const char *panda_config_no_effect (const char *key);

//  --help text generated from the table.
void panda_config_print_help (FILE *out);

//  The effective configuration as a config.toml (--print-config).
void panda_config_print (const panda_config_t *self, FILE *out);

//  Name of a log level ("info").
const char *panda_log_level_name (panda_log_level_t level);

#endif
