/*  panda_cmd_query.c - `panda query`: a GraphQL document, or a collection
    shorthand built from the schema.

      panda query '{ all_S { totalCount } }' [--variables JSON]
      panda query SCHEMA_ID [--filter NAME<op>VALUE]... [--order FIELD]
                  [--desc] [--first N] [--after CURSOR]

    The shorthand asks all_<schema> for every field (relations as their
    document and view ids) and passes the filter as a variable typed by the
    schema, so no value is ever spliced into the query text.              */
#include "panda_cmd.h"
#include "panda_client.h"
#include "panda_fields.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_QUERY_MAX 65536 //  the shorthand's query text (1024 fields fit)

typedef struct {
    panda_client_t client;
    panda_opt_list_t positional, filters;
    const char *variables, *order, *first, *after;
    bool desc;
} s_args_t;

//  Filter operators: NAME.OP=VALUE with a GraphQL filter name, or a symbol.
static const struct {
    const char *symbol, *name;
} s_ops[] = {{"!=", "notEq"}, {">=", "gte"}, {"<=", "lte"}, {"!~", "notContains"},
             {"=", "eq"},     {">", "gt"},   {"<", "lt"},   {"~", "contains"}};

static const char *const s_op_names[] = {"eq",  "notEq", "in",  "notIn",    "gt",
                                         "gte", "lt",    "lte", "contains", "notContains"};

//  A filter value typed by kind: a JSON value (caller owns) or NULL.
static json_t *
s_filter_value (panda_field_kind_t kind, const char *text)
{
    char *end;
    switch (kind) {
        case PANDA_FIELD_INT: {
            long long n = strtoll (text, &end, 10);
            return *text && !*end ? json_integer (n) : NULL;
        }
        case PANDA_FIELD_FLOAT: {
            double d = strtod (text, &end);
            return *text && !*end ? json_real (d) : NULL;
        }
        case PANDA_FIELD_BOOL:
            if (strcmp (text, "true") == 0 || strcmp (text, "false") == 0)
                return json_boolean (text[0] == 't');
            return NULL;
        default: return json_string (text);
    }
}

