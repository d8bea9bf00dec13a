/*
 * media.c - video ingest through FFmpeg (files, RTSP, HTTP).
 *
 * One handle owns one demuxer + decoder ("the source") and a small set of
 * RGB24 output buffers planned at open. Every decoded frame is converted
 * once with swscale into one of those buffers at the processing size.
 *
 * File mode: spatia_media_read() runs the demux/decode/convert step on the
 * caller's thread and returns every frame, as fast as the caller asks.
 *
 * Live mode: a worker thread runs the same step continuously and hands
 * frames over through a triple buffer: `back` (the worker writes it),
 * `ready` (the newest complete frame, not yet taken) and `front` (the frame
 * the caller holds until its next read). Publishing a frame swaps back and
 * ready; if ready was still unread it is overwritten and counted as dropped
 * ("latest wins"). A live *file* is paced at its PTS against the wall clock
 * so that it behaves like a camera. When the source ends or fails the worker
 * closes it and reopens it with capped exponential back-off.
 *
 * Blocking FFmpeg calls are bounded by an AVIOInterruptCB that checks an
 * atomic interrupt/stop flag and, for network sources, a deadline of
 * opts.timeout_ms per open and per packet read.
 *
 * Timestamps: pts_ms is the frame's best-effort timestamp in ms relative to
 * the first frame; after a reopen it continues from the last pts plus one
 * frame duration, and it never goes backwards. wall_ms is taken when the
 * frame comes out of the decoder (in file mode: inside the read call).
 *
 * Damage: packets the decoder rejects and pictures it had to conceal
 * (decode_error_flags / AV_FRAME_FLAG_CORRUPT) are skipped and counted in
 * decode_errors; frames_decoded counts the good frames that were converted.
 */
#include "spatia/media.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/time.h>
#include <libswscale/swscale.h>

#include "spatia/error.h"

#define MEDIA_MAX_DIM         16384 /* px, larger frames are refused */
#define MEDIA_MAX_READ_ERRORS 64    /* consecutive demux errors = end of file */
#define MEDIA_WAIT_SLICE_MS   50    /* poll period of interruptible waits */
#define MEDIA_NBUF            3     /* live: back, ready, front */

/* One RGB24 output buffer and the metadata of the frame in it. */
typedef struct media_buf {
    uint8_t *data;
    size_t cap;        /* bytes allocated */
    int width, height; /* px */
    int stride;        /* bytes per row */
    int64_t index, pts_ms, wall_ms;
} media_buf;

struct spatia_media {
    char *url;    /* as given, used to reopen */
    char *logurl; /* url with any password hidden, for messages */
    spatia_media_opts opts;
    int is_net; /* network source: deadlines apply, no pacing */

    /* The source. Used by one thread at a time: the caller in file mode,
     * the worker in live mode (after open returned). */
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *frm;
    struct SwsContext *sws;
    int vstream;
    AVRational tb;    /* time base of the video stream */
    int draining;     /* the demuxer ended, the decoder is being flushed */
    int read_errors;  /* consecutive demux errors */
    char reason[160]; /* why the last decode step failed */

    /* Timestamps (ms) and numbering, continued across reopens. */
    int64_t next_index;
    int64_t frame_ms;     /* nominal frame duration */
    int have_last;        /* a frame was produced since open */
    int64_t last_pts_ms;  /* output pts of the last frame */
    int session_started;  /* the current source produced a frame */
    int64_t session_raw0; /* raw ms of the source's first frame */
    int64_t session_off;  /* output pts of that first frame */
    int64_t last_raw_ms;  /* raw ms of the last frame of this source */

    /* Interrupt callback state. */
    atomic_int interrupted;   /* spatia_media_interrupt() was called */
    atomic_int stop;          /* destroy: the worker must end */
    atomic_llong deadline_us; /* av_gettime_relative() limit, 0 = none */
    atomic_int timed_out;

    /* Sizes (px) and rate, read by any thread. */
    atomic_int native_w, native_h, out_w, out_h;
    _Atomic double fps;

    /* Counters. */
    atomic_llong n_decoded, n_dropped, n_errors, n_reconnects;

    /* Output buffers: file mode uses bufs[0] as front only. */
    media_buf bufs[MEDIA_NBUF];
    media_buf *back, *ready, *front;
    int file_eof; /* file mode: the end was reached */

