/*  fuzz_operation.c - operation decoder on arbitrary bytes.

    Anything may be rejected; nothing may crash or leak. Whatever is accepted
    must be canonical: rebuilding it field by field re-encodes to exactly the
    input bytes, and it renders as JSON.                                     */
#include "panda_operation_json_int.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    panda_error_t err;
    panda_operation_t *op = panda_operation_decode (data, size, &err);
    if (!op) {
        if (err.message[0] == '\0')
            abort ();
        return 0;
    }
    size_t n_previous;
    const panda_hash_t *previous = panda_operation_previous (op, &n_previous);
    panda_operation_t *copy = panda_operation_new (
        panda_operation_action (op), panda_operation_schema_id (op), previous, n_previous, &err);
    if (!copy)
        abort ();
    for (size_t i = 0; i < panda_operation_field_count (op); i++)
        if (panda_operation_set_field (copy, panda_operation_field_name (op, i),
                                       panda_operation_field_value (op, i), &err))
            abort ();
    size_t len;
    const uint8_t *bytes = panda_operation_bytes (copy, &len);
    if (!bytes || len != size || memcmp (bytes, data, size) != 0)
        abort ();
    json_t *json = panda_operation_to_json (op);
    if (!json)
        abort ();
    json_decref (json);
    panda_operation_destroy (&copy);
    panda_operation_destroy (&op);
    return 0;
}
