/*  panda_gql_introspect.c - __schema, __type and the introspection types
    (spec October 2021 §4.2), enough for GraphiQL's standard query.

    Each introspection object is returned as a JSON object with its leaf
    members (they default-resolve) plus a handle into the schema for the
    members that lead to other objects. Handles are borrowed: the schema
    outlives the request.                                                   */
#include <string.h>
#include "panda_gql.h"

enum {
    S_SCHEMA_TYPES = -3,
    S_SCHEMA_QUERY = -4,
    S_SCHEMA_MUTATION = -5,
    S_SCHEMA_DIRECTIVES = -6,
    S_TYPE_FIELDS = -7,
    S_TYPE_INTERFACES = -8,
    S_TYPE_ENUM_VALUES = -9,
    S_TYPE_INPUT_FIELDS = -10,
    S_TYPE_OF_TYPE = -11,
    S_FIELD_ARGS = -12,
    S_FIELD_TYPE = -13,
    S_INPUT_TYPE = -14,
    S_NULL = -15
};

void
panda_gql_introspect_register (panda_gql_builder_t *b)
{
    panda_gql_builder_object (b, "__Schema");
    panda_gql_builder_field (b, "description", "String", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_field (b, "types", "[__Type!]!", S_SCHEMA_TYPES);
    panda_gql_builder_field (b, "queryType", "__Type!", S_SCHEMA_QUERY);
    panda_gql_builder_field (b, "mutationType", "__Type", S_SCHEMA_MUTATION);
    panda_gql_builder_field (b, "subscriptionType", "__Type", S_NULL);
    panda_gql_builder_field (b, "directives", "[__Directive!]!", S_SCHEMA_DIRECTIVES);

    panda_gql_builder_object (b, "__Type");
    panda_gql_builder_field (b, "kind", "__TypeKind!", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_field (b, "name", "String", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_field (b, "description", "String", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_field (b, "specifiedByURL", "String", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_field (b, "fields", "[__Field!]", S_TYPE_FIELDS);
    panda_gql_builder_arg (b, "includeDeprecated", "Boolean", "false");
    panda_gql_builder_field (b, "interfaces", "[__Type!]", S_TYPE_INTERFACES);
    panda_gql_builder_field (b, "possibleTypes", "[__Type!]", S_NULL);
    panda_gql_builder_field (b, "enumValues", "[__EnumValue!]", S_TYPE_ENUM_VALUES);
    panda_gql_builder_arg (b, "includeDeprecated", "Boolean", "false");
    panda_gql_builder_field (b, "inputFields", "[__InputValue!]", S_TYPE_INPUT_FIELDS);
    panda_gql_builder_arg (b, "includeDeprecated", "Boolean", "false");
    panda_gql_builder_field (b, "ofType", "__Type", S_TYPE_OF_TYPE);

    panda_gql_builder_object (b, "__Field");
    panda_gql_builder_field (b, "name", "String!", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_field (b, "description", "String", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_field (b, "args", "[__InputValue!]!", S_FIELD_ARGS);
    panda_gql_builder_arg (b, "includeDeprecated", "Boolean", "false");
    panda_gql_builder_field (b, "type", "__Type!", S_FIELD_TYPE);
    panda_gql_builder_field (b, "isDeprecated", "Boolean!", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_field (b, "deprecationReason", "String", PANDA_GQL_RESOLVE_DEFAULT);

    panda_gql_builder_object (b, "__InputValue");
    panda_gql_builder_field (b, "name", "String!", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_field (b, "description", "String", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_field (b, "type", "__Type!", S_INPUT_TYPE);
    panda_gql_builder_field (b, "defaultValue", "String", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_field (b, "isDeprecated", "Boolean!", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_field (b, "deprecationReason", "String", PANDA_GQL_RESOLVE_DEFAULT);

    panda_gql_builder_object (b, "__EnumValue");
    panda_gql_builder_field (b, "name", "String!", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_field (b, "description", "String", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_field (b, "isDeprecated", "Boolean!", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_field (b, "deprecationReason", "String", PANDA_GQL_RESOLVE_DEFAULT);

    panda_gql_builder_object (b, "__Directive");
    panda_gql_builder_field (b, "name", "String!", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_field (b, "description", "String", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_field (b, "isRepeatable", "Boolean!", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_field (b, "locations", "[__DirectiveLocation!]!", PANDA_GQL_RESOLVE_DEFAULT);
    panda_gql_builder_field (b, "args", "[__InputValue!]!", S_FIELD_ARGS);
    panda_gql_builder_arg (b, "includeDeprecated", "Boolean", "false");

    panda_gql_builder_enum (b, "__TypeKind");
    const char *kinds[] = {"SCALAR", "OBJECT",       "INTERFACE", "UNION",
                           "ENUM",   "INPUT_OBJECT", "LIST",      "NON_NULL"};
    for (size_t i = 0; i < sizeof (kinds) / sizeof (kinds[0]); i++)
        panda_gql_builder_enum_value (b, kinds[i]);
    panda_gql_builder_enum (b, "__DirectiveLocation");
    const char *locations[] = {"QUERY",
                               "MUTATION",
                               "SUBSCRIPTION",
                               "FIELD",
                               "FRAGMENT_DEFINITION",
                               "FRAGMENT_SPREAD",
                               "INLINE_FRAGMENT",
                               "VARIABLE_DEFINITION",
                               "SCHEMA",
                               "SCALAR",
                               "OBJECT",
                               "FIELD_DEFINITION",
                               "ARGUMENT_DEFINITION",
                               "INTERFACE",
                               "UNION",
                               "ENUM",
                               "ENUM_VALUE",
                               "INPUT_OBJECT",
                               "INPUT_FIELD_DEFINITION"};
    for (size_t i = 0; i < sizeof (locations) / sizeof (locations[0]); i++)
        panda_gql_builder_enum_value (b, locations[i]);
}

static json_t *
s_str (const char *s)
{
    return s ? json_string (s) : json_null ();
}

//  A __Type for a type reference (named or wrapper).
static void
s_type_out (const panda_gql_schema_t *schema, const panda_gql_type_t *ref, panda_gql_out_t *out)
{
    static const char *kinds[] = {"SCALAR", "OBJECT", "INPUT_OBJECT", "ENUM"};
    const char *kind = ref->kind == PANDA_GQL_TYPE_LIST ? "LIST" : "NON_NULL";
    const panda_gql_typedef_t *t = NULL;
    if (ref->kind == PANDA_GQL_TYPE_NAMED) {
        t = panda_gql_schema_type (schema, ref->name);
        kind = t ? kinds[t->kind] : "SCALAR";
    }
    out->handle = (void *) ref;
    out->json = json_pack ("{s:s,s:o,s:o,s:n}", "kind", kind, "name", s_str (t ? t->name : NULL),
                           "description", s_str (t ? t->description : NULL), "specifiedByURL");
}

static void
s_input_out (const panda_gql_argdef_t *a, panda_gql_out_t *out)
{
    out->handle = (void *) a;
    out->json =
        json_pack ("{s:s,s:o,s:o,s:b,s:n}", "name", a->name, "description", s_str (a->description),
                   "defaultValue", s_str (a->default_literal), "isDeprecated", 0, "deprecationReason");
}

static int
s_inputs (const panda_gql_argdef_t *args, size_t count, panda_gql_out_t *out)
{
    if (panda_gql_out_list (out, count))
        return -1;
    for (size_t i = 0; i < count; i++)
        s_input_out (&args[i], &out->items[i]);
    return 0;
}

static const panda_gql_typedef_t *
s_named (panda_gql_call_t *call)
{
    const panda_gql_type_t *ref = call->parent;
    return ref && ref->kind == PANDA_GQL_TYPE_NAMED ? panda_gql_schema_type (call->schema, ref->name) : NULL;
}

static int
s_type_members (int id, panda_gql_call_t *call, panda_gql_out_t *out)
{
    const panda_gql_typedef_t *t = s_named (call);
    const panda_gql_type_t *ref = call->parent;
    switch (id) {
        case S_TYPE_FIELDS:
            if (!t || t->kind != PANDA_GQL_KIND_OBJECT)
                return 0;
            if (panda_gql_out_list (out, t->field_count))
                return -1;
            for (size_t i = 0; i < t->field_count; i++) {
                const panda_gql_fielddef_t *f = &t->fields[i];
                out->items[i].handle = (void *) f;
                out->items[i].json =
                    json_pack ("{s:s,s:o,s:b,s:n}", "name", f->name, "description", s_str (f->description),
                               "isDeprecated", 0, "deprecationReason");
            }
            return 0;
        case S_TYPE_INTERFACES:
            if (t && t->kind == PANDA_GQL_KIND_OBJECT)
                out->json = json_array ();
            return 0;
        case S_TYPE_ENUM_VALUES:
            if (!t || t->kind != PANDA_GQL_KIND_ENUM)
                return 0;
            out->json = json_array ();
            for (size_t i = 0; i < t->value_count; i++)
                json_array_append_new (out->json, json_pack ("{s:s,s:o,s:b,s:n}", "name", t->values[i].name,
                                                             "description", s_str (t->values[i].description),
                                                             "isDeprecated", 0, "deprecationReason"));
            return 0;
        case S_TYPE_INPUT_FIELDS:
            return t && t->kind == PANDA_GQL_KIND_INPUT ? s_inputs (t->inputs, t->input_count, out) : 0;
        case S_TYPE_OF_TYPE:
            if (ref && ref->of)
                s_type_out (call->schema, ref->of, out);
            return 0;
    }
    return panda_gql_call_error (call, "unknown introspection resolver %d", id);
}

int
panda_gql_introspect_resolve (int id, panda_gql_call_t *call, panda_gql_out_t *out)
{
    const panda_gql_schema_t *schema = call->schema;
    switch (id) {
        case PANDA_GQL_RESOLVE_SCHEMA:
            out->json = json_pack ("{s:n}", "description");
            out->handle = (void *) schema;
            return 0;
        case PANDA_GQL_RESOLVE_TYPE: {
            const panda_gql_typedef_t *t =
                panda_gql_schema_type (schema, json_string_value (json_object_get (call->args, "name")));
            if (t)
                s_type_out (schema, &t->ref, out);
            return 0;
        }
        case S_SCHEMA_TYPES: {
            size_t count;
            const panda_gql_typedef_t *const *types = panda_gql_schema_types (schema, &count);
            if (panda_gql_out_list (out, count))
                return -1;
            for (size_t i = 0; i < count; i++)
                s_type_out (schema, &types[i]->ref, &out->items[i]);
            return 0;
        }
        case S_SCHEMA_QUERY:
        case S_SCHEMA_MUTATION: {
            const panda_gql_typedef_t *root = panda_gql_schema_root (
                schema, id == S_SCHEMA_QUERY ? PANDA_GQL_OP_QUERY : PANDA_GQL_OP_MUTATION);
            if (root)
                s_type_out (schema, &root->ref, out);
            return 0;
        }
        case S_SCHEMA_DIRECTIVES: {
            size_t count;
            const panda_gql_fielddef_t *dirs = panda_gql_schema_directives (schema, &count);
            if (panda_gql_out_list (out, count))
                return -1;
            for (size_t i = 0; i < count; i++) {
                out->items[i].handle = (void *) &dirs[i];
                out->items[i].json = json_pack ("{s:s,s:o,s:b,s:[sss]}", "name", dirs[i].name, "description",
                                                s_str (dirs[i].description), "isRepeatable", 0, "locations",
                                                "FIELD", "FRAGMENT_SPREAD", "INLINE_FRAGMENT");
            }
            return 0;
        }
        case S_FIELD_ARGS: {
            const panda_gql_fielddef_t *f = call->parent;
            return s_inputs (f->args, f->arg_count, out);
        }
        case S_FIELD_TYPE:
            s_type_out (schema, ((const panda_gql_fielddef_t *) call->parent)->type, out);
            return 0;
        case S_INPUT_TYPE:
            s_type_out (schema, ((const panda_gql_argdef_t *) call->parent)->type, out);
            return 0;
        case S_NULL: return 0;
    }
    return s_type_members (id, call, out);
}
