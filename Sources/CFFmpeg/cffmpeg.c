// Forwarders for the FFmpeg functions OmniMedia calls: see cffmpeg.h for why
// FFmpeg is loaded with dlopen. Each forwarder has the FFmpeg name and
// signature (the compiler checks them against FFmpeg's headers), is hidden so
// that no other object binds to it, and loads the libraries on first use.
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cffmpeg.h"

#define CFFMPEG_HIDDEN __attribute__((visibility("hidden")))

// Every function: the library to look it up in (dlsym also searches that
// library's dependencies), its return type, name, parameters and arguments.
// PROCEDURE is the same for functions that return nothing.
#define CFFMPEG_FUNCTIONS(FUNCTION, PROCEDURE) \
    FUNCTION(avutil, int, av_channel_layout_describe, (const AVChannelLayout *channel_layout, char *buf, size_t buf_size), (channel_layout, buf, buf_size)) \
    FUNCTION(avutil, const char *, av_color_primaries_name, (enum AVColorPrimaries primaries), (primaries)) \
    FUNCTION(avutil, const char *, av_color_range_name, (enum AVColorRange range), (range)) \
    FUNCTION(avutil, const char *, av_color_space_name, (enum AVColorSpace space), (space)) \
    FUNCTION(avutil, const char *, av_color_transfer_name, (enum AVColorTransferCharacteristic transfer), (transfer)) \
    FUNCTION(avutil, AVDictionaryEntry *, av_dict_get, (const AVDictionary *m, const char *key, const AVDictionaryEntry *prev, int flags), (m, key, prev, flags)) \
    FUNCTION(avutil, double, av_display_rotation_get, (const int32_t matrix[9]), (matrix)) \
    FUNCTION(avutil, AVFrame *, av_frame_alloc, (void), ()) \
    FUNCTION(avutil, int, av_frame_copy_props, (AVFrame *dst, const AVFrame *src), (dst, src)) \
    PROCEDURE(avutil, av_frame_free, (AVFrame **frame), (frame)) \
    FUNCTION(avutil, int, av_frame_get_buffer, (AVFrame *frame, int align), (frame, align)) \
    FUNCTION(avutil, AVFrameSideData *, av_frame_get_side_data, (const AVFrame *frame, enum AVFrameSideDataType type), (frame, type)) \
    FUNCTION(avutil, int, av_frame_ref, (AVFrame *dst, const AVFrame *src), (dst, src)) \
    PROCEDURE(avutil, av_frame_unref, (AVFrame *frame), (frame)) \
    FUNCTION(avutil, const char *, av_get_pix_fmt_name, (enum AVPixelFormat pix_fmt), (pix_fmt)) \
    FUNCTION(avformat, AVRational, av_guess_sample_aspect_ratio, (AVFormatContext *format, AVStream *stream, AVFrame *frame), (format, stream, frame)) \
    FUNCTION(avformat, int, av_index_search_timestamp, (AVStream *st, int64_t timestamp, int flags), (st, timestamp, flags)) \
    PROCEDURE(avutil, av_log_set_level, (int level), (level)) \
    FUNCTION(avcodec, AVPacket *, av_packet_alloc, (void), ()) \
    PROCEDURE(avcodec, av_packet_free, (AVPacket **pkt), (pkt)) \
    PROCEDURE(avcodec, av_packet_unref, (AVPacket *pkt), (pkt)) \
    FUNCTION(avutil, const AVPixFmtDescriptor *, av_pix_fmt_desc_get, (enum AVPixelFormat pix_fmt), (pix_fmt)) \
    FUNCTION(avformat, int, av_read_frame, (AVFormatContext *s, AVPacket *pkt), (s, pkt)) \
    FUNCTION(avutil, int64_t, av_rescale, (int64_t a, int64_t b, int64_t c), (a, b, c)) \
    FUNCTION(avutil, int64_t, av_rescale_q, (int64_t a, AVRational bq, AVRational cq), (a, bq, cq)) \
    FUNCTION(avformat, int, av_seek_frame, (AVFormatContext *s, int stream_index, int64_t timestamp, int flags), (s, stream_index, timestamp, flags)) \
    FUNCTION(avformat, uint8_t *, av_stream_new_side_data, (AVStream *stream, enum AVPacketSideDataType type, size_t size), (stream, type, size)) \
    FUNCTION(avformat, uint8_t *, av_stream_get_side_data, (const AVStream *stream, enum AVPacketSideDataType type, size_t *size), (stream, type, size)) \
    FUNCTION(avutil, int, av_strerror, (int errnum, char *errbuf, size_t errbuf_size), (errnum, errbuf, errbuf_size)) \
    FUNCTION(avcodec, AVCodecContext *, avcodec_alloc_context3, (const AVCodec *codec), (codec)) \
    FUNCTION(avcodec, const AVCodec *, avcodec_find_decoder, (enum AVCodecID id), (id)) \
    FUNCTION(avcodec, const AVCodec *, avcodec_find_encoder, (enum AVCodecID id), (id)) \
    PROCEDURE(avcodec, avcodec_flush_buffers, (AVCodecContext *avctx), (avctx)) \
    PROCEDURE(avcodec, avcodec_free_context, (AVCodecContext **avctx), (avctx)) \
    FUNCTION(avcodec, const char *, avcodec_get_name, (enum AVCodecID id), (id)) \
    FUNCTION(avcodec, int, avcodec_open2, (AVCodecContext *avctx, const AVCodec *codec, AVDictionary **options), (avctx, codec, options)) \
    FUNCTION(avcodec, int, avcodec_parameters_to_context, (AVCodecContext *codec, const AVCodecParameters *par), (codec, par)) \
    FUNCTION(avcodec, const char *, avcodec_profile_name, (enum AVCodecID codec_id, int profile), (codec_id, profile)) \
    FUNCTION(avcodec, int, avcodec_receive_frame, (AVCodecContext *avctx, AVFrame *frame), (avctx, frame)) \
    FUNCTION(avcodec, int, avcodec_receive_packet, (AVCodecContext *avctx, AVPacket *avpkt), (avctx, avpkt)) \
    FUNCTION(avcodec, int, avcodec_send_frame, (AVCodecContext *avctx, const AVFrame *frame), (avctx, frame)) \
    FUNCTION(avcodec, int, avcodec_send_packet, (AVCodecContext *avctx, const AVPacket *avpkt), (avctx, avpkt)) \
    FUNCTION(avformat, int, av_interleaved_write_frame, (AVFormatContext *s, AVPacket *pkt), (s, pkt)) \
    FUNCTION(avformat, int, av_write_trailer, (AVFormatContext *s), (s)) \
    PROCEDURE(avcodec, av_packet_rescale_ts, (AVPacket *pkt, AVRational tb_src, AVRational tb_dst), (pkt, tb_src, tb_dst)) \
    FUNCTION(avcodec, int, avcodec_parameters_copy, (AVCodecParameters *dst, const AVCodecParameters *src), (dst, src)) \
    FUNCTION(avformat, int, avformat_alloc_output_context2, (AVFormatContext **ctx, const AVOutputFormat *oformat, const char *format_name, const char *filename), (ctx, oformat, format_name, filename)) \
    PROCEDURE(avformat, avformat_free_context, (AVFormatContext *s), (s)) \
    FUNCTION(avformat, AVStream *, avformat_new_stream, (AVFormatContext *s, const AVCodec *c), (s, c)) \
    FUNCTION(avformat, int, avformat_write_header, (AVFormatContext *s, AVDictionary **options), (s, options)) \
    FUNCTION(avformat, int, avio_closep, (AVIOContext **s), (s)) \
    FUNCTION(avformat, int, avio_open, (AVIOContext **s, const char *url, int flags), (s, url, flags)) \
    PROCEDURE(avformat, avformat_close_input, (AVFormatContext **s), (s)) \
    FUNCTION(avformat, int, avformat_find_stream_info, (AVFormatContext *ic, AVDictionary **options), (ic, options)) \
    FUNCTION(avformat, const AVIndexEntry *, avformat_index_get_entry, (AVStream *st, int idx), (st, idx)) \
    FUNCTION(avformat, int, avformat_open_input, (AVFormatContext **ps, const char *url, const AVInputFormat *fmt, AVDictionary **options), (ps, url, fmt, options)) \
    FUNCTION(avformat, int, avformat_seek_file, (AVFormatContext *s, int stream_index, int64_t min_ts, int64_t ts, int64_t max_ts, int flags), (s, stream_index, min_ts, ts, max_ts, flags)) \
    PROCEDURE(swscale, sws_freeContext, (struct SwsContext *swsContext), (swsContext)) \
    FUNCTION(swscale, const int *, sws_getCoefficients, (int colorspace), (colorspace)) \
    FUNCTION(swscale, int, sws_getColorspaceDetails, (struct SwsContext *c, int **inv_table, int *srcRange, int **table, int *dstRange, int *brightness, int *contrast, int *saturation), (c, inv_table, srcRange, table, dstRange, brightness, contrast, saturation)) \
    FUNCTION(swscale, struct SwsContext *, sws_getContext, (int srcW, int srcH, enum AVPixelFormat srcFormat, int dstW, int dstH, enum AVPixelFormat dstFormat, int flags, SwsFilter *srcFilter, SwsFilter *dstFilter, const double *param), (srcW, srcH, srcFormat, dstW, dstH, dstFormat, flags, srcFilter, dstFilter, param)) \
    FUNCTION(swscale, int, sws_scale, (struct SwsContext *c, const uint8_t *const srcSlice[], const int srcStride[], int srcSliceY, int srcSliceH, uint8_t *const dst[], const int dstStride[]), (c, srcSlice, srcStride, srcSliceY, srcSliceH, dst, dstStride)) \
    FUNCTION(swscale, int, sws_setColorspaceDetails, (struct SwsContext *c, const int inv_table[4], int srcRange, const int table[4], int dstRange, int brightness, int contrast, int saturation), (c, inv_table, srcRange, table, dstRange, brightness, contrast, saturation))


