/*  panda_fixture_network.c - what tests of several nodes share
    (panda_fixture.h): node key files, GET /replication, the tag schema
    and its documents.                                                     */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "panda_test.h"
#include "panda_fixture.h"
#include "panda_peer_id.h"

bool
panda_fixture_publish_tag (panda_http_t *http, const char *label, bool with_schema, int timeout_ms)
{
    for (size_t k = 0; with_schema && k < PANDA_FIXTURE_TAG_ENTRIES; k++) {
        json_t *answer = panda_fixture_publish_sequence_entry (http, k, NULL);
        bool refused = json_object_get (answer, "errors") != NULL;
        json_decref (answer);
        if (refused)
            return false;
    }
    panda_fixture_wait_schema (http, PANDA_FIXTURE_TAG_SCHEMA, timeout_ms);
    panda_keypair_t *keypair = panda_keypair_new ();
    assert_non_null (keypair);
    panda_error_t err;
    panda_operation_t *op =
        panda_operation_new (PANDA_ACTION_CREATE, PANDA_FIXTURE_TAG_SCHEMA, NULL, 0, &err);
    assert_non_null (op);
    panda_value_t value;
    assert_int_equal (panda_value_set_str (&value, label, strlen (label)), PANDA_OK);
    assert_int_equal (panda_operation_set_field (op, "label", &value, &err), PANDA_OK);
    panda_value_clear (&value);
    panda_fixture_signed_t s = panda_fixture_sign (keypair, 0, 1, NULL, NULL, &op);
    json_t *answer = panda_fixture_publish_signed (http, &s, NULL);
    bool published = json_object_get (json_object_get (answer, "data"), "publish") != NULL;
    json_decref (answer);
    panda_fixture_signed_release (&s);
    panda_keypair_destroy (&keypair);
    return published;
}

json_t *
panda_fixture_replication (panda_fixture_t *self)
{
    panda_http_response_t resp = {0};
    int rc = panda_http_request (panda_fixture_http (self), "GET", "/replication", NULL, NULL, 0, &resp);
    json_t *info = rc == 0 && resp.status == 200 ? json_loads (resp.body, 0, NULL) : NULL;
    panda_http_response_release (&resp);
    return info;
}

bool
panda_fixture_key_file (const char *dir, const char *name, char *path, size_t path_size, char *peer_id,
                        size_t peer_id_size)
{
    panda_error_t err;
    panda_peer_identity_t *identity = panda_peer_identity_new_random (&err);
    if (!identity)
        return false;
    char text[PANDA_PEER_KEY_FILE_SIZE + 1];
    panda_peer_identity_key_file (identity, text);
    bool ok =
        snprintf (path, path_size, "%s/%s", dir, name) < (int) path_size &&
        snprintf (peer_id, peer_id_size, "%s", panda_peer_identity_peer_id (identity)) < (int) peer_id_size;
    panda_peer_identity_destroy (&identity);
    int fd = ok ? open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
    if (fd < 0)
        return false;
    ok = write (fd, text, PANDA_PEER_KEY_FILE_SIZE) == PANDA_PEER_KEY_FILE_SIZE;
    close (fd);
    return ok;
}

int
panda_fixture_free_port (void)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true (fd >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    assert_int_equal (bind (fd, (struct sockaddr *) &addr, sizeof addr), 0);
    assert_int_equal (getsockname (fd, (struct sockaddr *) &addr, &len), 0);
    close (fd);
    return ntohs (addr.sin_port);
}
