#!/usr/bin/env bash
# `make demo`: a few hundred clip-art images (Debian openclipart-png) indexed and served with the
# search page. Called by the Makefile after `make build` with the build directory:
#   scripts/demo.sh [BUILD_DIR]        (default: build)
# Environment: PORT (default 9200), HOST (default 127.0.0.1), DEMO_DIR (default data/),
# DEMO_PER_CATEGORY (images per category, default 24).
# Re-running is cheap: the image set and the converted model are reused and ingest-images only
# adds new or changed files.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
BIN=$BUILD/lookalike
MODELS=$BUILD/models
DEMO_DIR=${DEMO_DIR:-$ROOT/data}
IMAGES=$DEMO_DIR/demo-images
INDEX_DATA=$DEMO_DIR/demo-index
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-9200}
INDEX=clipart

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

if [ ! -x "$BIN" ]; then
  echo "demo: $BIN not found; run 'make build' first" >&2
  exit 1
fi

say "Demo images (Debian package openclipart-png)"
bash "$ROOT/scripts/prepare-demo-data.sh" "$IMAGES"

say "Model (MobileNetV2 weights from npm nsfwjs, converted to ONNX)"
if ls "$MODELS"/*.json >/dev/null 2>&1 && ls "$MODELS"/*.onnx >/dev/null 2>&1; then
  echo "demo: using the converted model in $MODELS"
else
  "$BIN" convert-model --out "$MODELS"
fi
"$BIN" models --models-dir "$MODELS" 2>/dev/null || true

# The server must not be running on the data directory while ingest-images opens it in-process.
if curl -s -o /dev/null --max-time 2 "http://$HOST:$PORT/"; then
  echo "demo: something already answers on http://$HOST:$PORT/ — stop it or set PORT=..." >&2
  exit 1
fi

say "Indexing $IMAGES into index '$INDEX'"
"$BIN" ingest-images "$IMAGES" --index "$INDEX" --data "$INDEX_DATA" --models "$MODELS"

say "Starting the server"
"$BIN" serve --data "$INDEX_DATA" --host "$HOST" --port "$PORT" --models "$MODELS" \
  --image-root "$IMAGES" &
server=$!
trap 'kill -TERM "$server" 2>/dev/null; wait "$server" 2>/dev/null' INT TERM
for _ in $(seq 1 100); do
  if curl -s -o /dev/null --max-time 1 "http://$HOST:$PORT/"; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then
    echo "demo: the server did not start (see the messages above)" >&2
    exit 1
  fi
  sleep 0.1
done
cat <<MSG

  Lookalike is running. Open the search page:

      http://$HOST:$PORT/_ui/

  Or query it like Elasticsearch:
      curl -s 'http://$HOST:$PORT/_cat/indices?v'
      curl -s -F file=@$IMAGES/fruit/$(ls "$IMAGES/fruit" | head -1) 'http://$HOST:$PORT/$INDEX/_search/image?k=5'
      $BIN search-image $IMAGES/birds/$(ls "$IMAGES/birds" | head -1) --index $INDEX --server http://$HOST:$PORT

  Press Ctrl-C to stop the server.
MSG
wait "$server"
