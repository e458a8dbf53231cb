/*  panda_gql_schema.c - run-time schema model and its builder.

    The builder is the schema under construction; build checks every type
    reference, indexes names and hands the schema out with one reference.
    Adders record the first error instead of returning it, so building a
    schema reads like SDL.                                                  */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "panda_gql.h"

struct _panda_gql_schema_t {
    atomic_size_t refs;
    uint64_t generation;
    panda_gql_typedef_t **types;
    size_t type_count, type_cap;
    panda_gql_index_t type_index;
    panda_gql_typedef_t *query, *mutation;
    char *query_name, *mutation_name;
    panda_gql_fielddef_t directives[2];
    panda_gql_fielddef_t meta[2]; //  Query.__schema, Query.__type
};

struct _panda_gql_builder_t {
    panda_gql_schema_t *schema;
    panda_gql_typedef_t *type; //  current type
    char **last_description; //  where describe() writes
    char **last_default; //  where default() writes
    panda_error_t err;
};

static atomic_uint_fast64_t s_generation = 1;

// ---------------------------------------------------------------------------
//  Name index (FNV-1a, open addressing)

static uint32_t
s_hash (const char *s)
{
    uint32_t h = 2166136261u;
    while (*s)
        h = (h ^ (uint8_t) *s++) * 16777619u;
    return h;
}

bool
panda_gql_index_build (panda_gql_index_t *index, size_t count, panda_gql_name_fn name_at, const void *items)
{
    size_t cap = 8;
    while (cap < count * 2)
        cap *= 2;
    index->slots = calloc (cap, sizeof (uint32_t));
    if (!index->slots)
        return false;
    index->mask = cap - 1;
    for (size_t i = 0; i < count; i++) {
        size_t slot = s_hash (name_at (items, i)) & index->mask;
        while (index->slots[slot])
            slot = (slot + 1) & index->mask;
        index->slots[slot] = (uint32_t) i + 1;
    }
    return true;
}

long
panda_gql_index_find (const panda_gql_index_t *index, const char *name, panda_gql_name_fn name_at,
                      const void *items)
{
    if (!index->slots)
        return -1;
    size_t slot = s_hash (name) & index->mask;
    while (index->slots[slot]) {
        size_t i = index->slots[slot] - 1;
        if (strcmp (name_at (items, i), name) == 0)
            return (long) i;
        slot = (slot + 1) & index->mask;
    }
    return -1;
}

void
panda_gql_index_release (panda_gql_index_t *index)
{
    free (index->slots);
    index->slots = NULL;
}

static const char *
s_type_name_at (const void *items, size_t i)
{
    return ((panda_gql_typedef_t *const *) items)[i]->name;
}

static const char *
s_field_name_at (const void *items, size_t i)
{
    return ((const panda_gql_fielddef_t *) items)[i].name;
}

static const char *
s_input_name_at (const void *items, size_t i)
{
    return ((const panda_gql_argdef_t *) items)[i].name;
}

static const char *
s_value_name_at (const void *items, size_t i)
{
    return ((const panda_gql_enumval_t *) items)[i].name;
}

// ---------------------------------------------------------------------------
//  Type references as text: "[Int!]!"

static void
s_type_free (panda_gql_type_t *t)
{
    while (t) {
        panda_gql_type_t *of = t->of;
        free ((char *) t->name);
        free (t);
        t = of;
    }
}

static panda_gql_type_t *
s_type_parse (const char **pp)
{
    const char *p = *pp;
    panda_gql_type_t *t = calloc (1, sizeof (*t));
    if (!t)
        return NULL;
    if (*p == '[') {
        p++;
        t->kind = PANDA_GQL_TYPE_LIST;
        if (!(t->of = s_type_parse (&p)) || *p++ != ']')
            goto fail;
    } else {
        const char *start = p;
        while (*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))
            p++;
        if (p == start || (*start >= '0' && *start <= '9') ||
            !(t->name = strndup (start, (size_t) (p - start))))
            goto fail;
    }
    if (*p == '!') {
        p++;
        panda_gql_type_t *nn = calloc (1, sizeof (*nn));
        if (!nn)
            goto fail;
        nn->kind = PANDA_GQL_TYPE_NON_NULL;
        nn->of = t;
        t = nn;
    }
    *pp = p;
    return t;
