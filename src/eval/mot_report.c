/*
 * mot_report.c - the glue of `spatia eval mot`: load a ground-truth and a
 * tracker MOT file, score them, print the metrics as a small table.
 */
#include <stdio.h>
#include <string.h>

#include "spatia/error.h"
#include "spatia/eval.h"

int spatia_eval_mot_files(const char *gt_path, const char *tr_path,
                          spatia_mot_metrics *m, char *errbuf, int errlen)
{
    spatia_mot_seq gt = {0}, tr = {0};
    int rc;

    if (!gt_path || !tr_path || !m) {
        if (errbuf && errlen > 0)
            snprintf(errbuf, (size_t)errlen, "eval mot: missing argument");
        return SPATIA_EINVAL;
    }
    rc = spatia_mot_load(gt_path, &gt, errbuf, errlen);
    if (rc)
        goto out;
    rc = spatia_mot_load(tr_path, &tr, errbuf, errlen);
    if (rc)
        goto out;
    rc = spatia_eval_mot(&gt, &tr, m);
    if (rc && errbuf && errlen > 0)
        snprintf(errbuf, (size_t)errlen, "eval mot: %s", spatia_strerror(rc));
out:
    spatia_mot_free(&gt);
    spatia_mot_free(&tr);
    return rc;
}

/* Prints three header/value line pairs: the percentages, the CLEAR counts,
 * the identity counts and sizes. Columns are 8 characters wide. */
void spatia_mot_metrics_print(FILE *f, const spatia_mot_metrics *m)
{
    if (!f || !m)
        return;
    fprintf(f, "%8s %8s %8s %8s %8s %8s %8s %8s %8s\n", "HOTA", "DetA", "AssA",
            "LocA", "MOTA", "MOTP", "IDF1", "IDP", "IDR");
    fprintf(f, "%8.3f %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f\n",
            m->hota, m->deta, m->assa, m->loca, m->mota, m->motp, m->idf1,
            m->idp, m->idr);
    fprintf(f, "%8s %8s %8s %8s %8s %8s %8s %8s\n", "TP", "FP", "FN", "IDSW",
            "Frag", "MT", "PT", "ML");
    fprintf(f, "%8lld %8lld %8lld %8lld %8lld %8d %8d %8d\n", (long long)m->tp,
            (long long)m->fp, (long long)m->fn, (long long)m->idsw,
            (long long)m->frag, m->mt, m->pt, m->ml);
    fprintf(f, "%8s %8s %8s %8s %8s %8s %8s\n", "IDTP", "IDFP", "IDFN",
            "GT dets", "TR dets", "GT ids", "TR ids");
    fprintf(f, "%8lld %8lld %8lld %8lld %8lld %8d %8d\n", (long long)m->idtp,
            (long long)m->idfp, (long long)m->idfn, (long long)m->num_gt_dets,
            (long long)m->num_tr_dets, m->num_gt_ids, m->num_tr_ids);
}
