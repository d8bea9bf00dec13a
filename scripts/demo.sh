#!/usr/bin/env bash
# demo.sh - the main job on the embedded default: the spatialanalysis
# operation on PETS09-S2L1 (vtest.avi) with configs/pets09-demo.json (one
# line across the walkway, one zone). Events go to stdout (and
# out/demo-events.jsonl), the annotated video (boxes, track ids, zone, line,
# counts) to out/demo-annotated.mp4; the table of counts per line and zone
# ends the run on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/spatia
VIDEO=.cache/vtest.avi
GT=../shared/datasets/mot15/PETS09-S2L1/gt/gt.txt
mkdir -p out
args=(run --input "$VIDEO" --config configs/pets09-demo.json
      --operation cognitiveservices.vision.spatialanalysis
      --source-id pets09 --tracks-out out/demo-tracks.txt
      --video-out out/demo-annotated.mp4)
if [ -f "$GT" ]; then
    echo "demo: detections = PETS09-S2L1 ground-truth boxes ($GT)" >&2
    args+=(--detections "$GT")
else
    echo "demo: $GT not found; using the neural detector" >&2
fi
"$BIN" "${args[@]}" | tee out/demo-events.jsonl
echo "demo: events in out/demo-events.jsonl, tracks in out/demo-tracks.txt," \
     "annotated video in out/demo-annotated.mp4" >&2
