#!/usr/bin/env node
'use strict';
/*
 * summary.js - one-line sanity summary of a reference directory written by
 * reference.js, decoding the outputs the way Human 3.3.6 does:
 *   centernet: tower_0/detections rows [x1,y1,x2,y2,score,class] (input
 *              pixels, class 0-based COCO, 0 = person);
 *   blazeface: score logits [1,512,1] + [1,384,1], sigmoid per anchor.
 *
 *   node summary.js DIR [--min 0.3]
 */
const fs = require('fs');
const path = require('path');

function readF32(file) {
    const b = fs.readFileSync(file);
    return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
}

const dir = process.argv[2];
const mi = process.argv.indexOf('--min');
const min = mi > 0 ? parseFloat(process.argv[mi + 1]) : 0.3;
if (!dir) {
    console.error('usage: node summary.js DIR [--min 0.3]');
    process.exit(2);
}
const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json')));
const byName = new Map(index.outputs.map((o) => [o.name, o]));
let line;
if (byName.has('tower_0/detections')) {
    const d = readF32(path.join(dir, byName.get('tower_0/detections').file));
    let all = 0, persons = 0, best = 0;
    const boxes = [];
    for (let i = 0; i + 6 <= d.length; i += 6) {
        if (d[i + 4] < min)
            continue;
        all++;
        if (d[i + 5] === 0) {
            persons++;
            best = Math.max(best, d[i + 4]);
            if (boxes.length < 3)
                boxes.push(`[${Array.from(d.slice(i, i + 5))
                    .map((v) => v.toFixed(1)).join(',')}]`);
        }
    }
    line = `detections>=${min}: ${all}, persons: ${persons}, ` +
           `best person ${best.toFixed(3)} ${boxes.join(' ')}`;
} else {
    const logits = index.outputs.filter((o) => o.shape[o.shape.length - 1] === 1);
    let n = 0, best = 0;
    for (const o of logits) {
        for (const x of readF32(path.join(dir, o.file))) {
            const s = 1 / (1 + Math.exp(-x));
            if (s >= min)
                n++;
            best = Math.max(best, s);
        }
    }
    line = `anchors with sigmoid(score)>=${min}: ${n}, best ${best.toFixed(3)}`;
}
console.log(line);
