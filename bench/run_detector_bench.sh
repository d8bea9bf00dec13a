#!/usr/bin/env bash
# run_detector_bench.sh - the detector benchmark of issue 3, in one run:
#   1. spatia's engine on centernet 512x512: median latency at 1 and 2
#      threads and the achieved GFLOP/s (build/bench_nn);
#   2. TF.js 4.22 with @tensorflow/tfjs-backend-wasm in Node on the same
#      model and the same input file (tools/tfjs-ref/reference.js);
#   3. peak RSS of `spatia detect` over the first 200 frames of vtest.avi
#      (GNU time's maximum resident set size).
# Not a test: numbers depend on the machine; see BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-100}
INPUT=.cache/tfjs-ref/centernet/vtest_f200/input.f32
[ -x build/bench_nn ] || { echo "build first: make build" >&2; exit 1; }
[ -f "$INPUT" ] || { echo "$INPUT missing: run scripts/setup.sh" >&2; exit 1; }

echo "== machine"
grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'
echo "cpus usable: $(nproc)"

echo "== spatia engine (build/bench_nn --runs $RUNS --threads 1,2)"
build/bench_nn --model models/centernet.json --input "$INPUT" --runs "$RUNS" \
    --threads 1,2 | tee /tmp/spatia-bench-nn.txt

echo "== TF.js wasm (node tools/tfjs-ref/reference.js --backend wasm --bench $RUNS)"
node tools/tfjs-ref/reference.js --model models/centernet.json \
    --input "$INPUT" --shape 1,512,512,3 --backend wasm --bench "$RUNS" \
    | tee /tmp/spatia-bench-wasm.txt

ours=$(sed -n 's/.*threads=2: median \([0-9.]*\) ms.*/\1/p' /tmp/spatia-bench-nn.txt)
ours1=$(sed -n 's/.*threads=1: median \([0-9.]*\) ms.*/\1/p' /tmp/spatia-bench-nn.txt)
wasm=$(grep -o 'median[^0-9]*[0-9.]*' /tmp/spatia-bench-wasm.txt | grep -o '[0-9.]*$' | head -1)
if [ -n "$ours" ] && [ -n "$wasm" ]; then
    echo "== speed-up over TF.js wasm: $(awk -v a="$wasm" -v b="$ours" 'BEGIN{printf "%.1f", a/b}')x at 2 threads," \
         "$(awk -v a="$wasm" -v b="$ours1" 'BEGIN{printf "%.1f", a/b}')x at 1 thread"
fi

echo "== peak RSS of spatia detect (200 frames of vtest.avi)"
/usr/bin/time -f "max RSS %M KB, wall %e s" build/spatia detect .cache/vtest.avi \
    --max-frames 200 >/dev/null
