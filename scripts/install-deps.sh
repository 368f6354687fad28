#!/usr/bin/env bash
# Installs everything Lookalike needs on Debian 12: compilers, libraries, test clients,
# benchmark peers, the browser for UI tests and the packaged data sets.
# clang + libFuzzer: fuzz targets (make fuzz); libssl: TLS for HTTP; libargon2: password and
# API-key hashing (issue 7); etcd-server, nats-server, libnats-dev: the cluster layer (src/cluster,
# scripts/cluster.sh and the tests labelled "cluster"; issue 9).
# Idempotent: skips work when everything is already present. Run as root (or with sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git curl ca-certificates
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libopenblas-dev libsimdjson-dev librocksdb-dev
  libjpeg-dev libpng-dev libwebp-dev libgif-dev zlib1g-dev
  libopencv-dev
  libspdlog-dev libfmt-dev libcli11-dev
  libfaiss-dev libhnswlib-dev
  clang libfuzzer-14-dev libclang-rt-14-dev libssl-dev libargon2-dev
  etcd-server nats-server libnats-dev
  python3 python3-elasticsearch python3-numpy python3-onnx
  chromium
  openclipart-png dataset-fashion-mnist
)

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Node.js: the Debian image of this project ships node+npm; install Debian's only if absent.
if ! command -v npm >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi

# npm packages (test clients, browser driver, packaged model weights) live in tools/node.
# Re-installs whenever package-lock.json changed since the last install.
if [ -f tools/node/package.json ]; then
  stamp=tools/node/node_modules/.lookalike-stamp
  if [ ! -f "$stamp" ] || [ tools/node/package-lock.json -nt "$stamp" ] \
     || [ tools/node/package.json -nt "$stamp" ]; then
    echo "install-deps: npm install in tools/node"
    (cd tools/node && npm install --no-audit --no-fund --loglevel=error)
    touch "$stamp"
  fi
fi
echo "install-deps: ok"
