/*  test_node_ide.c - the GraphQL IDE of GET /graphql works without the
    internet: the page names only the node's own files for its scripts and
    styles, every one of them is served from the binary byte for byte as
    committed in third_party/graphiql (gzip to clients that take it, with
    their content type and immutable caching), and, when a headless
    Chromium is installed (chromium-headless-shell or chromium), the IDE
    renders with every host name but 127.0.0.1 unresolvable and posts its
    introspection query to the node.                                      */
#define _GNU_SOURCE //  strcasestr
#include <stdio.h>
#include <strings.h>
#include <unistd.h>

#include <czmq.h>

#include "panda_test.h"
#include "panda_fixture.h"

#define START_MS 30000
#define REQUEST_MS 20000
#define BROWSER_MS 60000

static panda_fixture_t *s_node;

static panda_http_t *
s_connect (void)
{
    panda_fixture_require ();
    assert_non_null (s_node);
    return panda_fixture_connect (s_node);
}

//  <source dir>/third_party/graphiql/<name>
static void
s_committed_path (const char *name, char *path, size_t size)
{
    const char *vectors = PANDA_TEST_VECTORS; //  <source dir>/tests/vectors
    snprintf (path, size, "%.*s/third_party/graphiql/%s",
              (int) (strlen (vectors) - strlen ("/tests/vectors")), vectors, name);
}

//  That file, read whole. Caller frees.
static char *
s_committed (const char *name, size_t *len)
{
    char path[1024];
    s_committed_path (name, path, sizeof path);
    FILE *file = fopen (path, "rb");
    if (!file)
        fail_msg ("cannot open %s", path);
    fseek (file, 0, SEEK_END);
    long size = ftell (file);
    rewind (file);
    char *bytes = malloc ((size_t) size + 1);
    assert_non_null (bytes);
    assert_int_equal (fread (bytes, 1, (size_t) size, file), (size_t) size);
    fclose (file);
    bytes[size] = 0;
    *len = (size_t) size;
    return bytes;
}

//  The values of every src="..." and href="..." in html, in order.
static size_t
s_urls (const char *html, char urls[][256], size_t max)
{
    size_t n = 0;
    for (const char *p = html; (p = strstr (p, "=\"")) && n < max; p += 2) {
        bool src = p >= html + 3 && strncmp (p - 3, "src", 3) == 0;
        bool href = p >= html + 4 && strncmp (p - 4, "href", 4) == 0;
        const char *end = strchr (p + 2, '"');
        if ((!src && !href) || !end || end - p - 2 >= 256)
            continue;
        snprintf (urls[n++], 256, "%.*s", (int) (end - p - 2), p + 2);
    }
    return n;
}

static void
s_get (panda_http_t *http, const char *path, const char *headers, panda_http_response_t *resp)
{
    if (panda_http_request (http, "GET", path, headers, NULL, 0, resp))
        fail_msg ("GET %s: no answer", path);
}

//  gzip -dc of bytes is the committed file name (gzip is in every Debian).
static bool
s_gunzips_to (const char *gz, size_t gz_len, const char *name)
{
    char tmp[] = "/tmp/pandad-ide-XXXXXX", path[1024], command[2200];
    int fd = mkstemp (tmp);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, gz, gz_len), (ssize_t) gz_len);
    close (fd);
    s_committed_path (name, path, sizeof path);
    snprintf (command, sizeof command, "gzip -dc < %s | cmp -s - '%s'", tmp, path);
    char *out = NULL;
    int status = panda_test_run (command, &out);
    unlink (tmp);
    free (out);
    return status == 0;
}

