/*  fuzz_msg.c - the actor message decoder on arbitrary frames.
    Input: first byte picks the verb (one past the end: an unknown verb),
    the rest is the body frame. A decoded message must re-encode and decode
    to the same field values.                                               */
#include "panda_msg.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    panda_msg_id_t id = (panda_msg_id_t) (data[0] % (PANDA_MSG_COUNT + 1));
    const char *verb = id < PANDA_MSG_COUNT ? panda_msg_name (id) : "UNKNOWN";
    panda_msg_t *msg = panda_msg_decode ((const uint8_t *) verb, strlen (verb), data + 1, size - 1, NULL);
    if (!msg)
        return 0;
    size_t len;
    const uint8_t *body = panda_msg_body (msg, &len);
    panda_msg_t *again = panda_msg_decode ((const uint8_t *) verb, strlen (verb), body, len, NULL);
    if (!again)
        abort (); //  our own encoding must decode
    size_t len2;
    const uint8_t *body2 = panda_msg_body (again, &len2);
    if (len2 != len || (len && memcmp (body, body2, len) != 0))
        abort ();
    panda_msg_destroy (&msg);
    panda_msg_destroy (&again);
    return 0;
}