//  Add one --filter to the filter object, typed by schema.
static panda_err_t
s_add_filter (json_t *filter, const char *arg, const panda_schema_t *schema, panda_error_t *err)
{
    size_t name_len = strspn (arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
    char name[PANDA_SCHEMA_FIELD_NAME_MAX + 1];
    if (name_len == 0 || name_len > PANDA_SCHEMA_FIELD_NAME_MAX)
        return panda_error_set (err, PANDA_ERR_INVALID,
                                "--filter '%s': expected NAME=VALUE (or !=, >, >=, <, <=, "
                                "~ contains, !~, NAME.OP=VALUE)",
                                arg);
    memcpy (name, arg, name_len);
    name[name_len] = '\0';
    const char *rest = arg + name_len, *op = NULL, *value = NULL;
    char op_buf[16];
    if (*rest == '.') {
        size_t n = strcspn (rest + 1, "=");
        for (size_t i = 0; i < sizeof s_op_names / sizeof s_op_names[0]; i++)
            if (strlen (s_op_names[i]) == n && strncmp (rest + 1, s_op_names[i], n) == 0 &&
                rest[1 + n] == '=')
                op = s_op_names[i], value = rest + 2 + n;
    } else
        for (size_t i = 0; !op && i < sizeof s_ops / sizeof s_ops[0]; i++)
            if (strncmp (rest, s_ops[i].symbol, strlen (s_ops[i].symbol)) == 0)
                op = s_ops[i].name, value = rest + strlen (s_ops[i].symbol);
    if (!op)
        return panda_error_set (err, PANDA_ERR_INVALID, "--filter '%s': unknown operator", arg);
    snprintf (op_buf, sizeof op_buf, "%s", op);
    long index = panda_schema_field_index (schema, name);
    if (index < 0)
        return panda_error_set (err, PANDA_ERR_SCHEMA, "--filter: schema %s has no field '%s'",
                                panda_schema_id (schema), name);
    panda_field_kind_t kind = panda_schema_field_kind (schema, (size_t) index);
    json_t *json;
    if (strcmp (op, "in") == 0 || strcmp (op, "notIn") == 0) {
        json = json_array ();
        for (const char *p = value; json && *p;) {
            size_t n = strcspn (p, ",");
            char *item = strndup (p, n);
            json_t *v = item ? s_filter_value (kind, item) : NULL;
            free (item);
            if (!v || json_array_append_new (json, v)) {
                json_decref (json);
                json = NULL;
            }
            p += n + (p[n] == ',');
        }
    } else
        json = s_filter_value (kind, value);
    if (!json)
        return panda_error_set (err, PANDA_ERR_INVALID, "--filter '%s': not a valid %s value", arg,
                                panda_field_kind_name (kind));
    json_t *field = json_object_get (filter, name);
    if (!field) {
        field = json_object ();
        json_object_set_new (filter, name, field);
    }
    if (json_object_get (field, op_buf)) {
        json_decref (json);
        return panda_error_set (err, PANDA_ERR_INVALID, "--filter: %s.%s given twice", name, op_buf);
    }
    json_object_set_new (field, op_buf, json);
    return PANDA_OK;
}

//  Append printf output to buf (S_QUERY_MAX); false when it does not fit.
static bool
s_append (char *buf, size_t *used, const char *format, const char *a, const char *b)
{
    int n = snprintf (buf + *used, S_QUERY_MAX - *used, format, a, b);
    if (n < 0 || (size_t) n >= S_QUERY_MAX - *used)
        return false;
    *used += (size_t) n;
    return true;
}

//  The all_<schema> query of the shorthand into buf.
static panda_err_t
s_collection_query (const s_args_t *a, const panda_schema_t *schema, bool has_filter, char *buf,
                    panda_error_t *err)
{
    const char *sid = panda_schema_id (schema);
    size_t used = 0;
    char decl[700];
    snprintf (decl, sizeof decl, "%s%s%s%s", has_filter ? "$filter: " : "", has_filter ? sid : "",
              has_filter ? "Filter" : "",
              a->after ? (has_filter ? ", $after: Cursor" : "$after: Cursor") : "");
    bool ok = s_append (buf, &used, "query Collection%s%s", *decl ? "(" : "", decl);
    ok = ok && s_append (buf, &used, "%s { all_%s", *decl ? ")" : "", "");
    ok = ok && s_append (buf, &used, "%s(first: %s", sid, a->first ? a->first : "25");
    if (has_filter)
        ok = ok && s_append (buf, &used, ", filter: $filter%s%s", "", "");
    if (a->after)
        ok = ok && s_append (buf, &used, ", after: $after%s%s", "", "");
    if (a->order)
        ok = ok && s_append (buf, &used, ", orderBy: %s%s", a->order, "");
    if (a->desc)
        ok = ok && s_append (buf, &used, ", orderDirection: DESC%s%s", "", "");
    ok = ok && s_append (buf, &used,
                         ") { totalCount hasNextPage endCursor documents { cursor meta { documentId "
                         "viewId owner } fields {%s%s",
                         "", "");
    for (size_t i = 0; ok && i < panda_schema_field_count (schema); i++) {
        panda_field_kind_t kind = panda_schema_field_kind (schema, i);
        const char *sub = "";
        if (kind == PANDA_FIELD_RELATION || kind == PANDA_FIELD_PINNED_RELATION)
            sub = " { meta { documentId viewId } }";
        else if (kind == PANDA_FIELD_RELATION_LIST || kind == PANDA_FIELD_PINNED_RELATION_LIST)
            sub = " { totalCount documents { meta { documentId viewId } } }";
        ok = s_append (buf, &used, " %s%s", panda_schema_field_name (schema, i), sub);
    }
    ok = ok && s_append (buf, &used, " } } } }%s%s", "", "");
    return ok ? PANDA_OK : panda_error_set (err, PANDA_ERR_LIMIT, "query too long");
}

//  One field value for people: text as is, relations as ids.
static void
s_print_value (const json_t *value)
{
    const json_t *meta = json_object_get (value, "meta");
    const json_t *documents = json_object_get (value, "documents");
    if (json_is_string (value))
        printf ("%s", json_string_value (value));
    else if (meta)
        printf ("%s", json_string_value (json_object_get (meta, "viewId")));
    else if (json_is_array (documents)) {
        size_t i;
        const json_t *d;
        json_array_foreach (documents, i, d)
        {
            printf ("%s%s", i ? ", " : "",
                    json_string_value (json_object_get (json_object_get (d, "meta"), "viewId")));
        }
        long long total = json_integer_value (json_object_get (value, "totalCount"));
        if ((size_t) total > json_array_size (documents))
            printf (" (%zu of %lld)", json_array_size (documents), total);
    } else {
        char *text = json_dumps (value, JSON_ENCODE_ANY | JSON_COMPACT);
        printf ("%s", text ? text : "?");
        free (text);
    }
}

static void
s_print_collection (const s_args_t *a, const panda_schema_t *schema, const json_t *page)
{
    const json_t *documents = json_object_get (page, "documents");
    printf ("%lld document(s) of %s match, %zu shown\n",
            (long long) json_integer_value (json_object_get (page, "totalCount")), panda_schema_id (schema),
            json_array_size (documents));
    size_t i;
    const json_t *d;
    json_array_foreach (documents, i, d)
    {
        const json_t *meta = json_object_get (d, "meta");
        printf ("\ndocument %s\n  view id  %s\n  owner    %s\n",
                json_string_value (json_object_get (meta, "documentId")),
                json_string_value (json_object_get (meta, "viewId")),
                json_string_value (json_object_get (meta, "owner")));
        const char *name;
        const json_t *value;
        json_object_foreach ((json_t *) json_object_get (d, "fields"), name, value)
        {
            printf ("  %s: ", name);
            s_print_value (value);
            printf ("\n");
        }
    }
    if (json_is_true (json_object_get (page, "hasNextPage")))
        printf ("\nmore: add --after %s\n", json_string_value (json_object_get (page, "endCursor")));
}

static int
s_collection (s_args_t *a)
{
    const char *sid = a->positional.items[0];
    panda_error_t err;
    if (a->first && (strspn (a->first, "0123456789") != strlen (a->first) || strlen (a->first) > 9))
        return panda_cmd_fail ("query: --first: expected a number, not '%s'", a->first);
    panda_schema_t *schema = panda_client_schema (&a->client, sid, &err);
    if (!schema)
        return panda_cmd_fail ("query: %s", err.message);
    int rc = 0;
    if (a->order && strcmp (a->order, "DOCUMENT_ID") != 0 && strcmp (a->order, "DOCUMENT_VIEW_ID") != 0 &&
        panda_schema_field_index (schema, a->order) < 0)
        rc = panda_cmd_fail (
            "query: --order: schema %s has no field '%s' (or give DOCUMENT_ID, DOCUMENT_VIEW_ID)", sid,
            a->order);
    json_t *filter = json_object ();
    for (size_t i = 0; rc == 0 && i < a->filters.count; i++)
        if (s_add_filter (filter, a->filters.items[i], schema, &err))
            rc = panda_cmd_fail ("query: %s", err.message);
    char *query = malloc (S_QUERY_MAX);
    if (rc == 0 && (!query || s_collection_query (a, schema, json_object_size (filter) > 0, query, &err)))
        rc = panda_cmd_fail ("query: %s", query ? err.message : "out of memory");
    json_t *variables = json_object ();
    if (json_object_size (filter))
        json_object_set (variables, "filter", filter);
    if (a->after)
        json_object_set_new (variables, "after", json_string (a->after));
    json_t *data = NULL;
    if (rc == 0 && !(data = panda_client_graphql (&a->client, "query", query, variables, &err)))
        rc = panda_cmd_fail ("%s", err.message);
    char field[600];
    snprintf (field, sizeof field, "all_%s", sid);
    if (data && a->client.json)
        panda_client_print_json (&a->client, json_object_get (data, field));
    else if (data)
        s_print_collection (a, schema, json_object_get (data, field));
    json_decref (data);
    json_decref (variables);
    json_decref (filter);
    free (query);
    panda_schema_destroy (&schema);
    return rc;
}

static int
s_graphql (s_args_t *a)
{
    panda_error_t err;
    size_t len;
    char *query = panda_fields_read_arg (a->positional.items[0], PANDA_FIELDS_INPUT_MAX, &len, &err);
    if (!query)
        return panda_cmd_fail ("query: %s", err.message);
    json_t *variables = NULL;
    int rc = 0;
    if (a->variables) {
        char *text = panda_fields_read_arg (a->variables, PANDA_FIELDS_INPUT_MAX, &len, &err);
        json_error_t json_err;
        variables = text ? json_loadb (text, len, 0, &json_err) : NULL;
        if (!text)
            rc = panda_cmd_fail ("query: --variables: %s", err.message);
        else if (!json_is_object (variables))
            rc = panda_cmd_fail ("query: --variables: expected a JSON object");
        free (text);
    }
    json_t *data = rc ? NULL : panda_client_graphql (&a->client, "query", query, variables, &err);
    if (rc == 0 && !data)
        rc = panda_cmd_fail ("%s", err.message);
    if (data)
        panda_client_print_json (&a->client, data);
    json_decref (data);
    json_decref (variables);
    free (query);
    return rc;
}

//  A GraphQL document has a selection set ("{"); stdin and @FILE hold one.
static bool
s_is_shorthand (const char *arg)
{
    return !strchr (arg, '{') && strcmp (arg, "-") != 0 && arg[0] != '@';
}

int
panda_cmd_query (int argc, char **argv)
{
    s_args_t *a = calloc (1, sizeof *a);
    if (!a)
        return panda_cmd_fail ("out of memory");
    panda_opt_t opts[] = {{"--variables", PANDA_OPT_VALUE, &a->variables},
                          {"--filter", PANDA_OPT_LIST, &a->filters},
                          {"--order", PANDA_OPT_VALUE, &a->order},
                          {"--desc", PANDA_OPT_FLAG, &a->desc},
                          {"--first", PANDA_OPT_VALUE, &a->first},
                          {"--after", PANDA_OPT_VALUE, &a->after},
                          {NULL, 0, NULL}};
    panda_error_t err;
    int rc;
    if (panda_client_init (&a->client, argc, argv, 1, opts, &a->positional, &err))
        rc = panda_cmd_fail ("query: %s (see panda help)", err.message);
    else if (a->positional.count != 1)
        rc = panda_cmd_fail (
            "usage: panda query GRAPHQL | panda query SCHEMA_ID [--filter ...] (see panda help)");
    else if (s_is_shorthand (a->positional.items[0])) {
        if (panda_schema_id_validate (a->positional.items[0], strlen (a->positional.items[0]), &err))
            rc = panda_cmd_fail ("query: '%s' is neither a GraphQL document nor a schema id: %s",
                                 a->positional.items[0], err.message);
        else if (a->variables)
            rc = panda_cmd_fail ("query: --variables is for GraphQL documents, not the SCHEMA_ID shorthand");
        else
            rc = s_collection (a);
    } else if (a->filters.count || a->order || a->desc || a->first || a->after)
        rc = panda_cmd_fail (
            "query: --filter, --order, --desc, --first and --after go with a SCHEMA_ID, not a "
            "GraphQL document");
    else
        rc = s_graphql (a);
    free (a);
    return rc;
}
