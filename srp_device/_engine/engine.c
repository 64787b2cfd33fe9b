/* The generic part of the engine: constants, the fixed-base comb, the fixed window, the
 * masked select, CPU detection and the kernel registry. See engine.h for the leakage
 * contract; every loop bound here is public (a constant or `ebits`). */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

#include "ct.h"

#if defined(_MSC_VER)
#include <intrin.h>
#endif
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#include <cpuid.h>
#endif

const uint64_t srp_N[SRP_LIMBS] = {
    0xffffffffffffffffULL, 0x4b82d120a93ad2caULL, 0x43db5bfce0fd108eULL, 0x08e24fa074e5ab31ULL,
    0x770988c0bad946e2ULL, 0xbbe117577a615d6cULL, 0x521f2b18177b200cULL, 0xd87602733ec86a64ULL,
    0xf12ffa06d98a0864ULL, 0xcee3d2261ad2ee6bULL, 0x1e8c94e04a25619dULL, 0xabf5ae8cdb0933d7ULL,
    0xb3970f85a6e1e4c7ULL, 0x8aea71575d060c7dULL, 0xecfb850458dbef0aULL, 0xa85521abdf1cba64ULL,
    0xad33170d04507a33ULL, 0x15728e5a8aaac42dULL, 0x15d2261898fa0510ULL, 0x3995497cea956ae5ULL,
    0xde2bcbf695581718ULL, 0xb5c55df06f4c52c9ULL, 0x9b2783a2ec07a28fULL, 0xe39e772c180e8603ULL,
    0x32905e462e36ce3bULL, 0xf1746c08ca18217cULL, 0x670c354e4abc9804ULL, 0x9ed529077096966dULL,
    0x1c62f356208552bbULL, 0x83655d23dca3ad96ULL, 0x69163fa8fd24cf5fULL, 0x98da48361c55d39aULL,
    0xc2007cb8a163bf05ULL, 0x49286651ece45b3dULL, 0xae9f24117c4b1fe6ULL, 0xee386bfb5a899fa5ULL,
    0x0bff5cb6f406b7edULL, 0xf44c42e9a637ed6bULL, 0xe485b576625e7ec6ULL, 0x4fe1356d6d51c245ULL,
    0x302b0a6df25f1437ULL, 0xef9519b3cd3a431bULL, 0x514a08798e3404ddULL, 0x020bbea63b139b22ULL,
    0x29024e088a67cc74ULL, 0xc4c6628b80dc1cd1ULL, 0xc90fdaa22168c234ULL, 0xffffffffffffffffULL,
};

extern const srp_kernel srp_kernel_portable;
#if defined(SRP_HAVE_MULX)
extern const srp_kernel srp_kernel_mulx;
#endif
#if defined(SRP_HAVE_IFMA)
extern const srp_kernel srp_kernel_ifma;
#endif

const srp_kernel *const srp_kernels[] = {
#if defined(SRP_HAVE_IFMA)
    &srp_kernel_ifma,
#endif
#if defined(SRP_HAVE_MULX)
    &srp_kernel_mulx,
#endif
    &srp_kernel_portable,
    NULL,
};

const srp_kernel *srp_kernel_by_name(const char *name) {
    for (size_t i = 0; srp_kernels[i] != NULL; i++) {
        if (strcmp(srp_kernels[i]->name, name) == 0) return srp_kernels[i];
    }
    return NULL;
}

void srp_wipe(void *p, size_t n) {
    if (p == NULL || n == 0) return;
#if defined(__GNUC__) || defined(__clang__)
    memset(p, 0, n);
    __asm__ __volatile__("" : : "r"(p) : "memory"); /* the stores cannot be elided */
#else
    volatile unsigned char *v = (volatile unsigned char *)p;
    while (n--) *v++ = 0;
#endif
}

void srp_select_generic(uint64_t *r, const uint64_t *table, size_t count, size_t words, uint64_t idx) {
    for (size_t w = 0; w < words; w++) r[w] = 0;
    for (size_t k = 0; k < count; k++) {
        const uint64_t m = ct_eq_mask((uint64_t)k, idx);
        const uint64_t *entry = table + k * words;
        for (size_t w = 0; w < words; w++) r[w] |= entry[w] & m;
    }
}

