/*  panda_grow.c - the array-grow helper. See panda_grow.h.                  */
#include "panda_grow.h"

#include <stdint.h>
#include <stdlib.h>

bool
panda_grow (void **items, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t cap_new = *cap ? *cap : 16;
    while (cap_new < need && cap_new <= SIZE_MAX / 2)
        cap_new *= 2;
    if (cap_new < need || cap_new > SIZE_MAX / size)
        return false;
    void *grown = realloc (*items, cap_new * size);
    if (!grown)
        return false;
    *items = grown;
    *cap = cap_new;
    return true;
}
