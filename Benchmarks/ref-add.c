/*
 * ref-add: reference copy + SHA-256 + fsync pipelines, to see what
 * `omnistore add` could reach on this machine. Not omnistore: a yardstick for
 * bench-add.sh's breakdown.
 *
 * Each mode copies SRC to a new file in DIR while computing its SHA-256
 * (OpenSSL EVP, which uses the CPU's SHA extensions), fsyncs the copy and its
 * folder, and prints "MODE SECONDS HEX".
 *
 *   serial        read 4 MiB, hash it, write it; fsync at the end: what
 *                 omnistore does today (Sources/OmniStore/ObjectStore.swift)
 *   serial-sfr    the same, plus sync_file_range(SYNC_FILE_RANGE_WRITE) after
 *                 each chunk, so the disk works while the CPU hashes and the
 *                 final fsync finds little left to write
 *   threaded      the main thread reads and hashes, a second thread writes
 *                 (4 buffers of 4 MiB in a ring), fsync at the end
 *   threaded-sfr  threaded, plus sync_file_range after each write
 *
 * Build: cc -O2 -pthread -o ref-add ref-add.c -lcrypto
 * Usage: ref-add SRC DIR [MODE...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (4 << 20)
#define SLOTS 4

static void die(const char *what) {
    fprintf(stderr, "ref-add: %s: %s\n", what, strerror(errno));
    exit(1);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void write_all(int fd, const unsigned char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            die("write");
        }
        p += w;
        n -= (size_t)w;
    }
}

static ssize_t read_full(int fd, unsigned char *p, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0) {
            if (errno == EINTR) continue;
            die("read");
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

static void start_writeback(int fd, off_t off, size_t n) {
    if (sync_file_range(fd, off, (off_t)n, SYNC_FILE_RANGE_WRITE) != 0) die("sync_file_range");
}

/* --- serial ------------------------------------------------------------- */

static void serial(int in, int out, int sfr, EVP_MD_CTX *md) {
    unsigned char *buf = aligned_alloc(4096, CHUNK);
    off_t off = 0;
    ssize_t n;
    while ((n = read_full(in, buf, CHUNK)) > 0) {
        EVP_DigestUpdate(md, buf, (size_t)n);
        write_all(out, buf, (size_t)n);
        if (sfr) start_writeback(out, off, (size_t)n);
        off += n;
    }
    free(buf);
}

/* --- threaded ----------------------------------------------------------- */

struct ring {
    unsigned char *buf[SLOTS];
    ssize_t len[SLOTS];
    sem_t free_slots, full_slots;
    int out, sfr;
};

static void *writer(void *arg) {
    struct ring *r = arg;
    off_t off = 0;
    for (int i = 0;; i = (i + 1) % SLOTS) {
        sem_wait(&r->full_slots);
        ssize_t n = r->len[i];
        if (n == 0) break;
        write_all(r->out, r->buf[i], (size_t)n);
        if (r->sfr) start_writeback(r->out, off, (size_t)n);
        off += n;
        sem_post(&r->free_slots);
    }
    return NULL;
}

static void threaded(int in, int out, int sfr, EVP_MD_CTX *md) {
    struct ring r = {.out = out, .sfr = sfr};
    for (int i = 0; i < SLOTS; i++) r.buf[i] = aligned_alloc(4096, CHUNK);
    sem_init(&r.free_slots, 0, SLOTS);
    sem_init(&r.full_slots, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, writer, &r);
    for (int i = 0;; i = (i + 1) % SLOTS) {
        sem_wait(&r.free_slots);
        ssize_t n = read_full(in, r.buf[i], CHUNK);
        if (n > 0) EVP_DigestUpdate(md, r.buf[i], (size_t)n);
        r.len[i] = n;
        sem_post(&r.full_slots);
        if (n == 0) break;
    }
    pthread_join(t, NULL);
    for (int i = 0; i < SLOTS; i++) free(r.buf[i]);
}

/* --- main --------------------------------------------------------------- */

int main(int argc, char **argv) {
    static const char *all[] = {"serial", "serial-sfr", "threaded", "threaded-sfr"};
    if (argc < 3) {
        fprintf(stderr, "usage: ref-add SRC DIR [serial|serial-sfr|threaded|threaded-sfr]...\n");
        return 2;
    }
    const char **modes = argc > 3 ? (const char **)argv + 3 : all;
    int count = argc > 3 ? argc - 3 : 4;
    for (int m = 0; m < count; m++) {
        const char *mode = modes[m];
        int thr = strncmp(mode, "threaded", 8) == 0, sfr = strstr(mode, "-sfr") != NULL;
        if (!thr && strncmp(mode, "serial", 6) != 0) {
            fprintf(stderr, "ref-add: unknown mode '%s'\n", mode);
            return 2;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/ref-%s.tmp", argv[2], mode);
        unlink(path);
        double t0 = now();
        int in = open(argv[1], O_RDONLY | O_CLOEXEC);
        if (in < 0) die(argv[1]);
        posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);
        int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (out < 0) die(path);
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        EVP_DigestInit_ex(md, EVP_sha256(), NULL);
        if (thr) threaded(in, out, sfr, md); else serial(in, out, sfr, md);
        if (fsync(out) != 0) die("fsync");
        int dir = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir >= 0) { fsync(dir); close(dir); }
        unsigned char digest[32];
        unsigned int len = 0;
        EVP_DigestFinal_ex(md, digest, &len);
        EVP_MD_CTX_free(md);
        close(in);
        close(out);
        double t1 = now();
        printf("%s %.4f ", mode, t1 - t0);
        for (unsigned i = 0; i < len; i++) printf("%02x", digest[i]);
        printf("\n");
        fflush(stdout);
        unlink(path);
    }
    return 0;
}
