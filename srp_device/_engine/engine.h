/*
 * srp_device's modular-exponentiation engine: arithmetic modulo the 3072-bit MODP prime
 * N of RFC 3526 / RFC 5054 (g = 2), constant time.
 *
 * LEAKAGE CONTRACT (every function in this engine):
 *   - Exponents are processed at a fixed, caller-declared bit length `ebits` (a public
 *     parameter). Operations may leak `ebits`, which kernel runs, and the addresses of
 *     public tables; never the value of an exponent or of a base, nor the bit length of
 *     an exponent below `ebits`.
 *   - No branch and no memory address depends on secret data: table reads are full
 *     scans with masked selects, the final subtraction of Montgomery multiplication is
 *     branch-free.
 *   - Buffers that held secret-derived values are wiped before they are released.
 *
 * Numbers cross this interface as 48 little-endian 64-bit limbs ("normal form", fully
 * reduced, < N). Each kernel keeps elements in a form of its own (`elem_words` 64-bit
 * words: Montgomery form with 64-bit or 52-bit limbs); the generic exponentiation code in
 * engine.c sees them as opaque words.
 */
#ifndef SRP_ENGINE_H
#define SRP_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && !defined(SRP_NO_MULX)
#define SRP_HAVE_MULX 1 /* inline assembly with mulx/adcx/adox */
#endif
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && !defined(SRP_NO_IFMA) && \
    (defined(__clang__) || __GNUC__ >= 8)
#define SRP_HAVE_IFMA 1 /* AVX-512 IFMA through per-function target attributes */
#endif

#define SRP_LIMBS 48               /* 3072 / 64 */
#define SRP_BYTES (SRP_LIMBS * 8)  /* 384 */
#define SRP_MAX_ELEM_WORDS 64      /* the widest kernel form (AVX-512: 64 lanes) */
#define SRP_MAX_EBITS 8192         /* longest exponent the engine takes */

/* The fixed-base comb for powg: W rows x D columns covers COMB_BITS exponent bits; D is
 * split into V tables of B columns each (Lim-Lee). B squarings + V*B multiplications. */
#define SRP_COMB_W 6
#define SRP_COMB_V 11
#define SRP_COMB_B 4
#define SRP_COMB_D (SRP_COMB_V * SRP_COMB_B)      /* 44 */
#define SRP_COMB_BITS (SRP_COMB_W * SRP_COMB_D)   /* 264 */
#define SRP_COMB_ENTRIES (1u << SRP_COMB_W)       /* 64 per table */
/* Fixed window for powb. */
#define SRP_WINDOW 5
#define SRP_WINDOW_ENTRIES (1u << SRP_WINDOW)    /* 32 */

extern const uint64_t srp_N[SRP_LIMBS];

/* A kernel: the Montgomery arithmetic of one instruction set. Everything else (comb,
 * window, selects, wiping) is generic over it. */
typedef struct srp_kernel {
    const char *name;
    size_t elem_words;                       /* 64-bit words per element */
    int (*available)(void);                  /* can this CPU (and OS) run it? */
    void (*init)(void);                      /* once, before first use; public constants only */
    /* normal form (< N) -> the kernel's Montgomery form */
    void (*from_normal)(uint64_t *r, const uint64_t x[SRP_LIMBS]);
    /* the kernel's Montgomery form -> normal form, fully reduced */
    void (*to_normal)(uint64_t r[SRP_LIMBS], const uint64_t *a);
    /* r = a * b / R mod N; r may alias a or b */
    void (*mul)(uint64_t *r, const uint64_t *a, const uint64_t *b);
    /* r = the table entry at secret index idx, reading all `count` entries (NULL: generic) */
    void (*select)(uint64_t *r, const uint64_t *table, size_t count, uint64_t idx);
} srp_kernel;

/* Kernels compiled into this build, best first; NULL-terminated. */
extern const srp_kernel *const srp_kernels[];

const srp_kernel *srp_kernel_by_name(const char *name);

/* Make a kernel ready: its init() once, then its comb table, built on first call and
 * returned (NOT thread-safe: the caller serialises calls; afterwards the table is
 * read-only and shared by every thread). NULL on OOM. */
const uint64_t *srp_prepare(const srp_kernel *k);
const uint64_t *srp_comb_table(const srp_kernel *k);

/* out = 2^e mod N; e is ceil(ebits/8) little-endian bytes, ebits <= SRP_MAX_EBITS.
 * `comb` is srp_prepare(k) (needed when ebits <= SRP_COMB_BITS); powb too needs
 * srp_prepare(k) called once before. Returns 0 on
 * success, -1 on a bad length or OOM. */
int srp_powg(const srp_kernel *k, const uint64_t *comb, uint64_t out[SRP_LIMBS],
             const uint8_t *e, size_t ebits);

/* out = base^e mod N; base < N in normal form. Same exponent rules as srp_powg. */
int srp_powb(const srp_kernel *k, uint64_t out[SRP_LIMBS], const uint64_t base[SRP_LIMBS],
             const uint8_t *e, size_t ebits);

/* CPU features, for `srp-device info` and dispatch. */
typedef struct srp_cpu {
    int x86_64, bmi2, adx, avx2, avx512f, avx512ifma, os_avx512;
} srp_cpu;
void srp_cpu_detect(srp_cpu *cpu);

/* Shared helpers for kernels. */
void srp_wipe(void *p, size_t n);
void srp_select_generic(uint64_t *r, const uint64_t *table, size_t count, size_t words, uint64_t idx);
/* -N^-1 mod 2^64 */
uint64_t srp_n0inv64(void);
/* r = 2^k mod N in normal form (public; not constant time in k) */
void srp_pow2_mod_public(uint64_t r[SRP_LIMBS], unsigned k);

#endif
