// omnistore builds on Linux only, and says so at once rather than failing
// deep inside CPosix: the store uses Linux calls (copy_file_range, FICLONE,
// fallocate, syncfs), and FFmpeg and libcurl are loaded by their Linux names.
#if !os(Linux)
    #error("omnistore builds on Linux only (Debian or Ubuntu with Swift 6); see the README")
#endif
