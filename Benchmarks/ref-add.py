#!/usr/bin/env python3
"""Reference copy+hash+fsync pipelines, to see what `omnistore add` could reach.

Not omnistore: a yardstick for bench-add.sh's breakdown. Each mode copies SRC to
a new file in DIR while computing its SHA-256 (hashlib, i.e. OpenSSL), fsyncs the
copy, and prints "MODE SECONDS HEX".

  serial        read 4 MiB, hash it, write it; fsync at the end (what omnistore
                does today, in Sources/OmniStore/ObjectStore.swift)
  serial-sfr    the same, plus sync_file_range(WRITE) after each chunk so the
                disk works while the CPU hashes, and the final fsync finds
                little left to write
  threaded      one thread hashes while another writes (2 cores)
  threaded-sfr  threaded, plus sync_file_range(WRITE) after each write

usage: ref-add.py SRC DIR [MODE...]
"""

import ctypes
import hashlib
import os
import queue
import sys
import threading
import time

CHUNK = 4 << 20
SYNC_FILE_RANGE_WRITE = 2
libc = ctypes.CDLL("libc.so.6", use_errno=True)
libc.sync_file_range.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]


def start_writeback(fd, offset, length):
    if libc.sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE) != 0:
        raise OSError(ctypes.get_errno(), "sync_file_range")


def serial(src, dst, sfr):
    h = hashlib.sha256()
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    with open(src, "rb", buffering=0) as f:
        fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        off = 0
        while True:
            n = f.readinto(buf)
            if not n:
                break
            h.update(view[:n])
            w = 0
            while w < n:
                w += os.write(fd, view[w:n])
            if sfr:
                start_writeback(fd, off, n)
            off += n
        os.fsync(fd)
        os.close(fd)
    return h.hexdigest()


def threaded(src, dst, sfr, depth=4):
    h = hashlib.sha256()
    free = queue.Queue()
    for _ in range(depth):
        free.put(bytearray(CHUNK))
    to_hash, to_write = queue.Queue(), queue.Queue()
    done_count = {}
    lock = threading.Lock()

    def release(buf):
        with lock:
            k = id(buf)
            done_count[k] = done_count.get(k, 0) + 1
            if done_count[k] == 2:
                del done_count[k]
                free.put(buf)

    def hasher():
        while (item := to_hash.get()) is not None:
            buf, n = item
            h.update(memoryview(buf)[:n])
            release(buf)

    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)

    def writer():
        off = 0
        while (item := to_write.get()) is not None:
            buf, n = item
            view = memoryview(buf)
            w = 0
            while w < n:
                w += os.write(fd, view[w:n])
            if sfr:
                start_writeback(fd, off, n)
            off += n
            release(buf)

    threads = [threading.Thread(target=hasher), threading.Thread(target=writer)]
    for t in threads:
        t.start()
    with open(src, "rb", buffering=0) as f:
        while True:
            buf = free.get()
            n = f.readinto(buf)
            if not n:
                break
            to_hash.put((buf, n))
            to_write.put((buf, n))
    to_hash.put(None)
    to_write.put(None)
    for t in threads:
        t.join()
    os.fsync(fd)
    os.close(fd)
    return h.hexdigest()


MODES = {
    "serial": lambda s, d: serial(s, d, False),
    "serial-sfr": lambda s, d: serial(s, d, True),
    "threaded": lambda s, d: threaded(s, d, False),
    "threaded-sfr": lambda s, d: threaded(s, d, True),
}


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    src, directory = sys.argv[1], sys.argv[2]
    for mode in sys.argv[3:] or list(MODES):
        dst = os.path.join(directory, f"ref-{mode}.tmp")
        if os.path.exists(dst):
            os.unlink(dst)
        t0 = time.perf_counter()
        digest = MODES[mode](src, dst)
        print(f"{mode} {time.perf_counter() - t0:.4f} {digest}", flush=True)
        os.unlink(dst)


if __name__ == "__main__":
    main()
