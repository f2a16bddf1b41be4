/*
 * ref-frame: the least a process can do to write an exact-frame thumbnail
 * with Debian's FFmpeg libraries, to see what `omnistore thumbnail` could
 * reach on this machine. Not omnistore: a yardstick for bench-frames.sh.
 *
 * It does what omnistore does and nothing else: no store, no cache, no
 * argument parsing, no error messages worth the name.
 *   - open the file with libavformat, the first video stream's decoder with
 *     frame threading on every core;
 *   - seek to the keyframe at or before T, then decode forward to the first
 *     frame whose pts >= T. Before T, non-reference pictures are discarded
 *     (AVDISCARD_NONREF), and H.264 packets that hold only non-reference
 *     slices (nal_ref_idc 0) are not even sent;
 *   - scale to W wide RGB24 with swscale's bicubic filter;
 *   - encode PNG with libavcodec and write it.
 *
 * Modes: "thumbnail" does all of it; "decode" stops after the decoder hands
 * out the frame (no scale, no PNG, no file), the floor for the decode alone.
 * With -v it prints each phase's milliseconds to stderr.
 *
 * Build: cc -O2 -o ref-frame ref-frame.c $(pkg-config --cflags --libs
 *        libavformat libavcodec libswscale libavutil)
 * Usage: ref-frame [-v] thumbnail|decode FILE SECONDS WIDTH OUT.png
 */
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int verbose;
static double last_ms;

static double clock_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void phase(const char *name) {
    double now = clock_ms();
    if (verbose && last_ms > 0) fprintf(stderr, "%s %.1f ms\n", name, now - last_ms);
    last_ms = now;
}

static void die(const char *what) {
    fprintf(stderr, "ref-frame: %s\n", what);
    exit(1);
}

/* Whether an avcC (length-prefixed) H.264 packet holds only slices that no
 * other picture refers to: every coded slice NAL has nal_ref_idc 0. */
static int only_non_reference(const AVPacket *packet) {
    const uint8_t *data = packet->data;
    int left = packet->size, slices = 0;
    while (left > 4) {
        uint32_t length = (uint32_t)data[0] << 24 | data[1] << 16 | data[2] << 8 | data[3];
        if (length == 0 || length > (uint32_t)(left - 4)) return 0;
        int type = data[4] & 0x1f;
        if (type == 1 || type == 5) {
            if (data[4] & 0x60) return 0;
            slices++;
        }
        data += 4 + length;
        left -= 4 + (int)length;
    }
    return slices > 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "-v") == 0) { verbose = 1; argv++; argc--; }
    if (argc != 6) die("usage: ref-frame [-v] thumbnail|decode FILE SECONDS WIDTH OUT.png");
    int decode_only = strcmp(argv[1], "decode") == 0;
    double seconds = atof(argv[3]);
    int width = atoi(argv[4]);
    phase("start");

    AVFormatContext *input = NULL;
    if (avformat_open_input(&input, argv[2], NULL, NULL) < 0) die("cannot open the file");
    int index = av_find_best_stream(input, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (index < 0) die("no video stream");
    AVStream *stream = input->streams[index];
    const AVCodec *codec = avcodec_find_decoder(stream->codecpar->codec_id);
    AVCodecContext *decoder = avcodec_alloc_context3(codec);
    avcodec_parameters_to_context(decoder, stream->codecpar);
    decoder->thread_count = (int)sysconf(_SC_NPROCESSORS_ONLN);
    decoder->thread_type = FF_THREAD_FRAME;
    if (avcodec_open2(decoder, codec, NULL) < 0) die("cannot open the decoder");
    int h264 = stream->codecpar->codec_id == AV_CODEC_ID_H264 && stream->codecpar->extradata_size > 0 &&
               stream->codecpar->extradata[0] == 1;
    phase("open");

    int64_t start = input->start_time == AV_NOPTS_VALUE ? 0 : input->start_time;
    int64_t target = av_rescale_q((int64_t)llround(seconds * 1e6) + start, AV_TIME_BASE_Q, stream->time_base);
    if (avformat_seek_file(input, index, INT64_MIN, target, target, 0) < 0) die("cannot seek");
    AVPacket *packet = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    int found = 0, flushing = 0;
    while (!found) {
        int received = avcodec_receive_frame(decoder, frame);
        if (received == 0) {
            if (frame->pts != AV_NOPTS_VALUE && frame->pts >= target) found = 1;
            else av_frame_unref(frame);
            continue;
        }
        if (received != AVERROR(EAGAIN)) break;
        if (flushing) break;
        if (av_read_frame(input, packet) < 0) {
            avcodec_send_packet(decoder, NULL);
            flushing = 1;
            continue;
        }
        if (packet->stream_index != index) { av_packet_unref(packet); continue; }
        int before = packet->pts != AV_NOPTS_VALUE && packet->pts < target;
        if (before && h264 && only_non_reference(packet)) { av_packet_unref(packet); continue; }
        decoder->skip_frame = before ? AVDISCARD_NONREF : AVDISCARD_DEFAULT;
        avcodec_send_packet(decoder, packet);
        av_packet_unref(packet);
        /* A frame exactly at T is the answer: drain instead of decoding on. */
        if (!before && packet->pts == target) { avcodec_send_packet(decoder, NULL); flushing = 1; }
    }
    if (!found) die("no frame at that time");
    phase("decode");
    if (decode_only) return 0;

    int height = (int)av_rescale(width, frame->height, frame->width);
    struct SwsContext *scaler = sws_getContext(frame->width, frame->height, frame->format, width, height,
                                               AV_PIX_FMT_RGB24, SWS_BICUBIC, NULL, NULL, NULL);
    AVFrame *rgb = av_frame_alloc();
    rgb->width = width;
    rgb->height = height;
    rgb->format = AV_PIX_FMT_RGB24;
    if (!scaler || av_frame_get_buffer(rgb, 0) < 0) die("cannot scale");
    sws_scale(scaler, (const uint8_t *const *)frame->data, frame->linesize, 0, frame->height, rgb->data,
              rgb->linesize);
    phase("scale");

    const AVCodec *png = avcodec_find_encoder(AV_CODEC_ID_PNG);
    AVCodecContext *encoder = avcodec_alloc_context3(png);
    encoder->width = width;
    encoder->height = height;
    encoder->pix_fmt = AV_PIX_FMT_RGB24;
    encoder->time_base = (AVRational){1, 25};
    if (avcodec_open2(encoder, png, NULL) < 0 || avcodec_send_frame(encoder, rgb) < 0 ||
        avcodec_receive_packet(encoder, packet) < 0)
        die("cannot encode the PNG");
    phase("encode");

    FILE *out = fopen(argv[5], "wb");
    if (!out || fwrite(packet->data, 1, packet->size, out) != (size_t)packet->size || fclose(out) != 0)
        die("cannot write the PNG");
    phase("write");
    /* Freed as omnistore frees them, so the teardown is part of the yardstick. */
    avcodec_free_context(&encoder);
    av_packet_free(&packet);
    sws_freeContext(scaler);
    av_frame_free(&rgb);
    av_frame_free(&frame);
    avcodec_free_context(&decoder);
    avformat_close_input(&input);
    phase("free");
    return 0;
}
