#ifndef REDLINE_CZLIB_SHIM_H
#define REDLINE_CZLIB_SHIM_H

#include <zlib.h>

#endif