fail:
    s_type_free (t);
    return NULL;
}

const char *
panda_gql_type_name (const panda_gql_type_t *type)
{
    while (type && type->kind != PANDA_GQL_TYPE_NAMED)
        type = type->of;
    return type ? type->name : "";
}

const char *
panda_gql_type_text (const panda_gql_type_t *type, char *buf, size_t size)
{
    if (type->kind == PANDA_GQL_TYPE_NAMED)
        snprintf (buf, size, "%s", type->name);
    else {
        char inner[256];
        panda_gql_type_text (type->of, inner, sizeof (inner));
        snprintf (buf, size, type->kind == PANDA_GQL_TYPE_LIST ? "[%s]" : "%s!", inner);
    }
    return buf;
}

// ---------------------------------------------------------------------------
//  Freeing

static void
s_args_free (panda_gql_argdef_t *args, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free (args[i].name);
        s_type_free (args[i].type);
        free (args[i].default_literal);
        free (args[i].description);
    }
    free (args);
}

static void
s_typedef_free (panda_gql_typedef_t *t)
{
    for (size_t i = 0; i < t->field_count; i++) {
        free (t->fields[i].name);
        s_type_free (t->fields[i].type);
        free (t->fields[i].description);
        s_args_free (t->fields[i].args, t->fields[i].arg_count);
    }
    free (t->fields);
    panda_gql_index_release (&t->field_index);
    panda_gql_index_release (&t->input_index);
    panda_gql_index_release (&t->value_index);
    s_args_free (t->inputs, t->input_count);
    for (size_t i = 0; i < t->value_count; i++) {
        free (t->values[i].name);
        free (t->values[i].description);
    }
    free (t->values);
    free (t->name);
    free (t->description);
    free (t);
}

static void
s_schema_free (panda_gql_schema_t *self)
{
    for (size_t i = 0; i < self->type_count; i++)
        s_typedef_free (self->types[i]);
    free (self->types);
    panda_gql_index_release (&self->type_index);
    free (self->query_name);
    free (self->mutation_name);
    for (int i = 0; i < 2; i++) {
        free (self->meta[i].name);
        s_type_free (self->meta[i].type);
        s_args_free (self->meta[i].args, self->meta[i].arg_count);
        free (self->directives[i].name);
        free (self->directives[i].description);
        s_args_free (self->directives[i].args, self->directives[i].arg_count);
    }
    free (self);
}

// ---------------------------------------------------------------------------
//  Builder

static bool
s_fail (panda_gql_builder_t *self, const char *what, const char *name)
{
    if (self->err.code == PANDA_OK)
        panda_error_set (&self->err, PANDA_ERR_INVALID, "schema: %s \"%s\"", what, name ? name : "(null)");
    return false;
}

//  Make room for one more item; arrays grow at powers of two.
static bool
s_grow (void **items, size_t count, size_t size)
{
    if (count != 0 && (count & (count - 1)) != 0)
        return true;
    void *grown = realloc (*items, (count ? count * 2 : 1) * size);
    if (!grown)
        return false;
    *items = grown;
    return true;
}