static void select_entry(const srp_kernel *k, uint64_t *r, const uint64_t *table, size_t count, uint64_t idx) {
    if (k->select != NULL) {
        k->select(r, table, count, idx);
    } else {
        srp_select_generic(r, table, count, k->elem_words, idx);
    }
}

uint64_t srp_n0inv64(void) {
    /* Newton: inv = N0^-1 mod 2^64, doubling correct bits each step (public constant). */
    uint64_t n0 = srp_N[0], inv = 1;
    for (int i = 0; i < 7; i++) inv *= 2 - n0 * inv;
    return (uint64_t)0 - inv;
}

void srp_pow2_mod_public(uint64_t r[SRP_LIMBS], unsigned k) {
    memset(r, 0, SRP_BYTES);
    r[0] = 1;
    for (unsigned step = 0; step < k; step++) {
        uint64_t top = r[SRP_LIMBS - 1] >> 63;
        for (int i = SRP_LIMBS - 1; i > 0; i--) r[i] = (r[i] << 1) | (r[i - 1] >> 63);
        r[0] <<= 1;
        /* r (with its 3073rd bit `top`) >= N ? subtract */
        int ge = (int)top;
        if (!ge) {
            ge = 1;
            for (int i = SRP_LIMBS - 1; i >= 0; i--) {
                if (r[i] != srp_N[i]) {
                    ge = r[i] > srp_N[i];
                    break;
                }
            }
        }
        if (ge) {
            uint64_t borrow = 0;
            for (int i = 0; i < SRP_LIMBS; i++) {
                uint64_t d = r[i] - srp_N[i] - borrow;
                borrow = (r[i] < srp_N[i]) | ((r[i] == srp_N[i]) & borrow);
                r[i] = d;
            }
        }
    }
}

/* ---- exponent bits (index public, value secret) ----------------------------------- */

static inline uint64_t ebit(const uint8_t *e, size_t i) {
    return (uint64_t)((e[i >> 3] >> (i & 7)) & 1u);
}

static inline uint64_t ewindow(const uint8_t *e, size_t lo) {
    uint64_t v = 0;
    for (unsigned j = 0; j < SRP_WINDOW; j++) v |= ebit(e, lo + j) << j;
    return v;
}

/* ---- the fixed-base comb ---------------------------------------------------------- */

#define COMB_TABLE_WORDS(k) ((size_t)SRP_COMB_V * SRP_COMB_ENTRIES * (k)->elem_words)

static const uint64_t *comb_tables[8];
static const srp_kernel *comb_owner[8];

static uint64_t *build_comb(const srp_kernel *k) {
    const size_t w = k->elem_words;
    uint64_t *t = (uint64_t *)malloc(COMB_TABLE_WORDS(k) * sizeof(uint64_t));
    uint64_t rows[SRP_COMB_W][SRP_MAX_ELEM_WORDS];
    uint64_t normal[SRP_LIMBS];
    if (t == NULL) return NULL;
    /* rows[r] = g^(2^(r*D)), all public */
    memset(normal, 0, sizeof normal);
    normal[0] = 2;
    k->from_normal(rows[0], normal);
    for (int r = 1; r < SRP_COMB_W; r++) {
        memcpy(rows[r], rows[r - 1], w * 8);
        for (int s = 0; s < SRP_COMB_D; s++) k->mul(rows[r], rows[r], rows[r]);
    }
    /* T_0[idx] = prod over the set bits r of idx of rows[r] */
    normal[0] = 1;
    k->from_normal(t, normal);
    for (unsigned idx = 1; idx < SRP_COMB_ENTRIES; idx++) {
        unsigned top = 0;
        while ((idx >> (top + 1)) != 0) top++;
        k->mul(t + idx * w, t + (idx ^ (1u << top)) * w, rows[top]);
    }
    /* T_j[idx] = T_{j-1}[idx]^(2^B) */
    for (unsigned j = 1; j < SRP_COMB_V; j++) {
        for (unsigned idx = 0; idx < SRP_COMB_ENTRIES; idx++) {
            uint64_t *dst = t + ((size_t)j * SRP_COMB_ENTRIES + idx) * w;
            memcpy(dst, t + ((size_t)(j - 1) * SRP_COMB_ENTRIES + idx) * w, w * 8);
            for (int s = 0; s < SRP_COMB_B; s++) k->mul(dst, dst, dst);
        }
    }
    return t;
}

