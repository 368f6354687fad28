#!/usr/bin/env bash
# Converts the packaged CNN weights (npm nsfwjs, TF.js format) to ONNX files + model manifests
# that `lookalike` runs through OpenCV DNN. Build product, not committed.
#   scripts/convert-model.sh [OUT_DIR] [--probe]    (default OUT_DIR: build/models)
# --probe also writes manifests "probe_*" for other layers and poolings, the candidates that
# build/embed_eval compares (docs/models.md); they are not needed to run Lookalike.
# Needs node (tools/node/node_modules/nsfwjs, installed by scripts/install-deps.sh) and
# /usr/bin/python3 with Debian's python3-onnx and python3-numpy. Takes about a second.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/build/models}
PROBE=0
if [ "${2:-}" = --probe ]; then PROBE=1; fi
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
  --pool block_10_expand_relu --pool block_8_depthwise_relu --pool block_12_depthwise_relu \
  --pool block_13_expand_relu --pool block_16_project_BN \
  --map block_10_depthwise_relu --map out_relu \
  --extract "$tmp/mobilenet_v2_b10.onnx=pool/block_10_depthwise_relu,map/block_10_depthwise_relu"
mv "$tmp/mobilenet_v2.onnx" "$OUT/mobilenet_v2.onnx"
mv "$tmp/mobilenet_v2_b10.onnx" "$OUT/mobilenet_v2_b10.onnx"

# TF-Hub MobileNetV2 1.4 (224), a TF graph model, whole backbone NSFW-tuned. It maps [0, 1]
# inputs to [-1, 1] itself.
node "$ROOT/scripts/convert-model-dump.cjs" "$NSFWJS/mobilenet_v2_mid" "$tmp/mobilenet_v2_mid"
/usr/bin/python3 "$ROOT/scripts/convert-model.py" "$tmp/mobilenet_v2_mid" \
  "$tmp/mobilenet_v2_mid.onnx" --name mobilenet_v2_mid --pool MobilenetV2/Conv_1/Relu6 \
  --pool expanded_conv_10/depthwise/depthwise --map MobilenetV2/Conv_1/Relu6
mv "$tmp/mobilenet_v2_mid.onnx" "$OUT/mobilenet_v2_mid.onnx"

# One manifest per embedding output; all share the ONNX file. Inputs as nsfwjs feeds them:
# RGB scaled to [0, 1], whole image resized to 224×224.
write_manifest() {  # NAME OUTPUT DIMS DESCRIPTION [POOLING] [CROP] [ONNX]
  cat > "$tmp/$1.json" <<JSON
{
  "name": "$1",
  "description": "$4",
  "file": "${7:-mobilenet_v2.onnx}",
  "input": {"name": "input", "width": 224, "height": 224, "color": "rgb",
            "scale": 0.00392156862745098, "mean": [0, 0, 0], "std": [1, 1, 1],
            "resize": "area", "crop": "${6:-none}"},
  "output": {"name": "$2", "dims": $3, "pooling": "${5:-none}", "normalize": "l2"},
  "batch_size": 8
}
JSON
  mv "$tmp/$1.json" "$OUT/$1.json"
}
write_manifest mobilenet_v2 pool/out_relu 1280 \
  "MobileNetV2 1.0 (nsfwjs), final features, global average pool, 1280-d"
write_manifest mobilenet_v2_b10 map/block_10_depthwise_relu 384 \
  "MobileNetV2 1.0 (nsfwjs), block_10 depthwise features (ImageNet-only layers), global max pool, 384-d" \
  max none mobilenet_v2_b10.onnx
write_manifest mobilenet_v2_mid map/MobilenetV2/Conv_1/Relu6 1792 \
  "MobileNetV2 1.4 (nsfwjs mid, TF-Hub), final features, global max pool, 1792-d" \
  max none mobilenet_v2_mid.onnx
