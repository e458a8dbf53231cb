/*  test_gql_lex.c - the GraphQL lexer against the spec's token rules.     */
#include "panda_test.h"
#include "panda_gql.h"

//  Lex src completely; returns the kinds joined as letters and the last
//  string value in *value (static buffer). Fails the test on a lex error.
static const char *
s_kinds (const char *src, const char **value)
{
    static char kinds[128];
    static char last[256];
    panda_gql_lexer_t lex;
    panda_gql_lexer_init (&lex, src, strlen (src));
    size_t n = 0;
    panda_gql_token_t tok;
    do {
        panda_error_t err;
        assert_int_equal (panda_gql_lexer_next (&lex, &tok, &err), PANDA_OK);
        kinds[n++] = "EPNIFSB"[tok.kind];
        if (tok.kind == PANDA_GQL_TOK_STRING || tok.kind == PANDA_GQL_TOK_BLOCK_STRING) {
            assert_true (tok.value_len < sizeof (last));
            memcpy (last, tok.value, tok.value_len + 1);
        }
    } while (tok.kind != PANDA_GQL_TOK_EOF && n < sizeof (kinds) - 1);
    kinds[n] = 0;
    panda_gql_lexer_release (&lex);
    if (value)
        *value = last;
    return kinds;
}

//  Lex until the first error; returns its message, with position in line/col.
static const char *
s_error (const char *src, int *line, int *col)
{
    static panda_error_t err;
    panda_gql_lexer_t lex;
    panda_gql_lexer_init (&lex, src, strlen (src));
    panda_gql_token_t tok;
    panda_err_t rc;
    do
        rc = panda_gql_lexer_next (&lex, &tok, &err);
    while (rc == PANDA_OK && tok.kind != PANDA_GQL_TOK_EOF);
    panda_gql_lexer_release (&lex);
    assert_int_equal (rc, PANDA_ERR_DECODE);
    *line = tok.line;
    *col = tok.column;
    return err.message;
}

static void
test_lex_punctuators_names_numbers (void **state)
{
    assert_string_equal (s_kinds ("! $ & ( ) ... : = @ [ ] { | }", NULL), "PPPPPPPPPPPPPPE");
    assert_string_equal (s_kinds ("_a b9 __typename", NULL), "NNNE");
    assert_string_equal (s_kinds ("0 -0 12 -34", NULL), "IIIIE");
    assert_string_equal (s_kinds ("1.5 -0.25 1e10 2E-3 3.0e+2", NULL), "FFFFFE");
}

static void
test_lex_ignored_tokens (void **state)
{
    //  BOM, commas, tabs, comments and all three line terminators vanish.
    assert_string_equal (s_kinds ("\xEF\xBB\xBF{a,,b\t# comment }\r\nc\rd\n}", NULL), "PNNNNPE");
    //  Positions count lines across \r\n as one terminator.
    panda_gql_lexer_t lex;
    const char *src = "{\r\n  a\r  b }";
    panda_gql_lexer_init (&lex, src, strlen (src));
    panda_gql_token_t tok;
    assert_int_equal (panda_gql_lexer_next (&lex, &tok, NULL), PANDA_OK);
    assert_int_equal (panda_gql_lexer_next (&lex, &tok, NULL), PANDA_OK);
    assert_int_equal (tok.line, 2);
    assert_int_equal (tok.column, 3);
    assert_int_equal (panda_gql_lexer_next (&lex, &tok, NULL), PANDA_OK);
    assert_int_equal (tok.line, 3);
    assert_int_equal (tok.column, 3);
    panda_gql_lexer_release (&lex);
}

