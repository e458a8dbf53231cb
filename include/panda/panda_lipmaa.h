/*  panda_lipmaa.h - the Bamboo lipmaa (skiplink) function.

    lipmaa(n) names the earlier entry an entry at seq num n links to with its
    skiplink (spec data-types.md §3.3). Defined for every u64 n >= 1, with
    overflow-checked arithmetic up to 2^64 - 1; lipmaa(1) = 0.               */
#ifndef PANDA_LIPMAA_H_INCLUDED
#define PANDA_LIPMAA_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

//  Seq num of the skiplink target of seq num n (0 for n <= 1).
uint64_t panda_lipmaa (uint64_t n);

//  True when an entry at seq num n carries a skiplink in its bytes: n >= 2
//  and lipmaa(n) != n - 1 (otherwise it would equal the backlink).
bool panda_lipmaa_skiplink_required (uint64_t n);

#ifdef __cplusplus
}
#endif
#endif
