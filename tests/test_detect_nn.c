/*
 * test_detect_nn.c - the neural detection source and `spatia detect`.
 *
 * - The frame -> input resize against a naive double-precision bilinear.
 * - Post-processing (score threshold, person-only, class-aware NMS, cap,
 *   scaling to frame pixels) through a tiny model whose "detections" are
 *   its input reshaped to [1,N,6]: with a frame the size of the input the
 *   resize is exact, so each row is six chosen pixel bytes.
 * - Interface errors (no [1,N,6] output, bad frames).
 * - With models/centernet.json: people found in PETS09 frame 0 where the
 *   ground truth has them, and the CLI's JSON output.
 */
#include <math.h>
#include <stdint.h>
#include <sys/wait.h>

#include "core/json.h"
#include "nn_testmodel.h"
#include "spatia/detect.h"
#include "spatia/error.h"
#include "spatia/media.h"
#include "test.h"
#include "vision/resize.h"

static double ref_sample(const uint8_t *img, int w, int h, int stride,
                         double sx, double sy, int c)
{
    if (sx < 0)
        sx = 0;
    if (sy < 0)
        sy = 0;
    if (sx > w - 1)
        sx = w - 1;
    if (sy > h - 1)
        sy = h - 1;
    int x0 = (int)floor(sx), y0 = (int)floor(sy);
    int x1 = x0 + 1 < w ? x0 + 1 : x0, y1 = y0 + 1 < h ? y0 + 1 : y0;
    double fx = sx - x0, fy = sy - y0;
    double p00 = img[y0 * stride + 3 * x0 + c],
           p01 = img[y0 * stride + 3 * x1 + c];
    double p10 = img[y1 * stride + 3 * x0 + c],
           p11 = img[y1 * stride + 3 * x1 + c];
    return (p00 * (1 - fx) + p01 * fx) * (1 - fy) +
           (p10 * (1 - fx) + p11 * fx) * fy;
}

TEST(resize_matches_reference)
{
    static const int sizes[][4] = {
        {37, 23, 16, 16}, {16, 16, 16, 16}, {5, 7, 19, 11}, {640, 360, 64, 64}};
    vision_resizer r;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        int sw = sizes[k][0], sh = sizes[k][1], dw = sizes[k][2],
            dh = sizes[k][3];
        int stride = 3 * sw + 5;
        uint8_t *img = malloc((size_t)stride * sh);
        float *out = malloc((size_t)dw * dh * 3 * sizeof *out);
        uint32_t s = 7;
        for (int i = 0; i < stride * sh; i++)
            img[i] = (uint8_t)(tm_rand(&s, 0, 256));
        ASSERT_OK(vision_resizer_init(&r, dw, dh));
        /* twice: a second source size rebuilds the tables */
        for (int pass = 0; pass < 2; pass++) {
            int w = pass ? sw - 1 : sw;
            vision_resize_rgb24(&r, img, w, sh, stride, out, 0.5f, -1.0f, NULL);
            double worst = 0;
            for (int oy = 0; oy < dh; oy++)
                for (int ox = 0; ox < dw; ox++)
                    for (int c = 0; c < 3; c++) {
                        double sx = (ox + 0.5) * w / dw - 0.5;
                        double sy = (oy + 0.5) * sh / dh - 0.5;
                        double want =
                            ref_sample(img, w, sh, stride, sx, sy, c) * 0.5 - 1;
                        double d = fabs(out[(oy * dw + ox) * 3 + c] - want);
                        worst = d > worst ? d : worst;
                    }
            ASSERT_MSG(worst < 1e-3, "%dx%d -> %dx%d: error %g", w, sh, dw, dh,
                       worst);
        }
        vision_resizer_free(&r);
        free(img);
        free(out);
    }
    ASSERT_EQ(vision_resizer_init(&r, 0, 5), SPATIA_EINVAL);
    vision_resizer_free(&r);
}

/* A model whose [1,32,6] output is its [1,8,8,3] input reshaped. */
static const char *passthrough_model(tmodel *m, int with_det)
{
    int xs[4] = {1, 8, 8, 3};
    int32_t shape[3] = {1, 32, 6};
    tm_init(m);
    tm_input(m, "x", 4, xs);
    tm_vec_i(m, "shape", 3, shape);
    tm_node(m, "det", "Reshape", "x,shape", "");
    tm_node(m, "act", "Relu", "x", "");
    tm_output(m, with_det ? "det" : "act");
    return tm_write(m);
}

/* Puts detection row j (6 values, each a byte * 0.01) into the image. */
static void put_row(uint8_t *img, int j, int x1, int y1, int x2, int y2,
                    int score, int cls)
{
    uint8_t *p = img + 6 * j;
    p[0] = (uint8_t)x1;
    p[1] = (uint8_t)y1;
    p[2] = (uint8_t)x2;
    p[3] = (uint8_t)y2;
    p[4] = (uint8_t)score;
    p[5] = (uint8_t)cls;
}

