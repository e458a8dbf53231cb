/*  panda_gql.h - a small GraphQL engine: lexer, parser, schema model,
    validation, executor, introspection and a document cache.

    Pure library code (no threads, no sockets). The api actor builds a
    schema at run time, keeps one document cache per thread and calls
    panda_gql_execute for each POST /graphql. Data is reached only through a
    resolver table supplied by the caller. Behaviour follows node-api.md §2:
    variable types are not checked against argument types (runtime values
    are), any resolver error nulls the whole `data`, argument defaults are
    documentation only (the executor does not fill them in).                 */
#ifndef PANDA_GQL_H_INCLUDED
#define PANDA_GQL_H_INCLUDED

#include <jansson.h>
#include "panda/panda_err.h"

#ifdef __cplusplus
extern "C" {
#endif

//  Limits. Exceeding one fails the document with "Document exceeds the
//  limit of N ..." (the parser finds all but the depth reached through
//  fragments, which validation finds).
#define PANDA_GQL_MAX_QUERY_BYTES 262144 //  query text length
#define PANDA_GQL_MAX_TOKENS 20000 //  lexical tokens in one document
#define PANDA_GQL_MAX_DEPTH 48 //  nesting of selections and values, fragments expanded
#define PANDA_GQL_MAX_FRAGMENTS 256 //  fragment definitions in one document
#define PANDA_GQL_MAX_ERRORS 32 //  validation errors reported per request
#define PANDA_GQL_CACHE_SIZE 64 //  default cached documents

//  The stack the engine must fit: the api actor runs requests on civetweb
//  worker threads, and Debian's civetweb is built with USE_STACK_SIZE=102400.
//  Every recursion (parser, validation, coercion, execution, the JSON of
//  the request and of the response) is bounded by the limits here so that
//  the worst accepted request fits with room left for civetweb's frames.
#define PANDA_GQL_WORKER_STACK 102400

// ---------------------------------------------------------------------------
//  Lexer (GraphQL spec October 2021, §2.1)

typedef enum {
    PANDA_GQL_TOK_EOF = 0,
    PANDA_GQL_TOK_PUNCT, //  ! $ & ( ) ... : = @ [ ] { | }  (text holds it)
    PANDA_GQL_TOK_NAME,
    PANDA_GQL_TOK_INT,
    PANDA_GQL_TOK_FLOAT,
    PANDA_GQL_TOK_STRING, //  "..." and """...""" : value holds the decoded text
    PANDA_GQL_TOK_BLOCK_STRING
} panda_gql_tok_kind_t;

typedef struct {
    panda_gql_tok_kind_t kind;
    const char *text; //  points into the source, len bytes
    size_t len;
    const char *value; //  strings: decoded UTF-8, value_len bytes (may hold NUL),
    size_t value_len; //  borrowed from the lexer until the next call
    int line, column; //  1-based, columns count bytes
} panda_gql_token_t;

//  Lexer state, a small value type: init it on the stack. Owns a scratch
//  buffer for decoded strings, freed by panda_gql_lexer_release.
typedef struct {
    const char *src, *cur, *end, *line_start;
    int line;
    char *buf;
    size_t buf_len, buf_cap;
} panda_gql_lexer_t;

void panda_gql_lexer_init (panda_gql_lexer_t *self, const char *src, size_t len);

void panda_gql_lexer_release (panda_gql_lexer_t *self);

//  Read the next token (PANDA_GQL_TOK_EOF at the end). On a lexical error
//  returns PANDA_ERR_DECODE, err's message is "Syntax Error: ..." and
//  tok->line/column give the position of the fault.
PANDA_NODISCARD panda_err_t panda_gql_lexer_next (panda_gql_lexer_t *self, panda_gql_token_t *tok,
                                                  panda_error_t *err);

// ---------------------------------------------------------------------------
//  AST (read-only for callers; everything lives in the document's arena)

typedef struct _panda_gql_arena_t panda_gql_arena_t;

typedef enum {
    PANDA_GQL_VAL_VARIABLE,
    PANDA_GQL_VAL_INT,
    PANDA_GQL_VAL_FLOAT,
    PANDA_GQL_VAL_STRING,
    PANDA_GQL_VAL_BOOLEAN,
    PANDA_GQL_VAL_NULL,
    PANDA_GQL_VAL_ENUM,
    PANDA_GQL_VAL_LIST,
    PANDA_GQL_VAL_OBJECT
} panda_gql_val_kind_t;

typedef struct panda_gql_value_s panda_gql_value_t;
struct panda_gql_value_s {
    panda_gql_val_kind_t kind;
    const char *str; //  variable/enum name, int/float text, string value
    size_t len; //  length of str (strings may hold NUL)
    bool boolean;
    bool block; //  string came from a block string
    const char *field_name; //  when this is an item of an OBJECT
    panda_gql_value_t *items; //  LIST items / OBJECT fields, linked by next
    panda_gql_value_t *next;
    int line, column;
};

typedef struct panda_gql_argument_s panda_gql_argument_t;
struct panda_gql_argument_s {
    const char *name;
    panda_gql_value_t *value;
    panda_gql_argument_t *next;
    int line, column;
};

typedef struct panda_gql_directive_s panda_gql_directive_t;
struct panda_gql_directive_s {
    const char *name;
    panda_gql_argument_t *args;
    panda_gql_directive_t *next;
    int line, column;
};

typedef enum { PANDA_GQL_TYPE_NAMED, PANDA_GQL_TYPE_LIST, PANDA_GQL_TYPE_NON_NULL } panda_gql_type_kind_t;

//  A type reference: Name, [T] or T!. Used both by the AST and the schema.
typedef struct panda_gql_type_s panda_gql_type_t;
struct panda_gql_type_s {
    panda_gql_type_kind_t kind;
    const char *name; //  NAMED only
    panda_gql_type_t *of; //  LIST / NON_NULL
};

typedef enum { PANDA_GQL_SEL_FIELD, PANDA_GQL_SEL_SPREAD, PANDA_GQL_SEL_INLINE } panda_gql_sel_kind_t;

typedef struct panda_gql_selection_s panda_gql_selection_t;
struct panda_gql_selection_s {
    panda_gql_sel_kind_t kind;
    const char *alias; //  FIELD: NULL when none
    const char *name; //  FIELD name / SPREAD fragment name
    const char *type_condition; //  INLINE: NULL when none
    panda_gql_argument_t *args;
    panda_gql_directive_t *directives;
    panda_gql_selection_t *selections; //  child selection set (NULL when none)
    panda_gql_selection_t *next;
    int line, column;
    //  SPREAD: the first fragment of that name, NULL when there is none
    //  (linked by the parser, so no walker searches by name).
    const struct panda_gql_definition_s *fragment;
};

typedef struct panda_gql_vardef_s panda_gql_vardef_t;
struct panda_gql_vardef_s {
    const char *name; //  without $
    panda_gql_type_t *type;
    panda_gql_value_t *default_value; //  NULL when none
    panda_gql_directive_t *directives;
    panda_gql_vardef_t *next;
    int line, column;
};

typedef enum { PANDA_GQL_OP_QUERY, PANDA_GQL_OP_MUTATION, PANDA_GQL_OP_SUBSCRIPTION } panda_gql_op_t;

typedef enum { PANDA_GQL_DEF_OPERATION, PANDA_GQL_DEF_FRAGMENT } panda_gql_def_kind_t;

typedef struct panda_gql_definition_s panda_gql_definition_t;
struct panda_gql_definition_s {
    panda_gql_def_kind_t kind;
    panda_gql_op_t operation; //  OPERATION
    const char *name; //  NULL for anonymous operations
    const char *type_condition; //  FRAGMENT
    panda_gql_vardef_t *variables;
    panda_gql_directive_t *directives;
    panda_gql_selection_t *selections;
    panda_gql_definition_t *next;
    int line, column;
    size_t index; //  FRAGMENT: its position in the document's fragments
};

typedef struct _panda_gql_index_t panda_gql_index_t;

typedef struct {
    panda_gql_definition_t *definitions;
    panda_gql_arena_t *arena;
    size_t tokens; //  number of tokens read
    //  The fragment definitions in document order (at most
    //  PANDA_GQL_MAX_FRAGMENTS), so walkers can keep per-fragment state in
    //  arrays indexed by definition->index.
    panda_gql_definition_t **fragments;
    size_t fragment_count;
    panda_gql_index_t *fragment_index; //  by name
} panda_gql_document_t;

//  Parse an executable document. Caller owns the result (destroy with
//  panda_gql_document_destroy). On failure returns NULL, err holds
//  "Syntax Error: ..." (or a limit message) and *line/*column the position
//  (both may be NULL).
panda_gql_document_t *panda_gql_parse (const char *text, size_t len, panda_error_t *err, int *line,
                                       int *column);

void panda_gql_document_destroy (panda_gql_document_t **self_p);

//  The first fragment definition called name, or NULL.
const panda_gql_definition_t *panda_gql_document_fragment (const panda_gql_document_t *self,
                                                           const char *name);

// ---------------------------------------------------------------------------
//  Schema model, built at run time through a builder. A built schema is
//  immutable and reference-counted (atomically), so a request can keep
//  using an old schema while a new one is installed.

typedef struct _panda_gql_schema_t panda_gql_schema_t;
typedef struct _panda_gql_builder_t panda_gql_builder_t;

//  Checks a custom scalar input value (a JSON leaf, never null). Returns
//  true when valid. hint is the pointer given to panda_gql_builder_scalar.
typedef bool (*panda_gql_scalar_check_fn) (const json_t *value, void *hint);

//  Resolver ids 0 and below are reserved: 0 means "default resolver" (the
//  parent is a JSON object: return its member named like the field).
#define PANDA_GQL_RESOLVE_DEFAULT 0
#define PANDA_GQL_RESOLVE_SCHEMA (-1) //  introspection resolvers are negative
#define PANDA_GQL_RESOLVE_TYPE (-2)

//  Create a builder holding the built-in scalars (Int, Float, String,
//  Boolean, ID), the @skip/@include directives and the introspection types.
//  Caller owns the result.
panda_gql_builder_t *panda_gql_builder_new (void);

//  Free a builder that was not built. Accepts NULL, NULLs *self_p.
void panda_gql_builder_destroy (panda_gql_builder_t **self_p);

//  The adders below record the first error in the builder and report it
//  from panda_gql_builder_build; they need no checks at each call.
//  All strings are copied.

//  Add a custom scalar; check may be NULL (any non-null leaf accepted).
void panda_gql_builder_scalar (panda_gql_builder_t *self, const char *name, panda_gql_scalar_check_fn check,
                               void *hint);

//  Start an object type; following builder_field calls add to it.
void panda_gql_builder_object (panda_gql_builder_t *self, const char *name);

//  Start an input object type; following builder_field calls add input fields.
void panda_gql_builder_input (panda_gql_builder_t *self, const char *name);

//  Start an enum type; following builder_enum_value calls add to it.
void panda_gql_builder_enum (panda_gql_builder_t *self, const char *name);

void panda_gql_builder_enum_value (panda_gql_builder_t *self, const char *value);

//  Add a field to the current object or input type. type is GraphQL type
//  syntax ("NextArguments!", "[SItem!]!"). resolver_id is an index into the
//  resolver table (PANDA_GQL_RESOLVE_DEFAULT for a JSON member); for input
//  fields pass 0.
void panda_gql_builder_field (panda_gql_builder_t *self, const char *name, const char *type, int resolver_id);

//  Add an argument to the last field. default_literal may be NULL.
void panda_gql_builder_arg (panda_gql_builder_t *self, const char *name, const char *type,
                            const char *default_literal);

//  Set the default of the last argument or input field: a GraphQL literal
//  as text ("25", "ASC"), shown by introspection.
void panda_gql_builder_default (panda_gql_builder_t *self, const char *literal);

//  Describe the last added type, field, argument or enum value.
void panda_gql_builder_describe (panda_gql_builder_t *self, const char *description);

//  Name the root types. query is required, mutation may be NULL.
void panda_gql_builder_roots (panda_gql_builder_t *self, const char *query, const char *mutation);

//  Check every type reference and finish the schema. Always consumes the
//  builder (NULLs *self_p). Caller owns one reference to the result; NULL
//  with err filled when the definition is inconsistent.
panda_gql_schema_t *panda_gql_builder_build (panda_gql_builder_t **self_p, panda_error_t *err);

//  Take another reference (thread-safe). Returns self.
panda_gql_schema_t *panda_gql_schema_ref (panda_gql_schema_t *self);

//  Drop a reference (thread-safe); frees on the last one. Accepts NULL,
//  NULLs *self_p.
void panda_gql_schema_unref (panda_gql_schema_t **self_p);

//  Unique id of this built schema (cache entries validated against another
//  schema are revalidated).
uint64_t panda_gql_schema_generation (const panda_gql_schema_t *self);

//  True when the schema has a named type called name.
bool panda_gql_schema_has_type (const panda_gql_schema_t *self, const char *name);

//  Read-only view of a built schema, used by the engine's own files
//  (validation, execution, introspection). Callers outside lib/ use the
//  functions above.
typedef enum {
    PANDA_GQL_KIND_SCALAR,
    PANDA_GQL_KIND_OBJECT,
    PANDA_GQL_KIND_INPUT,
    PANDA_GQL_KIND_ENUM
} panda_gql_kind_t;

typedef struct {
    char *name;
    panda_gql_type_t *type;
    char *default_literal; //  GraphQL literal text or NULL
    char *description;
} panda_gql_argdef_t; //  arguments and input fields

typedef struct {
    char *name;
    panda_gql_type_t *type;
    int resolver_id;
    char *description;
    panda_gql_argdef_t *args;
    size_t arg_count;
    //  Set when the schema is built: a field with an Int argument `first`
    //  returns one page of a longer list (it runs a query). The cost
    //  estimate charges it PANDA_GQL_PAGED_FIELD_COST and multiplies what
    //  is selected below it by the page size: `first` (or `last`) as given,
    //  else default_page (`first`'s default, else PANDA_GQL_DEFAULT_PAGE_SIZE).
    bool paged;
    uint32_t default_page;
} panda_gql_fielddef_t;

typedef struct {
    char *name;
    char *description;
} panda_gql_enumval_t;

struct _panda_gql_index_t {
    uint32_t *slots; //  open addressing: item index + 1, 0 = empty
    size_t mask;
};

//  Engine-internal: a name index over count items whose names name_at
//  returns. Equal names are all indexed; find returns the lowest index.
//  build returns false when out of memory; release frees the slots.
typedef const char *(*panda_gql_name_fn) (const void *items, size_t i);
bool panda_gql_index_build (panda_gql_index_t *index, size_t count, panda_gql_name_fn name_at,
                            const void *items);
long panda_gql_index_find (const panda_gql_index_t *index, const char *name, panda_gql_name_fn name_at,
                           const void *items);
void panda_gql_index_release (panda_gql_index_t *index);

typedef struct {
    panda_gql_kind_t kind;
    char *name;
    char *description;
    panda_gql_fielddef_t *fields; //  OBJECT
    size_t field_count;
    panda_gql_index_t field_index;
    panda_gql_argdef_t *inputs; //  INPUT
    size_t input_count;
    panda_gql_index_t input_index;
    panda_gql_enumval_t *values; //  ENUM
    size_t value_count;
    panda_gql_index_t value_index;
    panda_gql_scalar_check_fn check; //  SCALAR
    void *hint;
    panda_gql_type_t ref; //  NAMED reference to this type (introspection)
} panda_gql_typedef_t;

const panda_gql_typedef_t *panda_gql_schema_type (const panda_gql_schema_t *self, const char *name);

//  Root types (mutation may be NULL), all types in definition order, the
//  directive definitions (@skip, @include) as pseudo fields.
const panda_gql_typedef_t *panda_gql_schema_root (const panda_gql_schema_t *self, panda_gql_op_t op);

const panda_gql_typedef_t *const *panda_gql_schema_types (const panda_gql_schema_t *self, size_t *count);

const panda_gql_fielddef_t *panda_gql_schema_directives (const panda_gql_schema_t *self, size_t *count);

const panda_gql_fielddef_t *panda_gql_type_field (const panda_gql_typedef_t *type, const char *name);

//  Like panda_gql_type_field, plus __schema and __type on the query root.
const panda_gql_fielddef_t *panda_gql_schema_field (const panda_gql_schema_t *self,
                                                    const panda_gql_typedef_t *type, const char *name);

const panda_gql_argdef_t *panda_gql_field_arg (const panda_gql_fielddef_t *field, const char *name);

const panda_gql_argdef_t *panda_gql_type_input (const panda_gql_typedef_t *type, const char *name);

bool panda_gql_type_has_value (const panda_gql_typedef_t *type, const char *name);

//  The named type at the bottom of a wrapped type reference.
const char *panda_gql_type_name (const panda_gql_type_t *type);

//  Write a type reference as GraphQL text ("[Int!]!") into buf.
const char *panda_gql_type_text (const panda_gql_type_t *type, char *buf, size_t size);

//  Engine-internal: coerce an input value to type. Exactly one of literal
//  (an AST value) or json is given. vars: coerced variables (JSON object);
//  NULL means a static check where variables are not looked at. path is the
//  argument name for messages. Returns a new JSON value (caller owns), or
//  NULL with message "Invalid value for argument ..." in err.
json_t *panda_gql_coerce (const panda_gql_schema_t *schema, const panda_gql_type_t *type,
                          const panda_gql_value_t *literal, json_t *json, json_t *vars, const char *path,
                          panda_error_t *err);

//  Engine-internal: convert a constant literal to JSON without a type
//  (variable defaults). Caller owns the result.
json_t *panda_gql_literal_json (const panda_gql_value_t *literal, json_t *vars);

// ---------------------------------------------------------------------------
//  Resolvers

//  What a resolver returns. Exactly one of: json (a leaf, a JSON object
//  whose members default-resolve, or a JSON array for a list field), handle
//  (an opaque object for nested selection), or items (a list). All zero
//  means null.
typedef struct panda_gql_out_s panda_gql_out_t;
struct panda_gql_out_s {
    json_t *json; //  owned by the executor once set
    void *handle; //  opaque object, freed with free_fn (may be NULL)
    void (*free_fn) (void *handle);
    const char *type_name; //  concrete type of handle (NULL: the field's type)
    panda_gql_out_t *items; //  list (see panda_gql_out_list)
    size_t count;
};

//  What a resolver gets. All pointers are borrowed for the call.
typedef struct {
    const panda_gql_schema_t *schema;
    const char *parent_type; //  e.g. "Query"
    const char *field_name;
    json_t *args; //  coerced arguments (object; absent ones are missing)
    void *parent; //  parent handle (NULL at the root or for JSON parents)
    json_t *parent_json; //  parent JSON object when the parent came as JSON
    void *user; //  user_ctx given to panda_gql_execute
    char *error; //  set via panda_gql_call_error
    //  The field's selection nodes (several when merged under one response
    //  key), and the document, whose fragments their spreads name: for
    //  resolvers whose answer depends on what is selected below them.
    const panda_gql_selection_t *const *nodes;
    size_t node_count;
    const panda_gql_document_t *document;
    void *engine; //  engine-internal: the running request (panda_gql_call_stopped)
} panda_gql_call_t;

//  Call fn for every field selection directly in the selection sets of
//  nodes, looking through inline fragments and fragment spreads of doc,
//  each fragment once (directives are not evaluated: a conservative
//  superset).
typedef void (*panda_gql_selection_fn) (void *ctx, const panda_gql_selection_t *field);
void panda_gql_selection_fields (const panda_gql_document_t *doc, const panda_gql_selection_t *const *nodes,
                                 size_t count, panda_gql_selection_fn fn, void *ctx);

//  Returns 0 on success; on failure calls panda_gql_call_error and returns -1.
typedef int (*panda_gql_resolve_fn) (panda_gql_call_t *call, panda_gql_out_t *out);

typedef struct {
    const panda_gql_resolve_fn *fns; //  indexed by resolver id
    size_t count;
} panda_gql_resolvers_t;

//  Set the resolver's error message (printf format). Returns -1.
int panda_gql_call_error (panda_gql_call_t *call, const char *format, ...) PANDA_PRINTF (2, 3);

//  True when the request must stop: the options' stop_fn gave a message
//  now or earlier (deadline passed, client gone, node shutting down).
//  Resolvers call it inside their own long loops (every few hundred rows,
//  or from sqlite3_progress_handler) and then return at once; whatever
//  they return, the request ends with data null and that one message.
//  Costs one call of stop_fn (none once stopped); safe to call often.
bool panda_gql_call_stopped (panda_gql_call_t *call);

//  Make out a list of count null items (fill out->items[i]). Returns 0, or
//  -1 when out of memory. The executor frees the items array.
int panda_gql_out_list (panda_gql_out_t *out, size_t count);

//  Engine-internal: introspection types and their resolvers (ids below
//  zero). Registered by panda_gql_builder_new.
void panda_gql_introspect_register (panda_gql_builder_t *builder);

int panda_gql_introspect_resolve (int resolver_id, panda_gql_call_t *call, panda_gql_out_t *out);

// ---------------------------------------------------------------------------
//  Validation, cache, execution

typedef struct panda_gql_options_s panda_gql_options_t;

//  Validate doc against schema. Returns NULL when valid, else a JSON array
//  of error objects ({"message","locations"}). Caller owns the result.
//  Runs in time linear in the document (each fragment is walked once).
//  options may be NULL; when its stop_fn answers during validation, the
//  result is that one message (no locations) and *stopped is set (stopped
//  may be NULL): such a result says nothing about the document.
json_t *panda_gql_validate (const panda_gql_schema_t *schema, const panda_gql_document_t *doc,
                            const panda_gql_options_t *options, bool *stopped);

typedef struct _panda_gql_cache_t panda_gql_cache_t;

//  An LRU of parsed+validated documents keyed by query text. Not
//  thread-safe: one per thread, or lock around it. Caller owns the result.
panda_gql_cache_t *panda_gql_cache_new (size_t capacity);

void panda_gql_cache_destroy (panda_gql_cache_t **self_p);

//  Find or parse+validate text. Returns a borrowed document valid until the
//  next cache call, or NULL with *errors set (caller owns *errors, an array
//  of error objects) when it fails to parse or validate. options (may be
//  NULL) give the stop_fn for validation; a stopped validation is not cached.
const panda_gql_document_t *panda_gql_cache_lookup (panda_gql_cache_t *self, const panda_gql_schema_t *schema,
                                                    const char *text, size_t len,
                                                    const panda_gql_options_t *options, json_t **errors);

//  Counters for tests and the bench.
size_t panda_gql_cache_hits (const panda_gql_cache_t *self);

struct panda_gql_options_s {
    //  false (aquadoggo parity, node-api §2.4): the first resolver error
    //  aborts the operation with data null and one error without a path, and
    //  a null in a non-null position is passed through. true: GraphQL spec
    //  behaviour, errors carry a path and nulls propagate to the nearest
    //  nullable parent.
    bool spec_errors;
    //  Bounds on what one request may cost; 0 means the built-in default
    //  (PANDA_GQL_DEFAULT_*). Exceeding one is a request error with a
    //  message naming the limit, and stops the work at once.
    uint32_t max_json_depth; //  nesting of the body's JSON, checked before parsing
    uint32_t max_json_nodes; //  values in the body's JSON, checked before parsing
    uint32_t max_cost; //  estimated before execution and counted during it
    //  Called often during validation and execution (and may be called from
    //  resolvers through panda_gql_call_stopped): a non-NULL answer stops
    //  the request with that message ("Request timed out", "Client
    //  disconnected", "Node is shutting down"). NULL: never stops. Called
    //  once per field resolved, every 256 list items and every 64
    //  validation steps; the engine reads no clock itself.
    const char *(*stop_fn) (void *stop_ctx);
    void *stop_ctx;
};

#define PANDA_GQL_DEFAULT_JSON_DEPTH 32
#define PANDA_GQL_DEFAULT_JSON_NODES 10000
#define PANDA_GQL_DEFAULT_MAX_COST 50000
//  A larger max_json_depth is lowered to this: jansson parses (and frees
//  and prints) nested JSON recursively, and variables are coerced
//  recursively, all on the worker stack (PANDA_GQL_WORKER_STACK).
#define PANDA_GQL_MAX_JSON_DEPTH 64

//  The cost of a request, estimated before it runs and counted while it
//  runs: every field resolved costs 1, a paged field (see
//  panda_gql_fielddef_t.paged) costs PANDA_GQL_PAGED_FIELD_COST more, and
//  everything selected below a paged field counts once per item of its
//  page. Lists that take no page size count one item in the estimate; the
//  count during execution sees their real length. Over max_cost the
//  request fails with "Query is too expensive: cost N exceeds the limit M
//  (graphql_max_cost)" and data null.
#define PANDA_GQL_DEFAULT_PAGE_SIZE 25
#define PANDA_GQL_PAGED_FIELD_COST 100

//  Execute query_text. cache may be NULL (parse and validate every time).
//  operation_name may be NULL; variables (borrowed) may be NULL or a JSON
//  object. options may be NULL. Returns the response object
//  {"data":...,"errors":[...]} in node-api §2.5 member order; caller owns it.
//  Returns NULL only when out of memory.
json_t *panda_gql_execute (const panda_gql_schema_t *schema, panda_gql_cache_t *cache, const char *query_text,
                           size_t query_len, const char *operation_name, json_t *variables,
                           const panda_gql_resolvers_t *resolvers, void *user_ctx,
                           const panda_gql_options_t *options);

//  Parse a POST body {"query","variables","operationName"} and execute it.
//  Returns NULL with err set when the body is not such a JSON object (the
//  caller answers HTTP 400; err says "UnsupportedBatch" for an array), or
//  when it is nested deeper or holds more values than the options allow,
//  which is checked before the body is parsed: "InvalidRequest(JSON nested
//  deeper than 32)", "InvalidRequest(JSON has more than 10000 values)".
json_t *panda_gql_execute_body (const panda_gql_schema_t *schema, panda_gql_cache_t *cache, const char *body,
                                size_t len, const panda_gql_resolvers_t *resolvers, void *user_ctx,
                                const panda_gql_options_t *options, panda_error_t *err);

//  Build one error object {"message", "locations":[{line,column}]}; line 0
//  omits locations. Caller owns the result.
json_t *panda_gql_error_new (const char *message, int line, int column);

#ifdef __cplusplus
}
#endif
#endif
