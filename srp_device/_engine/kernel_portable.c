/* The portable kernel: CIOS Montgomery multiplication in plain C, for any CPU and any
 * C99 compiler (unsigned __int128 where the compiler has it, MSVC's _umul128 on x64,
 * 32-bit halves elsewhere). Constant time: fixed loops, no branch on data. */
#include "engine.h"
#include "mont64.h"

#if defined(_MSC_VER) && defined(_M_X64) && !defined(__clang__)
#include <intrin.h>
#define SRP_MAC_MSVC 1
#elif defined(__SIZEOF_INT128__) && !defined(SRP_FORCE_MAC32)
#define SRP_MAC_INT128 1
#endif

/* (hi, lo) = a*b + c + d; cannot overflow 128 bits. */
static inline uint64_t mac(uint64_t *hi, uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
#if defined(SRP_MAC_INT128)
    unsigned __int128 p = (unsigned __int128)a * b + c + d;
    *hi = (uint64_t)(p >> 64);
    return (uint64_t)p;
#elif defined(SRP_MAC_MSVC)
    uint64_t h, l = _umul128(a, b, &h);
    unsigned char cf = _addcarry_u64(0, l, c, &l);
    _addcarry_u64(cf, h, 0, &h);
    cf = _addcarry_u64(0, l, d, &l);
    _addcarry_u64(cf, h, 0, &h);
    *hi = h;
    return l;
#else
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    uint64_t lo = (p00 & 0xffffffffu) | (mid << 32);
    uint64_t h = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    lo += c;
    h += (uint64_t)(lo < c);
    lo += d;
    h += (uint64_t)(lo < d);
    *hi = h;
    return lo;
#endif
}

static uint64_t n0inv;
static uint64_t r2[SRP_LIMBS]; /* R^2 mod N */

static void portable_mul(uint64_t *r, const uint64_t *a, const uint64_t *b) {
    uint64_t t[SRP_LIMBS + 2];
    memset(t, 0, sizeof t);
    for (int i = 0; i < SRP_LIMBS; i++) {
        uint64_t c = 0, hi;
        const uint64_t bi = b[i];
        for (int j = 0; j < SRP_LIMBS; j++) {
            t[j] = mac(&hi, a[j], bi, t[j], c);
            c = hi;
        }
        uint64_t s = t[SRP_LIMBS] + c;
        t[SRP_LIMBS + 1] = (uint64_t)(s < c);
        t[SRP_LIMBS] = s;
        const uint64_t m = t[0] * n0inv;
        (void)mac(&c, m, srp_N[0], t[0], 0);
        for (int j = 1; j < SRP_LIMBS; j++) {
            t[j - 1] = mac(&hi, m, srp_N[j], t[j], c);
            c = hi;
        }
        s = t[SRP_LIMBS] + c;
        t[SRP_LIMBS - 1] = s;
        t[SRP_LIMBS] = t[SRP_LIMBS + 1] + (uint64_t)(s < c);
    }
    mont64_final_sub(r, t, t[SRP_LIMBS]);
    srp_wipe(t, sizeof t);
}

static void portable_init(void) {
    mont64_constants(&n0inv, r2);
}

static void portable_from_normal(uint64_t *r, const uint64_t x[SRP_LIMBS]) { portable_mul(r, x, r2); }

static void portable_to_normal(uint64_t r[SRP_LIMBS], const uint64_t *a) { mont64_to_normal(portable_mul, r, a); }

static int portable_available(void) { return 1; }

const srp_kernel srp_kernel_portable = {
    "portable", SRP_LIMBS, portable_available, portable_init,
    portable_from_normal, portable_to_normal, portable_mul, NULL,
};
