/*  panda_lipmaa.c - lipmaa links. See panda_lipmaa.h.

    c(k) = (3^k - 1) / 2 = 1, 4, 13, 40, ...; c(k + 1) = 3 c(k) + 1. c(41) is
    the last term below 2^64, so the search for the smallest c(k) >= n stops
    before overflowing: if c(k + 1) would not fit, it is larger than any n.  */
#include "panda/panda_lipmaa.h"

#define S_TERMS_MAX 42 //  c(1) .. c(41) fit in a u64

uint64_t
panda_lipmaa (uint64_t n)
{
    if (n <= 1)
        return 0;
    //  c[k] for k = 1..; find the smallest k with c(k) >= n.
    uint64_t c[S_TERMS_MAX + 1];
    c[1] = 1;
    int k = 1;
    bool fits = true;
    while (c[k] < n) {
        if (c[k] > (UINT64_MAX - 1) / 3) { //  c(k + 1) > 2^64 - 1 >= n
            fits = false;
            k++;
            break;
        }
        c[k + 1] = 3 * c[k] + 1;
        k++;
    }
    if (fits && c[k] == n)
        return n - (2 * c[k - 1] + 1); //  3^(k-1) = 2 c(k-1) + 1
    uint64_t r = n;
    int j = k - 1;
    for (; j > 1; j--) {
        r %= c[j];
        if (r == 0)
            break;
    }
    return n - c[j];
}

bool
panda_lipmaa_skiplink_required (uint64_t n)
{
    return n >= 2 && panda_lipmaa (n) != n - 1;
}
