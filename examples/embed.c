/*  embed.c - a p2panda node inside an application.

    Starts a node in this process, prints every event it has (documents
    created, updated or deleted, peers connected or gone) and stops on
    SIGINT or SIGTERM. Build it against an installed libpanda:

        cc embed.c $(pkg-config --cflags --libs panda) -o embed
        ./embed [DATA_DIR]

    Clients publish to the node as to pandad: its GraphQL endpoint is
    printed at start (the port is any free one). docs/embedding.md has the
    whole API and its threading rules.                                    */
#include <panda/panda_node.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

//  Runs on the node's event thread, one event at a time; the strings are
//  valid during the call only.
static void
s_on_event (const panda_node_event_t *event, void *arg)
{
    FILE *out = arg;
    if (event->kind & PANDA_NODE_DOCUMENT_CHANGED)
        fprintf (out, "%s: schema %s, document %s, view %s\n", panda_node_event_name (event->kind),
                 event->schema_id, event->document_id, event->view_id);
    else if (event->kind & PANDA_NODE_PEER_CHANGED)
        fprintf (out, "%s: %s at %s\n", panda_node_event_name (event->kind), event->peer_id, event->address);
    else
        fprintf (out, "%llu events lost\n", (unsigned long long) event->lost);
    fflush (out);
}

static int
s_set (panda_config_t *config, const char *key, const char *value)
{
    panda_error_t err;
    if (panda_config_set (config, key, value, &err) == PANDA_OK)
        return 0;
    fprintf (stderr, "embed: %s\n", err.message);
    return -1;
}

int
main (int argc, char *argv[])
{
    //  Before the node starts threads: they inherit the mask, so only
    //  sigwait below sees these signals.
    sigset_t signals;
    sigemptyset (&signals);
    sigaddset (&signals, SIGINT);
    sigaddset (&signals, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &signals, NULL);

    //  pandad's defaults, then what this application wants: its own data
    //  directory, any free HTTP port on the loopback, no LAN discovery.
    panda_config_t *config = panda_config_new ();
    panda_error_t err;
    if (!config || s_set (config, "data_dir", argc > 1 ? argv[1] : "embed-data") ||
        s_set (config, "http_address", "127.0.0.1") || s_set (config, "http_port", "0") ||
        s_set (config, "node_port", "0") || s_set (config, "mdns", "false") ||
        s_set (config, "http_threads", "16") || s_set (config, "log_level", "warn")) {
        panda_config_destroy (&config);
        return 1;
    }
    if (panda_config_check (config, &err) != PANDA_OK) {
        fprintf (stderr, "embed: %s\n", err.message);
        panda_config_destroy (&config);
        return 1;
    }
    panda_node_t *node = panda_node_new (config, &err);
    if (!node) {
        fprintf (stderr, "embed: cannot start the node: %s\n", err.message);
        panda_config_destroy (&config);
        return 1;
    }
    panda_node_subscription_t *events =
        panda_node_subscribe (node, PANDA_NODE_EVENTS_ALL, s_on_event, stdout, &err);
    if (!events)
        fprintf (stderr, "embed: no events: %s\n", err.message);
    printf ("node listening on http://127.0.0.1:%d/graphql\n", panda_node_http_port (node));
    fflush (stdout);

    int sig;
    sigwait (&signals, &sig);
    panda_node_unsubscribe (&events); //  no callback runs after this
    panda_node_destroy (&node);
    panda_config_destroy (&config);
    printf ("stopped\n");
    return 0;
}
