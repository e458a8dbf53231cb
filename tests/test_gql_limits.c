/*  test_gql_limits.c - the bounds on one GraphQL request: the worst
    requests that are still accepted, answered right on a thread with the
    civetweb worker stack (PANDA_GQL_WORKER_STACK: an overflow crashes this
    test), the clear error of each limit crossed, fragments in linear time,
    the cost budget and the stop callback.                                 */
#define _GNU_SOURCE //  pthread_getattr_np
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "panda_test.h"
#include "panda_gql.h"
#include "panda_node_schema.h"

enum { R_NODE = 1, R_CHILD, R_NODES, R_ALL, R_ECHO, R_DEPTH, R_SUM, R_SPIN, R_NUMBERS, R_COUNT };

// ---------------------------------------------------------------------------
//  Schema: Node objects nest without end (child, children, all), Filter
//  input objects too (sub), and JSON echoes any variable back.

static int
s_node (panda_gql_call_t *call, panda_gql_out_t *out)
{
    out->json = json_pack ("{s:i}", "id", 0);
    return 0;
}

static int
s_child (panda_gql_call_t *call, panda_gql_out_t *out)
{
    out->json = json_pack ("{s:I}", "id", json_integer_value (json_object_get (call->parent_json, "id")) + 1);
    return 0;
}

//  Query.nodes and Node.children: `first` items (25 when not given).
static int
s_nodes (panda_gql_call_t *call, panda_gql_out_t *out)
{
    json_t *first = json_object_get (call->args, "first");
    size_t n = json_is_integer (first) ? (size_t) json_integer_value (first) : 25;
    out->json = json_array ();
    for (size_t i = 0; i < n; i++)
        json_array_append_new (out->json, json_pack ("{s:i}", "id", (int) i));
    return 0;
}

//  Node.all: a list without a page size, 300 items.
static int
s_all (panda_gql_call_t *call, panda_gql_out_t *out)
{
    out->json = json_array ();
    for (int i = 0; i < 300; i++)
        json_array_append_new (out->json, json_pack ("{s:i}", "id", i));
    return 0;
}

static int
s_echo (panda_gql_call_t *call, panda_gql_out_t *out)
{
    out->json = json_incref (json_object_get (call->args, "value"));
    return 0;
}

//  How many Filters are nested in `filter` (walked without recursion).
static int
s_depth (panda_gql_call_t *call, panda_gql_out_t *out)
{
    int n = 0;
    for (json_t *f = json_object_get (call->args, "filter"); json_is_object (f);
         f = json_object_get (f, "sub"))
        n++;
    out->json = json_integer (n);
    return 0;
}

static int
s_sum (panda_gql_call_t *call, panda_gql_out_t *out)
{
    json_int_t sum = 0;
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get (call->args, "values"), i, v) sum += json_integer_value (v);
    out->json = json_integer (sum);
    return 0;
}

//  Query.numbers: 1000 numbers, one field however long.
static int
s_numbers (panda_gql_call_t *call, panda_gql_out_t *out)
{
    out->json = json_array ();
    for (int i = 0; i < 1000; i++)
        json_array_append_new (out->json, json_integer (i));
    return 0;
}

//  A resolver with a long loop of its own, which it leaves when told to.
static long s_spins;

static int
s_spin (panda_gql_call_t *call, panda_gql_out_t *out)
{
    for (s_spins = 0; s_spins < 100000000; s_spins++)
        if (panda_gql_call_stopped (call))
            return panda_gql_call_error (call, "stopped");
    out->json = json_integer (s_spins);
    return 0;
}

static const panda_gql_resolve_fn s_fns[R_COUNT] = {NULL,   s_node,  s_child, s_nodes, s_all,
                                                    s_echo, s_depth, s_sum,   s_spin,  s_numbers};
static const panda_gql_resolvers_t s_resolvers = {s_fns, R_COUNT};

