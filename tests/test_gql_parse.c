/*  test_gql_parse.c - the GraphQL parser: every executable construct, the
    queries real clients send (node-api §8), errors and limits.            */
#include "panda_test.h"
#include "panda_gql.h"

static const char *s_next_args =
    "\n  query NextArgs($publicKey: String!, $viewId: String) {\n    nextArgs(publicKey: $publicKey, "
    "viewId: $viewId) {\n      logId\n      seqNum\n      backlink\n      skiplink\n    }\n  }\n";

static panda_gql_document_t *
s_parse (const char *text)
{
    panda_error_t err;
    panda_gql_document_t *doc = panda_gql_parse (text, strlen (text), &err, NULL, NULL);
    if (!doc)
        fail_msg ("parse failed: %s", err.message);
    return doc;
}

static void
test_parse_shirokuma_next_args (void **state)
{
    panda_gql_document_t *doc = s_parse (s_next_args);
    panda_gql_definition_t *op = doc->definitions;
    assert_int_equal (op->kind, PANDA_GQL_DEF_OPERATION);
    assert_int_equal (op->operation, PANDA_GQL_OP_QUERY);
    assert_string_equal (op->name, "NextArgs");
    assert_null (op->next);
    panda_gql_vardef_t *v = op->variables;
    assert_string_equal (v->name, "publicKey");
    assert_int_equal (v->type->kind, PANDA_GQL_TYPE_NON_NULL);
    assert_string_equal (v->type->of->name, "String");
    assert_string_equal (v->next->name, "viewId");
    assert_int_equal (v->next->type->kind, PANDA_GQL_TYPE_NAMED);
    panda_gql_selection_t *f = op->selections;
    assert_string_equal (f->name, "nextArgs");
    assert_int_equal (f->line, 3);
    assert_int_equal (f->column, 5);
    assert_string_equal (f->args->name, "publicKey");
    assert_int_equal (f->args->value->kind, PANDA_GQL_VAL_VARIABLE);
    assert_string_equal (f->args->value->str, "publicKey");
    const char *names[] = {"logId", "seqNum", "backlink", "skiplink"};
    panda_gql_selection_t *c = f->selections;
    for (int i = 0; i < 4; i++, c = c->next)
        assert_string_equal (c->name, names[i]);
    assert_null (c);
    panda_gql_document_destroy (&doc);
    assert_null (doc);
}

static void
test_parse_every_literal (void **state)
{
    panda_gql_document_t *doc =
        s_parse ("{ f(a: $v, b: -12, c: 1.5e3, d: \"s\\n\", e: \"\"\" blk \"\"\", g: true, "
                 "h: false, i: null, j: ASC, k: [1, [2]], l: {x: 1, y: {z: []}}, m: {}) }");
    panda_gql_argument_t *a = doc->definitions->selections->args;
    panda_gql_val_kind_t kinds[] = {PANDA_GQL_VAL_VARIABLE, PANDA_GQL_VAL_INT,    PANDA_GQL_VAL_FLOAT,
                                    PANDA_GQL_VAL_STRING,   PANDA_GQL_VAL_STRING, PANDA_GQL_VAL_BOOLEAN,
                                    PANDA_GQL_VAL_BOOLEAN,  PANDA_GQL_VAL_NULL,   PANDA_GQL_VAL_ENUM,
                                    PANDA_GQL_VAL_LIST,     PANDA_GQL_VAL_OBJECT, PANDA_GQL_VAL_OBJECT};
    panda_gql_value_t *vals[12];
    for (int i = 0; i < 12; i++, a = a->next) {
        assert_non_null (a);
        assert_int_equal (a->value->kind, kinds[i]);
        vals[i] = a->value;
    }
    assert_null (a);
    assert_string_equal (vals[1]->str, "-12");
    assert_string_equal (vals[2]->str, "1.5e3");
    assert_string_equal (vals[3]->str, "s\n");
    assert_string_equal (vals[4]->str, " blk "); //  a first line keeps its spaces
    assert_true (vals[4]->block);
    assert_true (vals[5]->boolean);
    assert_false (vals[6]->boolean);
    assert_string_equal (vals[8]->str, "ASC");
    assert_string_equal (vals[9]->items->str, "1");
    assert_int_equal (vals[9]->items->next->kind, PANDA_GQL_VAL_LIST);
    assert_string_equal (vals[9]->items->next->items->str, "2");
    assert_string_equal (vals[10]->items->field_name, "x");
    assert_string_equal (vals[10]->items->next->field_name, "y");
    assert_int_equal (vals[10]->items->next->items->kind, PANDA_GQL_VAL_LIST);
    assert_null (vals[10]->items->next->items->items); //  z: []
    assert_null (vals[11]->items);
    panda_gql_document_destroy (&doc);
}

