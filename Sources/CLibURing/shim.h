#ifndef CHORUS_CLIBURING_SHIM_H
#define CHORUS_CLIBURING_SHIM_H

// <features.h> must come first: without it Glibc's and liburing's views of `fd_set`
// (and other feature-test-dependent types) disagree when the module is imported into Swift.
#include <features.h>
#include <liburing.h>

#endif
