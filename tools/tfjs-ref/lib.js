'use strict';
/*
 * lib.js - shared helpers of the TF.js reference tools: load a TF.js graph
 * model from local files only (no network), pick a backend whose binaries
 * come from node_modules, and read/write raw little-endian float32 files.
 */
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const tf = require('@tensorflow/tfjs-core');
const tfconv = require('@tensorflow/tfjs-converter');
require('@tensorflow/tfjs-backend-cpu');

/* Production mode: no debug checks, no "install tfjs-node" banner. */
tf.enableProdMode();

/* Reads model.json and every weight shard it names (paths relative to the
 * json) and returns TF.js ModelArtifacts. Throws on a missing/short shard. */
function readArtifacts(jsonPath) {
    const dir = path.dirname(jsonPath);
    const json = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
    if (!json.modelTopology || !Array.isArray(json.weightsManifest))
        throw new Error(`${jsonPath}: not a TF.js graph model.json`);
    const specs = [];
    const buffers = [];
    for (const group of json.weightsManifest) {
        for (const p of group.paths) {
            const b = fs.readFileSync(path.join(dir, p));
            buffers.push(b);
        }
        specs.push(...group.weights);
    }
    const total = buffers.reduce((n, b) => n + b.length, 0);
    const data = new Uint8Array(total);
    let off = 0;
    for (const b of buffers) {
        data.set(b, off);
        off += b.length;
    }
    return {
        json,
        artifacts: {
            modelTopology: json.modelTopology,
            format: json.format,
            generatedBy: json.generatedBy,
            convertedBy: json.convertedBy,
            signature: json.signature,
            userDefinedMetadata: json.userDefinedMetadata,
            weightSpecs: specs,
            weightData: data.buffer,
        },
    };
}

/* Loads a graph model from local files; returns { model, json }. */
async function loadModel(jsonPath) {
    const { json, artifacts } = readArtifacts(jsonPath);
    const model = await tfconv.loadGraphModel(tf.io.fromMemory(artifacts));
    return { model, json };
}

/* Selects 'cpu' or 'wasm'. The wasm binaries are read from the installed
 * @tensorflow/tfjs-backend-wasm package (never fetched). */
async function setBackend(name) {
    if (name === 'wasm') {
        const wasm = require('@tensorflow/tfjs-backend-wasm');
        const dist = path.dirname(
            require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
        wasm.setWasmPaths(path.join(dist, 'dist') + path.sep);
    } else if (name !== 'cpu') {
        throw new Error(`unknown backend '${name}' (cpu or wasm)`);
    }
    if (!(await tf.setBackend(name)))
        throw new Error(`backend ${name} failed to initialise`);
    await tf.ready();
    return tf.getBackend();
}

/* Reads a raw float32 LE file and checks it holds exactly prod(shape). */
function readF32(file, shape) {
    const b = fs.readFileSync(file);
    const n = shape.reduce((a, d) => a * d, 1);
    if (b.length !== n * 4)
        throw new Error(`${file}: ${b.length} bytes, want ${n * 4} ` +
                        `(float32 x [${shape}])`);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++)
        out[i] = b.readFloatLE(i * 4);
    return out;
}

/* Writes numbers as raw float32 LE. */
function writeF32(file, values) {
    const b = Buffer.alloc(values.length * 4);
    for (let i = 0; i < values.length; i++)
        b.writeFloatLE(values[i], i * 4);
    fs.writeFileSync(file, b);
}

function sha256(file) {
    return crypto.createHash('sha256').update(fs.readFileSync(file))
        .digest('hex');
}

/* Tiny --key value / --flag argument parser. */
function parseArgs(argv, spec) {
    const out = { ...spec };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (!a.startsWith('--'))
            throw new Error(`unexpected argument '${a}'`);
        const k = a.slice(2);
        if (!(k in spec))
            throw new Error(`unknown option --${k}`);
        if (typeof spec[k] === 'boolean') {
            out[k] = true;
        } else {
            if (i + 1 >= argv.length)
                throw new Error(`--${k} needs a value`);
            out[k] = argv[++i];
        }
    }
    return out;
}

module.exports = { tf, tfconv, readArtifacts, loadModel, setBackend, readF32,
                   writeF32, sha256, parseArgs };