static void
s_add_type (panda_gql_builder_t *self, const char *name, panda_gql_kind_t kind)
{
    self->type = NULL;
    self->last_description = NULL;
    self->last_default = NULL;
    if (self->err.code != PANDA_OK)
        return;
    panda_gql_schema_t *s = self->schema;
    for (size_t i = 0; i < s->type_count; i++)
        if (strcmp (s->types[i]->name, name) == 0) {
            s_fail (self, "duplicate type", name);
            return;
        }
    panda_gql_typedef_t *t = calloc (1, sizeof (*t));
    if (!t || !(t->name = strdup (name)) || !s_grow ((void **) &s->types, s->type_count, sizeof (t))) {
        if (t)
            s_typedef_free (t);
        s_fail (self, "out of memory adding", name);
        return;
    }
    t->kind = kind;
    t->ref.kind = PANDA_GQL_TYPE_NAMED;
    t->ref.name = t->name;
    s->types[s->type_count++] = t;
    self->type = t;
    self->last_description = &t->description;
}

//  The root-only meta fields __schema: __Schema! and __type(name: String!): __Type.
static bool
s_meta_fields (panda_gql_schema_t *s)
{
    const char *t1 = "__Schema!", *t2 = "__Type", *t3 = "String!";
    panda_gql_fielddef_t *m = s->meta;
    m[0].name = strdup ("__schema");
    m[0].type = s_type_parse (&t1);
    m[0].resolver_id = PANDA_GQL_RESOLVE_SCHEMA;
    m[1].name = strdup ("__type");
    m[1].type = s_type_parse (&t2);
    m[1].resolver_id = PANDA_GQL_RESOLVE_TYPE;
    m[1].args = calloc (1, sizeof (panda_gql_argdef_t));
    if (!m[1].args)
        return false;
    m[1].arg_count = 1;
    m[1].args->name = strdup ("name");
    m[1].args->type = s_type_parse (&t3);
    return m[0].name && m[0].type && m[1].name && m[1].type && m[1].args->name && m[1].args->type;
}

panda_gql_builder_t *
panda_gql_builder_new (void)
{
    panda_gql_builder_t *self = calloc (1, sizeof (*self));
    if (!self || !(self->schema = calloc (1, sizeof (panda_gql_schema_t)))) {
        free (self);
        return NULL;
    }
    const char *builtins[] = {"Int", "Float", "String", "Boolean", "ID"};
    for (int i = 0; i < 5; i++)
        s_add_type (self, builtins[i], PANDA_GQL_KIND_SCALAR);
    const char *directives[] = {"include", "skip"};
    const char *about[] = {"Directs the executor to include this field or fragment only when the `if` "
                           "argument is true.",
                           "Directs the executor to skip this field or fragment when the `if` argument "
                           "is true."};
    for (int i = 0; i < 2; i++) {
        panda_gql_fielddef_t *d = &self->schema->directives[i];
        const char *bang = "Boolean!";
        d->name = strdup (directives[i]);
        d->description = strdup (about[i]);
        d->args = calloc (1, sizeof (panda_gql_argdef_t));
        if (!d->name || !d->description || !d->args || !(d->args->name = strdup ("if")) ||
            !(d->args->type = s_type_parse (&bang))) {
            s_fail (self, "out of memory adding", "@directives");
            break;
        }
        d->args->description = strdup (i ? "Skipped when true." : "Included when true.");
        d->arg_count = 1;
    }
    if (!s_meta_fields (self->schema))
        s_fail (self, "out of memory adding", "__schema");
    panda_gql_introspect_register (self);
    return self;
}

void
panda_gql_builder_destroy (panda_gql_builder_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    panda_gql_builder_t *self = *self_p;
    if (self->schema)
        s_schema_free (self->schema);
    free (self);
    *self_p = NULL;
}

void
panda_gql_builder_scalar (panda_gql_builder_t *self, const char *name, panda_gql_scalar_check_fn check,
                          void *hint)
{
    s_add_type (self, name, PANDA_GQL_KIND_SCALAR);
    if (self->type) {
        self->type->check = check;
        self->type->hint = hint;
    }
}

void
panda_gql_builder_object (panda_gql_builder_t *self, const char *name)
{
    s_add_type (self, name, PANDA_GQL_KIND_OBJECT);
}

