/* The ifma kernel: AVX-512 IFMA (vpmadd52luq / vpmadd52huq), eight 52x52-bit
 * multiply-accumulates an instruction.
 *
 * Elements: 60 limbs of 52 bits (3120 bits), kept in 64 lanes (8 zmm registers; lanes
 * 60..63 stay zero), in almost-Montgomery form with R = 2^3120: every product is only
 * reduced below 2N, which R > 4N makes safe, so there is no final subtraction inside the
 * exponentiation; to_normal does the one full, branch-free reduction at the end.
 *
 * Constant time by construction: every loop has a fixed trip count; no branch and no
 * address depends on operand data; the masked full-scan select reads every entry.
 * valgrind cannot decode AVX-512, so ctgrind cannot check this kernel: the evidence is
 * this construction, the disassembly test (tests/test_ifma_disassembly.py) and the
 * timing t-test (benchmarks/bench_timing.py).
 *
 * Compiled with per-function target attributes, so the rest of the extension stays
 * portable and a CPU without IFMA never executes an instruction of it. */
#include "engine.h"

#if defined(SRP_HAVE_IFMA)
#include <immintrin.h>
#include <string.h>

#include "ct.h"

#define L52 60             /* limbs of 52 bits */
#define LANES 64           /* 8 vectors of 8 lanes */
#define VECS (LANES / 8)
#define M52 ((uint64_t)0xFFFFFFFFFFFFFULL)

#define IFMA __attribute__((target("avx512f,avx512ifma")))

static uint64_t n52[LANES];   /* N in 52-bit limbs */
static uint64_t r2_52[LANES]; /* R^2 mod N in 52-bit limbs */
static uint64_t k0;           /* -N^-1 mod 2^52 */

/* 48 limbs of 64 bits -> 60 limbs of 52 bits (lanes 60..63 zero). Branch-free: the bits
 * above a word come from the next word of a zero-padded copy, shifted by (63 - s) + 1 so
 * that s = 0 needs no special case. */
static void to52(uint64_t r[LANES], const uint64_t x[SRP_LIMBS]) {
    uint64_t padded[SRP_LIMBS + 1];
    memcpy(padded, x, SRP_BYTES);
    padded[SRP_LIMBS] = 0;
    for (int j = 0; j < L52; j++) {
        const int w = (52 * j) / 64, s = (52 * j) % 64;
        r[j] = ((padded[w] >> s) | ((padded[w + 1] << 1) << (63 - s))) & M52;
    }
    for (int j = L52; j < LANES; j++) r[j] = 0;
    srp_wipe(padded, sizeof padded);
}

/* 60 limbs of 52 bits (each < 2^52) -> 48 limbs of 64 bits; the value must be < 2^3072. */
static void from52(uint64_t r[SRP_LIMBS], const uint64_t a[LANES]) {
    uint64_t wide[SRP_LIMBS + 1];
    memset(wide, 0, sizeof wide);
    for (int j = 0; j < L52; j++) {
        const int w = (52 * j) / 64, s = (52 * j) % 64;
        wide[w] |= a[j] << s;
        wide[w + 1] |= (a[j] >> 1) >> (63 - s);
    }
    memcpy(r, wide, SRP_BYTES);
    srp_wipe(wide, sizeof wide);
}

