#!/usr/bin/env bash
# Converts the packaged CNN weights (npm nsfwjs, TF.js format) to ONNX files + model manifests
# that `lookalike` runs through OpenCV DNN. Build product, not committed.
#   scripts/convert-model.sh [OUT_DIR]     (default: build/models)
# Needs node (tools/node/node_modules/nsfwjs, installed by scripts/install-deps.sh) and
# /usr/bin/python3 with Debian's python3-onnx and python3-numpy. Takes about a second.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/build/models}
NSFWJS=${NSFWJS_DIR:-$ROOT/tools/node/node_modules/nsfwjs/dist/models}
if [ ! -f "$NSFWJS/mobilenet_v2/model.min.js" ]; then
  echo "convert-model: $NSFWJS/mobilenet_v2 not found; run scripts/install-deps.sh" >&2
  exit 1
fi
mkdir -p "$OUT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Keras MobileNetV2 1.0 (224): ImageNet weights up to block_10, NSFW-tuned from block_11 on.
node "$ROOT/scripts/convert-model-dump.cjs" "$NSFWJS/mobilenet_v2" "$tmp/mobilenet_v2"
/usr/bin/python3 "$ROOT/scripts/convert-model.py" "$tmp/mobilenet_v2" "$tmp/mobilenet_v2.onnx" \
  --name mobilenet_v2 --pool out_relu --pool block_10_depthwise_relu \
  --pool block_10_expand_relu --pool block_13_expand_relu
mv "$tmp/mobilenet_v2.onnx" "$OUT/mobilenet_v2.onnx"

# One manifest per embedding output; all share the ONNX file. Inputs as nsfwjs feeds them:
# RGB scaled to [0, 1], whole image resized to 224×224.
write_manifest() {  # NAME OUTPUT DIMS DESCRIPTION
  cat > "$tmp/$1.json" <<JSON
{
  "name": "$1",
  "description": "$4",
  "file": "mobilenet_v2.onnx",
  "input": {"name": "input", "width": 224, "height": 224, "color": "rgb",
            "scale": 0.00392156862745098, "mean": [0, 0, 0], "std": [1, 1, 1],
            "resize": "area", "crop": "none"},
  "output": {"name": "$2", "dims": $3, "pooling": "none", "normalize": "l2"},
  "batch_size": 8
}
JSON
  mv "$tmp/$1.json" "$OUT/$1.json"
}
write_manifest mobilenet_v2 pool/out_relu 1280 \
  "MobileNetV2 1.0 (nsfwjs), final features, global average pool, 1280-d"
write_manifest mobilenet_v2_b10 pool/block_10_depthwise_relu 384 \
  "MobileNetV2 1.0 (nsfwjs), block_10 depthwise features (ImageNet-only layers), 384-d"
echo "convert-model: wrote $OUT/mobilenet_v2.onnx and manifests"
