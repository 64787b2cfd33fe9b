/* The mulx kernel: x86-64 with BMI2 and ADX. Montgomery multiplication as 2 x 48 rows of
 * multiply-accumulate, each row one straight run of mulx/adcx/adox in inline assembly
 * (two independent carry chains: CF for the low halves, OF for the high halves).
 * gcc does not emit adcx/adox from the _addcarryx intrinsics, hence the assembly.
 * Constant time: the instruction stream is the same for every operand; no branch, no
 * data-dependent address. */
#include "engine.h"

#if defined(SRP_HAVE_MULX)
#include <immintrin.h>

#include "mont64.h"

static uint64_t n0inv;
static uint64_t r2[SRP_LIMBS];

/* Step j of a row: rax = lo(a*b[j]) + t[j] + CF + (the high half kept from step j-1) + OF;
 * the high half of this step goes to `hn`, the previous one is read from `hp`. */
#define MULX_STEP(j, hn, hp)                            \
    "mulx 8*" #j "(%[b]), %%rax, %%" hn "\n\t"          \
    "adcx 8*" #j "(%[t]), %%rax\n\t"                    \
    "adox %%" hp ", %%rax\n\t"                          \
    "movq %%rax, 8*" #j "(%[t])\n\t"
#define MULX_PAIR(j0, j1) MULX_STEP(j0, "r9", "r10") MULX_STEP(j1, "r10", "r9")

/* t[0..49] += a * b[0..47]. t[48] and t[49] may hold a carry on entry; the caller
 * guarantees the sum fits in 50 limbs. (48 unrolled steps: step j adds the low half of
 * a*b[j] on the CF chain and the high half of a*b[j-1] on the OF chain.) */
static inline void mulx_row(uint64_t *t, uint64_t a, const uint64_t *b) {
    __asm__ __volatile__(
    "xorl %%r10d, %%r10d\n\t"
    "xorl %%r11d, %%r11d\n\t" /* r11 = 0, CF = OF = 0 */
    MULX_PAIR(0, 1)
    MULX_PAIR(2, 3)
    MULX_PAIR(4, 5)
    MULX_PAIR(6, 7)
    MULX_PAIR(8, 9)
    MULX_PAIR(10, 11)
    MULX_PAIR(12, 13)
    MULX_PAIR(14, 15)
    MULX_PAIR(16, 17)
    MULX_PAIR(18, 19)
    MULX_PAIR(20, 21)
    MULX_PAIR(22, 23)
    MULX_PAIR(24, 25)
    MULX_PAIR(26, 27)
    MULX_PAIR(28, 29)
    MULX_PAIR(30, 31)
    MULX_PAIR(32, 33)
    MULX_PAIR(34, 35)
    MULX_PAIR(36, 37)
    MULX_PAIR(38, 39)
    MULX_PAIR(40, 41)
    MULX_PAIR(42, 43)
    MULX_PAIR(44, 45)
    MULX_PAIR(46, 47)
    "movq 384(%[t]), %%rax\n\t"
    "adcx %%r11, %%rax\n\t"
    "adox %%r10, %%rax\n\t"
    "movq %%rax, 384(%[t])\n\t"
    "movq 392(%[t]), %%rax\n\t"
    "adcx %%r11, %%rax\n\t"
    "adox %%r11, %%rax\n\t"
    "movq %%rax, 392(%[t])\n\t"
    :
    : [t] "r"(t), [b] "r"(b), "d"(a)
    : "rax", "r9", "r10", "r11", "cc", "memory");
}

static void mulx_mul(uint64_t *r, const uint64_t *a, const uint64_t *b) {
    uint64_t t[2 * SRP_LIMBS + 2];
    memset(t, 0, sizeof t);
    for (int i = 0; i < SRP_LIMBS; i++) {
        mulx_row(t + i, b[i], a);
        mulx_row(t + i, t[i] * n0inv, srp_N);
    }
    mont64_final_sub(r, t + SRP_LIMBS, t[2 * SRP_LIMBS]);
    srp_wipe(t, sizeof t);
}

/* The masked full-scan select with 256-bit vectors where the CPU has AVX2 (the scan is a
 * fifth of a comb's time at SSE2 width). Every entry is read; the mask, not a branch,
 * keeps the one wanted. */
__attribute__((target("avx2"))) static void select_avx2(uint64_t *r, const uint64_t *table, size_t count,
                                                          uint64_t idx) {
    __m256i acc[SRP_LIMBS / 4];
    for (int w = 0; w < SRP_LIMBS / 4; w++) acc[w] = _mm256_setzero_si256();
    for (size_t k = 0; k < count; k++) {
        const __m256i m = _mm256_set1_epi64x((long long)ct_eq_mask((uint64_t)k, idx));
        const __m256i *entry = (const __m256i *)(table + k * SRP_LIMBS);
        for (int w = 0; w < SRP_LIMBS / 4; w++) acc[w] = _mm256_or_si256(acc[w], _mm256_and_si256(_mm256_loadu_si256(entry + w), m));
    }
    for (int w = 0; w < SRP_LIMBS / 4; w++) _mm256_storeu_si256((__m256i *)r + w, acc[w]);
}

static void select_generic(uint64_t *r, const uint64_t *table, size_t count, uint64_t idx) {
    srp_select_generic(r, table, count, SRP_LIMBS, idx);
}

static void (*mulx_select_fn)(uint64_t *, const uint64_t *, size_t, uint64_t) = select_generic;

static void mulx_select(uint64_t *r, const uint64_t *table, size_t count, uint64_t idx) {
    mulx_select_fn(r, table, count, idx);
}

static void mulx_init(void) {
    srp_cpu cpu;
    srp_cpu_detect(&cpu);
    if (cpu.avx2) mulx_select_fn = select_avx2;
    mont64_constants(&n0inv, r2);
}

static void mulx_from_normal(uint64_t *r, const uint64_t x[SRP_LIMBS]) { mulx_mul(r, x, r2); }

static void mulx_to_normal(uint64_t r[SRP_LIMBS], const uint64_t *a) { mont64_to_normal(mulx_mul, r, a); }

static int mulx_available(void) {
    srp_cpu cpu;
    srp_cpu_detect(&cpu);
    return cpu.x86_64 && cpu.bmi2 && cpu.adx;
}

const srp_kernel srp_kernel_mulx = {
    "mulx", SRP_LIMBS, mulx_available, mulx_init, mulx_from_normal, mulx_to_normal, mulx_mul, mulx_select,
};

#endif