static void
test_page_and_assets_are_served_by_the_node (void **state)
{
    panda_http_t *http = s_connect ();
    panda_http_response_t page;
    s_get (http, "/graphql", NULL, &page);
    assert_int_equal (page.status, 200);
    char value[256];
    assert_non_null (panda_http_header (&page, "cache-control", value, sizeof value));
    assert_string_equal (value, "no-cache");
    char urls[16][256];
    size_t n = s_urls (page.body, urls, 16);
    size_t scripts = 0, styles = 0;
    for (size_t i = 0; i < n; i++) {
        //  Nothing from elsewhere: no scheme, no protocol-relative URL.
        if (strstr (urls[i], "://") || strncmp (urls[i], "//", 2) == 0)
            fail_msg ("the IDE page loads %s", urls[i]);
        assert_memory_equal (urls[i], "graphql/assets/", 15); //  relative to /graphql
        char path[300];
        snprintf (path, sizeof path, "/%s", urls[i]);
        const char *name = strchr (urls[i] + 15, '/') + 1; //  after the hash
        size_t len;
        char *committed = s_committed (name, &len);
        panda_http_response_t plain, zipped, again;
        s_get (http, path, NULL, &plain);
        assert_int_equal (plain.status, 200);
        assert_int_equal (plain.body_len, len);
        assert_memory_equal (plain.body, committed, len);
        const char *type = strstr (name, ".js")    ? (scripts++, "text/javascript; charset=utf-8")
                           : strstr (name, ".css") ? (styles++, "text/css; charset=utf-8")
                                                   : "text/plain; charset=utf-8";
        assert_string_equal (panda_http_header (&plain, "content-type", value, sizeof value), type);
        assert_non_null (panda_http_header (&plain, "cache-control", value, sizeof value));
        assert_string_equal (value, "public, max-age=31536000, immutable");
        assert_null (panda_http_header (&plain, "content-encoding", value, sizeof value));
        if (strstr (name, ".css")) {
            //  fonts and images come inline (data:), never from a server
            assert_null (strstr (plain.body, "url(http"));
            assert_null (strstr (plain.body, "url(//"));
            assert_null (strstr (plain.body, "@import"));
        }
        s_get (http, path, "Accept-Encoding: gzip, deflate, br\r\n", &zipped);
        assert_int_equal (zipped.status, 200);
        assert_string_equal (panda_http_header (&zipped, "content-encoding", value, sizeof value), "gzip");
        assert_true (zipped.body_len < len || len < 2048); //  licences barely shrink
        assert_true (s_gunzips_to (zipped.body, zipped.body_len, name));
        //  A browser that has it asks with its ETag and gets a 304.
        char etag[64], header[128];
        assert_non_null (panda_http_header (&plain, "etag", etag, sizeof etag));
        snprintf (header, sizeof header, "If-None-Match: %s\r\n", etag);
        s_get (http, path, header, &again);
        assert_int_equal (again.status, 304);
        assert_int_equal (again.body_len, 0);
        panda_http_response_release (&plain);
        panda_http_response_release (&zipped);
        panda_http_response_release (&again);
        free (committed);
    }
    assert_int_equal (scripts, 3); //  react, react-dom, graphiql
    assert_int_equal (styles, 1);
    assert_true (n >= 7); //  and the three licences
    //  Nothing else is there: another hash or name is a 404.
    panda_http_response_t missing;
    s_get (http, "/graphql/assets/0000000000000000/graphiql/graphiql.min.js", NULL, &missing);
    assert_int_equal (missing.status, 404);
    panda_http_response_release (&missing);
    s_get (http, "/graphql/assets/../../etc/passwd", NULL, &missing);
    assert_int_equal (missing.status, 404);
    panda_http_response_release (&missing);
    panda_http_response_release (&page);
    panda_http_destroy (&http);
}

static const char *
s_browser (void)
{
    static const char *const candidates[] = {"/usr/bin/chromium-headless-shell", "/usr/bin/chromium"};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
        if (access (candidates[i], X_OK) == 0)
            return candidates[i];
    return NULL;
}

static void
test_ide_renders_offline_and_queries_the_node (void **state)
{
    panda_fixture_require ();
    assert_non_null (s_node);
    const char *browser = s_browser ();
    if (!browser) {
        printf ("SKIP: no headless Chromium (apt-get install chromium-headless-shell): the IDE is not "
                "rendered\n");
        skip ();
    }
    char command[2048];
    snprintf (command, sizeof command,
              "timeout %d %s --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run "
              "--host-resolver-rules='MAP * ~NOTFOUND, EXCLUDE 127.0.0.1' --user-data-dir=%s/chromium "
              "--virtual-time-budget=20000 --dump-dom http://127.0.0.1:%d/graphql 2>/dev/null",
              BROWSER_MS / 1000, browser, panda_fixture_dir (s_node), panda_fixture_port (s_node));
    char *dom = NULL;
    int status = panda_test_run (command, &dom);
    if (status != 0 || !dom || !strstr (dom, "graphiql-container"))
        fail_msg ("the IDE did not render (status %d): %.2000s", status, dom ? dom : "");
    assert_non_null (strstr (dom, "graphiql-execute-button"));
    free (dom);
    //  The IDE asked the node for its schema (the node was started with
    //  api=debug, so each request is logged).
    char *log = NULL;
    for (int64_t deadline = zclock_mono () + REQUEST_MS; zclock_mono () < deadline;) {
        free (log);
        log = panda_fixture_log (s_node);
        if (strstr (log, "DEBUG api: POST /graphql 200 "))
            break;
        zclock_sleep (20);
    }
    assert_non_null (strstr (log, "DEBUG api: POST /graphql 200 "));
    assert_non_null (strstr (log, "DEBUG api: GET /graphql/assets/"));
    free (log);
}

static int
s_setup (void **state)
{
    static const char *const args[] = {"--log-level", "info,api=debug", NULL};
    if (panda_fixture_available ())
        s_node = panda_fixture_start (args, START_MS, REQUEST_MS);
    return 0;
}

static int
s_teardown (void **state)
{
    return panda_fixture_stop (&s_node) == 0 ? 0 : -1;
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_page_and_assets_are_served_by_the_node),
        cmocka_unit_test (test_ide_renders_offline_and_queries_the_node),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
