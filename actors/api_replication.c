/*  api_replication.c - GET /replication: this node's peer id and its
    connections to other nodes with their counters (entries and bytes each
    way, sessions done and failed, last seen), as the replicate actor knows
    them. The answer is the actor's JSON, asked over replication_endpoint;
    503 when no replicate actor answers within a second (not running, or
    in another process that is down).                                      */
#include "api.h"

#include <string.h>

#define S_WAIT_MS 1000

int
panda_api_replication (struct mg_connection *conn, const panda_api_t *api)
{
    static const char gone[] = "{\"error\":\"replication is not running (no replicate actor answered)\"}";
    zsock_t *sock = panda_actor_plug (PANDA_PLUG_API_REPLICATION, api->config, 0);
    panda_msg_t *msg = panda_msg_peers_new (1);
    panda_msg_t *reply = NULL;
    if (sock) {
        zsock_set_linger (sock, 0);
        zsock_set_rcvtimeo (sock, S_WAIT_MS);
        if (panda_actor_send (sock, NULL, &msg) == 0)
            reply = panda_actor_recv (sock, NULL);
    }
    panda_msg_destroy (&msg);
    zsock_destroy (&sock);
    int status = reply && panda_msg_id (reply) == PANDA_MSG_PEERS_INFO ? 200 : 503;
    const char *json = status == 200 ? panda_msg_peers_info_json (reply) : gone;
    panda_api_respond (conn, status, "application/json", json, strlen (json), NULL);
    panda_msg_destroy (&reply);
    return status;
}