/* r = a * b / 2^3120 mod N, almost: a, b < 2N in, r < 2N out, r normalised to 52-bit limbs. */
IFMA static void ifma_mul(uint64_t *r, const uint64_t *a, const uint64_t *b) {
    __m512i acc[VECS], av[VECS], nv[VECS];
    const __m512i zero = _mm512_setzero_si512();
    for (int v = 0; v < VECS; v++) {
        acc[v] = zero;
        av[v] = _mm512_loadu_si512((const void *)(a + 8 * v));
        nv[v] = _mm512_loadu_si512((const void *)(n52 + 8 * v));
    }
    for (int i = 0; i < L52; i++) {
        const __m512i bi = _mm512_set1_epi64((long long)b[i]);
        for (int v = 0; v < VECS; v++) acc[v] = _mm512_madd52lo_epu64(acc[v], av[v], bi);
        /* y makes the lowest limb divisible by 2^52; its carry moves up with the shift */
        const uint64_t v0 = (uint64_t)_mm_cvtsi128_si64(_mm512_castsi512_si128(acc[0]));
        const uint64_t y = (v0 * k0) & M52;
        const uint64_t carry = (v0 + ((n52[0] * y) & M52)) >> 52;
        const __m512i yv = _mm512_set1_epi64((long long)y);
        for (int v = 0; v < VECS; v++) acc[v] = _mm512_madd52lo_epu64(acc[v], nv[v], yv);
        /* divide by 2^52: every lane moves down one place */
        for (int v = 0; v < VECS - 1; v++) acc[v] = _mm512_alignr_epi64(acc[v + 1], acc[v], 1);
        acc[VECS - 1] = _mm512_alignr_epi64(zero, acc[VECS - 1], 1);
        acc[0] = _mm512_add_epi64(acc[0], _mm512_zextsi128_si512(_mm_cvtsi64_si128((long long)carry)));
        /* the high halves belong one place up: after the shift, in the same lane */
        for (int v = 0; v < VECS; v++) {
            acc[v] = _mm512_madd52hi_epu64(acc[v], av[v], bi);
            acc[v] = _mm512_madd52hi_epu64(acc[v], nv[v], yv);
        }
    }
    uint64_t t[LANES];
    for (int v = 0; v < VECS; v++) _mm512_storeu_si512((void *)(t + 8 * v), acc[v]);
    /* normalise: carries up through every limb, a fixed 60 steps */
    uint64_t c = 0;
    for (int j = 0; j < LANES; j++) {
        const uint64_t x = t[j] + c;
        r[j] = x & M52;
        c = x >> 52;
    }
    srp_wipe(t, sizeof t);
}

/* Masked full scan over 512-byte entries, eight vectors at a time. */
IFMA static void ifma_select(uint64_t *r, const uint64_t *table, size_t count, uint64_t idx) {
    __m512i acc[VECS];
    for (int v = 0; v < VECS; v++) acc[v] = _mm512_setzero_si512();
    for (size_t k = 0; k < count; k++) {
        const __m512i m = _mm512_set1_epi64((long long)ct_eq_mask((uint64_t)k, idx));
        const uint64_t *entry = table + k * LANES;
        for (int v = 0; v < VECS; v++) {
            acc[v] = _mm512_or_si512(acc[v], _mm512_and_si512(_mm512_loadu_si512((const void *)(entry + 8 * v)), m));
        }
    }
    for (int v = 0; v < VECS; v++) _mm512_storeu_si512((void *)(r + 8 * v), acc[v]);
}

static void ifma_init(void) {
    uint64_t r2[SRP_LIMBS];
    to52(n52, srp_N);
    k0 = srp_n0inv64() & M52;
    srp_pow2_mod_public(r2, 2 * 52 * L52);
    to52(r2_52, r2);
}

static void ifma_from_normal(uint64_t *r, const uint64_t x[SRP_LIMBS]) {
    uint64_t x52[LANES];
    to52(x52, x);
    ifma_mul(r, x52, r2_52);
    srp_wipe(x52, sizeof x52);
}

/* a < 2N -> a / R mod N, fully reduced: the product with 1 is <= N, then one masked
 * subtraction of N. */
static void ifma_to_normal(uint64_t r[SRP_LIMBS], const uint64_t *a) {
    uint64_t one[LANES] = {1}, t[LANES], x[SRP_LIMBS], d[SRP_LIMBS];
    ifma_mul(t, a, one);
    from52(x, t);
    uint64_t borrow = 0;
    for (int i = 0; i < SRP_LIMBS; i++) {
        const uint64_t diff = x[i] - srp_N[i];
        const uint64_t b1 = (uint64_t)(x[i] < srp_N[i]);
        d[i] = diff - borrow;
        borrow = b1 | (uint64_t)(diff < borrow);
    }
    const uint64_t keep = ct_mask(borrow); /* x < N: keep x */
    for (int i = 0; i < SRP_LIMBS; i++) r[i] = (x[i] & keep) | (d[i] & ~keep);
    srp_wipe(t, sizeof t);
    srp_wipe(x, sizeof x);
    srp_wipe(d, sizeof d);
}

static int ifma_available(void) {
    srp_cpu cpu;
    srp_cpu_detect(&cpu);
    return cpu.x86_64 && cpu.avx512f && cpu.avx512ifma && cpu.os_avx512;
}

const srp_kernel srp_kernel_ifma = {
    "ifma", LANES, ifma_available, ifma_init, ifma_from_normal, ifma_to_normal, ifma_mul, ifma_select,
};

#endif
