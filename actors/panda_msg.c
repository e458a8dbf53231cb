/*  panda_msg.c - message catalogue and msgpack codec. See panda_msg.h.     */
#include "panda_msg.h"

#include <msgpack.h>
#include <stdarg.h>
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

static const struct {
    const char *verb, *layout;
} s_catalogue[] = {
#define PANDA_MSG_ROW(verb, id, layout) {verb, layout},
    PANDA_MSG_LIST (PANDA_MSG_ROW)
#undef PANDA_MSG_ROW
};

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

panda_msg_t *
panda_msg_new (panda_msg_id_t id, ...)
{
    if (PANDA_NEVER (id >= PANDA_MSG_COUNT))
        return NULL;
    panda_msg_t *self = s_msg_new (id);
    if (!self)
        return NULL;
    va_list args;
    va_start (args, id);
    bool ok = true;
    for (size_t i = 0; ok && i < self->count; i++) {
        field_t *f = &self->fields[i];
        if (f->type == 'u')
            f->u = va_arg (args, uint64_t);
        else if (f->type == 'i')
            f->u = (uint64_t) va_arg (args, int64_t);
        else if (f->type == 't')
            f->u = va_arg (args, int) != 0;
        else if (f->type == 's') {
            const char *text = va_arg (args, const char *);
            ok = s_set_bytes (f, text ? text : "", text ? strlen (text) : 0);
        } else {
            const void *data = va_arg (args, const void *);
            size_t len = va_arg (args, size_t);
            ok = s_set_bytes (f, data, len);
        }
    }
    va_end (args);
    if (!ok)
        panda_msg_destroy (&self);
    return self;
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

static const field_t *
s_field (const panda_msg_t *self, size_t index, char type)
{
    if (PANDA_NEVER (index >= self->count || self->fields[index].type != type))
        return NULL;
    return &self->fields[index];
}

uint64_t
panda_msg_u64 (const panda_msg_t *self, size_t index)
{
    const field_t *f = s_field (self, index, 'u');
    return f ? f->u : 0;
}

int64_t
panda_msg_i64 (const panda_msg_t *self, size_t index)
{
    const field_t *f = s_field (self, index, 'i');
    return f ? (int64_t) f->u : 0;
}

bool
panda_msg_bool (const panda_msg_t *self, size_t index)
{
    const field_t *f = s_field (self, index, 't');
    return f && f->u;
}

const char *
panda_msg_str (const panda_msg_t *self, size_t index)
{
    const field_t *f = s_field (self, index, 's');
    return f ? (const char *) f->data : NULL;
}

const uint8_t *
panda_msg_bin (const panda_msg_t *self, size_t index, size_t *len)
{
    const field_t *f = s_field (self, index, 'b');
    *len = f ? f->len : 0;
    return f ? f->data : NULL;
}

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