void
panda_gql_builder_input (panda_gql_builder_t *self, const char *name)
{
    s_add_type (self, name, PANDA_GQL_KIND_INPUT);
}

void
panda_gql_builder_enum (panda_gql_builder_t *self, const char *name)
{
    s_add_type (self, name, PANDA_GQL_KIND_ENUM);
}

void
panda_gql_builder_enum_value (panda_gql_builder_t *self, const char *value)
{
    panda_gql_typedef_t *t = self->type;
    if (!t || t->kind != PANDA_GQL_KIND_ENUM) {
        s_fail (self, "enum value outside an enum", value);
        return;
    }
    if (!s_grow ((void **) &t->values, t->value_count, sizeof (*t->values))) {
        s_fail (self, "out of memory adding", value);
        return;
    }
    panda_gql_enumval_t *v = &t->values[t->value_count++];
    memset (v, 0, sizeof (*v));
    if (!(v->name = strdup (value)))
        s_fail (self, "out of memory adding", value);
    self->last_description = &v->description;
}

//  Fill an argument/input-field definition.
static void
s_argdef_init (panda_gql_builder_t *self, panda_gql_argdef_t *a, const char *name, const char *type,
               const char *default_literal)
{
    memset (a, 0, sizeof (*a));
    const char *p = type;
    a->name = strdup (name);
    a->type = s_type_parse (&p);
    if (!a->type || *p)
        s_fail (self, "bad type reference", type);
    if (default_literal)
        a->default_literal = strdup (default_literal);
    if (!a->name || (default_literal && !a->default_literal))
        s_fail (self, "out of memory adding", name);
    self->last_description = &a->description;
    self->last_default = &a->default_literal;
}

void
panda_gql_builder_field (panda_gql_builder_t *self, const char *name, const char *type, int resolver_id)
{
    panda_gql_typedef_t *t = self->type;
    if (t && t->kind == PANDA_GQL_KIND_INPUT) {
        if (!s_grow ((void **) &t->inputs, t->input_count, sizeof (*t->inputs))) {
            s_fail (self, "out of memory adding", name);
            return;
        }
        s_argdef_init (self, &t->inputs[t->input_count++], name, type, NULL);
        return;
    }
    if (!t || t->kind != PANDA_GQL_KIND_OBJECT) {
        s_fail (self, "field outside an object or input type", name);
        return;
    }
    if (!s_grow ((void **) &t->fields, t->field_count, sizeof (*t->fields))) {
        s_fail (self, "out of memory adding", name);
        return;
    }
    panda_gql_fielddef_t *f = &t->fields[t->field_count++];
    memset (f, 0, sizeof (*f));
    const char *p = type;
    f->name = strdup (name);
    f->type = s_type_parse (&p);
    f->resolver_id = resolver_id;
    if (!f->name || !f->type || *p)
        s_fail (self, "bad type reference", type);
    self->last_description = &f->description;
    self->last_default = NULL;
}

void
panda_gql_builder_arg (panda_gql_builder_t *self, const char *name, const char *type,
                       const char *default_literal)
{
    panda_gql_typedef_t *t = self->type;
    if (!t || t->kind != PANDA_GQL_KIND_OBJECT || t->field_count == 0) {
        s_fail (self, "argument outside a field", name);
        return;
    }
    panda_gql_fielddef_t *f = &t->fields[t->field_count - 1];
    if (!s_grow ((void **) &f->args, f->arg_count, sizeof (*f->args))) {
        s_fail (self, "out of memory adding", name);
        return;
    }
    s_argdef_init (self, &f->args[f->arg_count++], name, type, default_literal);
}

void
panda_gql_builder_describe (panda_gql_builder_t *self, const char *description)
{
    if (!self->last_description)
        return;
    free (*self->last_description);
    *self->last_description = strdup (description);
}

