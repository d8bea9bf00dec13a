#!/usr/bin/env node
'use strict';
/*
 * inventory.js - print what a C engine must implement to run a TF.js graph
 * model: inputs/outputs, weight storage (dtypes, quantization), every op
 * type with its count and the distinct combinations of attributes that
 * matter (padding, strides, dilations, data_format, fused_ops, ...).
 *
 *   node inventory.js models/centernet.json [--shapes] [--nodes]
 *
 * --shapes  also runs the model once (TF.js wasm backend, zero input) to get
 *           every node's output shape, and prints conv MACs/FLOPs.
 * --nodes   prints one line per non-Const node in graph order (op, inputs,
 *           attributes, and output shape with --shapes).
 * Without --shapes only model.json is read (no TF.js needed).
 */
const fs = require('fs');
const path = require('path');

/* Attributes that carry no semantics for inference (dtype plumbing, hints).
 * Any attribute not listed here is printed. */
const IGNORED = new Set([
    'T', 'Tidx', 'Tshape', 'Tpaddings', 'Index', 'Taxis', 'Tindices',
    'Tparams', 'Tdim', 'use_cudnn_on_gpu', '_cloned', 'dtype', 'value',
    'incompatible_shape_error', 'Truncate',
]);

function b64(s) {
    return Buffer.from(s, 'base64').toString('latin1');
}

/* Decodes one AttrValue of the TF graph json to a short string. */
function attrString(v) {
    if ('s' in v)
        return b64(v.s);
    if ('i' in v)
        return String(v.i);
    if ('f' in v)
        return String(v.f);
    if ('b' in v)
        return String(v.b);
    if ('type' in v)
        return v.type;
    if ('shape' in v)
        return JSON.stringify((v.shape.dim || []).map((d) => +d.size));
    if ('list' in v) {
        const l = v.list;
        if (l.s)
            return '[' + l.s.map(b64).join(',') + ']';
        if (l.i)
            return '[' + l.i.join(',') + ']';
        if (l.f)
            return '[' + l.f.join(',') + ']';
        if (l.type)
            return '[' + l.type.join(',') + ']';
        return '[]';
    }
    return JSON.stringify(v);
}

/* Conv-like ops take their filter as input 1: report its spatial size (and
 * the depth multiplier for depthwise), which the attributes do not carry. */
function kernelAttr(node, wshapes) {
    if (!/Conv2D$|DepthwiseConv2dNative$/.test(node.op) || !node.input)
        return null;
    const w = wshapes.get(inName(node.input[1] || ''));
    if (!w || w.length !== 4)
        return null;
    if (/Depthwise/.test(node.op))
        return `kernel=${w[0]}x${w[1]} multiplier=${w[3]}`;
    return `kernel=${w[0]}x${w[1]}`;
}

function keyAttrs(node, wshapes) {
    const out = [];
    const k = wshapes && kernelAttr(node, wshapes);
    if (k)
        out.push(k);
    for (const k of Object.keys(node.attr || {}).sort()) {
        if (IGNORED.has(k) || k.startsWith('_grappler'))
            continue;
        const s = attrString(node.attr[k]);
        if (k === 'explicit_paddings' && s === '[]')
            continue;
        out.push(`${k}=${s}`);
    }
    return out.join(' ');
}

function signatureOf(json) {
    if (json.signature && json.signature.inputs)
        return json.signature;
    const u = json.userDefinedMetadata;
    return u && u.signature ? u.signature : null;
}

function tensorInfo(t) {
    const dims = (t.tensorShape && t.tensorShape.dim || []).map((d) => +d.size);
    return `${t.name} ${t.dtype} [${dims.join(',')}]`;
}

const BYTES = { float32: 4, int32: 4, float16: 2, uint8: 1, uint16: 2,
                bool: 1 };

function weightsReport(json, dir) {
    const lines = [];
    let values = 0, stored = 0, files = 0;
    const kinds = new Map();
    for (const g of json.weightsManifest) {
        for (const p of g.paths) {
            const f = path.join(dir, p);
            files += fs.existsSync(f) ? fs.statSync(f).size : 0;
        }
        for (const w of g.weights) {
            const n = w.shape.reduce((a, d) => a * d, 1);
            const q = w.quantization;
            const sdt = q ? q.dtype : w.dtype;
            let k = `${w.dtype}` + (q ? ` stored as ${q.dtype}` : ' (raw)');
            if (q && (q.min !== undefined || q.scale !== undefined))
                k += ' with min/scale (dequant: v = q * scale + min)';
            const e = kinds.get(k) || { tensors: 0, values: 0 };
            e.tensors++;
            e.values += n;
            kinds.set(k, e);
            values += n;
            stored += n * (BYTES[sdt] || 4);
        }
        lines.push(`  shards: ${g.paths.join(', ')}`);
    }
    for (const [k, e] of kinds)
        lines.push(`  ${k}: ${e.tensors} tensors, ${e.values} values`);
    lines.push(`  total: ${values} values, ${stored} bytes expected, ` +
               `${files} bytes in shard files`);
    return lines;
}

