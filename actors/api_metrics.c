/*  api_metrics.c - GET /metrics: the node's figures in Prometheus' text
    exposition format 0.0.4.

    Counters of this process (panda_metrics.h): publishes accepted and
    rejected by reason, HTTP request latency by route class, messages each
    pipeline actor took and, when the whole pipeline runs here, how many
    wait in its inbox. From the databases (api_health.c): entries and
    documents stored, the views' position and how far behind they are.
    From the replicate actor (asked over replication_endpoint, as GET
    /replication does): connections and the totals of all sessions. Every
    label has a fixed set of values; peers are summed, never labelled.    */
#include "api.h"

#include <stdlib.h>
#include <string.h>

#define S_REPLICATE_WAIT_MS 1000

typedef struct {
    char *text;
    size_t len;
    FILE *out;
} s_page_t;

static void
s_head (s_page_t *page, const char *name, const char *type, const char *help)
{
    fprintf (page->out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
s_one (s_page_t *page, const char *name, const char *type, const char *help, long long value)
{
    s_head (page, name, type, help);
    fprintf (page->out, "%s %lld\n", name, value);
}

static void
s_publishes (s_page_t *page, panda_metrics_t *m)
{
    s_one (page, "pandad_publishes_accepted_total", "counter",
           "Publishes through GraphQL that were stored (answered with next arguments).",
           (long long) panda_metrics_get (&m->accepted));
    s_head (page, "pandad_publishes_rejected_total", "counter",
            "Publishes through GraphQL that were refused, by reason (the class of the error returned).");
    for (panda_err_t code = PANDA_ERR_DECODE; code < PANDA_METRICS_REASONS; code++)
        if (code != PANDA_ERR_NOMEM) //  counted as internal
            fprintf (page->out, "pandad_publishes_rejected_total{reason=\"%s\"} %llu\n",
                     panda_metrics_reason (code),
                     (unsigned long long) panda_metrics_get (&m->rejected[code]));
}

static void
s_requests (s_page_t *page, panda_metrics_t *m)
{
    static const char name[] = "pandad_http_request_duration_seconds";
    s_head (page, name, "histogram", "Time from a request's head to the end of its answer, by route class.");
    for (panda_route_t r = 0; r < PANDA_ROUTE_COUNT; r++) {
        const char *route = panda_metrics_route_name (r);
        unsigned long long count = 0;
        for (size_t b = 0; b <= PANDA_METRICS_BUCKETS; b++) {
            count += panda_metrics_get (&m->requests[r][b]);
            if (b < PANDA_METRICS_BUCKETS)
                fprintf (page->out, "%s_bucket{route=\"%s\",le=\"%g\"} %llu\n", name, route,
                         panda_metrics_bucket_us[b] / 1e6, count);
            else
                fprintf (page->out, "%s_bucket{route=\"%s\",le=\"+Inf\"} %llu\n", name, route, count);
        }
        fprintf (page->out, "%s_sum{route=\"%s\"} %.6f\n%s_count{route=\"%s\"} %llu\n", name, route,
                 panda_metrics_get (&m->request_us[r]) / 1e6, name, route, count);
    }
}

static void
s_queues (s_page_t *page, const panda_config_t *config, panda_metrics_t *m)
{
    static const char *const actors[PANDA_QUEUE_COUNT] = {"ingest", "verify", "storage"};
    s_head (page, "pandad_actor_messages_total", "counter",
            "Messages each pipeline actor of this process took from its sockets (verify: all workers).");
    for (panda_queue_t q = 0; q < PANDA_QUEUE_COUNT; q++)
        if (panda_config_runs (config, actors[q]))
            fprintf (page->out, "pandad_actor_messages_total{actor=\"%s\"} %llu\n", actors[q],
                     (unsigned long long) panda_metrics_get (&m->taken[q]));
    //  Sends from other processes are not counted here: depths only when
    //  every sender to these inboxes runs in this one (replicate elsewhere
    //  could only reach ingest over an ingest_endpoint that is not inproc).
    static const char *const senders[] = {"api", "ingest", "verify", "storage", "materialize"};
    for (size_t i = 0; i < sizeof senders / sizeof senders[0]; i++)
        if (!panda_config_runs (config, senders[i]))
            return;
    if (!panda_config_runs (config, "replicate") && strncmp (config->ingest_endpoint, "inproc://", 9) != 0)
        return;
    s_head (page, "pandad_actor_queue_messages", "gauge",
            "Messages sent to an actor's inbox that it has not taken yet.");
    for (panda_queue_t q = 0; q < PANDA_QUEUE_COUNT; q++) {
        //  Taken is read first: a message counted taken was counted sent.
        uint64_t taken = panda_metrics_get (&m->taken[q]), queued = panda_metrics_get (&m->queued[q]);
        fprintf (page->out, "pandad_actor_queue_messages{actor=\"%s\"} %llu\n", actors[q],
                 (unsigned long long) (queued > taken ? queued - taken : 0));
    }
}

static void
s_databases (s_page_t *page, panda_api_t *api)
{
    panda_api_figures_t f;
    bool ok = panda_api_health_figures (api->health, &f);
    s_one (page, "pandad_database_up", "gauge",
           "1 when the entries and views databases answered this scrape.", ok);
    if (!ok)
        return;
    s_one (page, "pandad_entries", "gauge", "Entries stored.", (long long) f.entries);
    s_one (page, "pandad_documents", "gauge", "Documents stored (including deleted ones).",
           (long long) f.documents);
    s_one (page, "pandad_views_position", "gauge", "Entry position the views are materialised up to.",
           (long long) f.position);
    s_one (page, "pandad_views_behind_entries", "gauge",
           "Entries stored that the views have not materialised yet.", (long long) f.behind);
}

static json_int_t
s_int (json_t *object, const char *key)
{
    return json_integer_value (json_object_get (object, key));
}

//  The replicate actor's JSON (GET /replication's), NULL when it does not
//  run here and its endpoint cannot reach another process, or it does not
//  answer.
static json_t *
s_ask_replicate (const panda_config_t *config)
{
    if (!panda_config_runs (config, "replicate") &&
        strncmp (config->replication_endpoint, "inproc://", 9) == 0)
        return NULL;
    zsock_t *sock = panda_actor_plug (PANDA_PLUG_API_REPLICATION, config, 0);
    panda_msg_t *msg = panda_msg_peers_new (1), *reply = NULL;
    if (sock) {
        zsock_set_linger (sock, 0);
        zsock_set_rcvtimeo (sock, S_REPLICATE_WAIT_MS);
        if (panda_actor_send (sock, NULL, &msg) == 0)
            reply = panda_actor_recv (sock, NULL);
    }
    panda_msg_destroy (&msg);
    zsock_destroy (&sock);
    json_t *root = reply && panda_msg_id (reply) == PANDA_MSG_PEERS_INFO
                       ? json_loads (panda_msg_peers_info_json (reply), 0, NULL)
                       : NULL;
    panda_msg_destroy (&reply);
    return root;
}

static void
s_replication (s_page_t *page, const panda_config_t *config)
{
    json_t *root = s_ask_replicate (config);
    s_one (page, "pandad_replication_up", "gauge", "1 when the replicate actor answered this scrape.",
           root != NULL);
    if (!root)
        return;
    json_t *peers = json_object_get (root, "peers"), *peer;
    size_t i, ready = 0;
    json_array_foreach (peers, i, peer)
    {
        const char *state = json_string_value (json_object_get (peer, "state"));
        ready += state && strcmp (state, "ready") == 0;
    }
    s_one (page, "pandad_replication_peers", "gauge", "Connections to other nodes, in any state.",
           (long long) json_array_size (peers));
    s_one (page, "pandad_replication_peers_connected", "gauge", "Connections to other nodes that said hello.",
           (long long) ready);
    s_one (page, "pandad_replication_inbox_entries", "gauge", "Received entries waiting to be ingested.",
           (long long) s_int (root, "inbox_entries"));
    json_t *totals = json_object_get (root, "totals");
    static const struct {
        const char *key, *name, *help;
    } counters[] = {
        {"entries_sent", "pandad_replication_entries_sent_total", "Entries sent to other nodes."},
        {"bytes_sent", "pandad_replication_bytes_sent_total",
         "Entry and operation bytes sent to other nodes."},
        {"entries_received", "pandad_replication_entries_received_total",
         "Entries received from other nodes."},
        {"bytes_received", "pandad_replication_bytes_received_total",
         "Entry and operation bytes received from other nodes."},
        {"sessions_done", "pandad_replication_sessions_done_total", "Replication sessions that completed."},
        {"sessions_failed", "pandad_replication_sessions_failed_total", "Replication sessions that failed."},
    };
    for (size_t k = 0; totals && k < sizeof counters / sizeof counters[0]; k++)
        s_one (page, counters[k].name, "counter", counters[k].help,
               (long long) s_int (totals, counters[k].key));
    json_decref (root);
}

int
panda_api_metrics (struct mg_connection *conn, panda_api_t *api)
{
    s_page_t page = {0};
    if (!api->metrics || !(page.out = open_memstream (&page.text, &page.len))) {
        panda_api_respond (conn, 500, NULL, NULL, 0, NULL);
        return 500;
    }
    s_publishes (&page, api->metrics);
    s_requests (&page, api->metrics);
    s_queues (&page, api->config, api->metrics);
    s_databases (&page, api);
    s_replication (&page, api->config);
    fclose (page.out);
    panda_api_respond (conn, 200, "text/plain; version=0.0.4; charset=utf-8", page.text, page.len,
                       "Cache-Control: no-store\r\n");
    free (page.text);
    return 200;
}