void
panda_gql_builder_default (panda_gql_builder_t *self, const char *literal)
{
    if (!self->last_default) {
        s_fail (self, "default outside an argument or input field", literal);
        return;
    }
    free (*self->last_default);
    *self->last_default = strdup (literal);
}

void
panda_gql_builder_roots (panda_gql_builder_t *self, const char *query, const char *mutation)
{
    panda_gql_schema_t *s = self->schema;
    free (s->query_name);
    free (s->mutation_name);
    s->query_name = query ? strdup (query) : NULL;
    s->mutation_name = mutation ? strdup (mutation) : NULL;
}

//  Every referenced type must exist, with the right kind for its position.
static bool
s_check_ref (panda_gql_builder_t *self, const panda_gql_type_t *type, bool input)
{
    const char *name = panda_gql_type_name (type);
    const panda_gql_typedef_t *t = panda_gql_schema_type (self->schema, name);
    if (!t)
        return s_fail (self, "unknown type", name);
    if (input && t->kind == PANDA_GQL_KIND_OBJECT)
        return s_fail (self, "object type used as input", name);
    if (!input && t->kind == PANDA_GQL_KIND_INPUT)
        return s_fail (self, "input type used as output", name);
    return true;
}

//  A field with an Int argument `first` is paged (see panda_gql_fielddef_t).
static void
s_mark_paged (panda_gql_fielddef_t *f)
{
    const panda_gql_argdef_t *first = panda_gql_field_arg (f, "first");
    if (!first || strcmp (panda_gql_type_name (first->type), "Int") != 0)
        return;
    f->paged = true;
    f->default_page = PANDA_GQL_DEFAULT_PAGE_SIZE;
    const char *d = first->default_literal;
    if (d && *d >= '0' && *d <= '9' && strlen (d) < 10 && strspn (d, "0123456789") == strlen (d))
        f->default_page = (uint32_t) strtoul (d, NULL, 10);
}

static bool
s_check_types (panda_gql_builder_t *self)
{
    panda_gql_schema_t *s = self->schema;
    for (size_t i = 0; i < s->type_count; i++) {
        panda_gql_typedef_t *t = s->types[i];
        if (t->kind == PANDA_GQL_KIND_OBJECT && t->field_count == 0)
            return s_fail (self, "object type without fields", t->name);
        for (size_t f = 0; f < t->field_count; f++) {
            if (!s_check_ref (self, t->fields[f].type, false))
                return false;
            s_mark_paged (&t->fields[f]);
            for (size_t a = 0; a < t->fields[f].arg_count; a++)
                if (!s_check_ref (self, t->fields[f].args[a].type, true))
                    return false;
        }
        for (size_t f = 0; f < t->input_count; f++)
            if (!s_check_ref (self, t->inputs[f].type, true))
                return false;
        //  Inputs and enum values are looked up once per value of a request.
        if (!panda_gql_index_build (&t->field_index, t->field_count, s_field_name_at, t->fields) ||
            !panda_gql_index_build (&t->input_index, t->input_count, s_input_name_at, t->inputs) ||
            !panda_gql_index_build (&t->value_index, t->value_count, s_value_name_at, t->values))
            return s_fail (self, "out of memory indexing", t->name);
    }
    return true;
}