    /* Live mode hand-over, guarded by lock. */
    pthread_t thread;
    int thread_started;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* CLOCK_MONOTONIC */
    int sync_init;
    int has_ready; /* `ready` holds a frame not yet read */
    int ended;     /* the worker ended; end_rc is what read returns */
    int end_rc;
};

static pthread_once_t media_once = PTHREAD_ONCE_INIT;

/* Silences FFmpeg's own logging (corrupt input would flood stderr) unless
 * SPATIA_FFMPEG_LOG names an av_log level, e.g. 32 for info. */
static void media_global_init(void)
{
    const char *lv = getenv("SPATIA_FFMPEG_LOG");
    av_log_set_level(lv && *lv ? atoi(lv) : AV_LOG_FATAL);
    avformat_network_init();
}

static void set_err(char *errbuf, int errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *errbuf, int errlen, const char *fmt, ...)
{
    if (!errbuf || errlen <= 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, (size_t)errlen, fmt, ap);
    va_end(ap);
}

static int64_t wall_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *av_errstr(int err, char *buf, size_t len)
{
    if (av_strerror(err, buf, len) < 0)
        snprintf(buf, len, "error %d", err);
    return buf;
}

/* A URL with a scheme ("rtsp://", "http://"...) other than file: is read
 * from the network. */
static int url_is_network(const char *url)
{
    const char *p = strstr(url, "://");
    if (!p || p == url)
        return 0;
    for (const char *q = url; q < p; q++) {
        int c = (unsigned char)*q;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))
            return 0;
    }
    return strncmp(url, "file:", 5) != 0;
}

/* Copy of `url` where the password of "scheme://user:pass@host" is "***".
 * Returns NULL on allocation failure. */
static char *url_redact(const char *url)
{
    size_t n = strlen(url);
    char *out = malloc(n + 4);
    if (!out)
        return NULL;
    const char *s = strstr(url, "://");
    const char *at = s ? strchr(s + 3, '@') : NULL;
    const char *slash = s ? strchr(s + 3, '/') : NULL;
    const char *colon = s ? strchr(s + 3, ':') : NULL;
    if (at && (!slash || at < slash) && colon && colon < at) {
        size_t head = (size_t)(colon + 1 - url);
        memcpy(out, url, head);
        memcpy(out + head, "***", 3);
        strcpy(out + head + 3, at);
    } else {
        memcpy(out, url, n + 1);
    }
    return out;
}

/* AVIOInterruptCB: non-zero aborts the blocking FFmpeg call. */
static int media_interrupt_cb(void *opaque)
{
    spatia_media *m = opaque;
    if (atomic_load(&m->interrupted) || atomic_load(&m->stop))
        return 1;
    long long d = atomic_load(&m->deadline_us);
    if (d && av_gettime_relative() > d) {
        atomic_store(&m->timed_out, 1);
        return 1;
    }
    return 0;
}

static void media_arm_deadline(spatia_media *m)
{
    atomic_store(&m->timed_out, 0);
    if (m->is_net)
        atomic_store(&m->deadline_us, av_gettime_relative() +
                                          (long long)m->opts.timeout_ms * 1000);
}

static int media_aborted(spatia_media *m)
{
    return atomic_load(&m->interrupted) || atomic_load(&m->stop);
}

/* Processed size for a native size under opts (0 = native / keep aspect). */
static void media_out_size(const spatia_media_opts *o, int nw, int nh, int *ow,
                           int *oh)
{
    int w = o->width, h = o->height;
    if (w > 0 && h <= 0) {
        h = (int)(((int64_t)nh * w + nw / 2) / nw);
        h = (h + 1) & ~1;
    } else if (h > 0 && w <= 0) {
        w = (int)(((int64_t)nw * h + nh / 2) / nh);
        w = (w + 1) & ~1;
    } else if (w <= 0 && h <= 0) {
        w = nw;
        h = nh;
    }
    *ow = w < 2 ? 2 : (w > MEDIA_MAX_DIM ? MEDIA_MAX_DIM : w);
    *oh = h < 2 ? 2 : (h > MEDIA_MAX_DIM ? MEDIA_MAX_DIM : h);
}

/* Makes `b` hold a w x h RGB24 image; allocates only when it grows. */
static int media_buf_fit(media_buf *b, int w, int h)
{
    int stride = (w * 3 + 31) & ~31;
    size_t need = (size_t)stride * (size_t)h + 64;
    if (need > b->cap) {
        uint8_t *p = av_malloc(need);
        if (!p)
            return SPATIA_NOMEM;
        av_free(b->data);
        b->data = p;
        b->cap = need;
    }
    b->width = w;
    b->height = h;
    b->stride = stride;
    return SPATIA_OK;
}