#define CFFMPEG_SONAME(name, major) "lib" #name ".so." AV_STRINGIFY(major)

enum { CFFMPEG_AVUTIL, CFFMPEG_SWSCALE, CFFMPEG_AVCODEC, CFFMPEG_AVFORMAT, CFFMPEG_LIBRARIES };

static const char *const cffmpeg_sonames[CFFMPEG_LIBRARIES] = {
    CFFMPEG_SONAME(avutil, LIBAVUTIL_VERSION_MAJOR),
    CFFMPEG_SONAME(swscale, LIBSWSCALE_VERSION_MAJOR),
    CFFMPEG_SONAME(avcodec, LIBAVCODEC_VERSION_MAJOR),
    CFFMPEG_SONAME(avformat, LIBAVFORMAT_VERSION_MAJOR),
};
#define CFFMPEG_INDEX_avutil CFFMPEG_AVUTIL
#define CFFMPEG_INDEX_swscale CFFMPEG_SWSCALE
#define CFFMPEG_INDEX_avcodec CFFMPEG_AVCODEC
#define CFFMPEG_INDEX_avformat CFFMPEG_AVFORMAT

#define CFFMPEG_FIELD(library, type, name, parameters, arguments) __typeof__(&name) name;
#define CFFMPEG_PROCEDURE_FIELD(library, name, parameters, arguments) __typeof__(&name) name;
static struct {
    CFFMPEG_FUNCTIONS(CFFMPEG_FIELD, CFFMPEG_PROCEDURE_FIELD)
} cffmpeg_table;

