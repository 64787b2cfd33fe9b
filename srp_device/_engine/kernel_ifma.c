/* Placeholder until the AVX-512 IFMA kernel lands: this build has none. */
