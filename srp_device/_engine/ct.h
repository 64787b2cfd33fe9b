/* Constant-time primitives (BearSSL/libsodium habits): masks, never branches, on secrets. */
#ifndef SRP_CT_H
#define SRP_CT_H

#include <stdint.h>

/* Hide a value from the optimiser so that mask arithmetic is not turned into a branch. */
#if defined(__GNUC__) || defined(__clang__)
static inline uint64_t ct_barrier(uint64_t x) {
    __asm__("" : "+r"(x));
    return x;
}
#else
static inline uint64_t ct_barrier(uint64_t x) {
    volatile uint64_t v = x;
    return v;
}
#endif

/* All ones if a == b, else 0. */
static inline uint64_t ct_eq_mask(uint64_t a, uint64_t b) {
    uint64_t x = ct_barrier(a ^ b);
    return ((x | (0 - x)) >> 63) - 1;
}

/* All ones if bit is 1, else 0 (bit must be 0 or 1). */
static inline uint64_t ct_mask(uint64_t bit) {
    return 0 - ct_barrier(bit);
}

#endif
