// ingest-images: folder → decoded images → embeddings → documents, as a three-stage pipeline
//   decode workers (read, hash, decode; in parallel)  →  embed (batches, the model's threads)
//   →  bulk writer (one _bulk per batch, on its own thread)
// with bounded queues between the stages so memory stays flat on large folders.
//
// Each image becomes one document with _id = hash of its path relative to the folder:
//   {"path": ABSOLUTE PATH, "rel_path", "category": parent folder name, "width", "height",
//    "format", "file_size", "mtime_ms", "content_hash": 16 hex digits, "model", FIELD: [...]}
// and, with `crops` = N, also a nested field holding the whole image and an N × N grid of
// overlapping crops (embed/crop_grid.h), each with its box in pixels:
//    "crops": [{"emb": [...], "box": [0, 0, W, H]}, {"emb": [...], "box": [X, Y, CW, CH]}, ...]
// so that a knn search on "crops.emb" (k counts documents, each scored by its best vector)
// finds the photograph a close-up was cut from.
// Re-running skips files whose stored size and mtime match without reading them, and files
// whose content hash matches after reading them (then only mtime_ms is updated).
//
// Thread safety: IngestImages runs its own threads; it uses `embedder` from several threads
// (Embedder is thread-safe) and `target` from one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/index_target.h"
#include "lookalike/embedder.h"
#include "lookalike/status.h"

namespace lookalike::cli {

struct IngestOptions {
  std::string dir;
  std::string index;
  std::string field = "embedding";  // the knn_vector field
  int batch = 16;                   // images per embedding batch and per _bulk request
  /// N × N crops per image in the nested field `crops_field` (0 = none; else
  /// embed::kMinCropGrid..kMaxCropGrid). An existing index must have the nested field exactly
  /// when crops are asked for (documents without crops would be invisible to a crop search).
  int crops = 0;
  std::string crops_field = "crops";  // nested object; the vector is "<crops_field>.emb"
  int decode_threads = 0;           // 0 = hardware threads
  DecodeLimits limits;
  /// Decoded images waiting for the embedder may hold at most this many pixel bytes (at least
  /// one image is always admitted).
  size_t max_queued_bytes = size_t{512} << 20;
};

struct IngestProgress {
  size_t total = 0;      // files to look at
  size_t done = 0;       // indexed + unchanged + failed
  size_t indexed = 0;    // new or changed, written
  size_t unchanged = 0;  // already indexed and identical
  size_t failed = 0;
  double seconds = 0;    // since the pipeline started
};

struct IngestFailure {
  std::string path;
  std::string reason;
};

struct IngestReport {
  IngestProgress progress;
  size_t ignored = 0;  // files whose names are not image names (*.jpg, *.png, ...)
  std::vector<IngestFailure> failures;
  bool created_index = false;
};

using ProgressCallback = std::function<void(const IngestProgress&)>;

/// Runs the pipeline. Per-file problems (unreadable, not an image, too large, rejected by the
/// index) are collected in the report; the Status is an error only when nothing can go on
/// (folder missing, index mapping incompatible with the model, server unreachable).
/// `on_progress` is called from the calling thread, at most every ~100 ms and once at the end.
Result<IngestReport> IngestImages(const IngestOptions& options, Embedder& embedder,
                                  IndexTarget& target, const ProgressCallback& on_progress);

/// The mapping ingest-images creates: settings + keyword/numeric metadata + a knn_vector field
/// of `dims` (HNSW, cosine) that records the model name; with `crops_field` non-empty also that
/// nested object holding "emb" (the same vector mapping) and "box" (integers).
std::string ImageIndexBody(std::string_view field, int dims, std::string_view model,
                           std::string_view crops_field = "");

/// 64-bit non-cryptographic hash used for document ids and change detection (stable across
/// runs and machines; not a security boundary).
uint64_t Hash64(std::string_view data);
/// 16 lower-case hex digits.
std::string Hex64(uint64_t v);

}  // namespace lookalike::cli