static pthread_once_t cffmpeg_once = PTHREAD_ONCE_INIT;
static atomic_bool cffmpeg_loaded;
static char cffmpeg_failure[512];

static void cffmpeg_load_once(void) {
    void *handles[CFFMPEG_LIBRARIES];
    for (int i = 0; i < CFFMPEG_LIBRARIES; i++) {
        handles[i] = dlopen(cffmpeg_sonames[i], RTLD_NOW | RTLD_LOCAL);
        if (!handles[i]) {
            const char *reason = dlerror();
            snprintf(cffmpeg_failure, sizeof cffmpeg_failure,
                     "cannot load FFmpeg's %s (%s): install Debian's libavformat59, libavcodec59, libswscale6 and libavutil57",
                     cffmpeg_sonames[i], reason ? reason : "not found");
            return;
        }
    }
#define CFFMPEG_LOOKUP(library, name)                                                                        \
    if (!(cffmpeg_table.name = (__typeof__(&name))dlsym(handles[CFFMPEG_INDEX_##library], #name))) {         \
        snprintf(cffmpeg_failure, sizeof cffmpeg_failure,                                                   \
                 "%s has no function %s: rebuild omnistore against the installed FFmpeg",                      \
                 cffmpeg_sonames[CFFMPEG_INDEX_##library], #name);                                           \
        return;                                                                                              \
    }
#define CFFMPEG_LOOKUP_FUNCTION(library, type, name, parameters, arguments) CFFMPEG_LOOKUP(library, name)
#define CFFMPEG_LOOKUP_PROCEDURE(library, name, parameters, arguments) CFFMPEG_LOOKUP(library, name)
    CFFMPEG_FUNCTIONS(CFFMPEG_LOOKUP_FUNCTION, CFFMPEG_LOOKUP_PROCEDURE)
    atomic_store_explicit(&cffmpeg_loaded, true, memory_order_release);
}

int cffmpeg_load(char *message, size_t size) {
    pthread_once(&cffmpeg_once, cffmpeg_load_once);
    if (atomic_load_explicit(&cffmpeg_loaded, memory_order_acquire)) return 0;
    if (message && size > 0) snprintf(message, size, "%s", cffmpeg_failure);
    return -1;
}

// OmniMedia calls cffmpeg_load first and reports a failure as an error; a
// call that comes before it anyway still works, or stops with the reason.
static inline void cffmpeg_require(void) {
    if (__builtin_expect(atomic_load_explicit(&cffmpeg_loaded, memory_order_acquire), 1)) return;
    if (cffmpeg_load(NULL, 0) != 0) {
        fprintf(stderr, "omnistore: %s\n", cffmpeg_failure);
        exit(1);
    }
}

#define CFFMPEG_FORWARD_FUNCTION(library, type, name, parameters, arguments)                                  \
    CFFMPEG_HIDDEN type name parameters {                                                                    \
        cffmpeg_require();                                                                                   \
        return cffmpeg_table.name arguments;                                                                 \
    }
#define CFFMPEG_FORWARD_PROCEDURE(library, name, parameters, arguments)                                      \
    CFFMPEG_HIDDEN void name parameters {                                                                    \
        cffmpeg_require();                                                                                   \
        cffmpeg_table.name arguments;                                                                        \
    }
CFFMPEG_FUNCTIONS(CFFMPEG_FORWARD_FUNCTION, CFFMPEG_FORWARD_PROCEDURE)
