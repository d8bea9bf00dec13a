/*
 * encode.c - video file output through FFmpeg (see spatia/annotate.h).
 *
 * One writer owns one muxer (chosen from the file extension), one encoder
 * and one swscale context that converts packed RGB24 into yuv420p. Codec:
 * H.264 through libx264 (preset veryfast, crf 23) when this FFmpeg build
 * has it and the container takes it, else FFmpeg's own MPEG-4 part 2
 * encoder at a fixed quantiser (qscale 4). Neither uses B-frames.
 *
 * Memory: a ring of WR_NFRAMES yuv420p frames is allocated at open. An
 * encoder may keep a reference to a frame it was given (MPEG-4 keeps its
 * reference picture), so each write takes the next frame nobody else holds;
 * only if all are held does av_frame_make_writable() allocate a new buffer.
 *
 * Time: the encoder time base is one frame period (1/fps as a rational with
 * a denominator below 65536, which MPEG-4 requires). pts_ms is rounded to
 * it; a frame whose rounded pts does not advance gets the previous pts + 1,
 * so bursts or duplicates never make the muxer reject a packet.
 *
 * Errors are sticky: once a write fails, later writes return the same code
 * and close only releases the resources (no trailer on a broken file).
 */
#include "spatia/annotate.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>

#include "spatia/error.h"

#define WR_NFRAMES 4
#define WR_MAX_DIM 16384
#define WR_MSG_LEN 256

struct spatia_video_writer {
    AVFormatContext *fmt;
    AVCodecContext *enc;
    AVStream *st;
    struct SwsContext *sws;
    AVFrame *frames[WR_NFRAMES];
    int cur; /* ring index of the frame written last */
    AVPacket *pkt;
    int width, height; /* px, as given */
    int ew, eh;        /* px, encoded (even) */
    int64_t last_pts;  /* encoder time base; valid if nframes > 0 */
    int64_t nframes;
    int err;       /* sticky spatia_err of a failed write */
    int file_open; /* fmt->pb was opened by us */
    int created;   /* the path did not exist before: remove it if open
                      fails (never unlink what was there, e.g. /dev/x) */
    char *path;
    char msg[WR_MSG_LEN];
};

static pthread_once_t enc_once = PTHREAD_ONCE_INIT;

/* FFmpeg's logging (libx264 prints its settings at info level) stays
 * silent unless SPATIA_FFMPEG_LOG names an av_log level, as in media.c. */
static void enc_global_init(void)
{
    const char *lv = getenv("SPATIA_FFMPEG_LOG");
    av_log_set_level(lv && *lv ? atoi(lv) : AV_LOG_FATAL);
}

