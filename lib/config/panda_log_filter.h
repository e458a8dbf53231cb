/*  panda_log_filter.h - the log_level setting: a level, or a filter in
    aquadoggo's syntax (env_logger's: "aquadoggo=info,libp2p=debug").

    A filter is a comma-separated list of directives, optionally followed
    by "/text":
        LEVEL            the whole node at LEVEL (off, error, warn, info,
                         debug, trace; any case)
        MODULE=LEVEL     MODULE at LEVEL
        MODULE           MODULE at trace
        =LEVEL           the whole node at LEVEL (the empty module name)
        /text            only lines whose message contains text (env_logger
                         takes a regex here; pandad a plain substring)
    MODULE is "aquadoggo", "aquadoggo_cli" or "pandad" (the whole node),
    one of the actors (api, ingest, verify, storage, materialize,
    replicate), an alias of one (http, graphql -> api; db -> storage;
    materializer -> materialize; replication, network, libp2p ->
    replicate), or such a name after "aquadoggo::" or "pandad::" (only the
    first path segment counts: "aquadoggo::materializer::worker" is
    materialize). Other names in MODULE=LEVEL (sqlx, tower_http, ...) have
    no counterpart in pandad: they are ignored and listed in `ignored` so
    the node can say so; a bare word that is neither a level nor a module
    of pandad is an error (a misspelt level, most likely). As in env_logger, an actor's own directive beats
   the node's, a later directive beats an earlier one for the same module, parts not named stay off (error
   when the filter is empty), and a bare level applies to the whole node as aquadoggo applies it to its crate.
 */
#ifndef PANDA_LOG_FILTER_H_INCLUDED
#define PANDA_LOG_FILTER_H_INCLUDED

#include "panda/panda_config.h"

//  The actors a filter can address, in this order.
#define PANDA_LOG_MODULE_COUNT 6
extern const char *const panda_log_modules[PANDA_LOG_MODULE_COUNT];

typedef struct {
    panda_log_level_t node; //  lines of parts no directive names
    int module[PANDA_LOG_MODULE_COUNT]; //  a panda_log_level_t, or -1: as node
    char contains[128]; //  "" or the /text substring
    char ignored[256]; //  "" or the ignored module names, ", "-separated
} panda_log_filter_t;

//  Parse spec into *filter. Bad input (an unknown level, a second '/', a
//  text or name too long) fails with a message that names the directive;
//  *filter is then unchanged.
PANDA_NODISCARD panda_err_t panda_log_filter_parse (const char *spec, panda_log_filter_t *filter,
                                                    panda_error_t *err);

//  The index in panda_log_modules of the actor that logs as name ("api",
//  "verify-3", ...), or -1 for the node's other lines.
int panda_log_filter_module (const char *name);

//  The level lines of actor name are shown at.
panda_log_level_t panda_log_filter_level (const panda_log_filter_t *filter, const char *name);

//  The highest level any part of the node is shown at.
panda_log_level_t panda_log_filter_max (const panda_log_filter_t *filter);

#endif
