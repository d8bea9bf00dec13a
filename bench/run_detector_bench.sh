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

# The engine runs in ROUNDS processes; before each, build/bench_c2c says
# whether the two CPUs share an L3 right now (a VM's vCPUs move between
# AMD CCDs, and two-thread latency moves with them: see BENCHMARKS.md).
ROUNDS=${ROUNDS:-5}
: > /tmp/spatia-bench-nn.txt
for r in $(seq 1 "$ROUNDS"); do
    c2c=$(build/bench_c2c | sed -n 's/c2c round trip \([0-9na\/]*\).*/\1/p')
    echo "== spatia engine, round $r of $ROUNDS: c2c round trip $c2c ns" \
         "(build/bench_nn --runs $RUNS --threads 1,2)"
    build/bench_nn --model models/centernet.json --input "$INPUT" --runs "$RUNS" \
        --threads 1,2 | sed "s/\$/  [c2c $c2c ns]/" | tee -a /tmp/spatia-bench-nn.txt
done
med() { sort -g | awk '{a[NR]=$1} END {if (NR) printf "%.2f", (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
col2() { sed -n "s/.*threads=$1: median \([0-9.]*\) ms.*c2c \([0-9]*\) ns.*/\1 \2/p" /tmp/spatia-bench-nn.txt; }
ours1=$(col2 1 | awk '{print $1}' | med)
ours=$(col2 2 | awk '{print $1}' | med)
near=$(col2 2 | awk '$2 < 150 {print $1}' | med)
far=$(col2 2 | awk '$2 >= 150 {print $1}' | med)
echo "== spatia engine over $ROUNDS rounds (median of the round medians):" \
     "1 thread ${ours1:-?} ms, 2 threads ${ours:-?} ms;" \
     "2 threads in rounds where the CPUs shared an L3: ${near:-none} ms," \
     "across L3s: ${far:-none} ms"

echo "== TF.js wasm (node tools/tfjs-ref/reference.js --backend wasm --bench $RUNS)"
node tools/tfjs-ref/reference.js --model models/centernet.json \
    --input "$INPUT" --shape 1,512,512,3 --backend wasm --bench "$RUNS" \
    | tee /tmp/spatia-bench-wasm.txt
wasm=$(grep -o 'median[^0-9]*[0-9.]*' /tmp/spatia-bench-wasm.txt | grep -o '[0-9.]*$' | head -1)
if [ -n "$ours" ] && [ -n "$wasm" ]; then
    echo "== speed-up over TF.js wasm: $(awk -v a="$wasm" -v b="$ours" 'BEGIN{printf "%.1f", a/b}')x at 2 threads," \
         "$(awk -v a="$wasm" -v b="$ours1" 'BEGIN{printf "%.1f", a/b}')x at 1 thread"
fi

echo "== peak RSS of spatia detect (200 frames of vtest.avi)"
/usr/bin/time -f "max RSS %M KB, wall %e s" build/spatia detect .cache/vtest.avi \
    --max-frames 200 >/dev/null
