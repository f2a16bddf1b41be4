#ifndef OMNISTORE_CFFMPEG_H
#define OMNISTORE_CFFMPEG_H

// FFmpeg's libraries, loaded when first used rather than when omnistore
// starts: Debian's libavcodec and libavformat pull in about 140 shared
// libraries (codecs, network and font stacks) that take 20-25 ms to map and
// initialise, which `log`, `status` and every other command that never
// touches media would otherwise pay. The functions OmniMedia calls are
// defined in cffmpeg.c under their FFmpeg names, hidden from other objects,
// and forward to the real ones found with dlsym.

#include <errno.h>
#include <stddef.h>
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libavutil/channel_layout.h>
#include <libswscale/swscale.h>

/// Loads libavutil, libavcodec, libavformat and libswscale (the major
/// versions omnistore was built against) and looks up every function
/// omnistore uses. Safe to call from any thread, any number of times.
///
/// Returns 0, or -1 with a one-line reason (naming the library and what to
/// install) in `message`.
int cffmpeg_load(char *message, size_t size);

// Function-like and compound-literal macros are not imported by Swift; these
// typed wrappers stand in for them.
static inline int cffmpeg_averror(int e) { return AVERROR(e); }
static inline int cffmpeg_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int cffmpeg_averror_eof(void) { return AVERROR_EOF; }
static inline int64_t cffmpeg_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline AVRational cffmpeg_time_base_q(void) { return AV_TIME_BASE_Q; }

// Frames: thumbnails, contact sheets and the visual diff.
static inline int cffmpeg_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int cffmpeg_averror_enomem(void) { return AVERROR(ENOMEM); }

#endif