static void
test_parse_fragments_directives_aliases (void **state)
{
    panda_gql_document_t *doc = s_parse (
        "query Q($first: Int = 25, $d: Boolean = false @dir(x: 1)) @opdir {\n"
        "  byId: doc(id: \"x\") @include(if: $d) { ...F ... on Doc @skip(if: false) { id } ... { id } }\n"
        "}\n"
        "fragment F on Doc @fd { meta { id } }\n"
        "mutation { publish(entry: \"a\") { logId } }\n"
        "subscription S { s }\n"
        "{ shorthand }");
    panda_gql_definition_t *d = doc->definitions;
    assert_string_equal (d->variables->default_value->str, "25");
    assert_string_equal (d->variables->next->directives->name, "dir");
    assert_string_equal (d->directives->name, "opdir");
    panda_gql_selection_t *f = d->selections;
    assert_string_equal (f->alias, "byId");
    assert_string_equal (f->name, "doc");
    assert_string_equal (f->directives->name, "include");
    assert_string_equal (f->directives->args->name, "if");
    panda_gql_selection_t *s = f->selections;
    assert_int_equal (s->kind, PANDA_GQL_SEL_SPREAD);
    assert_string_equal (s->name, "F");
    assert_int_equal (s->next->kind, PANDA_GQL_SEL_INLINE);
    assert_string_equal (s->next->type_condition, "Doc");
    assert_string_equal (s->next->directives->name, "skip");
    assert_int_equal (s->next->next->kind, PANDA_GQL_SEL_INLINE);
    assert_null (s->next->next->type_condition);
    d = d->next;
    assert_int_equal (d->kind, PANDA_GQL_DEF_FRAGMENT);
    assert_string_equal (d->name, "F");
    assert_string_equal (d->type_condition, "Doc");
    assert_string_equal (d->directives->name, "fd");
    d = d->next;
    assert_int_equal (d->operation, PANDA_GQL_OP_MUTATION);
    assert_null (d->name);
    d = d->next;
    assert_int_equal (d->operation, PANDA_GQL_OP_SUBSCRIPTION);
    d = d->next;
    assert_int_equal (d->operation, PANDA_GQL_OP_QUERY);
    assert_null (d->name);
    assert_null (d->next);
    panda_gql_document_destroy (&doc);
}

static void
test_parse_list_types (void **state)
{
    panda_gql_document_t *doc = s_parse ("query ($a: [[Int!]]!, $b: [String]) { x }");
    panda_gql_type_t *t = doc->definitions->variables->type;
    assert_int_equal (t->kind, PANDA_GQL_TYPE_NON_NULL);
    assert_int_equal (t->of->kind, PANDA_GQL_TYPE_LIST);
    assert_int_equal (t->of->of->kind, PANDA_GQL_TYPE_LIST);
    assert_int_equal (t->of->of->of->kind, PANDA_GQL_TYPE_NON_NULL);
    assert_string_equal (t->of->of->of->of->name, "Int");
    panda_gql_document_destroy (&doc);
}

//  Parse text that must fail; returns the message, position in line/col.
static const char *
s_fail (const char *text, int *line, int *col)
{
    static panda_error_t err;
    panda_gql_document_t *doc = panda_gql_parse (text, strlen (text), &err, line, col);
    assert_null (doc);
    return err.message;
}

static void
test_parse_errors (void **state)
{
    int line, col;
    assert_string_equal (s_fail ("{ a ", &line, &col), "Syntax Error: Expected Name, found <EOF>.");
    assert_string_equal (
        s_fail ("", &line, &col),
        "Syntax Error: Expected \"{\", \"query\", \"mutation\", \"subscription\" or \"fragment\", "
        "found <EOF>.");
    assert_string_equal (s_fail ("{\n  a(x: )\n}", &line, &col), "Syntax Error: Unexpected \")\".");
    assert_int_equal (line, 2);
    assert_int_equal (col, 8);
    assert_string_equal (s_fail ("{ }", &line, &col), "Syntax Error: Expected Name, found \"}\".");
    assert_string_equal (s_fail ("type Query { a: Int }", &line, &col),
                         "Syntax Error: Unexpected Name \"type\".");
    assert_string_equal (s_fail ("fragment on on X { a }", &line, &col),
                         "Syntax Error: Unexpected Name \"on\".");
    assert_string_equal (s_fail ("fragment F X { a }", &line, &col),
                         "Syntax Error: Expected \"on\", found Name \"X\".");
    s_fail ("{ a(x: 1 }", &line, &col);
    s_fail ("{ a() }", &line, &col);
    s_fail ("query ($a: ) { a }", &line, &col);
    s_fail ("query ($a: Int = $b) { a }", &line, &col); //  defaults are const
    s_fail ("query ($a: [Int) { a }", &line, &col);
    s_fail ("{ a(x: {y 1}) }", &line, &col);
    s_fail ("{ ...on }", &line, &col);
    s_fail ("{ a } }", &line, &col);
    s_fail ("{ a(x: \"unterminated) }", &line, &col);
    assert_int_equal (col, 8);
}

