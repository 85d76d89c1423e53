#ifndef REDLINE_CZSTD_SHIM_H
#define REDLINE_CZSTD_SHIM_H

// zstd: the state store's article texts, each a frame compressed against a dictionary made from the store's
// own texts (zdict.h builds it), so a short article costs what it adds to the others, not its whole self.
#include <zstd.h>
#include <zdict.h>

#endif