static void
test_lex_string_escapes (void **state)
{
    const char *v;
    assert_string_equal (s_kinds ("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", &v), "SE");
    assert_string_equal (v, "a\"b\\c/d\b\f\n\r\t");
    s_kinds ("\"\\u00e9\\u20AC\"", &v);
    assert_string_equal (v, "\xC3\xA9\xE2\x82\xAC"); //  é €
    s_kinds ("\"\\uD83D\\uDE00\"", &v); //  surrogate pair: 😀
    assert_string_equal (v, "\xF0\x9F\x98\x80");
    s_kinds ("\"\\u{1F600}\"", &v);
    assert_string_equal (v, "\xF0\x9F\x98\x80");
    s_kinds ("\"h\xC3\xA9llo\"", &v); //  raw UTF-8 passes through
    assert_string_equal (v, "h\xC3\xA9llo");
    //  \u0000 is a valid character: the value length counts it.
    panda_gql_lexer_t lex;
    panda_gql_lexer_init (&lex, "\"a\\u0000b\"", 10);
    panda_gql_token_t tok;
    assert_int_equal (panda_gql_lexer_next (&lex, &tok, NULL), PANDA_OK);
    assert_int_equal (tok.value_len, 3);
    assert_memory_equal (tok.value, "a\0b", 3);
    panda_gql_lexer_release (&lex);
}

static void
test_lex_block_strings (void **state)
{
    const char *v;
    //  Common indentation and blank first/last lines are stripped.
    assert_string_equal (
        s_kinds ("\"\"\"\n    Hello,\n      World!\n\n    Yours,\n      GraphQL.\n  \"\"\"", &v), "BE");
    assert_string_equal (v, "Hello,\n  World!\n\nYours,\n  GraphQL.");
    //  The first line keeps its indentation; escaped triple quote.
    s_kinds ("\"\"\"  first\n  second \\\"\"\" \"\"\"", &v);
    assert_string_equal (v, "  first\nsecond \"\"\" ");
    //  Escapes are not processed in block strings.
    s_kinds ("\"\"\"a\\nb\"\"\"", &v);
    assert_string_equal (v, "a\\nb");
    s_kinds ("\"\"\"\n\n   \n\"\"\"", &v);
    assert_string_equal (v, "");
    //  \r\n inside a block string becomes \n; lines after it are counted.
    s_kinds ("\"\"\"x\r\n  y\"\"\"", &v);
    assert_string_equal (v, "x\ny");
}

static void
test_lex_errors_carry_position (void **state)
{
    int line, col;
    assert_string_equal (s_error ("{\n  a ?", &line, &col), "Syntax Error: Unexpected character \"?\".");
    assert_int_equal (line, 2);
    assert_int_equal (col, 5);
    assert_string_equal (s_error ("\"abc", &line, &col), "Syntax Error: Unterminated string.");
    assert_string_equal (s_error ("\"a\nb\"", &line, &col), "Syntax Error: Unterminated string.");
    assert_string_equal (s_error ("\"\\x\"", &line, &col),
                         "Syntax Error: Invalid escape sequence in string.");
    assert_int_equal (col, 2);
    s_error ("\"\\uD83D\"", &line, &col); //  lone surrogate
    s_error ("\"\\uDE00\\uD83D\"", &line, &col);
    s_error ("\"\\u12G4\"", &line, &col);
    s_error ("\"\xC3\"", &line, &col); //  truncated UTF-8
    s_error ("\"\xC0\xAF\"", &line, &col); //  overlong
    assert_string_equal (s_error ("00", &line, &col),
                         "Syntax Error: Invalid number, unexpected digit after 0.");
    s_error ("1.", &line, &col);
    s_error ("1e", &line, &col);
    s_error ("12abc", &line, &col);
    s_error ("1.2.3", &line, &col);
    s_error ("- 1", &line, &col);
    s_error ("..", &line, &col);
    s_error ("\"\"\"never closed", &line, &col);
    assert_string_equal (s_error ("a \x01", &line, &col), "Syntax Error: Unexpected character 0x01.");
    assert_int_equal (col, 3);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_lex_punctuators_names_numbers),
        cmocka_unit_test (test_lex_ignored_tokens),
        cmocka_unit_test (test_lex_string_escapes),
        cmocka_unit_test (test_lex_block_strings),
        cmocka_unit_test (test_lex_errors_carry_position),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
