#!/usr/bin/env bash
# setup.sh - everything spatia needs on a fresh Debian 12, idempotently:
#   1. the Debian packages it builds and tests with (apt-get, only if missing);
#   2. the PETS09-S2L1 video (vtest.avi) and a few sample images, taken out of
#      Debian's opencv-doc package into the git-ignored .cache/ folder;
#   3. the TF.js models (scripts/fetch-models.sh -> models/), the pinned TF.js
#      reference tools (npm ci in tools/tfjs-ref/) and the TF.js reference
#      outputs the C engine is checked against (scripts/make-reference.sh ->
#      .cache/tfjs-ref/).
# Re-running it does nothing when everything is in place.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=$ROOT/.cache
mkdir -p "$CACHE"

PKGS=(build-essential cmake pkg-config
      libavformat-dev libavcodec-dev libswscale-dev libavutil-dev ffmpeg
      libxnnpack-dev libpthreadpool-dev
      rtsp-server-perl python3)

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
SUDO=
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null; then SUDO=sudo; fi
fi
apt_updated=0
apt_install() {
    if [ $apt_updated = 0 ]; then
        $SUDO apt-get update -qq
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@"
}
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    if [ "$(id -u)" != 0 ] && [ -z "$SUDO" ]; then
        echo "setup: error: need root (or sudo) to apt-get install: ${missing[*]}" >&2
        exit 1
    fi
    apt_install "${missing[@]}"
fi

# The sample video and images from opencv-doc (not installed: only unpacked).
SAMPLES=(vtest.avi messi5.jpg basketball1.png)
need=0
for f in "${SAMPLES[@]}"; do [ -s "$CACHE/$f" ] || need=1; done
if [ $need = 1 ]; then
    src=/usr/share/doc/opencv-doc/examples/data
    if [ ! -s "$src/vtest.avi" ]; then
        tmp=$(mktemp -d "$CACHE/opencv-doc.XXXXXX")
        echo "setup: fetching opencv-doc for vtest.avi"
        if [ $apt_updated = 0 ]; then $SUDO apt-get update -qq; apt_updated=1; fi
        (cd "$tmp" && apt-get download -q opencv-doc >/dev/null 2>&1 ||
            (chmod 777 "$tmp" && cd "$tmp" && apt-get download -q opencv-doc))
        dpkg -x "$tmp"/opencv-doc_*.deb "$tmp/x"
        src=$tmp/x/usr/share/doc/opencv-doc/examples/data
    fi
    for f in "${SAMPLES[@]}"; do
        cp "$src/$f" "$CACHE/$f.part" && mv "$CACHE/$f.part" "$CACHE/$f"
    done
    [ -n "${tmp:-}" ] && rm -rf "$tmp"
fi
# Node.js + npm run the TF.js reference tools. The machines ship Node 20;
# Debian's own packages are the fallback.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "setup: installing Debian packages: nodejs npm"
    apt_install nodejs npm
fi

scripts/fetch-models.sh

# npm ci only when package-lock.json changed since the last install.
TFJS=tools/tfjs-ref
lock_hash=$(sha256sum "$TFJS/package-lock.json" | cut -d' ' -f1)
stamp=$TFJS/node_modules/.spatia-lock.sha256
if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_hash" ]; then
    echo "setup: npm ci in $TFJS"
    (cd "$TFJS" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$lock_hash" >"$stamp"
fi

scripts/make-reference.sh
echo "setup: ok"
