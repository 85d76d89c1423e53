/*
 * A power-cut simulator for the feed, loaded with LD_PRELOAD into `redline run`.
 *
 * It keeps, in POWERCUT_SHADOW, what a disk would still hold after power loss if it kept exactly what
 * was synced and nothing else:
 *   - when fsync/fdatasync of a regular file directly inside POWERCUT_DIR returns 0, that file's bytes
 *     are copied to SHADOW/ino.<inode>;
 *   - when fsync of POWERCUT_DIR itself returns 0, its entries are written to SHADOW/dirlist as
 *     "<inode> <name>" lines (names and renames are durable only after the directory sync).
 * The test kills the daemon with SIGKILL and rebuilds the directory from the shadow: the "power cut".
 * Built by the integration tests with `cc -shared -fPIC`; it only observes, never changes a result.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int fd_path(int fd, char *out, size_t size) {
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, out, size - 1);
    if (n < 0) return -1;
    out[n] = 0;
    return 0;
}

static void copy_file(int fd, ino_t ino, const char *shadow) {
    char tmp[PATH_MAX], final[PATH_MAX], link[64];
    /* The caller's descriptor may be write-only (O_WRONLY | O_APPEND): read through a descriptor of our own. */
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    int in = open(link, O_RDONLY | O_CLOEXEC);
    if (in < 0) return;
    snprintf(tmp, sizeof tmp, "%s/ino.%lu.tmp", shadow, (unsigned long)ino);
    snprintf(final, sizeof final, "%s/ino.%lu", shadow, (unsigned long)ino);
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        close(in);
        return;
    }
    char buffer[1 << 16];
    off_t offset = 0;
    for (;;) {
        ssize_t n = pread(in, buffer, sizeof buffer, offset);
        if (n <= 0) break;
        if (write(out, buffer, (size_t)n) != n) break;
        offset += n;
    }
    close(out);
    close(in);
    rename(tmp, final);
}

static void list_dir(const char *dir, const char *shadow) {
    char tmp[PATH_MAX], final[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s/dirlist.tmp", shadow);
    snprintf(final, sizeof final, "%s/dirlist", shadow);
    FILE *out = fopen(tmp, "we");
    if (!out) return;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_type == DT_REG) fprintf(out, "%lu %s\n", (unsigned long)e->d_ino, e->d_name);
        }
        closedir(d);
    }
    fclose(out);
    rename(tmp, final);
}

static void observe(int fd) {
    const char *dir = getenv("POWERCUT_DIR");
    const char *shadow = getenv("POWERCUT_SHADOW");
    if (!dir || !shadow) return;
    char path[PATH_MAX];
    struct stat st;
    if (fd_path(fd, path, sizeof path) != 0 || fstat(fd, &st) != 0) return;
    pthread_mutex_lock(&lock);
    if (S_ISDIR(st.st_mode) && strcmp(path, dir) == 0) {
        list_dir(dir, shadow);
    } else if (S_ISREG(st.st_mode)) {
        char *slash = strrchr(path, '/');
        if (slash && (size_t)(slash - path) == strlen(dir) && strncmp(path, dir, strlen(dir)) == 0) {
            copy_file(fd, st.st_ino, shadow);
        }
    }
    pthread_mutex_unlock(&lock);
}

int fsync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    int result = real(fd);
    if (result == 0) observe(fd);
    return result;
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    int result = real(fd);
    if (result == 0) observe(fd);
    return result;
}
