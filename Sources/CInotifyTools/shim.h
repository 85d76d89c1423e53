#ifndef REDLINE_CINOTIFYTOOLS_SHIM_H
#define REDLINE_CINOTIFYTOOLS_SHIM_H

#include <sys/inotify.h>
#include <inotifytools/inotifytools.h>
#include <pthread.h>
#include <string.h>

/// The `name` flexible array member of `struct inotify_event` does not import into Swift:
/// this returns a pointer to it (NUL-terminated when `len > 0`).
static inline const char *redline_inotify_event_name(const struct inotify_event *event) {
    return event->len > 0 ? event->name : "";
}

/// Names the calling thread (at most 15 bytes), so `top -H` and `ps -L` show which thread is the watcher's.
/// glibc declares `pthread_setname_np` only under `_GNU_SOURCE`, which a module header cannot turn on.
int pthread_setname_np(pthread_t thread, const char *name);
static inline int redline_name_thread(const char *name) {
    return pthread_setname_np(pthread_self(), name);
}

#endif
