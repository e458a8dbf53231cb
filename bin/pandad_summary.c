/*  pandad_summary.c - the start-up summary block: files, URLs, schemas,
    peer id, shown whatever log_level says. See pandad_summary.h.

    An address bound to every interface (0.0.0.0, ::) is not one a browser
    or another node can use: the summary names localhost and the
    machine's other addresses instead (getifaddrs), as the URLs to open.  */
#define _GNU_SOURCE //  open_memstream, getifaddrs
#include "pandad_summary.h"

#include "panda_actors.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_LABEL "    %-18s "
#define S_MORE "    %-18s "

//  Call fn with each non-loopback address of the machine a peer can reach
//  (IPv4; IPv6 too when ipv6, without link-local ones, which need a zone).
static void
s_each_address (bool ipv6, void (*fn) (void *ctx, const char *addr, bool v6), void *ctx)
{
    struct ifaddrs *all = NULL;
    if (getifaddrs (&all) != 0)
        return;
    for (const struct ifaddrs *i = all; i; i = i->ifa_next) {
        if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP))
            continue;
        char text[INET6_ADDRSTRLEN];
        if (i->ifa_addr->sa_family == AF_INET &&
            inet_ntop (AF_INET, &((const struct sockaddr_in *) (const void *) i->ifa_addr)->sin_addr, text,
                       sizeof text))
            fn (ctx, text, false);
        else if (ipv6 && i->ifa_addr->sa_family == AF_INET6) {
            const struct in6_addr *a = &((const struct sockaddr_in6 *) (const void *) i->ifa_addr)->sin6_addr;
            if (!IN6_IS_ADDR_LINKLOCAL (a) && inet_ntop (AF_INET6, a, text, sizeof text))
                fn (ctx, text, true);
        }
    }
    freeifaddrs (all);
}

static bool
s_is_any (const char *host)
{
    return strcmp (host, "0.0.0.0") == 0 || strcmp (host, "::") == 0 || strcmp (host, "[::]") == 0;
}

typedef struct {
    FILE *out;
    const char *before, *after; //  around the address
    int port;
} s_url_t;

static void
s_print_url (void *ctx, const char *addr, bool v6)
{
    s_url_t *u = ctx;
    fprintf (u->out, "\n" S_MORE "%s%s%s%s:%d%s", "", u->before, v6 ? "[" : "", addr, v6 ? "]" : "", u->port,
             u->after);
}

static void
s_files (FILE *out, const panda_config_t *config)
{
    fprintf (out, "\n" S_LABEL "%s", "configuration", config->config_path ? config->config_path : "none");
    char *store = panda_actor_store_path (config), *views = panda_actor_views_path (config);
    if (strstr (config->database_url, ":memory:"))
        fprintf (out, "\n" S_LABEL "in memory (sqlite::memory:): nothing is kept after the node stops",
                 "database");
    else {
        fprintf (out, "\n" S_LABEL "%s (the signed entries: back this file up)", "entries database",
                 store ? store : "?");
        fprintf (out, "\n" S_LABEL "%s (the documents, derived: deleting it is safe)", "views database",
                 views ? views : "?");
    }
    free (store);
    free (views);
    fprintf (out, "\n" S_LABEL "%s", "blobs", config->blobs_base_path);
}

static void
s_schemas (FILE *out, const panda_config_t *config)
{
    if (config->allow_all_schema_ids)
        fprintf (out, "\n" S_LABEL "* (any schema id)", "allowed schemas");
    else if (config->allow_schema_ids.count == 0)
        fprintf (out, "\n" S_LABEL "none", "allowed schemas");
    for (size_t i = 0; !config->allow_all_schema_ids && i < config->allow_schema_ids.count; i++)
        fprintf (out, "\n" S_LABEL "%s", i ? "" : "allowed schemas", config->allow_schema_ids.items[i]);
}

static void
s_http (FILE *out, const panda_config_t *config, const panda_node_t *node)
{
    const char *host = config->http_address;
    int port = panda_node_http_port (node);
    //  "listening on http://HOST:PORT/graphql" is what scripts wait for.
    if (s_is_any (host)) {
        fprintf (out, "\n" S_LABEL "listening on http://localhost:%d/graphql (GraphQL IDE in a browser)",
                 "GraphQL", port);
        s_url_t url = {out, "http://", "/graphql", port};
        s_each_address (strchr (host, ':') != NULL, s_print_url, &url);
    } else
        fprintf (out, "\n" S_LABEL "listening on http://%s%s%s:%d/graphql (GraphQL IDE in a browser)",
                 "GraphQL", strchr (host, ':') ? "[" : "", host, strchr (host, ':') ? "]" : "", port);
    fprintf (out, "\n" S_LABEL "%u threads, %u verify workers", "HTTP", config->http_threads,
             panda_node_verify_workers (node));
}

static void
s_replication (FILE *out, const panda_config_t *config, const panda_node_t *node)
{
    const char *peer_id = panda_node_peer_id (node);
    if (!peer_id)
        return;
    int port = panda_node_node_port (node);
    const char *host = config->node_address;
    fprintf (out, "\n" S_LABEL "peer id %s, replicating on tcp://%s:%d", "replication", peer_id, host, port);
    if (s_is_any (host)) {
        char before[128];
        snprintf (before, sizeof before, "other nodes dial -n %s@", peer_id);
        s_url_t url = {out, before, "", port};
        s_each_address (false, s_print_url, &url);
    }
    fprintf (out, "\n" S_LABEL "%s", "LAN discovery", panda_node_discovery (node));
}

void
pandad_summary (const panda_config_t *config, const panda_node_t *node)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream (&text, &len);
    if (!out)
        return;
    fprintf (out, "pandad %s", PANDA_VERSION);
    fprintf (out, "\n" S_LABEL "%s", "data directory", config->data_dir);
    s_files (out, config);
    s_schemas (out, config);
    if (node && panda_config_runs (config, "api"))
        s_http (out, config, node);
    if (node)
        s_replication (out, config, node);
    fprintf (out, "\n" S_LABEL "%s", "log level", config->log_level);
    fclose (out);
    panda_log_key ("pandad", text);
    free (text);
}
