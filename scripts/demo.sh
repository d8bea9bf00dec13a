#!/usr/bin/env bash
# demo.sh - the main job on the embedded default: the spatialanalysis
# operation on PETS09-S2L1 (vtest.avi) with configs/pets09-demo.json (one
# line across the walkway, one zone), people found by the bundled CenterNet
# detector. Events go to stdout (and out/demo-events.jsonl), the annotated
# video to out/demo-annotated.mp4; the table of counts per line and zone
# ends the run on stderr.
#
#   scripts/demo.sh        neural detector (what `make demo` runs)
#   scripts/demo.sh gt     ground-truth boxes as detections (`make demo-gt`)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/spatia
VIDEO=.cache/vtest.avi
GT=../shared/datasets/mot15/PETS09-S2L1/gt/gt.txt
mode=${1:-detector}
mkdir -p out
args=(run --input "$VIDEO" --config configs/pets09-demo.json
      --operation cognitiveservices.vision.spatialanalysis
      --source-id pets09 --tracks-out "out/demo-$mode-tracks.txt"
      --video-out "out/demo-$mode-annotated.mp4")
if [ "$mode" = gt ]; then
    if [ ! -f "$GT" ]; then
        echo "demo: $GT not found (the reference datasets live in ../shared)" >&2
        exit 1
    fi
    echo "demo: detections = PETS09-S2L1 ground-truth boxes ($GT)" >&2
    args+=(--detections "$GT")
else
    echo "demo: detections = bundled CenterNet people detector" >&2
fi
"$BIN" "${args[@]}" | tee "out/demo-$mode-events.jsonl"
echo "demo: events in out/demo-$mode-events.jsonl, tracks in" \
     "out/demo-$mode-tracks.txt, annotated video in" \
     "out/demo-$mode-annotated.mp4" >&2