if [ $PROBE = 1 ]; then
  write_manifest probe_mid_b10_dw pool/expanded_conv_10/depthwise/depthwise 528 \
    "probe: mid model, expanded_conv_10 depthwise, avg" none none mobilenet_v2_mid.onnx
  write_manifest probe_mid_avg pool/MobilenetV2/Conv_1/Relu6 1792 \
    "probe: mid model, final features, avg" none none mobilenet_v2_mid.onnx
  write_manifest probe_b8_dw pool/block_8_depthwise_relu 384 "probe: block_8 depthwise, avg"
  write_manifest probe_b10_expand pool/block_10_expand_relu 384 "probe: block_10 expand, avg"
  write_manifest probe_b10_dw_avg pool/block_10_depthwise_relu 384 "probe: block_10 depthwise, avg" \
    none none mobilenet_v2_b10.onnx
  write_manifest probe_b10_dw_max_crop map/block_10_depthwise_relu 384 \
    "probe: block_10 depthwise, max, centre crop" max center mobilenet_v2_b10.onnx
  write_manifest probe_b12_dw pool/block_12_depthwise_relu 576 "probe: block_12 depthwise, avg"
  write_manifest probe_b13_expand pool/block_13_expand_relu 576 "probe: block_13 expand, avg"
  write_manifest probe_b16_project pool/block_16_project_BN 320 "probe: block_16 projection, avg"
  write_manifest probe_final_max map/out_relu 1280 "probe: final features, max" max
  # Instance-retrieval candidates (issue 11, measured by build/photo_eval; docs/models.md):
  # GeM with a few exponents, R-MAC, multi-scale input and PCA-whitening of the 1.4 model's
  # final map and of block_10 of the 1.0 model. The *_w manifests name a whitening file that
  # `build/photo_eval ... --learn-whitening` writes; until it exists they are refused.
  write_retrieval() {  # NAME ONNX OUTPUT DIMS POOLING EXTRA_OUTPUT_JSON
    cat > "$tmp/$1.json" <<JSON
{
  "name": "$1",
  "description": "probe: $1 (issue 11 candidate)",
  "file": "$2",
  "input": {"name": "input", "width": 224, "height": 224, "color": "rgb",
            "scale": 0.00392156862745098, "mean": [0, 0, 0], "std": [1, 1, 1],
            "resize": "area", "crop": "none"},
  "output": {"name": "$3", "dims": $4, "pooling": "$5", "normalize": "l2"$6},
  "batch_size": 8
}
JSON
    mv "$tmp/$1.json" "$OUT/$1.json"
  }
  for net in mid b10; do
    if [ $net = mid ]; then
      onnx=mobilenet_v2_mid.onnx map=map/MobilenetV2/Conv_1/Relu6 dims=1792
    else
      onnx=mobilenet_v2_b10.onnx map=map/block_10_depthwise_relu dims=384
    fi
    write_retrieval probe_${net}_gem2 $onnx $map $dims gem ', "gem_p": 2'
    write_retrieval probe_${net}_gem3 $onnx $map $dims gem ', "gem_p": 3'
    write_retrieval probe_${net}_gem5 $onnx $map $dims gem ', "gem_p": 5'
    write_retrieval probe_${net}_rmac $onnx $map $dims rmac ''
    write_retrieval probe_${net}_gem3_ms $onnx $map $dims gem \
      ', "gem_p": 3, "scales": [1, 0.7071, 1.4142]'
    write_retrieval probe_${net}_gem3_w $onnx $map $dims gem \
      ", \"gem_p\": 3, \"whiten\": \"probe_${net}_gem3.whiten\""
    write_retrieval probe_${net}_rmac_w $onnx $map $dims rmac \
      ", \"whiten\": \"probe_${net}_rmac.whiten\""
  done
fi
echo "convert-model: wrote $OUT/mobilenet_v2{,_b10,_mid}.onnx and manifests"
