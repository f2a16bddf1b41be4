#ifndef OMNISTORE_CPOSIX_H
#define OMNISTORE_CPOSIX_H

#include <stddef.h>
#include <sys/types.h>

// Linux calls that glibc only declares under _GNU_SOURCE, or that are
// variadic (ioctl), with fixed signatures Swift can call.

/// Clones `src` into `dst` sharing blocks (FICLONE); 0 on success, -1 with errno.
int cposix_clone_file(int dst, int src);

/// copy_file_range(2) from the current offsets; bytes copied, or -1 with errno.
ssize_t cposix_copy_file_range(int src, int dst, size_t length);



/// Starts writing back a file range without waiting (sync_file_range with
/// SYNC_FILE_RANGE_WRITE), so a later fsync has less left to do.
int cposix_start_writeback(int fd, long long offset, long long length);

/// Writes a whole file's data out and waits for it, without flushing its
/// metadata or the device's cache (sync_file_range, all three flags): the
/// writeout-only half of git's core.fsyncMethod=batch. 0, or -1 and errno.
int cposix_wait_writeout(int fd);

/// Turns O_DIRECT on or off for `fd`; 0, or an errno value (EINVAL where the
/// filesystem has no direct I/O).
int cposix_set_direct_io(int fd, int enabled);

/// Reserves disk blocks for `length` bytes without changing the file's size
/// (fallocate with FALLOC_FL_KEEP_SIZE); 0, or an errno value.
int cposix_reserve(int fd, long long length);

/// Installs a SIGINT handler that only sets a flag, so a long wait can stop
/// at a safe point; a second Ctrl-C exits at once with status 130.
void cposix_catch_interrupt(void);

/// Whether SIGINT arrived since cposix_catch_interrupt.
int cposix_interrupted(void);
/// Flushes every file of the filesystem holding fd (syncfs): one flush for
/// a batch of many small files instead of an fsync each.
int cposix_syncfs(int fd);

#endif
