/*
 * model.c - the public API of the inference engine (spatia/nn.h): load =
 * parse (tfjs.c) + prepare (passes.c) + plan (plan.c); run = walk the plan.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/graph.h"
#include "nn/nn_internal.h"
#include "nn/plan.h"
#include "nn/tfjs.h"
#include "spatia/error.h"
#include "spatia/nn.h"

struct spatia_nn_model {
    nn_graph g;
    nn_plan p;
    spatia_nn_opts opts;
    double flops;
};

void spatia_nn_opts_default(spatia_nn_opts *opts)
{
    if (opts)
        memset(opts, 0, sizeof *opts);
}

int spatia_nn_default_threads(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0)
            return n;
    }
    return 1;
}

int spatia_nn_model_load(const char *model_json, const spatia_nn_opts *opts,
                         spatia_nn_model **out, char *errbuf, int errlen)
{
    spatia_nn_model *m = NULL;
    int rc;
    char msg[512];

    if (errbuf && errlen > 0)
        errbuf[0] = 0;
    if (!model_json || !out) {
        if (errbuf && errlen > 0)
            snprintf(errbuf, (size_t)errlen, "invalid argument");
        return SPATIA_EINVAL;
    }
    *out = NULL;
    if (opts && (opts->threads < 0 || opts->threads > 1024)) {
        if (errbuf && errlen > 0)
            snprintf(errbuf, (size_t)errlen, "threads must be 0..1024");
        return SPATIA_EINVAL;
    }
    m = calloc(1, sizeof *m);
    if (!m)
        return SPATIA_NOMEM;
    if (opts)
        m->opts = *opts;
    nn_graph_init(&m->g);
    rc = nn_tfjs_load(model_json, &m->g, errbuf, errlen);
    if (rc)
        goto fail;
    msg[0] = 0;
    rc = nn_graph_prepare(&m->g, !m->opts.no_fuse, msg, sizeof msg);
    if (rc) {
        if (errbuf && errlen > 0)
            snprintf(errbuf, (size_t)errlen, "%s: %s", model_json,
                     msg[0] ? msg : spatia_strerror(rc));
        goto fail;
    }
    int threads =
        m->opts.threads ? m->opts.threads : spatia_nn_default_threads();
    msg[0] = 0;
    rc = nn_plan_build(&m->g, &m->p, threads, m->opts.portable,
                       m->opts.strip_kb, msg, sizeof msg);
    if (rc) {
        if (errbuf && errlen > 0)
            snprintf(errbuf, (size_t)errlen, "%s: %s", model_json,
                     msg[0] ? msg : spatia_strerror(rc));
        goto fail;
    }
    m->flops = nn_graph_flops(&m->g);
    *out = m;
    return SPATIA_OK;
fail:
    spatia_nn_model_destroy(m);
    return rc;
}

int spatia_nn_input_count(const spatia_nn_model *m)
{
    return m ? m->g.ninputs : 0;
}

int spatia_nn_output_count(const spatia_nn_model *m)
{
    return m ? m->g.noutputs : 0;
}

static void describe(spatia_nn_model *m, const nn_port *port,
                     spatia_nn_tensor *t)
{
    const nn_tensor *x = &m->g.t[port->tensor];
    memset(t, 0, sizeof *t);
    t->name = port->name;
    t->dtype = (spatia_nn_dtype)x->dtype;
    t->rank = x->shape.rank;
    for (int i = 0; i < x->shape.rank; i++)
        t->dims[i] = x->shape.d[i];
    t->data = nn_plan_ptr(&m->g, &m->p, port->tensor);
    t->size = nn_tensor_bytes(x);
}

int spatia_nn_input(spatia_nn_model *m, int index, spatia_nn_tensor *t)
{
    if (!m || !t || index < 0 || index >= m->g.ninputs)
        return SPATIA_EINVAL;
    describe(m, &m->g.inputs[index], t);
    return SPATIA_OK;
}

int spatia_nn_output(spatia_nn_model *m, int index, spatia_nn_tensor *t)
{
    if (!m || !t || index < 0 || index >= m->g.noutputs)
        return SPATIA_EINVAL;
    describe(m, &m->g.outputs[index], t);
    return SPATIA_OK;
}

int spatia_nn_output_find(const spatia_nn_model *m, const char *name)
{
    if (!m || !name)
        return SPATIA_NOTFOUND;
    size_t l = strlen(name);
    for (int i = 0; i < m->g.noutputs; i++) {
        const char *o = m->g.outputs[i].name;
        size_t ol = strlen(o);
        if (!strcmp(o, name))
            return i;
        /* "x" matches "x:0" and the other way round */
        if (ol == l + 2 && !strncmp(o, name, l) && !strcmp(o + l, ":0"))
            return i;
        if (l == ol + 2 && !strncmp(o, name, ol) && !strcmp(name + ol, ":0"))
            return i;
    }
    return SPATIA_NOTFOUND;
}

