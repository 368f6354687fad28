#!/usr/bin/env bash
# Prepares the demo image set: a few hundred clip-art PNGs from the Debian package
# openclipart-png, copied into one folder per category (ingest-images takes the parent folder
# name as the category).
#   scripts/prepare-demo-data.sh [OUT_DIR]          (default: data/demo-images)
#   DEMO_PER_CATEGORY=24 (images per category), DEMO_MAX_PIXELS=4000000 (larger ones skipped)
# The selection is deterministic (evenly spaced through each category's sorted file list, so
# one artist's series does not fill a category). Idempotent: re-running with the same settings
# does nothing.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/data/demo-images}
PER=${DEMO_PER_CATEGORY:-24}
MAX_PIXELS=${DEMO_MAX_PIXELS:-4000000}
PKG=openclipart-png

# Source folder (relative to the package's png root) → category name.
CATEGORIES=(
  animals/birds:birds animals/mammals:mammals animals/bugs:bugs
  food/fruit:fruit food/desserts:desserts food/beverages:beverages
  transportation/vehicles:vehicles transportation/roadsigns:roadsigns
  transportation/boating:boats recreation/music:music recreation/sports:sports
  signs_and_symbols/flags:flags computer/hardware:hardware tools:tools
  plants/flowers:flowers buildings/homes:houses people/smilies:smilies shapes/stars:stars
)

if ! dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q "install ok installed"; then
  echo "prepare-demo-data: the Debian package $PKG is not installed (run scripts/install-deps.sh)" >&2
  exit 1
fi

stamp="$OUT/.demo-set"
want="$PKG $(dpkg-query -W -f='${Version}' "$PKG") per=$PER max=$MAX_PIXELS ${CATEGORIES[*]}"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "prepare-demo-data: $OUT is ready ($(find "$OUT" -name '*.png' | wc -l) images)"
  exit 0
fi

# Every PNG the package installed, found through dpkg rather than a hard-coded path.
all=$(mktemp)
trap 'rm -f "$all"' EXIT
dpkg -L "$PKG" | grep '\.png$' | sort > "$all"
base=$(grep -m1 -o '^.*/png/' "$all" || true)
if [ -z "$base" ]; then
  echo "prepare-demo-data: no PNG files listed by dpkg -L $PKG" >&2
  exit 1
fi

rm -rf "$OUT"
mkdir -p "$OUT"
total=0
for entry in "${CATEGORIES[@]}"; do
  src=${entry%%:*}
  name=${entry##*:}
  # Files directly in the source folder (not in its sub-folders).
  mapfile -t files < <(grep -E "^${base}${src}/[^/]+\.png$" "$all")
  n=${#files[@]}
  if [ "$n" -eq 0 ]; then
    echo "prepare-demo-data: warning: no images in $src" >&2
    continue
  fi
  # Posters of 10k × 16k pixels exist in the package; the demo keeps images up to MAX_PIXELS
  # (PNG width and height are big-endian at bytes 16..23).
  small=()
  for f in "${files[@]}"; do
    read -r w h < <(od -An -tu4 --endian=big -j16 -N8 "$f")
    if [ "$(( w * h ))" -le "$MAX_PIXELS" ]; then small+=("$f"); fi
  done
  n=${#small[@]}
  take=$(( n < PER ? n : PER ))
  mkdir -p "$OUT/$name"
  for ((i = 0; i < take; i++)); do
    cp "${small[$(( i * n / take ))]}" "$OUT/$name/"
  done
  total=$(( total + take ))
done
echo "$want" > "$stamp"
echo "prepare-demo-data: $total images in ${#CATEGORIES[@]} categories in $OUT"