static const srp_kernel *ready[8];

const uint64_t *srp_prepare(const srp_kernel *k) {
    size_t i;
    for (i = 0; i < 8 && ready[i] != NULL; i++) {
        if (ready[i] == k) return srp_comb_table(k);
    }
    if (i == 8) return NULL;
    if (k->init != NULL) k->init();
    ready[i] = k;
    return srp_comb_table(k);
}

const uint64_t *srp_comb_table(const srp_kernel *k) {
    size_t slot;
    for (slot = 0; slot < 8 && comb_owner[slot] != NULL; slot++) {
        if (comb_owner[slot] == k) return comb_tables[slot];
    }
    if (slot == 8) return NULL;
    uint64_t *t = build_comb(k);
    if (t == NULL) return NULL;
    comb_tables[slot] = t;
    comb_owner[slot] = k;
    return t;
}

static void comb(const srp_kernel *k, const uint64_t *table, uint64_t *acc, const uint8_t *e /* 33 bytes */) {
    const size_t w = k->elem_words;
    uint64_t tmp[SRP_MAX_ELEM_WORDS];
    int first = 1;
    for (int s = SRP_COMB_B - 1; s >= 0; s--) {
        if (!first) k->mul(acc, acc, acc);
        for (unsigned j = 0; j < SRP_COMB_V; j++) {
            uint64_t idx = 0;
            for (unsigned r = 0; r < SRP_COMB_W; r++) {
                idx |= ebit(e, (size_t)r * SRP_COMB_D + (size_t)j * SRP_COMB_B + (size_t)s) << r;
            }
            const uint64_t *tab = table + (size_t)j * SRP_COMB_ENTRIES * w;
            if (first) {
                select_entry(k, acc, tab, SRP_COMB_ENTRIES, idx);
                first = 0;
            } else {
                select_entry(k, tmp, tab, SRP_COMB_ENTRIES, idx);
                k->mul(acc, acc, tmp);
            }
        }
    }
    srp_wipe(tmp, sizeof tmp);
}

/* ---- the fixed window ------------------------------------------------------------- */

static int window(const srp_kernel *k, uint64_t *acc, const uint64_t *base_m, const uint8_t *e, size_t ebits) {
    const size_t w = k->elem_words;
    const size_t bytes = SRP_WINDOW_ENTRIES * w * sizeof(uint64_t);
    uint64_t *table = (uint64_t *)malloc(bytes);
    uint64_t tmp[SRP_MAX_ELEM_WORDS];
    uint64_t normal[SRP_LIMBS];
    if (table == NULL) return -1;
    memset(normal, 0, sizeof normal);
    normal[0] = 1;
    k->from_normal(table, normal);
    memcpy(table + w, base_m, w * 8);
    for (unsigned j = 2; j < SRP_WINDOW_ENTRIES; j++) k->mul(table + j * w, table + (j - 1) * w, base_m);
    size_t nwin = (ebits + SRP_WINDOW - 1) / SRP_WINDOW;
    if (nwin == 0) nwin = 1;
    select_entry(k, acc, table, SRP_WINDOW_ENTRIES, ewindow(e, (nwin - 1) * SRP_WINDOW));
    for (size_t i = nwin - 1; i-- > 0;) {
        for (int s = 0; s < SRP_WINDOW; s++) k->mul(acc, acc, acc);
        select_entry(k, tmp, table, SRP_WINDOW_ENTRIES, ewindow(e, i * SRP_WINDOW));
        k->mul(acc, acc, tmp);
    }
    srp_wipe(table, bytes);
    free(table);
    srp_wipe(tmp, sizeof tmp);
    return 0;
}

/* ---- entry points ----------------------------------------------------------------- */

