#!/usr/bin/env node
'use strict';
/*
 * reference.js - run a TF.js graph model on one raw float32 input and write
 * every output tensor, so spatia's C engine can be compared against TF.js.
 *
 *   node reference.js --model models/centernet.json --input x.f32 \
 *       [--shape 1,512,512,3] [--out DIR] [--backend cpu|wasm]
 *       [--bench N] [--warmup N] [--meta prep.json] [--extra n1,n2]
 *
 * --input  raw little-endian float32, NHWC, exactly prod(shape) values.
 * --shape  defaults to the model's input shape.
 * --out    writes DIR/<output>.f32 (raw float32 LE, whatever the tensor's
 *          dtype) and DIR/index.json (model, backend, input, and per output:
 *          name, shape, dtype, file, min/max/mean). --meta's JSON is copied
 *          into index.json as "preprocessing".
 * --extra  also dumps these graph nodes (e.g. an intermediate conv) to
 *          compare layer by layer; listed in index.json like outputs.
 * --bench  runs N timed inferences after --warmup (default 3) untimed ones
 *          and prints the median/min/mean latency in ms (inference plus
 *          reading back all outputs).
 * Loading is local only; the wasm backend reads its .wasm from node_modules.
 * In Node.js tfjs-backend-wasm 4.22 always runs single-threaded (its
 * multithread flag is hard-wired false under Node), with SIMD when the
 * runtime has it; the bench line reports both.
 */
const fs = require('fs');
const path = require('path');
const lib = require('./lib');
const { tf } = lib;

function usage(msg) {
    if (msg)
        console.error(`reference.js: ${msg}`);
    console.error('usage: node reference.js --model M.json --input X.f32 ' +
                  '[--shape 1,H,W,C] [--out DIR] [--backend cpu|wasm] ' +
                  '[--bench N] [--warmup N] [--meta F.json] ' +
                  '[--extra node1,node2]');
    process.exit(2);
}

function fileName(name) {
    return name.replace(/[^A-Za-z0-9_.-]/g, '_') + '.f32';
}

/* Runs the graph; returns tensors in outputNames order. Uses execute() and
 * falls back to executeAsync() for graphs with dynamic/control-flow ops. */
async function run(model, feed, outputNames, mode) {
    let res;
    if (mode.async) {
        res = await model.executeAsync(feed, outputNames);
    } else {
        try {
            res = model.execute(feed, outputNames);
        } catch (e) {
            if (!/executeAsync|dynamic|control flow/i.test(String(e)))
                throw e;
            mode.async = true;
            res = await model.executeAsync(feed, outputNames);
        }
    }
    return Array.isArray(res) ? res : [res];
}

async function main() {
    let a;
    try {
        a = lib.parseArgs(process.argv.slice(2), {
            model: '', input: '', shape: '', out: '', backend: 'cpu',
            bench: '0', warmup: '3', meta: '', extra: '', help: false,
        });
    } catch (e) {
        usage(e.message);
    }
    if (a.help)
        usage();
    if (!a.model || !a.input)
        usage('--model and --input are required');
    const bench = parseInt(a.bench, 10);
    const warmup = parseInt(a.warmup, 10);
    if (!(bench >= 0) || !(warmup >= 0))
        usage('--bench and --warmup take integers >= 0');

    const backend = await lib.setBackend(a.backend);
    const { model } = await lib.loadModel(a.model);
    if (model.inputs.length !== 1)
        throw new Error(`model has ${model.inputs.length} inputs; ` +
                        'only single-input models are supported');
    const inInfo = model.inputs[0];
    const shape = a.shape ? a.shape.split(',').map((s) => parseInt(s, 10))
                          : inInfo.shape;
    if (!shape || shape.some((d) => !(d > 0)))
        usage(`bad or unknown input shape '${a.shape || inInfo.shape}'`);
    const data = lib.readF32(a.input, shape);
    const outputNames = model.outputs.map((o) => o.name);

    const input = tf.tensor(data, shape, 'float32');
    const feed = { [inInfo.name]: input };
    const mode = { async: false };

    if (a.out) {
        const names = outputNames.concat(a.extra ? a.extra.split(',') : []);
        const outs = await run(model, feed, names, mode);
        fs.mkdirSync(a.out, { recursive: true });
        const index = {
            model: path.basename(a.model),
            model_sha256: lib.sha256(a.model),
            tfjs_version: tf.version_core,
            backend,
            execute: mode.async ? 'executeAsync' : 'execute',
            input: {
                name: inInfo.name,
                file: path.resolve(a.input),
                sha256: lib.sha256(a.input),
                shape, dtype: 'float32', layout: 'NHWC',
            },
            preprocessing: a.meta ? JSON.parse(fs.readFileSync(a.meta))
                                  : null,
            outputs: [],
        };
        for (let i = 0; i < outs.length; i++) {
            const t = outs[i];
            const v = await t.data();
            const file = fileName(names[i]);
            lib.writeF32(path.join(a.out, file), v);
            let min = Infinity, max = -Infinity, sum = 0, nonfinite = 0;
            for (const x of v) {
                if (!Number.isFinite(x)) {
                    nonfinite++;
                    continue;
                }
                if (x < min) min = x;
                if (x > max) max = x;
                sum += x;
            }
            index.outputs.push({
                name: names[i], shape: t.shape, dtype: t.dtype,
                extra: i >= outputNames.length,
                file, file_dtype: 'float32',
                min, max, mean: sum / Math.max(1, v.length - nonfinite),
                nonfinite,
            });
        }
        tf.dispose(outs);
        fs.writeFileSync(path.join(a.out, 'index.json'),
                         JSON.stringify(index, null, 2) + '\n');
    }

    if (bench > 0) {
        for (let i = 0; i < warmup; i++) {
            const outs = await run(model, feed, outputNames, mode);
            for (const t of outs) await t.data();
            tf.dispose(outs);
        }
        const ms = [];
        for (let i = 0; i < bench; i++) {
            const t0 = process.hrtime.bigint();
            const outs = await run(model, feed, outputNames, mode);
            for (const t of outs) await t.data();
            ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
            tf.dispose(outs);
        }
        ms.sort((x, y) => x - y);
        const mid = ms.length >> 1;
        const median = ms.length % 2 ? ms[mid] : (ms[mid - 1] + ms[mid]) / 2;
        const mean = ms.reduce((s, x) => s + x, 0) / ms.length;
        let extra = '';
        if (backend === 'wasm') {
            const w = require('@tensorflow/tfjs-backend-wasm');
            const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
            extra = ` simd=${simd} threads=${w.getThreadsCount()}`;
        }
        console.log(`bench model=${path.basename(a.model)} ` +
                    `backend=${backend}${extra} runs=${bench} ` +
                    `warmup=${warmup} median_ms=${median.toFixed(2)} ` +
                    `min_ms=${ms[0].toFixed(2)} mean_ms=${mean.toFixed(2)}`);
    }
    input.dispose();
}

main().catch((e) => {
    console.error(`reference.js: error: ${e && e.stack ? e.stack : e}`);
    process.exit(1);
});
