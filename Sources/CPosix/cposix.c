#define _GNU_SOURCE
#include "cposix.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

int cposix_clone_file(int dst, int src) {
#ifdef FICLONE
    return ioctl(dst, FICLONE, src);
#else
    errno = EOPNOTSUPP;
    return -1;
#endif
}

ssize_t cposix_copy_file_range(int src, int dst, size_t length) {
    return copy_file_range(src, NULL, dst, NULL, length, 0);
}

#include <fcntl.h>

int cposix_reserve(int fd, long long length) {
    return fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)length) == 0 ? 0 : errno;
}

int cposix_set_direct_io(int fd, int enabled) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return errno;
    flags = enabled ? (flags | O_DIRECT) : (flags & ~O_DIRECT);
    return fcntl(fd, F_SETFL, flags) == 0 ? 0 : errno;
}

int cposix_start_writeback(int fd, long long offset, long long length) {
    return sync_file_range(fd, (off64_t)offset, (off64_t)length, SYNC_FILE_RANGE_WRITE);
}

int cposix_wait_writeout(int fd) {
    return sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
}

#include <signal.h>
#include <stdlib.h>

static volatile sig_atomic_t interrupted = 0;

static void on_interrupt(int signal_number) {
    (void)signal_number;
    if (interrupted) _exit(130);
    interrupted = 1;
}

void cposix_catch_interrupt(void) {
    struct sigaction action;
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    sigaction(SIGINT, &action, NULL);
    // A parent (a test runner, a supervisor) may have started us with SIGINT
    // blocked; Ctrl-C must still reach the handler.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

int cposix_interrupted(void) { return interrupted; }

int cposix_syncfs(int fd) {
    return syncfs(fd);
}
