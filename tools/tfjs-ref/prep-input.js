#!/usr/bin/env node
'use strict';
/*
 * prep-input.js - turn an image or one video frame into a model input:
 * FFmpeg decodes and resizes it to WxH rgb24 (swscale bilinear, aspect ratio
 * not kept: the picture is stretched, as Human does with resizeBilinear),
 * then each byte b becomes one float32 value by the chosen normalisation.
 *
 *   node prep-input.js --image IMG [--frame N] --size 512x512 \
 *       [--norm raw|pm1] --out DIR
 *
 *   raw: v = b                                   (centernet: 0..255)
 *   pm1: v = f32(f32(b / 127.5) - 1)             (blazeface: -1..1)
 *
 * Writes DIR/input.rgb (W*H*3 bytes, HWC RGB), DIR/input.f32 (float32 LE,
 * NHWC [1,H,W,3]) and DIR/prep.json (source, frame, exact ffmpeg command
 * and version, normalisation, sha256 of both files). A C test reads the
 * same input.f32, so it compares the inference engine only.
 */
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { execFileSync } = require('child_process');

function die(msg) {
    console.error(`prep-input.js: ${msg}`);
    process.exit(2);
}

function arg(name, def) {
    const i = process.argv.indexOf(`--${name}`);
    if (i < 0)
        return def;
    if (i + 1 >= process.argv.length)
        die(`--${name} needs a value`);
    return process.argv[i + 1];
}

const NORMS = {
    raw: { formula: 'v = b', fn: (b) => b },
    pm1: { formula: 'v = float32(float32(b / 127.5) - 1.0)',
           fn: (b) => Math.fround(Math.fround(b / 127.5) - 1) },
};

function sha256(buf) {
    return crypto.createHash('sha256').update(buf).digest('hex');
}

function main() {
    const image = arg('image');
    const frame = parseInt(arg('frame', '0'), 10);
    const size = arg('size', '');
    const norm = arg('norm', 'raw');
    const out = arg('out');
    const m = /^(\d+)x(\d+)$/.exec(size);
    if (!image || !out || !m)
        die('usage: node prep-input.js --image IMG [--frame N] --size WxH ' +
            '[--norm raw|pm1] --out DIR');
    if (!(frame >= 0))
        die('--frame takes an integer >= 0');
    if (!NORMS[norm])
        die(`unknown --norm '${norm}' (raw or pm1)`);
    if (!fs.existsSync(image))
        die(`${image}: no such file`);
    const w = +m[1], h = +m[2];

    const vf = `select=eq(n\\,${frame}),scale=${w}:${h}:flags=bilinear`;
    const cmd = ['-v', 'error', '-nostdin', '-i', image, '-vf', vf,
                 '-fps_mode', 'passthrough', '-frames:v', '1',
                 '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'];
    const rgb = execFileSync('ffmpeg', cmd, { maxBuffer: 64 << 20 });
    if (rgb.length !== w * h * 3)
        die(`${image} frame ${frame}: ffmpeg gave ${rgb.length} bytes, ` +
            `want ${w * h * 3} (frame out of range?)`);
    const f = Buffer.alloc(rgb.length * 4);
    const fn = NORMS[norm].fn;
    for (let i = 0; i < rgb.length; i++)
        f.writeFloatLE(fn(rgb[i]), i * 4);

    const version = execFileSync('ffmpeg', ['-version']).toString()
        .split('\n')[0];
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'input.rgb'), rgb);
    fs.writeFileSync(path.join(out, 'input.f32'), f);
    const prep = {
        source: path.resolve(image),
        source_bytes: fs.statSync(image).size,
        frame,
        width: w, height: h,
        resize: 'ffmpeg/libswscale bilinear (SWS_BILINEAR), no aspect ' +
                'ratio kept (stretched to WxH), no crop/pad',
        colour: 'decoder output converted to rgb24 by libswscale ' +
                '(default matrix for the source, BT.601 when unspecified)',
        ffmpeg_command: ['ffmpeg', ...cmd].map((s) =>
            (/[\s\\(),]/.test(s) ? `'${s}'` : s)).join(' '),
        ffmpeg_version: version,
        rgb_file: 'input.rgb', rgb_layout: 'HWC uint8 RGB',
        rgb_sha256: sha256(rgb),
        f32_file: 'input.f32', f32_layout: 'NHWC float32 little-endian',
        shape: [1, h, w, 3],
        normalization: norm, formula: NORMS[norm].formula,
        f32_sha256: sha256(f),
    };
    fs.writeFileSync(path.join(out, 'prep.json'),
                     JSON.stringify(prep, null, 2) + '\n');
}

main();
