// The shims are `static inline` in the header; this file only gives SwiftPM a source to build.
#include "CHogwildShims.h"
