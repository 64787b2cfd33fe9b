/* ctgrind: the engine under valgrind memcheck with its secrets marked undefined.
 *
 * Memcheck reports a conditional jump, or a memory address, that depends on undefined
 * bytes. Marking the exponent and the base undefined (VALGRIND_MAKE_MEM_UNDEFINED) turns
 * that into a constant-time check: any branch or table index derived from a secret is an
 * error. Usage: driver KERNEL MODE, MODE one of
 *   clean         powg (comb and window paths) and powb at SRP's lengths: must be clean
 *   leaky-branch  a deliberate branch on a secret bit: must be flagged
 *   leaky-index   a deliberate table read at a secret index: must be flagged
 * Exit status 77: the kernel is not in this build or cannot run on this CPU. Each run
 * prints "OP EBITS E BASE OUT" in big-endian hex, so a test can check it against pow. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(SRP_NO_VALGRIND) /* a plain build: the same runs, checked against pow by the tests */
#define VALGRIND_MAKE_MEM_UNDEFINED(p, n) ((void)(p), (void)(n))
#define VALGRIND_MAKE_MEM_DEFINED(p, n) ((void)(p), (void)(n))
#else
#include <valgrind/memcheck.h>
#endif

#include "engine.h"

static void fill(void *p, size_t n, unsigned seed) {
    unsigned char *b = (unsigned char *)p;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        b[i] = (unsigned char)(seed >> 16);
    }
}

static void hex(const void *p, size_t n) {
    const unsigned char *b = (const unsigned char *)p;
    putchar(' ');
    for (size_t i = n; i-- > 0;) printf("%02x", b[i]); /* little-endian bytes, most significant first */
}

static void report(const char *op, size_t ebits, const void *e, const uint64_t *base, const uint64_t *out) {
    printf("%s %zu", op, ebits);
    hex(e, (ebits + 7) / 8);
    hex(base, SRP_BYTES);
    hex(out, SRP_BYTES);
    putchar('\n');
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: driver KERNEL clean|leaky-branch|leaky-index\n");
        return 2;
    }
    const srp_kernel *k = srp_kernel_by_name(argv[1]);
    if (k == NULL) return 77;
    /* Under valgrind the CPU it presents decides; SRP_CTGRIND_FORCE runs the kernel anyway. */
    if (!k->available() && getenv("SRP_CTGRIND_FORCE") == NULL) return 77;
    const uint64_t *table = srp_prepare(k);
    if (table == NULL) return 3;

    uint8_t e256[32], e513[65], e1000[125];
    uint64_t base[SRP_LIMBS], two[SRP_LIMBS] = {2}, out[SRP_LIMBS];
    uint8_t e256_copy[32], e513_copy[65], e1000_copy[125];
    uint64_t base_copy[SRP_LIMBS];
    unsigned long long check = 0;
    fill(e256, sizeof e256, 1);
    fill(e513, sizeof e513, 2);
    e513[64] &= 1;
    fill(e1000, sizeof e1000, 3);
    fill(base, sizeof base, 4);
    base[SRP_LIMBS - 1] >>= 1; /* < N */
    memcpy(e256_copy, e256, sizeof e256); /* public copies, to print */
    memcpy(e513_copy, e513, sizeof e513);
    memcpy(e1000_copy, e1000, sizeof e1000);
    memcpy(base_copy, base, sizeof base);

    VALGRIND_MAKE_MEM_UNDEFINED(e256, sizeof e256);
    VALGRIND_MAKE_MEM_UNDEFINED(e513, sizeof e513);
    VALGRIND_MAKE_MEM_UNDEFINED(e1000, sizeof e1000);
    VALGRIND_MAKE_MEM_UNDEFINED(base, sizeof base);

    if (strcmp(argv[2], "leaky-branch") == 0) {
        if (e256[0] & 1) check += 1;
    } else if (strcmp(argv[2], "leaky-index") == 0) {
        check += table[e256[0]];
    } else if (strcmp(argv[2], "clean") != 0) {
        return 2;
    }
    int rc = 0;
    rc |= srp_powg(k, table, out, e256, 256); /* the comb */
    VALGRIND_MAKE_MEM_DEFINED(out, sizeof out);
    check += out[0];
    report("powg", 256, e256_copy, two, out);
    rc |= srp_powg(k, table, out, e1000, 1000); /* the window with base 2 */
    VALGRIND_MAKE_MEM_DEFINED(out, sizeof out);
    check += out[1];
    report("powg", 1000, e1000_copy, two, out);
    rc |= srp_powb(k, out, base, e513, 513); /* the window with a secret base */
    VALGRIND_MAKE_MEM_DEFINED(out, sizeof out);
    check += out[2];
    report("powb", 513, e513_copy, base_copy, out);
    VALGRIND_MAKE_MEM_DEFINED(&check, sizeof check);
    printf("%s %s rc=%d check=%016llx\n", k->name, argv[2], rc, check);
    return rc == 0 ? 0 : 4;
}
