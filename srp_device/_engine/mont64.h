/* Shared by the 64-bit-limb kernels (portable, mulx): Montgomery form with R = 2^3072,
 * the branch-free final subtraction, and conversions. Included by one kernel file each. */
#ifndef SRP_MONT64_H
#define SRP_MONT64_H

#include <string.h>

#include "ct.h"
#include "engine.h"

/* r = t - N if t (with its carry limb `top`) >= N, else t; branch-free. t < 2N. */
static inline void mont64_final_sub(uint64_t r[SRP_LIMBS], const uint64_t t[SRP_LIMBS], uint64_t top) {
    uint64_t d[SRP_LIMBS];
    uint64_t borrow = 0;
    for (int i = 0; i < SRP_LIMBS; i++) {
        uint64_t x = t[i], n = srp_N[i];
        uint64_t diff = x - n;
        uint64_t b1 = (uint64_t)(x < n);
        uint64_t diff2 = diff - borrow;
        uint64_t b2 = (uint64_t)(diff < borrow);
        d[i] = diff2;
        borrow = b1 | b2;
    }
    /* subtract when there was a carry limb or no borrow */
    const uint64_t m = ct_mask(top | (borrow ^ 1));
    for (int i = 0; i < SRP_LIMBS; i++) r[i] = (d[i] & m) | (t[i] & ~m);
    srp_wipe(d, sizeof d);
}

typedef void (*mont64_mul_fn)(uint64_t *r, const uint64_t *a, const uint64_t *b);

/* The constants of a 64-bit-limb kernel: -N^-1 mod 2^64 and R^2 mod N (public). */
static inline void mont64_constants(uint64_t *n0inv, uint64_t r2[SRP_LIMBS]) {
    *n0inv = srp_n0inv64();
    srp_pow2_mod_public(r2, 2 * 64 * SRP_LIMBS);
}

/* Montgomery form -> normal form: a * 1 / R, fully reduced by the final subtraction. */
static inline void mont64_to_normal(mont64_mul_fn mul, uint64_t r[SRP_LIMBS], const uint64_t *a) {
    uint64_t one[SRP_LIMBS] = {1};
    mul(r, a, one);
}

#endif