panda_gql_schema_t *
panda_gql_builder_build (panda_gql_builder_t **self_p, panda_error_t *err)
{
    panda_gql_builder_t *self = *self_p;
    panda_gql_schema_t *s = self->schema;
    *self_p = NULL;
    if (self->err.code == PANDA_OK &&
        !panda_gql_index_build (&s->type_index, s->type_count, s_type_name_at, s->types))
        s_fail (self, "out of memory indexing", "types");
    if (self->err.code == PANDA_OK && s_check_types (self)) {
        s->query = (panda_gql_typedef_t *) panda_gql_schema_type (s, s->query_name ? s->query_name : "");
        s->mutation =
            s->mutation_name ? (panda_gql_typedef_t *) panda_gql_schema_type (s, s->mutation_name) : NULL;
        if (!s->query || s->query->kind != PANDA_GQL_KIND_OBJECT)
            s_fail (self, "missing query root type", s->query_name);
        else if (s->mutation_name && (!s->mutation || s->mutation->kind != PANDA_GQL_KIND_OBJECT))
            s_fail (self, "missing mutation root type", s->mutation_name);
    }
    if (self->err.code != PANDA_OK) {
        if (err)
            *err = self->err;
        panda_gql_builder_destroy (&self);
        return NULL;
    }
    atomic_init (&s->refs, 1);
    s->generation = atomic_fetch_add (&s_generation, 1);
    self->schema = NULL;
    free (self);
    return s;
}

panda_gql_schema_t *
panda_gql_schema_ref (panda_gql_schema_t *self)
{
    atomic_fetch_add (&self->refs, 1);
    return self;
}

void
panda_gql_schema_unref (panda_gql_schema_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    if (atomic_fetch_sub (&(*self_p)->refs, 1) == 1)
        s_schema_free (*self_p);
    *self_p = NULL;
}

uint64_t
panda_gql_schema_generation (const panda_gql_schema_t *self)
{
    return self->generation;
}

bool
panda_gql_schema_has_type (const panda_gql_schema_t *self, const char *name)
{
    return panda_gql_schema_type (self, name) != NULL;
}

const panda_gql_typedef_t *
panda_gql_schema_type (const panda_gql_schema_t *self, const char *name)
{
    long i = panda_gql_index_find (&self->type_index, name, s_type_name_at, self->types);
    return i < 0 ? NULL : self->types[i];
}

const panda_gql_typedef_t *
panda_gql_schema_root (const panda_gql_schema_t *self, panda_gql_op_t op)
{
    return op == PANDA_GQL_OP_QUERY ? self->query : op == PANDA_GQL_OP_MUTATION ? self->mutation : NULL;
}

const panda_gql_typedef_t *const *
panda_gql_schema_types (const panda_gql_schema_t *self, size_t *count)
{
    *count = self->type_count;
    return (const panda_gql_typedef_t *const *) self->types;
}

const panda_gql_fielddef_t *
panda_gql_schema_directives (const panda_gql_schema_t *self, size_t *count)
{
    *count = 2;
    return self->directives;
}

const panda_gql_fielddef_t *
panda_gql_type_field (const panda_gql_typedef_t *type, const char *name)
{
    long i = panda_gql_index_find (&type->field_index, name, s_field_name_at, type->fields);
    return i < 0 ? NULL : &type->fields[i];
}

const panda_gql_argdef_t *
panda_gql_field_arg (const panda_gql_fielddef_t *field, const char *name)
{
    for (size_t i = 0; i < field->arg_count; i++)
        if (strcmp (field->args[i].name, name) == 0)
            return &field->args[i];
    return NULL;
}

const panda_gql_argdef_t *
panda_gql_type_input (const panda_gql_typedef_t *type, const char *name)
{
    long i = panda_gql_index_find (&type->input_index, name, s_input_name_at, type->inputs);
    return i < 0 ? NULL : &type->inputs[i];
}

bool
panda_gql_type_has_value (const panda_gql_typedef_t *type, const char *name)
{
    return panda_gql_index_find (&type->value_index, name, s_value_name_at, type->values) >= 0;
}

const panda_gql_fielddef_t *
panda_gql_schema_field (const panda_gql_schema_t *self, const panda_gql_typedef_t *type, const char *name)
{
    if (type == self->query && name[0] == '_' && name[1] == '_') {
        if (strcmp (name, "__schema") == 0)
            return &self->meta[0];
        if (strcmp (name, "__type") == 0)
            return &self->meta[1];
    }
    return panda_gql_type_field (type, name);
}