TEST(postprocess_filter_nms_cap)
{
    tmodel m;
    const char *json = passthrough_model(&m, 1);
    ASSERT(json);
    uint8_t img[8 * 8 * 3] = {0};
    /* in units of 0.01 px / score */
    put_row(img, 0, 0, 0, 100, 100, 90, 0);     /* kept */
    put_row(img, 1, 10, 10, 100, 100, 80, 0);   /* IoU .81 with row 0 */
    put_row(img, 2, 150, 150, 250, 250, 70, 0); /* kept */
    put_row(img, 3, 0, 0, 100, 100, 95, 100);   /* class 1 */
    put_row(img, 4, 150, 150, 250, 250, 20, 0); /* below the score */
    put_row(img, 5, 30, 30, 20, 40, 99, 0);     /* empty box */
    spatia_frame f = {img, 24, 8, 8, SPATIA_PIXFMT_RGB24, 0, 0, 0};
    spatia_detnn_opts o;
    spatia_detnn_opts_default(&o);
    o.in_scale = 0.01f;
    spatia_detsrc *src = NULL;
    char err[512];
    ASSERT_OK(spatia_detsrc_nn_create(json, NULL, &o, &src, err, sizeof err));
    ASSERT_STREQ(spatia_detsrc_name(src), "nn");
    spatia_detection d[8];
    int n = -1;
    ASSERT_OK(spatia_detsrc_detect(src, &f, d, 8, &n));
    ASSERT_EQ(n, 2);
    ASSERT_NEAR(d[0].score, 0.90, 1e-5);
    ASSERT_NEAR(d[0].box.x2, 1.0, 1e-5);
    ASSERT_EQ(d[0].cls, 0);
    ASSERT_NEAR(d[1].score, 0.70, 1e-5);
    ASSERT_NEAR(d[1].box.x1, 1.5, 1e-5);
    ASSERT_NEAR(d[1].box.y2, 2.5, 1e-5);
    /* the cap keeps the best */
    ASSERT_OK(spatia_detsrc_detect(src, &f, d, 1, &n));
    ASSERT_EQ(n, 1);
    ASSERT_NEAR(d[0].score, 0.90, 1e-5);
    /* a wider NMS threshold keeps the overlapping box */
    spatia_detsrc_destroy(src);
    o.iou = 0.9f;
    o.all_classes = 1;
    ASSERT_OK(spatia_detsrc_nn_create(json, NULL, &o, &src, err, sizeof err));
    ASSERT_OK(spatia_detsrc_detect(src, &f, d, 8, &n));
    ASSERT_EQ(n, 4); /* class 1 does not suppress class 0 */
    ASSERT_EQ(d[0].cls, 1);
    ASSERT_NEAR(d[0].score, 0.95, 1e-5);
    ASSERT_NEAR(d[2].score, 0.80, 1e-5);
    /* bad frames */
    spatia_frame bad = f;
    bad.stride = 10;
    ASSERT_EQ(spatia_detsrc_detect(src, &bad, d, 8, &n), SPATIA_EINVAL);
    bad = f;
    bad.data = NULL;
    ASSERT_EQ(spatia_detsrc_detect(src, &bad, d, 8, &n), SPATIA_EINVAL);
    spatia_detsrc_destroy(src);
    /* scores outside 0..1 are rejected */
    o.score = 1.5f;
    ASSERT_EQ(spatia_detsrc_nn_create(json, NULL, &o, &src, err, sizeof err),
              SPATIA_EINVAL);
    tm_free(&m);
}

TEST(model_without_detections_output)
{
    tmodel m;
    const char *json = passthrough_model(&m, 0);
    spatia_detsrc *src = NULL;
    char err[512];
    ASSERT_EQ(spatia_detsrc_nn_create(json, NULL, NULL, &src, err, sizeof err),
              SPATIA_MODEL);
    ASSERT(strstr(err, "[1,N,6]") != NULL);
    ASSERT(src == NULL);
    ASSERT_EQ(spatia_detsrc_nn_create("/nonexistent/m.json", NULL, NULL, &src,
                                      err, sizeof err),
              SPATIA_NOTFOUND);
    tm_free(&m);
}

static double box_iou(const spatia_box *a, double x, double y, double w,
                      double h)
{
    double ix = fmin(a->x2, x + w) - fmax(a->x1, x);
    double iy = fmin(a->y2, y + h) - fmax(a->y1, y);
    if (ix <= 0 || iy <= 0)
        return 0;
    double in = ix * iy;
    return in / ((a->x2 - a->x1) * (a->y2 - a->y1) + w * h - in);
}

