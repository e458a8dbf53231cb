/*  panda_msg.c - message catalogue and msgpack codec. See panda_msg.h.     */
#include "panda_msg.h"

#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char type; //  layout letter
    uint64_t u; //  u, i (as bits), t
    uint8_t *data; //  s (NUL-terminated), b
    size_t len;
} field_t;

struct _panda_msg_t {
    panda_msg_id_t id;
    size_t count;
    field_t fields[PANDA_MSG_MAX_FIELDS];
    msgpack_sbuffer body; //  encoded lazily
    bool encoded;
};

//  Each verb's field indices: S_publish_req = 0, S_publish_entry, ...
#define S_INDEX(v, kind, name) S_##v##_##name,
#define S_INDEX_C(verb, id, what)
#define S_INDEX_X(verb, id, name, route, endpoints)                                                          \
    static const panda_msg_id_t s_id_##name = id;                                                            \
    enum { PANDA_MSG_FIELDS_##id (S_INDEX, name) };
PANDA_MSG_LIST (S_INDEX_C, S_INDEX_X)

//  The layout letter of each field kind; a verb's layout is its letters.
#define S_LETTER_U64 "u"
#define S_LETTER_ERR "u"
#define S_LETTER_TEXT "s"
#define S_LETTER_BYTES "b"
#define S_LETTER(v, kind, name) S_LETTER_##kind

static const struct {
    const char *verb, *layout;
} s_catalogue[] = {
#define S_ROW_C(verb, id, what) {verb, ""},
#define S_ROW_X(verb, id, name, route, endpoints) {verb, "" PANDA_MSG_FIELDS_##id (S_LETTER, name)},
    PANDA_MSG_LIST (S_ROW_C, S_ROW_X)};

const char *
panda_msg_name (panda_msg_id_t id)
{
    return id < PANDA_MSG_COUNT ? s_catalogue[id].verb : "?";
}

static panda_msg_t *
s_msg_new (panda_msg_id_t id)
{
    panda_msg_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->id = id;
    self->count = strlen (s_catalogue[id].layout);
    for (size_t i = 0; i < self->count; i++)
        self->fields[i].type = s_catalogue[id].layout[i];
    msgpack_sbuffer_init (&self->body);
    return self;
}

static bool
s_set_bytes (field_t *field, const void *data, size_t len)
{
    field->data = malloc (len + 1); //  +1: text gets its NUL, bytes may be empty
    if (!field->data)
        return false;
    if (len)
        memcpy (field->data, data, len);
    field->data[len] = 0;
    field->len = len;
    return true;
}

static bool
s_set_text (field_t *field, const char *text)
{
    return s_set_bytes (field, text ? text : "", text ? strlen (text) : 0);
}

static bool
s_set_u64 (field_t *field, uint64_t value)
{
    field->u = value;
    return true;
}

void
panda_msg_destroy (panda_msg_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    panda_msg_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        free (self->fields[i].data);
    msgpack_sbuffer_destroy (&self->body);
    free (self);
    *self_p = NULL;
}

panda_msg_id_t
panda_msg_id (const panda_msg_t *self)
{
    return self->id;
}

//  Field index of a message of verb id; NULL (a bug) if self is another verb.
static const field_t *
s_field (const panda_msg_t *self, panda_msg_id_t id, size_t index)
{
    if (PANDA_NEVER (!self || self->id != id || index >= self->count))
        return NULL;
    return &self->fields[index];
}

static uint64_t
s_u64 (const panda_msg_t *self, panda_msg_id_t id, size_t index)
{
    const field_t *f = s_field (self, id, index);
    return f ? f->u : 0;
}

static const char *
s_text (const panda_msg_t *self, panda_msg_id_t id, size_t index)
{
    const field_t *f = s_field (self, id, index);
    return f ? (const char *) f->data : NULL;
}

static const uint8_t *
s_bytes (const panda_msg_t *self, panda_msg_id_t id, size_t index, size_t *len)
{
    const field_t *f = s_field (self, id, index);
    *len = f ? f->len : 0;
    return f ? f->data : NULL;
}

//  The generated constructors: fill each field, in catalogue order.
#define S_SET_U64(v, name) s_set_u64 (&self->fields[S_##v##_##name], name)
#define S_SET_ERR(v, name) s_set_u64 (&self->fields[S_##v##_##name], (uint64_t) name)
#define S_SET_TEXT(v, name) s_set_text (&self->fields[S_##v##_##name], name)
#define S_SET_BYTES(v, name) s_set_bytes (&self->fields[S_##v##_##name], name, name##_len)
#define S_SET(v, kind, name) ok = ok && S_SET_##kind (v, name);
#define S_NEW_C(verb, id, what)
#define S_NEW_X(verb, id, name, route, endpoints)                                                            \
    panda_msg_t *panda_msg_##name##_new (PANDA_MSG_ARGS (_ PANDA_MSG_FIELDS_##id (PANDA_MSG_ARG, name)))     \
    {                                                                                                        \
        panda_msg_t *self = s_msg_new (id);                                                                  \
        bool ok = self != NULL;                                                                              \
        PANDA_MSG_FIELDS_##id (S_SET, name) if (!ok) panda_msg_destroy (&self);                              \
        return self;                                                                                         \
    }
PANDA_MSG_LIST (S_NEW_C, S_NEW_X)

//  The generated accessors.
#define S_GET_U64(v, name)                                                                                   \
    uint64_t panda_msg_##v##_##name (const panda_msg_t *self)                                                \
    {                                                                                                        \
        return s_u64 (self, s_id_##v, S_##v##_##name);                                                       \
    }
#define S_GET_ERR(v, name)                                                                                   \
    panda_err_t panda_msg_##v##_##name (const panda_msg_t *self)                                             \
    {                                                                                                        \
        return (panda_err_t) s_u64 (self, s_id_##v, S_##v##_##name);                                         \
    }
#define S_GET_TEXT(v, name)                                                                                  \
    const char *panda_msg_##v##_##name (const panda_msg_t *self)                                             \
    {                                                                                                        \
        return s_text (self, s_id_##v, S_##v##_##name);                                                      \
    }
#define S_GET_BYTES(v, name)                                                                                 \
    const uint8_t *panda_msg_##v##_##name (const panda_msg_t *self, size_t *len)                             \
    {                                                                                                        \
        return s_bytes (self, s_id_##v, S_##v##_##name, len);                                                \
    }
#define S_GET(v, kind, name) S_GET_##kind (v, name)
#define S_GETTERS_C(verb, id, what)
#define S_GETTERS_X(verb, id, name, route, endpoints) PANDA_MSG_FIELDS_##id (S_GET, name)
PANDA_MSG_LIST (S_GETTERS_C, S_GETTERS_X)

const uint8_t *
panda_msg_body (panda_msg_t *self, size_t *len)
{
    if (self->count == 0) {
        *len = 0;
        return NULL;
    }
    if (!self->encoded) {
        msgpack_packer pk;
        msgpack_packer_init (&pk, &self->body, msgpack_sbuffer_write);
        msgpack_pack_array (&pk, self->count);
        for (size_t i = 0; i < self->count; i++) {
            const field_t *f = &self->fields[i];
            switch (f->type) {
                case 'u': msgpack_pack_uint64 (&pk, f->u); break;
                case 'i': msgpack_pack_int64 (&pk, (int64_t) f->u); break;
                case 't': f->u ? msgpack_pack_true (&pk) : msgpack_pack_false (&pk); break;
                case 's': msgpack_pack_str_with_body (&pk, f->data, f->len); break;
                default: msgpack_pack_bin_with_body (&pk, f->data, f->len);
            }
        }
        self->encoded = true;
    }
    *len = self->body.size;
    return (const uint8_t *) self->body.data;
}

//  Check one decoded element against its layout letter and copy it out.
static bool
s_take (field_t *f, const msgpack_object *o)
{
    switch (f->type) {
        case 'u':
            if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
                return false;
            f->u = o->via.u64;
            return true;
        case 'i':
            if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX)
                f->u = o->via.u64;
            else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
                f->u = (uint64_t) o->via.i64;
            else
                return false;
            return true;
        case 't':
            if (o->type != MSGPACK_OBJECT_BOOLEAN)
                return false;
            f->u = o->via.boolean;
            return true;
        case 's':
            return o->type == MSGPACK_OBJECT_STR && s_set_bytes (f, o->via.str.ptr, o->via.str.size) &&
                   memchr (f->data, 0, f->len) == NULL;
        default: return o->type == MSGPACK_OBJECT_BIN && s_set_bytes (f, o->via.bin.ptr, o->via.bin.size);
    }
}

static const char *
s_type_name (char type)
{
    switch (type) {
        case 'u': return "an unsigned integer";
        case 'i': return "an integer";
        case 't': return "a boolean";
        case 's': return "text";
        default: return "bytes";
    }
}

//  Length of the msgpack scalar, text or bytes item at p (containers are
//  never valid elements), or 0 if it is a container or runs past end.
//  msgpack-c allocates for a container's claimed size before it checks that
//  the bytes exist, so nothing reaches it before this walk passed.
static size_t
s_item_size (const uint8_t *p, const uint8_t *end)
{
    size_t avail = (size_t) (end - p), head, body = 0;
    uint8_t b = p[0];
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
        head = 1;
    else if (b >= 0xa0 && b <= 0xbf)
        head = 1, body = b & 0x1f;
    else if (b >= 0xcc && b <= 0xcf)
        head = 1 + ((size_t) 1 << (b - 0xcc));
    else if (b >= 0xd0 && b <= 0xd3)
        head = 1 + ((size_t) 1 << (b - 0xd0));
    else if (b == 0xca || b == 0xcb)
        head = b == 0xca ? 5 : 9;
    else if ((b >= 0xc4 && b <= 0xc6) || (b >= 0xd9 && b <= 0xdb)) {
        size_t width = (size_t) 1 << (b >= 0xd9 ? b - 0xd9 : b - 0xc4);
        head = 1 + width;
        if (avail < head)
            return 0;
        for (size_t i = 0; i < width; i++)
            body = body << 8 | p[1 + i];
    } else
        return 0;
    return avail >= head && avail - head >= body ? head + body : 0;
}

//  The body must be one fixarray of count scalar/text/bytes items, nothing after.
static bool
s_body_shape_ok (const uint8_t *body, size_t len, size_t count)
{
    const uint8_t *p = body, *end = body + len;
    if (len == 0 || *p++ != (0x90 | count))
        return false;
    for (size_t i = 0; i < count; i++) {
        size_t size = p < end ? s_item_size (p, end) : 0;
        if (size == 0)
            return false;
        p += size;
    }
    return p == end;
}

panda_msg_t *
panda_msg_decode (const uint8_t *verb, size_t verb_len, const uint8_t *body, size_t len, panda_error_t *err)
{
    panda_msg_id_t id = PANDA_MSG_COUNT;
    for (size_t i = 0; i < PANDA_MSG_COUNT; i++)
        if (strlen (s_catalogue[i].verb) == verb_len && memcmp (s_catalogue[i].verb, verb, verb_len) == 0)
            id = (panda_msg_id_t) i;
    if (id == PANDA_MSG_COUNT)
        return panda_error_set (err, PANDA_ERR_DECODE, "unknown verb '%.*s'",
                                (int) (verb_len < 32 ? verb_len : 32), (const char *) verb),
               NULL;
    panda_msg_t *self = s_msg_new (id);
    if (!self)
        return panda_error_set (err, PANDA_ERR_NOMEM, "out of memory"), NULL;
    if (self->count == 0) {
        if (len == 0)
            return self;
        panda_error_set (err, PANDA_ERR_DECODE, "%s: takes no body", panda_msg_name (id));
        panda_msg_destroy (&self);
        return NULL;
    }
    if (len > PANDA_MSG_MAX_BODY) {
        panda_error_set (err, PANDA_ERR_DECODE, "%s: body of %zu bytes is too large", panda_msg_name (id),
                         len);
        panda_msg_destroy (&self);
        return NULL;
    }
    if (!s_body_shape_ok (body, len, self->count)) {
        panda_error_set (err, PANDA_ERR_DECODE, "%s: body must be an array of %zu plain elements",
                         panda_msg_name (id), self->count);
        panda_msg_destroy (&self);
        return NULL;
    }
    msgpack_unpacked result;
    msgpack_unpacked_init (&result);
    size_t offset = 0;
    msgpack_unpack_return rc = msgpack_unpack_next (&result, (const char *) body, len, &offset);
    const msgpack_object *root = &result.data;
    if (rc != MSGPACK_UNPACK_SUCCESS || offset != len)
        panda_error_set (err, PANDA_ERR_DECODE, "%s: body is not one msgpack value", panda_msg_name (id));
    else if (root->type != MSGPACK_OBJECT_ARRAY || root->via.array.size != self->count)
        panda_error_set (err, PANDA_ERR_DECODE, "%s: body must be an array of %zu elements",
                         panda_msg_name (id), self->count);
    else {
        size_t i = 0;
        while (i < self->count && s_take (&self->fields[i], &root->via.array.ptr[i]))
            i++;
        if (i == self->count) {
            msgpack_unpacked_destroy (&result);
            return self;
        }
        panda_error_set (err, PANDA_ERR_DECODE, "%s: element %zu is not %s", panda_msg_name (id), i,
                         s_type_name (self->fields[i].type));
    }
    msgpack_unpacked_destroy (&result);
    panda_msg_destroy (&self);
    return NULL;
}
