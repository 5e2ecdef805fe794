#ifndef HOGWILD_SHIMS_H
#define HOGWILD_SHIMS_H

#include "TemporaryFiles.h"

/// Hints the CPU to pull the cache line holding `address` into all cache levels for reading.
/// A hint only: it never faults, even for addresses that are not mapped.
static inline void hogwild_prefetch_read(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/// Hints the CPU to pull the cache line holding `address` in a state ready for writing.
static inline void hogwild_prefetch_write(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

#endif