/* PETS09 frame 0: the people of ground-truth frame 1 are found. */
TEST(centernet_finds_people)
{
    char model[4096], video[1024], gtp[1024], err[1024];
    if (spatia_model_path("centernet", model, sizeof model))
        TEST_SKIP("models/centernet.json absent (scripts/fetch-models.sh)");
    if (!test_cache("vtest.avi", video, sizeof video))
        TEST_SKIP(".cache/vtest.avi absent (scripts/setup.sh)");
    if (!test_dataset("mot15/PETS09-S2L1/gt/gt.txt", gtp, sizeof gtp))
        TEST_SKIP("../shared/datasets/mot15 absent");
    spatia_detsrc *src = NULL;
    spatia_media *media = NULL;
    ASSERT_OK(
        spatia_detsrc_nn_create(model, NULL, NULL, &src, err, sizeof err));
    ASSERT_OK(spatia_media_open(video, NULL, &media, err, sizeof err));
    spatia_frame f;
    ASSERT_OK(spatia_media_read(media, &f));
    spatia_detection d[64];
    int n = 0;
    ASSERT_OK(spatia_detsrc_detect(src, &f, d, 64, &n));
    /* gt rows of frame 1, people fully inside the image */
    FILE *g = fopen(gtp, "r");
    ASSERT(g);
    int gt = 0, found = 0;
    char line[256];
    while (fgets(line, sizeof line, g)) {
        int fr, id;
        double x, y, w, h, conf;
        if (sscanf(line, "%d,%d,%lf,%lf,%lf,%lf,%lf", &fr, &id, &x, &y, &w, &h,
                   &conf) != 7 ||
            fr != 1 || conf == 0 || x < 0 || y < 0 || x + w > f.width ||
            y + h > f.height)
            continue;
        gt++;
        for (int i = 0; i < n; i++)
            if (box_iou(&d[i].box, x, y, w, h) >= 0.5) {
                found++;
                break;
            }
    }
    fclose(g);
    fprintf(stderr, "frame 0: %d detections, %d of %d people found\n", n, found,
            gt);
    ASSERT(gt >= 3);
    ASSERT(found >= gt - 1);
    ASSERT(n <= gt + 3);
    for (int i = 0; i < n; i++) {
        ASSERT(d[i].cls == 0 && d[i].score >= 0.3f);
        ASSERT(d[i].box.x1 >= 0 && d[i].box.x2 <= f.width);
        ASSERT(i == 0 || d[i].score <= d[i - 1].score);
    }
    spatia_media_destroy(media);
    spatia_detsrc_destroy(src);
}

/* `spatia detect IMAGE` prints one JSON object; errors give exit codes. */
TEST(cli_detect)
{
    char model[4096], img[1024], cmd[6000], out[65536];
    if (spatia_model_path("centernet", model, sizeof model))
        TEST_SKIP("models/centernet.json absent (scripts/fetch-models.sh)");
    if (!test_cache("messi5.jpg", img, sizeof img))
        TEST_SKIP(".cache/messi5.jpg absent (scripts/setup.sh)");
    snprintf(cmd, sizeof cmd, "'%s' detect '%s' --model '%s' --threads 1",
             SPATIA_BIN, img, model);
    FILE *p = popen(cmd, "r");
    ASSERT(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    int st = pclose(p);
    ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ASSERT(n > 0 && out[n - 1] == '\n');
    ASSERT(strchr(out, '\n') == out + n - 1); /* one line for one image */
    json_doc *doc = NULL;
    json_error je;
    ASSERT_OK(json_parse(out, n, &doc, &je));
    const json_value *r = json_root(doc);
    ASSERT(json_get(r, "frame") && json_get(r, "frame")->number == 0);
    const json_value *dets = json_get(r, "detections");
    ASSERT(dets && dets->type == JSON_ARRAY && dets->count >= 1);
    for (const json_value *d = dets->child; d; d = d->next) {
        ASSERT(json_get(d, "x1") && json_get(d, "y2") && json_get(d, "score"));
        ASSERT(json_get(d, "x1")->number < json_get(d, "x2")->number);
        ASSERT(json_get(d, "score")->number >= 0.3);
        ASSERT(!json_get(d, "class"));
    }
    json_doc_free(doc);
    /* usage error and missing input */
    snprintf(cmd, sizeof cmd, "'%s' detect '%s' --score 7 2>/dev/null",
             SPATIA_BIN, img);
    st = system(cmd);
    ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 2);
    snprintf(cmd, sizeof cmd,
             "'%s' detect /nonexistent.jpg --model '%s' 2>/dev/null",
             SPATIA_BIN, model);
    st = system(cmd);
    ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 1);
    snprintf(cmd, sizeof cmd,
             "'%s' detect '%s' --model /nonexistent/m.json 2>/dev/null",
             SPATIA_BIN, img);
    st = system(cmd);
    ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 1);
}

TEST_MAIN(T(resize_matches_reference), T(postprocess_filter_nms_cap),
          T(model_without_detections_output), T(centernet_finds_people),
          T(cli_detect))
