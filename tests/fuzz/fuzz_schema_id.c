/*  fuzz_schema_id.c - schema id parser on arbitrary text.

    Accepted ids are canonical: formatting the parsed id gives the input.   */
#include "panda/panda_schema_id.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    panda_schema_id_t id;
    panda_error_t err;
    if (panda_schema_id_parse (&id, (const char *) data, size, &err)) {
        if (err.message[0] == '\0' || id.view_ids)
            abort ();
        return 0;
    }
    char *text = panda_schema_id_format (&id);
    if (!text || strlen (text) != size || memcmp (text, data, size) != 0)
        abort ();
    free (text);
    char *hash_id = panda_schema_id_hash_id (&id);
    if (!hash_id)
        abort ();
    free (hash_id);
    panda_schema_id_clear (&id);
    return 0;
}
