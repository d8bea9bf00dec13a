#!/usr/bin/env bash
# fetch-models.sh - put the TF.js graph models spatia runs into models/.
#
# The models come from the npm package @vladmandic/human, pinned to one
# version. `npm pack` fetches its tarball into .cache/ (once); only the files
# listed under models/ in scripts/models.sha256 are extracted (model.json +
# every .bin weight shard it names), and each one is checked against that
# manifest. models/ and .cache/ are git-ignored.
#
# Idempotent: when every listed file is present with the right hash it does
# nothing and prints nothing. Any missing or mismatching file is an error that
# names the file; exit status is then non-zero. A local models/ file that is
# missing or damaged is extracted again; a tarball or packaged file that does
# not match the manifest is an error.
#
# Usage: scripts/fetch-models.sh [--check]
#   --check  only verify models/ against the manifest (no npm, no extraction);
#            prints each bad file and exits 1 if any.
set -euo pipefail
CHECK=0
case ${1:-} in
--check) CHECK=1 ;;
"") ;;
*) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
PKG=@vladmandic/human
VER=3.3.6
TGZ=.cache/vladmandic-human-$VER.tgz
MANIFEST=scripts/models.sha256

die() { echo "fetch-models: error: $*" >&2; exit 1; }

[ -r "$MANIFEST" ] || die "manifest $MANIFEST not found"
mapfile -t LINES < <(grep -Ev '^[[:space:]]*(#|$)' "$MANIFEST")
[ ${#LINES[@]} -gt 0 ] || die "manifest $MANIFEST lists no file"

# models/ files named by the manifest, as "hash path" pairs.
MODEL_FILES=()
TGZ_HASH=
for l in "${LINES[@]}"; do
    read -r h f <<<"$l"
    [[ $h =~ ^[0-9a-f]{64}$ ]] || die "$MANIFEST: bad hash for $f"
    case $f in
    models/*) MODEL_FILES+=("$f") ;;
    "$TGZ") TGZ_HASH=$h ;;
    *) die "$MANIFEST: unexpected entry $f" ;;
    esac
done

hash_of() { sha256sum "$1" | cut -d' ' -f1; }
want_hash() { grep -E "[[:space:]]$1\$" "$MANIFEST" | cut -d' ' -f1; }

models_ok() {
    local f
    for f in "${MODEL_FILES[@]}"; do
        [ -s "$f" ] || return 1
        [ "$(hash_of "$f")" = "$(want_hash "$f")" ] || return 1
    done
}

if [ $CHECK = 1 ]; then
    bad=0
    for f in "${MODEL_FILES[@]}"; do
        if [ ! -s "$f" ]; then
            echo "fetch-models: error: $f is missing" >&2; bad=1
        elif [ "$(hash_of "$f")" != "$(want_hash "$f")" ]; then
            echo "fetch-models: error: $f: SHA-256 mismatch (got $(hash_of "$f"), want $(want_hash "$f"))" >&2
            bad=1
        fi
    done
    exit $bad
fi
if models_ok; then exit 0; fi

mkdir -p .cache models
if [ ! -s "$TGZ" ]; then
    echo "fetch-models: npm pack $PKG@$VER"
    command -v npm >/dev/null || die "npm not found (needs Node.js + npm)"
    tmp=$(mktemp -d .cache/npm-pack.XXXXXX)
    (cd "$tmp" && npm pack --silent "$PKG@$VER" >/dev/null) ||
        { rm -rf "$tmp"; die "npm pack $PKG@$VER failed"; }
    mv "$tmp/vladmandic-human-$VER.tgz" "$TGZ"
    rm -rf "$tmp"
fi
if [ -n "$TGZ_HASH" ] && [ "$(hash_of "$TGZ")" != "$TGZ_HASH" ]; then
    die "$TGZ: SHA-256 mismatch (got $(hash_of "$TGZ"), want $TGZ_HASH); delete it to fetch again"
fi

echo "fetch-models: extracting ${MODEL_FILES[*]}"
tmp=$(mktemp -d .cache/human-x.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
members=()
for f in "${MODEL_FILES[@]}"; do members+=("package/$f"); done
tar -xzf "$TGZ" -C "$tmp" "${members[@]}" 2>"$tmp/tar.err" || {
    cat "$tmp/tar.err" >&2
    die "$TGZ lacks some of: ${MODEL_FILES[*]}"
}
for f in "${MODEL_FILES[@]}"; do
    src=$tmp/package/$f
    [ -s "$src" ] || die "$f missing from $TGZ"
    got=$(hash_of "$src")
    want=$(want_hash "$f")
    [ "$got" = "$want" ] || die "$f: SHA-256 mismatch (got $got, want $want)"
    mv -f "$src" "$f"
done

# Every weight shard a model.json names must be in the manifest too.
for f in "${MODEL_FILES[@]}"; do
    case $f in *.json) ;; *) continue ;; esac
    shards=$(node -e '
        const m = JSON.parse(require("fs").readFileSync(process.argv[1]));
        for (const g of m.weightsManifest || [])
            for (const p of g.paths) console.log(p);' "$f") ||
        die "$f: not a readable model.json"
    for s in $shards; do
        printf '%s\n' "${MODEL_FILES[@]}" | grep -qx "models/$s" ||
            die "$f names weight shard models/$s, absent from $MANIFEST"
    done
done
models_ok || die "models/ does not match $MANIFEST after extraction"
echo "fetch-models: ok (${#MODEL_FILES[@]} files in models/)"