int spatia_nn_run(spatia_nn_model *m)
{
    if (!m)
        return SPATIA_EINVAL;
    return nn_plan_run(&m->g, &m->p, m->opts.profile);
}

void spatia_nn_info_get(const spatia_nn_model *m, spatia_nn_info *info)
{
    if (!info)
        return;
    memset(info, 0, sizeof *info);
    if (!m)
        return;
    info->inputs = m->g.ninputs;
    info->outputs = m->g.noutputs;
    info->nodes = m->p.nsteps;
    for (int s = 0; s < m->p.nsteps; s++) {
        info->steps += !m->p.steps[s].skip;
        info->mean_sums += m->p.steps[s].msum != NULL;
        info->strip_topks += m->p.steps[s].ptk > 0;
        info->halo_steps += m->p.steps[s].halo != NULL;
    }
    info->runs = m->p.runs;
    info->far_runs = m->p.far_runs;
    info->round_trip_ns = m->p.round_trip_ns;
    info->xnn_ops = m->p.xnn_ops;
    info->threads = m->p.threads;
    info->flops = m->flops;
    info->arena_bytes = m->p.arena_bytes;
    info->arena_split = m->p.arena_owned;
    for (int i = 0; i < m->g.nt; i++)
        if (m->g.t[i].store == NN_STORE_CONST && m->g.t[i].data)
            info->weight_bytes += nn_tensor_bytes(&m->g.t[i]);
}

void spatia_nn_profile_print(const spatia_nn_model *m, FILE *f)
{
    double tot[NN_OP_COUNT] = {0}, all = 0;
    int cnt[NN_OP_COUNT] = {0}, xcnt[NN_OP_COUNT] = {0};
    if (!m || !f || m->p.runs == 0)
        return;
    for (int s = 0; s < m->p.nsteps; s++) {
        const nn_step *st = &m->p.steps[s];
        nn_op op = m->g.n[st->node].op;
        tot[op] += st->seconds;
        cnt[op]++;
        xcnt[op] += st->op || st->nstrips || st->skip || st->dw || st->stem ||
                    st->rs || st->dwpw || st->msum;
        all += st->seconds;
    }
    fprintf(f, "%-16s %5s %5s %10s %6s\n", "op", "count", "xnn", "ms/run",
            "share");
    for (int o = 0; o < NN_OP_COUNT; o++) {
        if (!cnt[o])
            continue;
        fprintf(f, "%-16s %5d %5d %10.3f %5.1f%%\n", nn_op_name((nn_op)o),
                cnt[o], xcnt[o], 1e3 * tot[o] / m->p.runs,
                all > 0 ? 100.0 * tot[o] / all : 0.0);
    }
    fprintf(f, "%-16s %5d %5d %10.3f\n", "total", m->p.nsteps, m->p.xnn_ops,
            1e3 * all / m->p.runs);
    if (!getenv("SPATIA_NN_PROFILE_NODES"))
        return;
    /* every step: time, GFLOP/s of convolutions, output shape */
    for (int s = 0; s < m->p.nsteps; s++) {
        const nn_step *st = &m->p.steps[s];
        const nn_node *n = &m->g.n[st->node];
        const nn_tensor *y = &m->g.t[n->out[0]];
        double ms = 1e3 * st->seconds / m->p.runs, fl = 0;
        char sb[64], wb[64] = "";
        if (n->op == NN_OP_CONV2D || n->op == NN_OP_DWCONV2D) {
            const nn_shape *w = &m->g.t[n->in[1]].shape;
            fl = 2.0 * (double)nn_shape_elems(&y->shape) * w->d[0] * w->d[1] *
                 (n->op == NN_OP_CONV2D ? w->d[2] : 1);
            snprintf(wb, sizeof wb, "k%dx%d s%d", w->d[0], w->d[1],
                     n->a.stride[0]);
        }
        fprintf(f, "%4d %-14s %-3s %8.3f ms %7.1f GFLOP/s %-18s %-10s %s\n", s,
                nn_op_name(n->op),
                st->skip      ? "->"
                : st->nstrips ? "xs"
                : st->op      ? "xnn"
                : st->dw || st->pw || st->stem || st->rs || st->dwpw || st->msum
                    ? "own"
                    : "c",
                ms, ms > 0 ? fl / ms / 1e6 : 0.0,
                nn_shape_str(&y->shape, sb, sizeof sb), wb, n->name);
    }
}

pthreadpool_t nn_model_threadpool(const spatia_nn_model *m)
{
    return m ? m->p.pool : NULL;
}

void spatia_nn_model_destroy(spatia_nn_model *m)
{
    if (!m)
        return;
    nn_plan_free(&m->p);
    nn_graph_free(&m->g);
    free(m);
}
