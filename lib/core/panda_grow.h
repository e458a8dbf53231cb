/*  panda_grow.h - private: the one array-grow helper of the libraries.

    Arrays that gain one item at a time keep a capacity and double it, so
    appending n items costs O(n) copying overall.                          */
#ifndef PANDA_GROW_H_INCLUDED
#define PANDA_GROW_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

//  Grow *items (size bytes per item, *cap of them) to hold at least need
//  items, doubling from 16. False on OOM or overflow; then nothing changed.
bool panda_grow (void **items, size_t *cap, size_t need, size_t size);

#endif
