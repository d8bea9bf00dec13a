#!/usr/bin/env bash
# make-reference.sh - TF.js reference outputs for spatia's C inference engine.
#
# For each model (centernet, blazeface) and each real test image it writes
#   .cache/tfjs-ref/<model>/<image>/input.rgb    resized rgb24 bytes
#   .cache/tfjs-ref/<model>/<image>/input.f32    model input, float32 NHWC
#   .cache/tfjs-ref/<model>/<image>/prep.json    how the input was made
#   .cache/tfjs-ref/<model>/<image>/<output>.f32 every model output (CPU)
#   .cache/tfjs-ref/<model>/<image>/index.json   names, shapes, files, prep
# A C test loads input.f32, runs the engine and compares with the outputs.
#
# Idempotent: a directory is redone only when its key (hashes of the model,
# the source image, the tools and the lock file) changed. Needs models/ and
# tools/tfjs-ref/node_modules (scripts/setup.sh provides both).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/.cache/tfjs-ref
TOOLS=$ROOT/tools/tfjs-ref

die() { echo "make-reference: error: $*" >&2; exit 1; }

[ -d "$TOOLS/node_modules/@tensorflow/tfjs-core" ] ||
    die "tools/tfjs-ref/node_modules missing: run scripts/setup.sh"
scripts/fetch-models.sh --check ||
    die "models/ incomplete: run scripts/fetch-models.sh"
command -v ffmpeg >/dev/null || die "ffmpeg not found: run scripts/setup.sh"

# Datasets live beside the repo in ../shared (or where SPATIA_DATASETS says).
DATASETS=${SPATIA_DATASETS:-$ROOT/../shared/datasets}

# name|source|frame
IMAGES=(
    "vtest_f000|$ROOT/.cache/vtest.avi|0"
    "vtest_f200|$ROOT/.cache/vtest.avi|200"
    "vtest_f400|$ROOT/.cache/vtest.avi|400"
    "tudcampus_f030|${DATASETS:-/nonexistent}/mot15/TUD-Campus/TUD-Campus.mp4|30"
    "messi5|$ROOT/.cache/messi5.jpg|0"
    "basketball1|$ROOT/.cache/basketball1.png|0"
)
# model|size|normalisation (as Human 3.3.6 feeds them)
MODELS=(
    "centernet|512x512|raw"
    "blazeface|256x256|pm1"
)

sha() { sha256sum "$@" | cut -d' ' -f1; }
TOOLKEY=$(cat "$TOOLS/reference.js" "$TOOLS/lib.js" "$TOOLS/prep-input.js" \
    "$TOOLS/package-lock.json" scripts/models.sha256 | sha)

made=0
skipped_src=()
for m in "${MODELS[@]}"; do
    IFS='|' read -r model size norm <<<"$m"
    for im in "${IMAGES[@]}"; do
        IFS='|' read -r name src frame <<<"$im"
        if [ ! -s "$src" ]; then
            skipped_src+=("$name")
            continue
        fi
        dir=$OUT/$model/$name
        key=$( (echo "$TOOLKEY $model $size $norm $frame"
                sha "$src") | sha)
        if [ -s "$dir/index.json" ] && [ "$(cat "$dir/.key" 2>/dev/null)" = "$key" ]; then
            continue
        fi
        rm -rf "$dir"
        tmp=$dir.tmp
        rm -rf "$tmp"
        mkdir -p "$tmp"
        node "$TOOLS/prep-input.js" --image "$src" --frame "$frame" \
            --size "$size" --norm "$norm" --out "$tmp"
        node "$TOOLS/reference.js" --model "$ROOT/models/$model.json" \
            --input "$tmp/input.f32" --meta "$tmp/prep.json" --out "$tmp"
        # index.json names the input by absolute path: point it at the
        # final directory.
        node -e '
            const fs = require("fs"), f = process.argv[1] + "/index.json";
            const j = JSON.parse(fs.readFileSync(f));
            j.input.file = "input.f32";
            fs.writeFileSync(f, JSON.stringify(j, null, 2) + "\n");' "$tmp"
        echo "$key" >"$tmp/.key"
        mv "$tmp" "$dir"
        echo "make-reference: $model/$name: $(node "$TOOLS/summary.js" "$dir")"
        made=$((made + 1))
    done
done
if [ ${#skipped_src[@]} -gt 0 ]; then
    # Each image is counted once per model: print the distinct names.
    echo "make-reference: source missing, skipped:" \
        "$(printf '%s\n' "${skipped_src[@]}" | sort -u | tr '\n' ' ')" >&2
fi
[ $made = 0 ] || echo "make-reference: ok ($made references in .cache/tfjs-ref)"
