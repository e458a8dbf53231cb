/*  fuzz_schema_lock.c - the schema.lock and schema.toml readers (and the
    TOML document reader under them) on arbitrary text.

    A lock file that parses formats to text that parses to the same
    commits and formats identically; a schema file that parses has at
    least one schema, each with an id-less name until built.             */
#include "panda/panda_schema_lock.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    panda_error_t err;
    panda_schema_lock_t *lock = panda_schema_lock_parse ((const char *) data, size, &err);
    if (!lock && err.message[0] == '\0')
        abort ();
    if (lock) {
        char *text = panda_schema_lock_format (lock);
        panda_schema_lock_t *again = text ? panda_schema_lock_parse (text, strlen (text), &err) : NULL;
        char *text_again = again ? panda_schema_lock_format (again) : NULL;
        if (!text_again || strcmp (text, text_again) != 0 ||
            panda_schema_lock_count (again) != panda_schema_lock_count (lock))
            abort ();
        free (text_again);
        free (text);
        panda_schema_lock_destroy (&again);
        panda_schema_lock_destroy (&lock);
    }
    panda_schema_file_t *file = panda_schema_file_parse ((const char *) data, size, &err);
    if (!file && err.message[0] == '\0')
        abort ();
    if (file && (panda_schema_file_count (file) == 0 || panda_schema_file_schema_id (file, 0)))
        abort ();
    panda_schema_file_destroy (&file);
    return 0;
}
