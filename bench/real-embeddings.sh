#!/usr/bin/env bash
# bench_ann on real CNN embeddings from Debian's image packages (issue 2: "also runs on real
# embeddings"): MobileNetV2 (1,280-d, the reference's feature) of
#   - every PNG of openclipart-png (about 8,100 clip-art images), and
#   - the 10,000 test images of dataset-fashion-mnist (written as 28×28 BMP files first).
# Each set's last 500 rows are the queries. Results: $OUT/ann-*.md.
#   bash bench/real-embeddings.sh [BUILD_DIR] [OUT]      (about 5 minutes on 2 cores)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
OUT=${2:-$ROOT/bench/out/real}
LIBS=${BENCH_LIBS:-lookalike:16,hnswlib:16,faiss:16,faiss:48,faiss-hnswlib-graph:48}
mkdir -p "$OUT/fashion-bmp"

find /usr/share/openclipart/png -name '*.png' | sort > "$OUT/clipart.txt"
# A few clip-art files are over the 50-megapixel limit: embed reports and skips them and exits 1,
# which xargs passes on as 123.
xargs -a "$OUT/clipart.txt" "$BUILD/lookalike" embed --model mobilenet_v2 --format raw \
  > "$OUT/clipart-1280.raw" 2> "$OUT/clipart-embed.log" || [ $? -eq 123 ]

/usr/bin/python3 - "$OUT/fashion-bmp" <<'PY'
import gzip, struct, sys
import numpy as np
src = "/usr/share/datasets/fashion-mnist/"
with gzip.open(src + "t10k-images-idx3-ubyte.gz") as f:
    _, n, rows, cols = struct.unpack(">IIII", f.read(16))
    images = np.frombuffer(f.read(), np.uint8).reshape(n, rows, cols)
with gzip.open(src + "t10k-labels-idx1-ubyte.gz") as f:
    f.read(8)
    labels = np.frombuffer(f.read(), np.uint8)
palette = b"".join(bytes([i, i, i, 0]) for i in range(256))
offset = 14 + 40 + len(palette)
for i in range(n):
    pixels = images[i][::-1].tobytes()  # BMP rows go bottom-up; 28 bytes need no padding
    header = b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset)
    info = struct.pack("<IiiHHIIiiII", 40, cols, rows, 1, 8, 0, len(pixels), 2835, 2835, 256, 0)
    with open("%s/%05d_c%d.bmp" % (sys.argv[1], i, labels[i]), "wb") as f:
        f.write(header + info + palette + pixels)
PY
find "$OUT/fashion-bmp" -name '*.bmp' | sort > "$OUT/fashion.txt"
xargs -a "$OUT/fashion.txt" "$BUILD/lookalike" embed --model mobilenet_v2 --format raw \
  > "$OUT/fashion-1280.raw" 2> "$OUT/fashion-embed.log" || [ $? -eq 123 ]

for set in clipart fashion; do
  "$BUILD/bench_ann" --dataset "$OUT/$set-1280.raw" --dim 1280 --nq 500 --libs "$LIBS" \
    --ef 10,16,32,64,128,256 --out "$OUT" --cache "$OUT/cache" --quiet
done
ls "$OUT"/ann-*.md
