#ifndef HOGWILD_CJEMALLOC_SHIM_H
#define HOGWILD_CJEMALLOC_SHIM_H
// Debian's jemalloc is built without a symbol prefix: linking it replaces malloc/free for the
// whole process. `mallctl` is what the program calls to report the allocator in use.
#include <jemalloc/jemalloc.h>
#endif