/* The exponent, zero-padded to the window's reach (+1 byte for the last window). */
#define EBUF_BYTES (SRP_MAX_EBITS / 8 + 2)

int srp_powg(const srp_kernel *k, const uint64_t *table, uint64_t out[SRP_LIMBS], const uint8_t *e, size_t ebits) {
    uint64_t acc[SRP_MAX_ELEM_WORDS];
    uint8_t ebuf[EBUF_BYTES];
    int rc = 0;
    if (ebits > SRP_MAX_EBITS) return -1;
    memset(ebuf, 0, sizeof ebuf);
    memcpy(ebuf, e, (ebits + 7) / 8);
    if (ebits <= SRP_COMB_BITS) {
        if (table == NULL) return -1;
        comb(k, table, acc, ebuf);
    } else {
        uint64_t two[SRP_LIMBS], two_m[SRP_MAX_ELEM_WORDS];
        memset(two, 0, sizeof two);
        two[0] = 2;
        k->from_normal(two_m, two);
        rc = window(k, acc, two_m, ebuf, ebits);
    }
    if (rc == 0) k->to_normal(out, acc);
    srp_wipe(acc, sizeof acc);
    srp_wipe(ebuf, sizeof ebuf);
    return rc;
}

int srp_powb(const srp_kernel *k, uint64_t out[SRP_LIMBS], const uint64_t base[SRP_LIMBS], const uint8_t *e,
             size_t ebits) {
    uint64_t acc[SRP_MAX_ELEM_WORDS], base_m[SRP_MAX_ELEM_WORDS];
    uint8_t ebuf[EBUF_BYTES];
    int rc;
    if (ebits > SRP_MAX_EBITS) return -1;
    memset(ebuf, 0, sizeof ebuf);
    memcpy(ebuf, e, (ebits + 7) / 8);
    k->from_normal(base_m, base);
    rc = window(k, acc, base_m, ebuf, ebits);
    if (rc == 0) k->to_normal(out, acc);
    srp_wipe(acc, sizeof acc);
    srp_wipe(base_m, sizeof base_m);
    srp_wipe(ebuf, sizeof ebuf);
    return rc;
}

/* ---- CPU features ----------------------------------------------------------------- */

void srp_cpu_detect(srp_cpu *cpu) {
    memset(cpu, 0, sizeof *cpu);
#if defined(__x86_64__) || defined(_M_X64)
    cpu->x86_64 = 1;
    unsigned a = 0, b = 0, c = 0, d = 0;
#if defined(_MSC_VER)
    int regs[4];
    __cpuid(regs, 0);
    unsigned max_leaf = (unsigned)regs[0];
    __cpuid(regs, 1);
    c = (unsigned)regs[2];
#else
    unsigned max_leaf = __get_cpuid_max(0, NULL);
    __cpuid(1, a, b, c, d);
#endif
    int osxsave = (c >> 27) & 1, os_avx = 0;
    if (max_leaf >= 7) {
#if defined(_MSC_VER)
        __cpuidex(regs, 7, 0);
        b = (unsigned)regs[1];
#else
        __cpuid_count(7, 0, a, b, c, d);
#endif
        cpu->avx2 = (b >> 5) & 1;
        cpu->bmi2 = (b >> 8) & 1;
        cpu->adx = (b >> 19) & 1;
        cpu->avx512f = (b >> 16) & 1;
        cpu->avx512ifma = (b >> 21) & 1;
    }
    if (osxsave) {
#if defined(_MSC_VER)
        unsigned long long xcr0 = _xgetbv(0);
#else
        unsigned lo, hi;
        __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        unsigned long long xcr0 = ((unsigned long long)hi << 32) | lo;
#endif
        /* SSE, AVX, opmask, ZMM_Hi256 and Hi16_ZMM state all saved by the OS */
        cpu->os_avx512 = (xcr0 & 0xE6) == 0xE6;
        os_avx = (xcr0 & 0x6) == 0x6;
    }
    cpu->avx2 &= os_avx; /* YMM state saved by the OS */
    (void)a;
    (void)d;
#endif
}