/* Runs the model once on zeros and returns Map(node name -> shape). */
async function nodeShapes(jsonPath, nodes) {
    const lib = require('./lib');
    const { tf } = lib;
    try {
        await lib.setBackend('wasm');
    } catch (e) {
        await lib.setBackend('cpu');
    }
    const { model } = await lib.loadModel(jsonPath);
    const inInfo = model.inputs[0];
    const feed = { [inInfo.name]: tf.zeros(inInfo.shape, 'float32') };
    const names = nodes.filter((n) => n.op !== 'Const' && n.op !== 'Placeholder')
        .map((n) => n.name);
    let outs;
    try {
        outs = model.execute(feed, names);
    } catch (e) {
        outs = await model.executeAsync(feed, names);
    }
    const shapes = new Map();
    shapes.set(inInfo.name, inInfo.shape);
    names.forEach((n, i) => shapes.set(n, outs[i].shape));
    tf.dispose(outs);
    /* Small constants (shapes, axes, paddings, scalars) by name. */
    const consts = new Map();
    for (const [name, ts] of Object.entries(model.weights)) {
        if (ts[0].size <= 8)
            consts.set(name, Array.from(ts[0].dataSync()));
    }
    return { shapes, consts };
}

function weightShapes(json) {
    const m = new Map();
    for (const g of json.weightsManifest)
        for (const w of g.weights)
            m.set(w.name, w.shape);
    return m;
}

function inName(s) {
    return s.replace(/^\^/, '').replace(/:\d+$/, '');
}

async function main() {
    const args = process.argv.slice(2);
    const file = args.find((a) => !a.startsWith('--'));
    const wantShapes = args.includes('--shapes');
    const wantNodes = args.includes('--nodes');
    if (!file || args.some((a) => a.startsWith('--') &&
                           a !== '--shapes' && a !== '--nodes')) {
        console.error('usage: node inventory.js MODEL.json [--shapes] [--nodes]');
        process.exit(2);
    }
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    const nodes = json.modelTopology.node;
    const out = [];
    out.push(`model: ${path.basename(file)}`);
    out.push(`format: ${json.format}; generatedBy: ${json.generatedBy}; ` +
             `convertedBy: ${json.convertedBy}`);
    const fn = json.modelTopology.library && json.modelTopology.library.function;
    out.push(`graph: ${nodes.length} nodes; library functions: ` +
             `${fn ? fn.length : 0}`);

    const sig = signatureOf(json);
    out.push('inputs:');
    for (const n of nodes.filter((x) => x.op === 'Placeholder'))
        out.push(`  ${n.name} ${attrString(n.attr.dtype)} ` +
                 `${attrString(n.attr.shape)}`);
    if (sig) {
        out.push('signature inputs:');
        for (const t of Object.values(sig.inputs))
            out.push(`  ${tensorInfo(t)}`);
        out.push('signature outputs:');
        for (const t of Object.values(sig.outputs))
            out.push(`  ${tensorInfo(t)}`);
    }
    out.push('weights:');
    out.push(...weightsReport(json, path.dirname(file)));

    const wshapes = weightShapes(json);
    const byOp = new Map();
    for (const n of nodes) {
        const e = byOp.get(n.op) || { count: 0, combos: new Map() };
        e.count++;
        if (n.op !== 'Const') {
            const k = keyAttrs(n, wshapes);
            e.combos.set(k, (e.combos.get(k) || 0) + 1);
        }
        byOp.set(n.op, e);
    }
    out.push('ops (count; distinct attribute sets with counts):');
    const ops = [...byOp.entries()].sort((a, b) => b[1].count - a[1].count ||
                                         a[0].localeCompare(b[0]));
    for (const [op, e] of ops) {
        out.push(`  ${op}: ${e.count}`);
        for (const [k, c] of [...e.combos.entries()].sort((a, b) => b[1] - a[1]))
            if (k)
                out.push(`      ${c} x ${k}`);
    }

    let shapes = null, consts = null;
    if (wantShapes) {
        ({ shapes, consts } = await nodeShapes(file, nodes));
        const ws = wshapes;
        let convMacs = 0, other = 0;
        const perOp = new Map();
        for (const n of nodes) {
            const s = shapes.get(n.name);
            if (!s || n.op === 'Const' || n.op === 'Placeholder')
                continue;
            const elems = s.reduce((a, d) => a * d, 1);
            let macs = 0;
            const w = ws.get(inName(n.input[1] || ''));
            if (/Conv2D$/.test(n.op) && w)
                macs = elems * w[0] * w[1] * w[2];
            else if (/DepthwiseConv2dNative$/.test(n.op) && w)
                macs = elems * w[0] * w[1];
            if (macs) {
                convMacs += macs;
                perOp.set(n.op, (perOp.get(n.op) || 0) + macs);
            } else {
                other += elems;
            }
        }
        out.push(`compute at input ${JSON.stringify(shapes.get(
            nodes.find((x) => x.op === 'Placeholder').name))}:`);
        for (const [op, m] of perOp)
            out.push(`  ${op}: ${(m / 1e6).toFixed(3)} M MACs`);
        out.push(`  convolutions: ${(convMacs / 1e6).toFixed(1)} M MACs = ` +
                 `${(2 * convMacs / 1e9).toFixed(3)} GFLOPs (1 MAC = 2 FLOPs)`);
        out.push(`  other ops: ${(other / 1e6).toFixed(1)} M output elements`);
    }
    if (wantNodes) {
        out.push('nodes (graph order, Const omitted):');
        for (const n of nodes) {
            if (n.op === 'Const')
                continue;
            const s = shapes && shapes.get(n.name);
            const ins = (n.input || []).map((i) => {
                const c = consts && consts.get(inName(i));
                return c ? `${i}=[${c.join(',')}]` : i;
            });
            const ka = keyAttrs(n, wshapes);
            out.push(`  ${n.name} = ${n.op}(${ins.join(', ')})` +
                     (s ? ` -> [${s.join(',')}]` : '') +
                     (ka ? `  {${ka}}` : ''));
        }
    }
    console.log(out.join('\n'));
}

main().catch((e) => {
    console.error(`inventory.js: error: ${e && e.stack ? e.stack : e}`);
    process.exit(1);
});
