#ifndef REDLINE_CINOTIFYTOOLS_SHIM_H
#define REDLINE_CINOTIFYTOOLS_SHIM_H

#include <sys/inotify.h>
#include <inotifytools/inotifytools.h>
#include <string.h>

/// The `name` flexible array member of `struct inotify_event` does not import into Swift:
/// this returns a pointer to it (NUL-terminated when `len > 0`).
static inline const char *redline_inotify_event_name(const struct inotify_event *event) {
    return event->len > 0 ? event->name : "";
}

#endif