static panda_gql_schema_t *
s_schema (void)
{
    panda_gql_builder_t *b = panda_gql_builder_new ();
    panda_gql_builder_scalar (b, "JSON", NULL, NULL);
    panda_gql_builder_input (b, "Filter");
    panda_gql_builder_field (b, "eq", "[Int!]", 0);
    panda_gql_builder_field (b, "sub", "Filter", 0);
    panda_gql_builder_object (b, "Node");
    panda_gql_builder_field (b, "id", "Int!", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_field (b, "child", "Node", R_CHILD);
    panda_gql_builder_field (b, "children", "[Node!]!", R_NODES);
    panda_gql_builder_arg (b, "first", "Int", "25");
    panda_gql_builder_field (b, "all", "[Node!]!", R_ALL);
    panda_gql_builder_field (b, "echo", "JSON", R_ECHO);
    panda_gql_builder_arg (b, "value", "JSON", NULL);
    panda_gql_builder_field (b, "depth", "Int", R_DEPTH);
    panda_gql_builder_arg (b, "filter", "Filter", NULL);
    panda_gql_builder_object (b, "Query");
    panda_gql_builder_field (b, "node", "Node", R_NODE);
    panda_gql_builder_field (b, "nodes", "[Node!]!", R_NODES);
    panda_gql_builder_arg (b, "first", "Int", "25");
    panda_gql_builder_field (b, "echo", "JSON", R_ECHO);
    panda_gql_builder_arg (b, "value", "JSON", NULL);
    panda_gql_builder_field (b, "depth", "Int", R_DEPTH);
    panda_gql_builder_arg (b, "filter", "Filter", NULL);
    panda_gql_builder_field (b, "sum", "Int", R_SUM);
    panda_gql_builder_arg (b, "values", "[Int!]", NULL);
    panda_gql_builder_field (b, "spin", "Int", R_SPIN);
    panda_gql_builder_field (b, "numbers", "[Int!]!", R_NUMBERS);
    panda_gql_builder_roots (b, "Query", NULL);
    panda_error_t err;
    panda_gql_schema_t *schema = panda_gql_builder_build (&b, &err);
    if (!schema)
        fail_msg ("%s", err.message);
    return schema;
}

// ---------------------------------------------------------------------------
//  Text building

typedef struct {
    char *text;
    size_t len, cap;
} s_buf_t;

static void PANDA_PRINTF (2, 3) s_cat (s_buf_t *self, const char *format, ...)
{
    va_list ap;
    va_start (ap, format);
    int n = vsnprintf (NULL, 0, format, ap);
    va_end (ap);
    if (self->len + (size_t) n + 1 > self->cap) {
        self->cap = (self->len + (size_t) n + 1) * 2;
        self->text = realloc (self->text, self->cap);
        assert_non_null (self->text);
    }
    va_start (ap, format);
    vsnprintf (self->text + self->len, self->cap - self->len, format, ap);
    va_end (ap);
    self->len += (size_t) n;
}

static void
s_repeat (s_buf_t *self, const char *piece, int times)
{
    for (int i = 0; i < times; i++)
        s_cat (self, "%s", piece);
}

//  A POST body {"query": query, "variables": <variables text>}; the query
//  must need no JSON escaping. Caller frees.
static char *
s_body (const char *query, const char *variables)
{
    s_buf_t b = {NULL, 0, 0};
    s_cat (&b, "{\"query\":\"%s\"", query);
    if (variables)
        s_cat (&b, ",\"variables\":%s", variables);
    s_cat (&b, "}");
    return b.text;
}

// ---------------------------------------------------------------------------
//  Running a request as a civetweb worker would

typedef struct {
    const panda_gql_schema_t *schema;
    panda_gql_cache_t *cache;
    const char *body;
    const panda_gql_options_t *options;
    char *answer; //  the compact response, or the error message when none
    size_t stack_used;
} s_job_t;

static size_t s_stack_most; //  the most any request used, for the report

//  Fill the unused stack below this frame with a pattern; returns its top.
static PANDA_NOINLINE __attribute__ ((no_sanitize_address)) char *
s_paint (char *low)
{
    char *high = (char *) __builtin_frame_address (0) - 1024;
    for (char *p = low; p < high; p++)
        *(volatile char *) p = (char) 0xa5;
    return high;
}

static PANDA_NOINLINE __attribute__ ((no_sanitize_address)) char *
s_untouched (char *low, char *high)
{
    while (low < high && *(volatile char *) low == (char) 0xa5)
        low++;
    return low;
}

static void *
s_worker (void *arg)
{
    s_job_t *job = arg;
    pthread_attr_t attr;
    void *stack;
    size_t size;
    pthread_getattr_np (pthread_self (), &attr);
    pthread_attr_getstack (&attr, &stack, &size);
    pthread_attr_destroy (&attr);
    char *low = (char *) stack + 4096; //  clear of any guard
    char *high = s_paint (low);
    panda_error_t err;
    json_t *r = panda_gql_execute_body (job->schema, job->cache, job->body, strlen (job->body), &s_resolvers,
                                        NULL, job->options, &err);
    //  The api prints the response on the same thread.
    job->answer = r ? json_dumps (r, JSON_COMPACT | JSON_PRESERVE_ORDER) : strdup (err.message);
    json_decref (r);
    job->stack_used = (size_t) ((char *) stack + size - s_untouched (low, high));
    return NULL;
}

//  Run body with options (may be NULL) and cache (may be NULL) on a thread
//  with the worker stack; returns the answer (caller frees).
static char *
s_request_with (const panda_gql_schema_t *schema, panda_gql_cache_t *cache, const char *body,
                const panda_gql_options_t *options)
{
    s_job_t job = {schema, cache, body, options, NULL, 0};
    pthread_attr_t attr;
    pthread_t thread;
    assert_int_equal (pthread_attr_init (&attr), 0);
    assert_int_equal (pthread_attr_setstacksize (&attr, PANDA_GQL_WORKER_STACK), 0);
    assert_int_equal (pthread_create (&thread, &attr, s_worker, &job), 0);
    assert_int_equal (pthread_join (thread, NULL), 0);
    pthread_attr_destroy (&attr);
    assert_non_null (job.answer);
    if (job.stack_used > s_stack_most)
        s_stack_most = job.stack_used;
    return job.answer;
}

static char *
s_request (const char *body, const panda_gql_options_t *options)
{
    panda_gql_schema_t *schema = s_schema ();
    char *answer = s_request_with (schema, NULL, body, options);
    panda_gql_schema_unref (&schema);
    return answer;
}

//  Run query (no variables) and compare the answer.
static void
s_expect (const char *query, const char *variables, const panda_gql_options_t *options, const char *expected)
{
    char *body = s_body (query, variables);
    char *answer = s_request (body, options);
    assert_string_equal (answer, expected);
    free (answer);
    free (body);
}

//  Run query and check that it fails as a whole with this one message.
static void
s_expect_error (const char *query, const panda_gql_options_t *options, const char *message)
{
    char *body = s_body (query, NULL);
    char *answer = s_request (body, options);
    json_t *r = json_loads (answer, 0, NULL);
    assert_non_null (r);
    assert_true (json_is_null (json_object_get (r, "data")));
    json_t *errors = json_object_get (r, "errors");
    assert_int_equal (json_array_size (errors), 1);
    assert_string_equal (json_string_value (json_object_get (json_array_get (errors, 0), "message")),
                         message);
    json_decref (r);
    free (answer);
    free (body);
}

static double
s_seconds (void)
{
    struct timespec t;
    clock_gettime (CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

// ---------------------------------------------------------------------------
//  JSON of the body

//  n nested arrays around 7: [[[7]]].
static char *
s_nested (int n)
{
    s_buf_t b = {NULL, 0, 0};
    s_repeat (&b, "[", n);
    s_cat (&b, "7");
    s_repeat (&b, "]", n);
    return b.text;
}

//  {"data":{"echo":<n nested arrays>}}
static char *
s_echoed (int n)
{
    s_buf_t b = {NULL, 0, 0};
    char *nested = s_nested (n);
    s_cat (&b, "{\"data\":{\"echo\":%s}}", nested);
    free (nested);
    return b.text;
}

static void
test_limits_json_depth (void **state)
{
    const char *q = "query ($v: JSON) { echo(value: $v) }";
    //  Body, variables and 30 arrays: 32 levels, the default limit.
    char *vars = s_nested (29), *wrapped = NULL;
    s_buf_t b = {NULL, 0, 0};
    s_cat (&b, "{\"v\":%s}", vars);
    wrapped = b.text;
    char *expected = s_echoed (29);
    s_expect (q, wrapped, NULL, expected);
    free (vars), free (wrapped), free (expected);
    vars = s_nested (31);
    b = (s_buf_t){NULL, 0, 0};
    s_cat (&b, "{\"v\":%s}", vars);
    s_expect (q, b.text, NULL, "InvalidRequest(JSON nested deeper than 32)");
    free (vars), free (b.text);
    //  1000 levels anywhere, even in a key nobody reads, fail before parsing.
    vars = s_nested (1000);
    b = (s_buf_t){NULL, 0, 0};
    s_cat (&b, "{\"query\":\"{ __typename }\",\"extensions\":%s}", vars);
    char *answer = s_request (b.text, NULL);
    assert_string_equal (answer, "InvalidRequest(JSON nested deeper than 32)");
    free (answer);
    //  A configured depth above PANDA_GQL_MAX_JSON_DEPTH is lowered to it.
    panda_gql_options_t deep = {.max_json_depth = 100000};
    answer = s_request (b.text, &deep);
    assert_string_equal (answer, "InvalidRequest(JSON nested deeper than 64)");
    free (answer), free (vars), free (b.text);
    //  ... and the deepest JSON it allows is parsed, coerced, echoed, printed.
    vars = s_nested (PANDA_GQL_MAX_JSON_DEPTH - 3);
    b = (s_buf_t){NULL, 0, 0};
    s_cat (&b, "{\"v\":%s}", vars);
    expected = s_echoed (PANDA_GQL_MAX_JSON_DEPTH - 3);
    s_expect (q, b.text, &deep, expected);
    free (vars), free (b.text), free (expected);
    //  Brackets inside strings are text.
    s_expect (q, "{\"v\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[[\"}", NULL,
              "{\"data\":{\"echo\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[[\"}}");
}

static void
test_limits_json_values (void **state)
{
    //  Body, query, variables and the list: 4 values, then 9996 numbers.
    s_buf_t b = {NULL, 0, 0};
    s_cat (&b, "{\"v\":[1");
    s_repeat (&b, ",1", 9995);
    s_cat (&b, "]}");
    s_expect ("query ($v: [Int!]) { sum(values: $v) }", b.text, NULL, "{\"data\":{\"sum\":9996}}");
    b.text[b.len - 2] = ',';
    s_cat (&b, "1]}");
    b.text[b.len - 5] = ',';
    b.text[b.len - 4] = '1';
    char *body = s_body ("query ($v: [Int!]) { sum(values: $v) }", b.text);
    char *answer = s_request (body, NULL);
    assert_string_equal (answer, "InvalidRequest(JSON has more than 10000 values)");
    free (answer), free (body), free (b.text);
    //  A big flat array stops the scan at value 10001, before jansson.
    b = (s_buf_t){NULL, 0, 0};
    s_cat (&b, "[0");
    s_repeat (&b, ",0", 30000);
    s_cat (&b, "]");
    answer = s_request (b.text, NULL);
    assert_string_equal (answer, "InvalidRequest(JSON has more than 10000 values)");
    free (answer);
    panda_gql_options_t few = {.max_json_nodes = 3};
    answer = s_request ("{\"query\":\"{ __typename }\",\"a\":{\"b\":1}}", &few);
    assert_string_equal (answer, "InvalidRequest(JSON has more than 3 values)");
    free (answer), free (b.text);
    //  Keys are not values.
    answer = s_request ("{\"query\":\"{ __typename }\",\"a\":1}", &few);
    assert_string_equal (answer, "{\"data\":{\"__typename\":\"Query\"}}");
    free (answer);
}

static void
test_limits_nested_input (void **state)
{
    //  The deepest Filter a variable can hold: body, variables, f and 61
    //  subs are 64 levels, with the depth raised to its cap.
    panda_gql_options_t deep = {.max_json_depth = PANDA_GQL_MAX_JSON_DEPTH};
    s_buf_t b = {NULL, 0, 0};
    s_cat (&b, "{\"f\":");
    s_repeat (&b, "{\"sub\":", PANDA_GQL_MAX_JSON_DEPTH - 3);
    s_cat (&b, "{}");
    s_repeat (&b, "}", PANDA_GQL_MAX_JSON_DEPTH - 3);
    s_cat (&b, "}");
    char expected[64];
    snprintf (expected, sizeof expected, "{\"data\":{\"depth\":%d}}", PANDA_GQL_MAX_JSON_DEPTH - 2);
    s_expect ("query ($f: Filter) { depth(filter: $f) }", b.text, &deep, expected);
    free (b.text);
    //  The deepest literal: the selection set and 47 objects.
    b = (s_buf_t){NULL, 0, 0};
    s_cat (&b, "{ depth(filter: ");
    s_repeat (&b, "{sub: ", PANDA_GQL_MAX_DEPTH - 2);
    s_cat (&b, "{eq: 1}");
    s_repeat (&b, "}", PANDA_GQL_MAX_DEPTH - 2);
    s_cat (&b, ") }");
    snprintf (expected, sizeof expected, "{\"data\":{\"depth\":%d}}", PANDA_GQL_MAX_DEPTH - 1);
    s_expect (b.text, NULL, NULL, expected);
    free (b.text);
    //  Variables given to panda_gql_execute directly skip the body's scan;
    //  coercion bounds them itself.
    json_t *f = json_pack ("{s:[i]}", "eq", 1);
    for (int i = 0; i < 100; i++)
        f = json_pack ("{s:o}", "sub", f);
    json_t *vars = json_pack ("{s:o}", "f", f);
    panda_gql_schema_t *schema = s_schema ();
    const char *q = "query ($f: Filter) { depth(filter: $f) }";
    json_t *r = panda_gql_execute (schema, NULL, q, strlen (q), NULL, vars, &s_resolvers, NULL, NULL);
    const char *message =
        json_string_value (json_object_get (json_array_get (json_object_get (r, "errors"), 0), "message"));
    assert_non_null (message);
    assert_non_null (strstr (message, "Invalid value for argument \"filter.sub.sub"));
    assert_non_null (strstr (message, "nested deeper than 64"));
    json_decref (r);
    json_decref (vars);
    panda_gql_schema_unref (&schema);
}

// ---------------------------------------------------------------------------
//  Selections and fragments

static void
test_limits_selection_depth (void **state)
{
    //  Operation, node and 46 children: 48 levels, each a list.
    s_buf_t q = {NULL, 0, 0}, want = {NULL, 0, 0};
    s_cat (&q, "{ nodes(first: 1) {");
    s_repeat (&q, " children(first: 1) {", PANDA_GQL_MAX_DEPTH - 2);
    s_cat (&q, " id");
    s_repeat (&q, " }", PANDA_GQL_MAX_DEPTH);
    s_cat (&want, "{\"data\":{\"nodes\":[{");
    s_repeat (&want, "\"children\":[{", PANDA_GQL_MAX_DEPTH - 2);
    s_cat (&want, "\"id\":0");
    s_repeat (&want, "}]", PANDA_GQL_MAX_DEPTH - 1);
    s_cat (&want, "}}");
    s_expect (q.text, NULL, NULL, want.text);
    free (q.text), free (want.text);
    //  The same at the bottom of which the deepest variables are coerced
    //  and echoed: the deepest stack and the deepest response.
    q = (s_buf_t){NULL, 0, 0}, want = (s_buf_t){NULL, 0, 0};
    s_buf_t vars = {NULL, 0, 0};
    s_cat (&q, "query ($f: Filter, $v: JSON) { nodes(first: 1) {");
    s_repeat (&q, " children(first: 1) {", PANDA_GQL_MAX_DEPTH - 2);
    s_cat (&q, " depth(filter: $f) echo(value: $v)");
    s_repeat (&q, " }", PANDA_GQL_MAX_DEPTH);
    s_cat (&vars, "{\"f\":");
    s_repeat (&vars, "{\"sub\":", PANDA_GQL_MAX_JSON_DEPTH - 3);
    s_cat (&vars, "{}");
    s_repeat (&vars, "}", PANDA_GQL_MAX_JSON_DEPTH - 3);
    char *nested = s_nested (PANDA_GQL_MAX_JSON_DEPTH - 3);
    s_cat (&vars, ",\"v\":%s}", nested);
    s_cat (&want, "{\"data\":{\"nodes\":[{");
    s_repeat (&want, "\"children\":[{", PANDA_GQL_MAX_DEPTH - 2);
    s_cat (&want, "\"depth\":%d,\"echo\":%s", PANDA_GQL_MAX_JSON_DEPTH - 2, nested);
    s_repeat (&want, "}]", PANDA_GQL_MAX_DEPTH - 1);
    s_cat (&want, "}}");
    panda_gql_options_t deepest = {.max_json_depth = PANDA_GQL_MAX_JSON_DEPTH};
    s_expect (q.text, vars.text, &deepest, want.text);
    free (q.text), free (want.text), free (vars.text), free (nested);
    //  Through fragments: each adds the level of its selection set.
    //  { node { ...F1 } } fragment Fi on Node { child { ...Fi+1 } } ...
    //  fragment F23 on Node { id }: 2 * 23 + 1 = 47 levels.
    for (int k = 23; k <= 24; k++) {
        q = (s_buf_t){NULL, 0, 0};
        s_cat (&q, "{ node { ...F1 } }");
        for (int i = 1; i < k; i++)
            s_cat (&q, " fragment F%d on Node { child { ...F%d } }", i, i + 1);
        s_cat (&q, " fragment F%d on Node { id }", k);
        want = (s_buf_t){NULL, 0, 0};
        if (k == 23) {
            s_cat (&want, "{\"data\":{\"node\":{");
            s_repeat (&want, "\"child\":{", k - 1);
            s_cat (&want, "\"id\":%d", k - 1);
            s_repeat (&want, "}", k + 2);
        } else //  49: too deep, though every definition alone is shallow
            s_cat (&want,
                   "{\"data\":null,\"errors\":[{\"message\":\"Document exceeds the limit of 48 nesting "
                   "levels\",\"locations\":[{\"line\":1,\"column\":1}]}]}");
        s_expect (q.text, NULL, NULL, want.text);
        free (q.text), free (want.text);
    }
    //  The parser's own limit, for comparison.
    q = (s_buf_t){NULL, 0, 0};
    s_cat (&q, "{ node {");
    s_repeat (&q, " child {", PANDA_GQL_MAX_DEPTH - 1);
    s_cat (&q, " id");
    s_repeat (&q, " }", PANDA_GQL_MAX_DEPTH);
    s_expect_error (q.text, NULL, "Document exceeds the limit of 48 nesting levels");
    free (q.text);
}

//  fragment F0 on T { <a>...F1 <b>...F1 } ... fragment Fn-1 on T { <leaf> }
static char *
s_doubling (const char *head, const char *type, const char *a, const char *b, const char *leaf, int n)
{
    s_buf_t q = {NULL, 0, 0};
    s_cat (&q, "%s", head);
    for (int i = 0; i < n - 1; i++)
        s_cat (&q, " fragment F%d on %s { %s...F%d%s %s...F%d%s }", i, type, a, i + 1, *a ? " }" : "", b,
               i + 1, *b ? " }" : "");
    s_cat (&q, " fragment F%d on %s { %s }", n - 1, type, leaf);
    return q.text;
}

static void
test_limits_fragments_linear (void **state)
{
    //  Each fragment spreads the next twice: 2^40 expansions unless each is
    //  expanded once per selection set, as the spec's CollectFields does.
    char *q = s_doubling ("{ ...F0 }", "Query", "", "", "__typename", 40);
    double start = s_seconds ();
    s_expect (q, NULL, NULL, "{\"data\":{\"__typename\":\"Query\"}}");
    assert_true (s_seconds () - start < 1.0);
    free (q);
    //  Twice under two fields is a tree that really doubles: the estimate
    //  refuses it, at once.
    q = s_doubling ("{ node { ...F0 } }", "Node", "a: child { ", "b: child { ", "id", 23);
    start = s_seconds ();
    s_expect (q, NULL, NULL,
              "{\"data\":null,\"errors\":[{\"message\":\"Query is too expensive: cost 12582911 exceeds the "
              "limit 50000 (graphql_max_cost)\"}]}");
    assert_true (s_seconds () - start < 1.0);
    free (q);
    //  The number of fragments is bounded.
    s_buf_t b = {NULL, 0, 0};
    s_cat (&b, "{ ...F0 }");
    for (int i = 0; i <= PANDA_GQL_MAX_FRAGMENTS; i++)
        s_cat (&b, " fragment F%d on Query { __typename }", i);
    char want[64];
    snprintf (want, sizeof want, "Document exceeds the limit of %d fragments", PANDA_GQL_MAX_FRAGMENTS);
    s_expect_error (b.text, NULL, want);
    free (b.text);
}

// ---------------------------------------------------------------------------
//  Cost

static void
test_limits_cost (void **state)
{
    //  300 aliases of a paged list: 300 * (1 + 100 + 100 * 1).
    s_buf_t q = {NULL, 0, 0};
    s_cat (&q, "{");
    for (int i = 0; i < 300; i++)
        s_cat (&q, " a%d: nodes(first: 100) { id }", i);
    s_cat (&q, " }");
    s_expect (
        q.text, NULL, NULL,
        "{\"data\":null,\"errors\":[{\"message\":\"Query is too expensive: cost 60300 exceeds the limit "
        "50000 (graphql_max_cost)\"}]}");
    free (q.text);
    //  Pages multiply: 101 + 200 * (101 + 200).
    s_expect (
        "{ nodes(first: 200) { children(first: 200) { id } } }", NULL, NULL,
        "{\"data\":null,\"errors\":[{\"message\":\"Query is too expensive: cost 60301 exceeds the limit "
        "50000 (graphql_max_cost)\"}]}");
    //  Without `first` a paged field has its default page: 101 + 25 * (101 + 25).
    panda_gql_options_t tight = {.max_cost = 3250};
    s_expect ("{ nodes { children { id } } }", NULL, &tight,
              "{\"data\":null,\"errors\":[{\"message\":\"Query is too expensive: cost 3251 exceeds the limit "
              "3250 (graphql_max_cost)\"}]}");
    tight.max_cost = 3251;
    char *body = s_body ("{ nodes { children { id } } }", NULL);
    char *answer = s_request (body, &tight);
    assert_non_null (strstr (answer, "{\"data\":{\"nodes\":[{\"children\":[{\"id\":0},"));
    free (answer), free (body);
    //  `first` through a variable.
    s_expect (
        "query ($n: Int) { nodes(first: $n) { id } }", "{\"n\":60000}", NULL,
        "{\"data\":null,\"errors\":[{\"message\":\"Query is too expensive: cost 60101 exceeds the limit "
        "50000 (graphql_max_cost)\"}]}");
    //  A list without a page size counts one item in the estimate; while
    //  running, every field resolved counts: 300 * 300 ids stop at 50001.
    const char *runaway = "{ node { all { all { id } } } }";
    s_expect (
        runaway, NULL, NULL,
        "{\"data\":null,\"errors\":[{\"message\":\"Query is too expensive: cost 50001 exceeds the limit "
        "50000 (graphql_max_cost)\"}]}");
    panda_gql_options_t spec = {.spec_errors = true};
    s_expect (
        runaway, NULL, &spec,
        "{\"data\":null,\"errors\":[{\"message\":\"Query is too expensive: cost 50001 exceeds the limit "
        "50000 (graphql_max_cost)\"}]}");
}

// ---------------------------------------------------------------------------
//  Stop callback

typedef struct {
    int calls, allowed;
    const char *message;
} s_stopper_t;

static const char *
s_stop (void *ctx)
{
    s_stopper_t *self = ctx;
    return ++self->calls > self->allowed ? self->message : NULL;
}

static void
test_limits_stop (void **state)
{
    const char *stopped = "{\"data\":null,\"errors\":[{\"message\":\"Request timed out\"}]}";
    s_stopper_t stopper = {0, 5, "Request timed out"};
    panda_gql_options_t opts = {.stop_fn = s_stop, .stop_ctx = &stopper};
    //  Asked at every field: the sixth of 11 stops it.
    s_expect ("{ nodes(first: 10) { id } }", NULL, &opts, stopped);
    assert_int_equal (stopper.calls, 6);
    //  Every 256 items of a list too: once for the field, then at item 256.
    stopper = (s_stopper_t){0, 1, "Request timed out"};
    s_expect ("{ numbers }", NULL, &opts, stopped);
    assert_int_equal (stopper.calls, 2);
    //  A resolver's own loop asks through panda_gql_call_stopped.
    stopper = (s_stopper_t){0, 1000, "Request timed out"};
    s_expect ("{ spin }", NULL, &opts, stopped);
    assert_int_equal (s_spins, 999);
    opts.spec_errors = true;
    stopper = (s_stopper_t){0, 1000, "Request timed out"};
    s_expect ("{ spin }", NULL, &opts, stopped);
    //  Validation asks too; a stopped validation is not cached.
    panda_gql_schema_t *schema = s_schema ();
    panda_gql_cache_t *cache = panda_gql_cache_new (4);
    s_buf_t q = {NULL, 0, 0};
    s_cat (&q, "{");
    for (int i = 0; i < 200; i++)
        s_cat (&q, " a%d: node { id }", i);
    s_cat (&q, " }");
    char *body = s_body (q.text, NULL);
    stopper = (s_stopper_t){0, 0, "Node is shutting down"};
    char *answer = s_request_with (schema, cache, body, &opts);
    assert_string_equal (answer, "{\"data\":null,\"errors\":[{\"message\":\"Node is shutting down\"}]}");
    free (answer);
    answer = s_request_with (schema, cache, body, NULL);
    assert_non_null (strstr (answer, "{\"data\":{\"a0\":{\"id\":0},"));
    free (answer), free (body), free (q.text);
    panda_gql_cache_destroy (&cache);
    panda_gql_schema_unref (&schema);
}

// ---------------------------------------------------------------------------
//  Introspection of a realistic node schema stays well inside the budget

//  GraphiQL's getIntrospectionQuery() (graphql-js 16, default options).
static const char *s_introspection =
    "query IntrospectionQuery { __schema { queryType { name } mutationType { name } subscriptionType { name "
    "} types { ...FullType } directives { name description locations args { ...InputValue } } } } "
    "fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name "
    "description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason } inputFields { "
    "...InputValue } interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name description "
    "isDeprecated deprecationReason } possibleTypes { ...TypeRef } } fragment InputValue on __InputValue { "
    "name description type { ...TypeRef } defaultValue } fragment TypeRef on __Type { kind name ofType { "
    "kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind "
    "name ofType { kind name ofType { kind name } } } } } } } } }";

#define S_APPS 8

static panda_gql_schema_t *
s_node_schema (void)
{
    static const char *const system[] = {"schema_definition_v1", "schema_field_definition_v1", "blob_v1",
                                         "blob_piece_v1"};
    const panda_schema_t *list[4 + S_APPS];
    panda_schema_t *apps[S_APPS];
    for (int i = 0; i < 4; i++)
        list[i] = panda_schema_system (system[i]);
    for (int i = 0; i < S_APPS; i++) {
        char name[16], id[128], other[128];
        const char *hash = "0020c65567ae37efea293e34a9c7d13f8f2bf23dbdc3b5c7b9ab46293111c48fc78b";
        snprintf (name, sizeof name, "app%d", i);
        snprintf (id, sizeof id, "%s_%s", name, hash);
        snprintf (other, sizeof other, "relation_list(app%d_%s)", (i + 1) % S_APPS, hash);
        panda_error_t err;
        apps[i] = panda_schema_new (id, name, "An application schema", &err);
        assert_non_null (apps[i]);
        const char *fields[][2] = {{"title", "str"}, {"count", "int"},  {"score", "float"},
                                   {"done", "bool"}, {"data", "bytes"}, {"related", other}};
        for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
            assert_int_equal (panda_schema_add_field (apps[i], fields[f][0], fields[f][1], &err), PANDA_OK);
        list[4 + i] = apps[i];
    }
    panda_error_t err;
    panda_gql_schema_t *schema = panda_node_schema_build (list, 4 + S_APPS, &err);
    if (!schema)
        fail_msg ("%s", err.message);
    for (int i = 0; i < S_APPS; i++)
        panda_schema_destroy (&apps[i]);
    return schema;
}

static void
test_limits_introspection (void **state)
{
    panda_gql_schema_t *schema = s_node_schema ();
    char *body = s_body (s_introspection, NULL);
    panda_gql_options_t fifth = {.max_cost = PANDA_GQL_DEFAULT_MAX_COST / 5};
    char *answer = s_request_with (schema, NULL, body, &fifth);
    json_t *r = json_loads (answer, 0, NULL);
    assert_non_null (r);
    assert_null (json_object_get (r, "errors"));
    size_t types = json_array_size (
        json_object_get (json_object_get (json_object_get (r, "data"), "__schema"), "types"));
    assert_true (types > 60);
    json_decref (r);
    free (answer), free (body);
    panda_gql_schema_unref (&schema);
}

static int
s_report (void **state)
{
    print_message ("most stack used by a request: %zu of %d bytes\n", s_stack_most, PANDA_GQL_WORKER_STACK);
    return 0;
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_limits_json_depth),
        cmocka_unit_test (test_limits_json_values),
        cmocka_unit_test (test_limits_nested_input),
        cmocka_unit_test (test_limits_selection_depth),
        cmocka_unit_test (test_limits_fragments_linear),
        cmocka_unit_test (test_limits_cost),
        cmocka_unit_test (test_limits_stop),
        cmocka_unit_test (test_limits_introspection),
    };
    return cmocka_run_group_tests (tests, NULL, s_report);
}