static void set_msg(char *buf, int len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_msg(char *buf, int len, const char *fmt, ...)
{
    if (!buf || len <= 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, (size_t)len, fmt, ap);
    va_end(ap);
}

static const char *av_msg(int averr, char *buf, size_t len)
{
    if (av_strerror(averr, buf, len) < 0)
        snprintf(buf, len, "FFmpeg error %d", averr);
    return buf;
}

/* The file's extension (without the dot) or NULL. */
static const char *path_ext(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    return dot && dot != base && dot[1] ? dot + 1 : NULL;
}

/* 1 if the container takes the codec, 0 if it says no; a muxer that does
 * not know (negative answer) is given the benefit of the doubt. */
static int format_takes(const AVOutputFormat *of, enum AVCodecID id)
{
    return avformat_query_codec(of, id, FF_COMPLIANCE_NORMAL) != 0;
}

static void writer_free(spatia_video_writer *w, int remove_file)
{
    if (!w)
        return;
    if (w->fmt && w->file_open)
        avio_closep(&w->fmt->pb);
    if (remove_file && w->file_open && w->created && w->path)
        unlink(w->path);
    avformat_free_context(w->fmt);
    avcodec_free_context(&w->enc);
    sws_freeContext(w->sws);
    for (int i = 0; i < WR_NFRAMES; i++)
        av_frame_free(&w->frames[i]);
    av_packet_free(&w->pkt);
    free(w->path);
    free(w);
}

int spatia_video_writer_open(const char *path, int width, int height,
                             double fps, spatia_video_writer **out,
                             char *errbuf, int errlen)
{
    spatia_video_writer *w = NULL;
    const AVOutputFormat *of;
    const AVCodec *codec = NULL;
    const char *ext;
    char eb[128];
    int rc, ar;

    if (out)
        *out = NULL;
    set_msg(errbuf, errlen, "%s", "");
    if (!path || !*path || !out) {
        set_msg(errbuf, errlen, "video writer: path and out are required");
        return SPATIA_EINVAL;
    }
    if (width < 2 || height < 2 || width > WR_MAX_DIM || height > WR_MAX_DIM) {
        set_msg(errbuf, errlen, "%s: frame size %dx%d outside 2..%d px", path,
                width, height, WR_MAX_DIM);
        return SPATIA_EINVAL;
    }
    if (!(fps > 0.0 && fps <= 1000.0)) {
        set_msg(errbuf, errlen, "%s: frame rate %g outside (0, 1000]", path,
                fps);
        return SPATIA_EINVAL;
    }
    pthread_once(&enc_once, enc_global_init);

    ext = path_ext(path);
    of = ext ? av_guess_format(NULL, path, NULL)
             : av_guess_format("mp4", NULL, NULL);
    if (!of) {
        set_msg(errbuf, errlen,
                "%s: unknown video file extension \".%s\" (use .mp4, .mkv, "
                ".avi or .mov)",
                path, ext);
        return SPATIA_UNSUPPORTED;
    }
    if ((of->flags & AVFMT_NOFILE) || of->video_codec == AV_CODEC_ID_NONE) {
        set_msg(errbuf, errlen,
                "%s: \"%s\" is not a single-file video container (use .mp4, "
                ".mkv, .avi or .mov)",
                path, of->name);
        return SPATIA_UNSUPPORTED;
    }
    {
        const char *force = getenv("SPATIA_VIDEO_ENCODER");
        const char *names[2] = {"libx264", "mpeg4"};
        if (force && *force) {
            if (strcmp(force, names[0]) != 0 && strcmp(force, names[1]) != 0) {
                set_msg(errbuf, errlen,
                        "%s: SPATIA_VIDEO_ENCODER=%s: must be libx264 or "
                        "mpeg4",
                        path, force);
                return SPATIA_UNSUPPORTED;
            }
            names[0] = names[1] = force;
        }
        for (int i = 0; i < 2 && !codec; i++) {
            codec = avcodec_find_encoder_by_name(names[i]);
            if (codec && !format_takes(of, codec->id))
                codec = NULL;
        }
    }
    if (!codec) {
        set_msg(errbuf, errlen,
                "%s: no H.264 or MPEG-4 encoder for the %s container", path,
                of->name);
        return SPATIA_UNSUPPORTED;
    }

    w = calloc(1, sizeof *w);
    if (!w)
        goto nomem;
    w->width = width;
    w->height = height;
    w->ew = width & ~1;
    w->eh = height & ~1;
    w->cur = -1;
    w->path = strdup(path);
    if (!w->path)
        goto nomem;

    ar = avformat_alloc_output_context2(&w->fmt, of, NULL, path);
    if (ar < 0 || !w->fmt)
        goto nomem;
    w->st = avformat_new_stream(w->fmt, NULL);
    w->enc = avcodec_alloc_context3(codec);
    w->pkt = av_packet_alloc();
    if (!w->st || !w->enc || !w->pkt)
        goto nomem;

    {
        AVCodecContext *e = w->enc;
        AVRational rate = av_d2q(fps, 65535);
        if (rate.num <= 0 || rate.den <= 0)
            rate = (AVRational){25, 1};
        e->width = w->ew;
        e->height = w->eh;
        e->pix_fmt = AV_PIX_FMT_YUV420P;
        e->time_base = av_inv_q(rate);
        e->framerate = rate;
        e->sample_aspect_ratio = (AVRational){1, 1};
        e->gop_size = (int)lrint(fps * 2.0) > 1 ? (int)lrint(fps * 2.0) : 1;
        /* swscale's default RGB -> YUV matrix is BT.601, limited range */
        e->color_range = AVCOL_RANGE_MPEG;
        e->colorspace = AVCOL_SPC_SMPTE170M;
        e->color_primaries = AVCOL_PRI_SMPTE170M;
        e->color_trc = AVCOL_TRC_SMPTE170M;
        if (w->fmt->oformat->flags & AVFMT_GLOBALHEADER)
            e->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
        /* No B-frames: pts = dts in every container (AVI stores no pts)
         * and no reordering delay; costs a little compression. */
        e->max_b_frames = 0;
        if (codec->id == AV_CODEC_ID_H264) {
            e->thread_count = 0; /* x264 picks its own thread count */
            av_opt_set(e->priv_data, "preset", "veryfast", 0);
            av_opt_set(e->priv_data, "crf", "23", 0);
        } else {
            e->flags |= AV_CODEC_FLAG_QSCALE;
            e->global_quality = FF_QP2LAMBDA * 4;
        }
        ar = avcodec_open2(e, codec, NULL);
        if (ar < 0) {
            set_msg(errbuf, errlen, "%s: cannot open the %s encoder: %s", path,
                    codec->name, av_msg(ar, eb, sizeof eb));
            rc = SPATIA_MEDIA;
            goto fail;
        }
        ar = avcodec_parameters_from_context(w->st->codecpar, e);
        if (ar < 0)
            goto nomem;
        w->st->time_base = e->time_base;
        w->st->avg_frame_rate = rate;
        w->st->sample_aspect_ratio = e->sample_aspect_ratio;
    }

    w->sws = sws_getContext(w->ew, w->eh, AV_PIX_FMT_RGB24, w->ew, w->eh,
                            AV_PIX_FMT_YUV420P, SWS_BILINEAR | SWS_ACCURATE_RND,
                            NULL, NULL, NULL);
    if (!w->sws) {
        set_msg(errbuf, errlen, "%s: cannot set up RGB to YUV conversion",
                path);
        rc = SPATIA_MEDIA;
        goto fail;
    }
    for (int i = 0; i < WR_NFRAMES; i++) {
        AVFrame *f = av_frame_alloc();
        if (!f)
            goto nomem;
        w->frames[i] = f;
        f->format = AV_PIX_FMT_YUV420P;
        f->width = w->ew;
        f->height = w->eh;
        if (av_frame_get_buffer(f, 0) < 0)
            goto nomem;
    }

    {
        struct stat sb;
        w->created = stat(path, &sb) != 0 && errno == ENOENT;
    }
    ar = avio_open(&w->fmt->pb, path, AVIO_FLAG_WRITE);
    if (ar < 0) {
        set_msg(errbuf, errlen, "%s: cannot create the video file: %s", path,
                av_msg(ar, eb, sizeof eb));
        rc = SPATIA_IO;
        goto fail;
    }
    w->file_open = 1;
    ar = avformat_write_header(w->fmt, NULL);
    if (ar < 0) {
        set_msg(errbuf, errlen, "%s: cannot write the %s header: %s", path,
                of->name, av_msg(ar, eb, sizeof eb));
        rc = ar == AVERROR(ENOSPC) ? SPATIA_NOSPACE : SPATIA_MEDIA;
        goto fail;
    }
    *out = w;
    return SPATIA_OK;

nomem:
    set_msg(errbuf, errlen, "%s: out of memory setting up the video writer",
            path);
    rc = SPATIA_NOMEM;
fail:
    writer_free(w, 1);
    return rc;
}

static int write_failed(spatia_video_writer *w, int code, const char *what,
                        int averr)
{
    char eb[128];
    w->err = code;
    set_msg(w->msg, sizeof w->msg, "%s: %s: %s", w->path, what,
            av_msg(averr, eb, sizeof eb));
    return code;
}

static int io_code(int averr)
{
    return averr == AVERROR(ENOSPC) ? SPATIA_NOSPACE : SPATIA_IO;
}

/* Moves every packet the encoder has ready into the muxer. At the end of
 * the stream (flushing) AVERROR_EOF ends the loop. */
static int drain(spatia_video_writer *w)
{
    for (;;) {
        int ar = avcodec_receive_packet(w->enc, w->pkt);
        if (ar == AVERROR(EAGAIN) || ar == AVERROR_EOF)
            return SPATIA_OK;
        if (ar < 0)
            return write_failed(w, SPATIA_MEDIA, "encoding failed", ar);
        av_packet_rescale_ts(w->pkt, w->enc->time_base, w->st->time_base);
        w->pkt->stream_index = w->st->index;
        ar = av_interleaved_write_frame(w->fmt, w->pkt);
        av_packet_unref(w->pkt);
        if (ar < 0)
            return write_failed(w, io_code(ar), "writing failed", ar);
    }
}

int spatia_video_writer_write(spatia_video_writer *w, const uint8_t *rgb24,
                              int stride, int64_t pts_ms)
{
    AVFrame *f = NULL;
    int ar;

    if (!w)
        return SPATIA_EINVAL;
    if (w->err)
        return w->err;
    if (!rgb24 || (long long)stride < 3LL * w->width) {
        set_msg(w->msg, sizeof w->msg, "%s: bad frame (NULL or stride %d)",
                w->path, stride);
        return SPATIA_EINVAL;
    }
    for (int i = 1; i <= WR_NFRAMES; i++) {
        AVFrame *c = w->frames[(w->cur + i) % WR_NFRAMES];
        if (av_frame_is_writable(c)) {
            w->cur = (w->cur + i) % WR_NFRAMES;
            f = c;
            break;
        }
    }
    if (!f) {
        w->cur = (w->cur + 1) % WR_NFRAMES;
        f = w->frames[w->cur];
        ar = av_frame_make_writable(f);
        if (ar < 0)
            return write_failed(w, SPATIA_NOMEM, "frame buffer", ar);
    }
    {
        const uint8_t *src[1] = {rgb24};
        int sstride[1] = {stride};
        sws_scale(w->sws, src, sstride, 0, w->eh, f->data, f->linesize);
    }

    /* pts in frame periods: pts_ms / 1000 / time_base */
    AVRational tb = w->enc->time_base;
    double p = (double)pts_ms * tb.den / (1000.0 * tb.num);
    int64_t pts = (p > -9e15 && p < 9e15) ? (int64_t)llround(p) : 0;
    if (w->nframes > 0 && pts <= w->last_pts)
        pts = w->last_pts + 1;
    f->pts = pts;
    f->pict_type = AV_PICTURE_TYPE_NONE;
    ar = avcodec_send_frame(w->enc, f);
    if (ar < 0)
        return write_failed(w, SPATIA_MEDIA, "encoder refused a frame", ar);
    w->last_pts = pts;
    w->nframes++;
    return drain(w);
}

const char *spatia_video_writer_error(const spatia_video_writer *w)
{
    return w ? w->msg : "";
}

const char *spatia_video_writer_codec(const spatia_video_writer *w)
{
    return w && w->enc && w->enc->codec ? w->enc->codec->name : "";
}

int64_t spatia_video_writer_frames(const spatia_video_writer *w)
{
    return w ? w->nframes : 0;
}

int spatia_video_writer_close(spatia_video_writer *w)
{
    int rc, ar;

    if (!w)
        return SPATIA_OK;
    rc = w->err;
    if (!rc) {
        ar = avcodec_send_frame(w->enc, NULL);
        if (ar < 0 && ar != AVERROR_EOF)
            rc = write_failed(w, SPATIA_MEDIA, "flushing the encoder", ar);
        else
            rc = drain(w);
    }
    if (!rc) {
        ar = av_write_trailer(w->fmt);
        if (ar < 0)
            rc = write_failed(w, io_code(ar), "writing the trailer", ar);
    }
    if (w->file_open) {
        ar = avio_closep(&w->fmt->pb);
        w->file_open = 0;
        if (ar < 0 && !rc)
            rc = io_code(ar);
    }
    writer_free(w, 0);
    return rc;
}
