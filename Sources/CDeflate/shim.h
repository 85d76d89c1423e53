#ifndef REDLINE_CDEFLATE_SHIM_H
#define REDLINE_CDEFLATE_SHIM_H

// libdeflate: whole-buffer DEFLATE, in the same zlib format (RFC 1950) as zlib's compress2, without zlib's
// per-call stream set-up (about 270 KB allocated and cleared for every call).
#include <libdeflate.h>

#endif