static void media_close_source(spatia_media *m)
{
    avcodec_free_context(&m->dec);
    avformat_close_input(&m->fmt);
    m->draining = 0;
    m->read_errors = 0;
    m->session_started = 0;
}

/*
 * Opens the source (demuxer + decoder of the best video stream) into m->fmt
 * and m->dec. Returns SPATIA_OK, SPATIA_NOTFOUND, SPATIA_MEDIA,
 * SPATIA_NETWORK, SPATIA_INTERRUPTED or SPATIA_NOMEM with a reason in errbuf.
 */
static int media_open_source(spatia_media *m, char *errbuf, int errlen)
{
    char es[128];
    AVDictionary *dict = NULL;
    int rc, ret;

    if (!m->is_net) {
        const char *path = m->url;
        struct stat sb;
        if (strncmp(path, "file://", 7) == 0)
            path += 7;
        else if (strncmp(path, "file:", 5) == 0)
            path += 5;
        if (stat(path, &sb) != 0) {
            set_err(errbuf, errlen, "cannot open '%s': %s", path,
                    strerror(errno));
            return errno == ENOENT || errno == ENOTDIR ? SPATIA_NOTFOUND
                                                       : SPATIA_IO;
        }
        if (S_ISDIR(sb.st_mode)) {
            set_err(errbuf, errlen, "'%s' is a directory, not a video", path);
            return SPATIA_MEDIA;
        }
    }

    AVFormatContext *fmt = avformat_alloc_context();
    if (!fmt) {
        set_err(errbuf, errlen, "out of memory");
        return SPATIA_NOMEM;
    }
    fmt->interrupt_callback.callback = media_interrupt_cb;
    fmt->interrupt_callback.opaque = m;
    if (m->is_net) {
        char us[32];
        snprintf(us, sizeof us, "%lld", (long long)m->opts.timeout_ms * 1000);
        av_dict_set(&dict, "rtsp_transport", m->opts.rtsp_udp ? "udp" : "tcp",
                    0);
        av_dict_set(&dict, "timeout", us, 0);    /* rtsp/http socket, us */
        av_dict_set(&dict, "rw_timeout", us, 0); /* avio reads, us */
    }
    media_arm_deadline(m);
    ret = avformat_open_input(&fmt, m->url, NULL, &dict);
    av_dict_free(&dict);
    if (ret < 0) {
        /* avformat_open_input freed fmt */
        if (media_aborted(m)) {
            set_err(errbuf, errlen, "%s: interrupted", m->logurl);
            rc = SPATIA_INTERRUPTED;
        } else if (atomic_load(&m->timed_out)) {
            set_err(errbuf, errlen, "%s: no answer within %d ms", m->logurl,
                    m->opts.timeout_ms);
            rc = SPATIA_NETWORK;
        } else if (ret == AVERROR(ENOENT) || ret == AVERROR_HTTP_NOT_FOUND) {
            set_err(errbuf, errlen, "cannot open '%s': %s", m->logurl,
                    av_errstr(ret, es, sizeof es));
            rc = SPATIA_NOTFOUND;
        } else if (m->is_net) {
            set_err(errbuf, errlen, "cannot open '%s': %s", m->logurl,
                    av_errstr(ret, es, sizeof es));
            rc = SPATIA_NETWORK;
        } else {
            set_err(errbuf, errlen,
                    "'%s' is not a media file FFmpeg can read (%s)", m->logurl,
                    av_errstr(ret, es, sizeof es));
            rc = SPATIA_MEDIA;
        }
        return rc;
    }
    ret = avformat_find_stream_info(fmt, NULL);
    if (ret < 0) {
        if (media_aborted(m)) {
            set_err(errbuf, errlen, "%s: interrupted", m->logurl);
            rc = SPATIA_INTERRUPTED;
        } else {
            set_err(errbuf, errlen, "'%s': cannot read stream info (%s)",
                    m->logurl, av_errstr(ret, es, sizeof es));
            rc = m->is_net ? SPATIA_NETWORK : SPATIA_MEDIA;
        }
        goto fail;
    }
    const AVCodec *codec = NULL;
    int si = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (si == AVERROR_DECODER_NOT_FOUND) {
        set_err(errbuf, errlen, "'%s': no decoder for its video codec",
                m->logurl);
        rc = SPATIA_MEDIA;
        goto fail;
    }
    if (si < 0 ||
        (fmt->streams[si]->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
        set_err(errbuf, errlen, "'%s' has no video stream", m->logurl);
        rc = SPATIA_MEDIA;
        goto fail;
    }
    AVStream *st = fmt->streams[si];
    int nw = st->codecpar->width, nh = st->codecpar->height;
    if (nw <= 0 || nh <= 0 || nw > MEDIA_MAX_DIM || nh > MEDIA_MAX_DIM) {
        set_err(errbuf, errlen, "'%s': unusable video size %dx%d", m->logurl,
                nw, nh);
        rc = SPATIA_MEDIA;
        goto fail;
    }
    for (unsigned i = 0; i < fmt->nb_streams; i++)
        if ((int)i != si)
            fmt->streams[i]->discard = AVDISCARD_ALL;

    AVCodecContext *dec = avcodec_alloc_context3(codec);
    if (!dec) {
        set_err(errbuf, errlen, "out of memory");
        rc = SPATIA_NOMEM;
        goto fail;
    }
    ret = avcodec_parameters_to_context(dec, st->codecpar);
    if (ret >= 0) {
        dec->pkt_timebase = st->time_base;
        dec->thread_count = 0; /* auto */
        if (m->opts.live)
            dec->thread_type = FF_THREAD_SLICE; /* no frame-thread latency */
        ret = avcodec_open2(dec, codec, NULL);
    }
    if (ret < 0) {
        avcodec_free_context(&dec);
        set_err(errbuf, errlen, "'%s': cannot open the %s decoder (%s)",
                m->logurl, codec->name, av_errstr(ret, es, sizeof es));
        rc = SPATIA_MEDIA;
        goto fail;
    }

    AVRational fr = av_guess_frame_rate(fmt, st, NULL);
    double fps = fr.num > 0 && fr.den > 0 ? av_q2d(fr) : 0.0;
    if (fps > 0.0 && fps <= 1000.0) {
        m->frame_ms = (int64_t)(1000.0 / fps + 0.5);
        if (m->frame_ms < 1)
            m->frame_ms = 1;
    } else {
        fps = 0.0;
    }
    atomic_store(&m->fps, fps);

    m->fmt = fmt;
    m->dec = dec;
    m->vstream = si;
    m->tb = st->time_base;
    m->draining = 0;
    m->read_errors = 0;
    m->session_started = 0;
    atomic_store(&m->native_w, nw);
    atomic_store(&m->native_h, nh);
    int ow, oh;
    media_out_size(&m->opts, nw, nh, &ow, &oh);
    atomic_store(&m->out_w, ow);
    atomic_store(&m->out_h, oh);
    atomic_store(&m->deadline_us, 0);
    return SPATIA_OK;

fail:
    atomic_store(&m->deadline_us, 0);
    avformat_close_input(&fmt);
    return rc;
}

/* Output pts (ms) of the frame in m->frm; see the file header. */
static int64_t media_frame_pts(spatia_media *m)
{
    int64_t ts = m->frm->best_effort_timestamp;
    int64_t raw;
    if (ts != AV_NOPTS_VALUE && m->tb.num > 0 && m->tb.den > 0)
        raw = av_rescale_q(ts, m->tb, (AVRational){1, 1000});
    else if (m->session_started)
        raw = m->last_raw_ms + m->frame_ms;
    else
        raw = 0;
    if (!m->session_started) {
        m->session_started = 1;
        m->session_raw0 = raw;
        m->session_off = m->have_last ? m->last_pts_ms + m->frame_ms : 0;
    }
    m->last_raw_ms = raw;
    int64_t pts = m->session_off + (raw - m->session_raw0);
    if (m->have_last && pts < m->last_pts_ms)
        pts = m->last_pts_ms;
    m->have_last = 1;
    m->last_pts_ms = pts;
    return pts;
}

/* Converts m->frm into `b` at the processing size (resized on a change of
 * the stream's size). */
static int media_convert(spatia_media *m, media_buf *b)
{
    AVFrame *f = m->frm;
    int ow = atomic_load(&m->out_w), oh = atomic_load(&m->out_h);
    if (f->width != atomic_load(&m->native_w) ||
        f->height != atomic_load(&m->native_h)) {
        atomic_store(&m->native_w, f->width);
        atomic_store(&m->native_h, f->height);
        media_out_size(&m->opts, f->width, f->height, &ow, &oh);
        atomic_store(&m->out_w, ow);
        atomic_store(&m->out_h, oh);
    }
    if (media_buf_fit(b, ow, oh) != SPATIA_OK) {
        snprintf(m->reason, sizeof m->reason, "out of memory");
        return SPATIA_NOMEM;
    }
    m->sws =
        sws_getCachedContext(m->sws, f->width, f->height, f->format, ow, oh,
                             AV_PIX_FMT_RGB24, SWS_BILINEAR, NULL, NULL, NULL);
    if (!m->sws) {
        snprintf(m->reason, sizeof m->reason,
                 "cannot convert pixel format %d to RGB24", f->format);
        return SPATIA_MEDIA;
    }
    uint8_t *dst[4] = {b->data, NULL, NULL, NULL};
    int dst_stride[4] = {b->stride, 0, 0, 0};
    int h = sws_scale(m->sws, (const uint8_t *const *)f->data, f->linesize, 0,
                      f->height, dst, dst_stride);
    if (h != oh) {
        snprintf(m->reason, sizeof m->reason, "scaling failed");
        return SPATIA_MEDIA;
    }
    b->pts_ms = media_frame_pts(m);
    b->index = m->next_index++;
    b->wall_ms = wall_now_ms();
    atomic_fetch_add(&m->n_decoded, 1);
    return SPATIA_OK;
}

/*
 * Demuxes and decodes until one frame is converted into `b`.
 * Returns SPATIA_OK, SPATIA_EOF (the source ended and the decoder is
 * drained), SPATIA_INTERRUPTED, SPATIA_NETWORK (timeout / connection error)
 * or SPATIA_MEDIA/SPATIA_NOMEM; m->reason says why on failure.
 */
static int media_decode(spatia_media *m, media_buf *b)
{
    char es[128];
    int ret;
    if (!m->fmt || !m->dec) {
        snprintf(m->reason, sizeof m->reason, "source not open");
        return SPATIA_EOF;
    }
    for (;;) {
        ret = avcodec_receive_frame(m->dec, m->frm);
        if (ret >= 0) {
            /* damaged (concealed) pictures are skipped like bad packets */
            int bad = (m->frm->flags & AV_FRAME_FLAG_CORRUPT) ||
                      m->frm->decode_error_flags || m->frm->width <= 0 ||
                      m->frm->height <= 0 || m->frm->width > MEDIA_MAX_DIM ||
                      m->frm->height > MEDIA_MAX_DIM;
            if (bad) {
                atomic_fetch_add(&m->n_errors, 1);
                av_frame_unref(m->frm);
                continue;
            }
            int rc = media_convert(m, b);
            av_frame_unref(m->frm);
            return rc;
        }
        if (ret == AVERROR_EOF) {
            snprintf(m->reason, sizeof m->reason, "end of stream");
            return SPATIA_EOF;
        }
        if (ret != AVERROR(EAGAIN)) {
            /* a frame failed to decode: skip it */
            atomic_fetch_add(&m->n_errors, 1);
            if (m->draining)
                continue;
        }
        if (m->draining) {
            /* EAGAIN while draining should not happen; end anyway */
            snprintf(m->reason, sizeof m->reason, "end of stream");
            return SPATIA_EOF;
        }
        if (media_aborted(m)) {
            snprintf(m->reason, sizeof m->reason, "interrupted");
            return SPATIA_INTERRUPTED;
        }

        media_arm_deadline(m);
        ret = av_read_frame(m->fmt, m->pkt);
        atomic_store(&m->deadline_us, 0);
        if (ret < 0) {
            if (media_aborted(m)) {
                snprintf(m->reason, sizeof m->reason, "interrupted");
                return SPATIA_INTERRUPTED;
            }
            if (atomic_load(&m->timed_out)) {
                snprintf(m->reason, sizeof m->reason, "no data for %d ms",
                         m->opts.timeout_ms);
                return SPATIA_NETWORK;
            }
            if (ret == AVERROR(EAGAIN)) {
                av_usleep(10000);
                continue;
            }
            int at_end =
                ret == AVERROR_EOF || (m->fmt->pb && avio_feof(m->fmt->pb));
            if (!at_end && m->is_net) {
                snprintf(m->reason, sizeof m->reason, "%s",
                         av_errstr(ret, es, sizeof es));
                return SPATIA_NETWORK;
            }
            if (!at_end && ++m->read_errors < MEDIA_MAX_READ_ERRORS) {
                atomic_fetch_add(&m->n_errors, 1);
                continue;
            }
            /* end of input: flush the decoder's delayed frames */
            m->draining = 1;
            ret = avcodec_send_packet(m->dec, NULL);
            if (ret < 0 && ret != AVERROR_EOF) {
                snprintf(m->reason, sizeof m->reason, "end of stream");
                return SPATIA_EOF;
            }
            continue;
        }
        m->read_errors = 0;
        if (m->pkt->stream_index != m->vstream) {
            av_packet_unref(m->pkt);
            continue;
        }
        ret = avcodec_send_packet(m->dec, m->pkt);
        av_packet_unref(m->pkt);
        if (ret < 0 && ret != AVERROR(EAGAIN))
            atomic_fetch_add(&m->n_errors, 1); /* corrupt packet: skip */
    }
}

/* Sleeps up to ms; returns 0 early when the handle is stopped or
 * interrupted, 1 after the full time. Call without m->lock held. */
static int media_sleep(spatia_media *m, int64_t ms)
{
    int64_t end = mono_now_ms() + ms;
    pthread_mutex_lock(&m->lock);
    for (;;) {
        if (media_aborted(m)) {
            pthread_mutex_unlock(&m->lock);
            return 0;
        }
        int64_t now = mono_now_ms();
        if (now >= end)
            break;
        int64_t step = end - now;
        if (step > MEDIA_WAIT_SLICE_MS)
            step = MEDIA_WAIT_SLICE_MS;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += (long)(step * 1000000);
        ts.tv_sec += ts.tv_nsec / 1000000000;
        ts.tv_nsec %= 1000000000;
        pthread_cond_timedwait(&m->cond, &m->lock, &ts);
    }
    pthread_mutex_unlock(&m->lock);
    return 1;
}

/* Live: makes m->back the newest ready frame. */
static void media_publish(spatia_media *m)
{
    pthread_mutex_lock(&m->lock);
    media_buf *t = m->ready;
    m->ready = m->back;
    m->back = t;
    if (m->has_ready)
        atomic_fetch_add(&m->n_dropped, 1);
    m->has_ready = 1;
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
}

/* Live: the worker thread. Decodes, paces files, publishes, reconnects. */
static void *media_worker(void *arg)
{
    spatia_media *m = arg;
    int64_t backoff = m->opts.backoff_min_ms;
    int failures = 0;
    int end_rc = SPATIA_EOF;
    int64_t anchor_wall = 0, anchor_pts = 0;
    int anchored = 0;
    char errbuf[256];

    for (;;) {
        int rc = media_decode(m, m->back);
        if (rc == SPATIA_OK) {
            backoff = m->opts.backoff_min_ms;
            if (!m->is_net) {
                /* a live file plays at its own rate, like a camera */
                int64_t now = mono_now_ms();
                int64_t due = anchor_wall + (m->back->pts_ms - anchor_pts);
                if (!anchored || due < now - 1000) {
                    anchored = 1; /* first frame, or far behind: re-anchor */
                    anchor_wall = now;
                    anchor_pts = m->back->pts_ms;
                } else if (due > now && !media_sleep(m, due - now)) {
                    end_rc = SPATIA_INTERRUPTED;
                    break;
                }
            }
            media_publish(m);
            continue;
        }
        if (rc == SPATIA_INTERRUPTED || media_aborted(m)) {
            end_rc = SPATIA_INTERRUPTED;
            break;
        }
        /* the stream ended or failed: reopen with back-off */
        media_close_source(m);
        const char *why = m->reason;
        snprintf(errbuf, sizeof errbuf, "%s", why);
        for (;;) {
            fprintf(stderr,
                    "spatia: media: %s: stream lost (%s), reconnecting in "
                    "%lld ms\n",
                    m->logurl, errbuf, (long long)backoff);
            if (!media_sleep(m, backoff)) {
                end_rc = SPATIA_INTERRUPTED;
                goto out;
            }
            char oerr[200];
            rc = media_open_source(m, oerr, sizeof oerr);
            backoff = backoff * 2 > m->opts.backoff_max_ms
                          ? m->opts.backoff_max_ms
                          : backoff * 2;
            if (rc == SPATIA_OK) {
                atomic_fetch_add(&m->n_reconnects, 1);
                failures = 0;
                anchored = 0;
                break;
            }
            if (rc == SPATIA_INTERRUPTED || media_aborted(m)) {
                end_rc = SPATIA_INTERRUPTED;
                goto out;
            }
            failures++;
            if (m->opts.max_reconnects > 0 &&
                failures >= m->opts.max_reconnects) {
                fprintf(stderr,
                        "spatia: media: %s: giving up after %d failed "
                        "reconnects (%s)\n",
                        m->logurl, failures, oerr);
                end_rc = SPATIA_EOF;
                goto out;
            }
            snprintf(errbuf, sizeof errbuf, "reopen failed: %s", oerr);
        }
    }
out:
    pthread_mutex_lock(&m->lock);
    m->ended = 1;
    m->end_rc = end_rc;
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

void spatia_media_opts_default(spatia_media_opts *opts)
{
    if (!opts)
        return;
    memset(opts, 0, sizeof *opts);
    opts->timeout_ms = 5000;
    opts->backoff_min_ms = 500;
    opts->backoff_max_ms = 30000;
}

int spatia_media_open(const char *url, const spatia_media_opts *opts,
                      spatia_media **out, char *errbuf, int errlen)
{
    spatia_media *m = NULL;
    int rc;
    if (errbuf && errlen > 0)
        errbuf[0] = '\0';
    if (!out) {
        set_err(errbuf, errlen, "no output handle");
        return SPATIA_EINVAL;
    }
    *out = NULL;
    if (!url || !*url) {
        set_err(errbuf, errlen, "empty media url");
        return SPATIA_EINVAL;
    }
    spatia_media_opts o;
    if (opts)
        o = *opts;
    else
        spatia_media_opts_default(&o);
    if (o.width < 0 || o.height < 0 || o.width > MEDIA_MAX_DIM ||
        o.height > MEDIA_MAX_DIM || o.timeout_ms < 0 || o.backoff_min_ms < 0 ||
        o.backoff_max_ms < 0 || o.max_reconnects < 0 ||
        o.timeout_ms > INT_MAX / 2) {
        set_err(errbuf, errlen,
                "invalid media options (negative or too large values)");
        return SPATIA_EINVAL;
    }
    if (o.timeout_ms == 0)
        o.timeout_ms = 5000;
    if (o.backoff_min_ms == 0)
        o.backoff_min_ms = 500;
    if (o.backoff_max_ms == 0)
        o.backoff_max_ms = 30000;
    if (o.backoff_max_ms < o.backoff_min_ms)
        o.backoff_max_ms = o.backoff_min_ms;
    o.live = o.live != 0;
    o.rtsp_udp = o.rtsp_udp != 0;

    pthread_once(&media_once, media_global_init);

    m = calloc(1, sizeof *m);
    if (!m)
        goto nomem;
    m->opts = o;
    m->url = strdup(url);
    m->logurl = url_redact(url);
    m->pkt = av_packet_alloc();
    m->frm = av_frame_alloc();
    if (!m->url || !m->logurl || !m->pkt || !m->frm)
        goto nomem;
    m->is_net = url_is_network(url);
    m->frame_ms = 40; /* until the container says otherwise */
    atomic_init(&m->interrupted, 0);
    atomic_init(&m->stop, 0);
    atomic_init(&m->deadline_us, 0);

    rc = media_open_source(m, errbuf, errlen);
    if (rc != SPATIA_OK)
        goto fail;

    int nbuf = o.live ? MEDIA_NBUF : 1;
    for (int i = 0; i < nbuf; i++)
        if (media_buf_fit(&m->bufs[i], atomic_load(&m->out_w),
                          atomic_load(&m->out_h)) != SPATIA_OK)
            goto nomem;
    m->front = &m->bufs[0];

    if (o.live) {
        pthread_condattr_t ca;
        if (pthread_condattr_init(&ca) != 0)
            goto nomem;
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        int e1 = pthread_mutex_init(&m->lock, NULL);
        int e2 = pthread_cond_init(&m->cond, &ca);
        pthread_condattr_destroy(&ca);
        if (e1 || e2) {
            if (!e1)
                pthread_mutex_destroy(&m->lock);
            if (!e2)
                pthread_cond_destroy(&m->cond);
            goto nomem;
        }
        m->sync_init = 1;
        m->back = &m->bufs[1];
        m->ready = &m->bufs[2];
        if (pthread_create(&m->thread, NULL, media_worker, m) != 0) {
            set_err(errbuf, errlen, "cannot start the media reader thread");
            rc = SPATIA_INTERNAL;
            goto fail;
        }
        m->thread_started = 1;
    }
    *out = m;
    return SPATIA_OK;

nomem:
    set_err(errbuf, errlen, "out of memory");
    rc = SPATIA_NOMEM;
fail:
    spatia_media_destroy(m);
    return rc;
}

static void media_fill(const media_buf *b, spatia_frame *frame)
{
    frame->data = b->data;
    frame->stride = b->stride;
    frame->width = b->width;
    frame->height = b->height;
    frame->fmt = SPATIA_PIXFMT_RGB24;
    frame->index = b->index;
    frame->pts_ms = b->pts_ms;
    frame->wall_ms = b->wall_ms;
}

int spatia_media_read(spatia_media *m, spatia_frame *frame)
{
    if (!m || !frame)
        return SPATIA_EINVAL;
    if (atomic_load(&m->interrupted))
        return SPATIA_INTERRUPTED;

    if (!m->opts.live) {
        if (m->file_eof)
            return SPATIA_EOF;
        int rc = media_decode(m, m->front);
        if (rc == SPATIA_OK) {
            media_fill(m->front, frame);
            return SPATIA_OK;
        }
        if (rc == SPATIA_INTERRUPTED)
            return rc;
        if (rc == SPATIA_EOF) {
            m->file_eof = 1;
            return SPATIA_EOF;
        }
        /* network failure or fatal decode problem of a non-live source */
        m->file_eof = 1;
        return SPATIA_MEDIA;
    }

    pthread_mutex_lock(&m->lock);
    while (!m->has_ready && !m->ended && !atomic_load(&m->interrupted)) {
        /* timed: interrupt() may not signal the condition variable */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += MEDIA_WAIT_SLICE_MS * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000;
        ts.tv_nsec %= 1000000000;
        pthread_cond_timedwait(&m->cond, &m->lock, &ts);
    }
    int rc;
    if (atomic_load(&m->interrupted)) {
        rc = SPATIA_INTERRUPTED;
    } else if (m->has_ready) {
        media_buf *t = m->front;
        m->front = m->ready;
        m->ready = t;
        m->has_ready = 0;
        media_fill(m->front, frame);
        rc = SPATIA_OK;
    } else {
        rc = m->end_rc;
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

void spatia_media_interrupt(spatia_media *m)
{
    if (m)
        atomic_store(&m->interrupted, 1);
}

void spatia_media_size(const spatia_media *m, int *width, int *height)
{
    spatia_media *mm = (spatia_media *)m;
    if (width)
        *width = mm ? atomic_load(&mm->out_w) : 0;
    if (height)
        *height = mm ? atomic_load(&mm->out_h) : 0;
}

void spatia_media_native_size(const spatia_media *m, int *width, int *height)
{
    spatia_media *mm = (spatia_media *)m;
    if (width)
        *width = mm ? atomic_load(&mm->native_w) : 0;
    if (height)
        *height = mm ? atomic_load(&mm->native_h) : 0;
}

double spatia_media_fps(const spatia_media *m)
{
    return m ? atomic_load(&((spatia_media *)m)->fps) : 0.0;
}

void spatia_media_stats_get(const spatia_media *m, spatia_media_stats *st)
{
    if (!st)
        return;
    memset(st, 0, sizeof *st);
    if (!m)
        return;
    spatia_media *mm = (spatia_media *)m;
    st->frames_decoded = atomic_load(&mm->n_decoded);
    st->frames_dropped = atomic_load(&mm->n_dropped);
    st->decode_errors = atomic_load(&mm->n_errors);
    st->reconnects = atomic_load(&mm->n_reconnects);
}

void spatia_media_destroy(spatia_media *m)
{
    if (!m)
        return;
    if (m->thread_started) {
        atomic_store(&m->stop, 1);
        pthread_mutex_lock(&m->lock);
        pthread_cond_broadcast(&m->cond);
        pthread_mutex_unlock(&m->lock);
        pthread_join(m->thread, NULL);
    }
    if (m->sync_init) {
        pthread_mutex_destroy(&m->lock);
        pthread_cond_destroy(&m->cond);
    }
    media_close_source(m);
    sws_freeContext(m->sws);
    av_frame_free(&m->frm);
    av_packet_free(&m->pkt);
    for (int i = 0; i < MEDIA_NBUF; i++)
        av_free(m->bufs[i].data);
    free(m->url);
    free(m->logurl);
    free(m);
}