static void
test_parse_limits (void **state)
{
    int line, col;
    //  Deep nesting fails with a clear message instead of exhausting the stack.
    char deep[4 * (PANDA_GQL_MAX_DEPTH + 2) + 8];
    size_t n = 0;
    for (int i = 0; i < PANDA_GQL_MAX_DEPTH + 2; i++)
        n += (size_t) sprintf (deep + n, "{a ");
    deep[n] = 0;
    assert_string_equal (s_fail (deep, &line, &col), "Document exceeds the limit of 48 nesting levels");
    char list[2 * (PANDA_GQL_MAX_DEPTH + 2) + 16] = "{ a(x: ";
    n = strlen (list);
    for (int i = 0; i < PANDA_GQL_MAX_DEPTH + 2; i++)
        list[n++] = '[';
    list[n] = 0;
    assert_string_equal (s_fail (list, &line, &col), "Document exceeds the limit of 48 nesting levels");
    //  Too many tokens.
    size_t big = PANDA_GQL_MAX_TOKENS * 2 + 8;
    char *many = malloc (big);
    n = (size_t) sprintf (many, "{");
    while (n < big - 4)
        many[n++] = 'a', many[n++] = ' ';
    many[n++] = '}';
    many[n] = 0;
    assert_string_equal (s_fail (many, &line, &col), "Document exceeds the limit of 20000 tokens");
    free (many);
    //  Too many bytes (spaces only).
    char *huge = malloc (PANDA_GQL_MAX_QUERY_BYTES + 2);
    memset (huge, ' ', PANDA_GQL_MAX_QUERY_BYTES + 1);
    huge[PANDA_GQL_MAX_QUERY_BYTES + 1] = 0;
    assert_string_equal (s_fail (huge, &line, &col), "Document exceeds the limit of 262144 bytes");
    free (huge);
    //  Exactly at the depth limit still parses.
    n = 0;
    for (int i = 0; i < PANDA_GQL_MAX_DEPTH; i++)
        n += (size_t) sprintf (deep + n, "{a ");
    for (int i = 0; i < PANDA_GQL_MAX_DEPTH; i++)
        deep[n++] = '}';
    deep[n - 1] = 0; //  the innermost "a" has no braces: one fewer "}"
    deep[n - 1] = '}';
    deep[n] = 0;
    panda_gql_document_t *doc = s_parse (deep);
    panda_gql_document_destroy (&doc);
    //  Fragment definitions: at most PANDA_GQL_MAX_FRAGMENTS.
    char *frags = malloc ((PANDA_GQL_MAX_FRAGMENTS + 1) * 40 + 16);
    n = (size_t) sprintf (frags, "{ ...F0 }");
    for (int i = 0; i < PANDA_GQL_MAX_FRAGMENTS; i++)
        n += (size_t) sprintf (frags + n, "\nfragment F%d on Q { a }", i);
    doc = s_parse (frags);
    assert_int_equal (doc->fragment_count, PANDA_GQL_MAX_FRAGMENTS);
    panda_gql_document_destroy (&doc);
    sprintf (frags + n, "\nfragment X on Q { a }");
    assert_string_equal (s_fail (frags, &line, &col), "Document exceeds the limit of 256 fragments");
    assert_int_equal (line, PANDA_GQL_MAX_FRAGMENTS + 2);
    assert_int_equal (col, 1);
    free (frags);
}

//  Spreads point at their fragment (the first of its name), fragments are
//  numbered in document order.
static void
test_parse_fragment_links (void **state)
{
    panda_gql_document_t *doc =
        s_parse ("{ ...B ... on Q { ...A } ...C } fragment A on Q { ...B } fragment B on Q { a } "
                 "query X { ...A } fragment A on Q { b }");
    assert_int_equal (doc->fragment_count, 3);
    const panda_gql_definition_t *a = doc->fragments[0], *b = doc->fragments[1], *a2 = doc->fragments[2];
    assert_string_equal (a->name, "A");
    assert_int_equal (a->index, 0);
    assert_string_equal (b->name, "B");
    assert_int_equal (b->index, 1);
    assert_int_equal (a2->index, 2);
    assert_ptr_equal (panda_gql_document_fragment (doc, "A"), a);
    assert_ptr_equal (panda_gql_document_fragment (doc, "B"), b);
    assert_null (panda_gql_document_fragment (doc, "C"));
    const panda_gql_selection_t *s = doc->definitions->selections;
    assert_ptr_equal (s->fragment, b);
    assert_ptr_equal (s->next->selections->fragment, a);
    assert_null (s->next->next->fragment); //  no fragment C
    assert_ptr_equal (a->selections->fragment, b);
    assert_null (b->selections->fragment); //  a field
    panda_gql_document_destroy (&doc);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_parse_shirokuma_next_args),
        cmocka_unit_test (test_parse_every_literal),
        cmocka_unit_test (test_parse_fragments_directives_aliases),
        cmocka_unit_test (test_parse_list_types),
        cmocka_unit_test (test_parse_fragment_links),
        cmocka_unit_test (test_parse_errors),
        cmocka_unit_test (test_parse_limits),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
