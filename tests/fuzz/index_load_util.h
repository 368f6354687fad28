// The body of the on-disk index targets: write the input as a snapshot file, load it with the
// given loader, and when the loader accepts it, use the index (stats, searches, an insert and a
// removal) so that a loader which lets an inconsistent file through is caught where the damage
// shows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "lookalike/vector_index.h"

namespace lookalike::fuzz {

using IndexLoader = std::function<Result<std::unique_ptr<VectorIndex>>(
    const std::string& path, const LoadOptions& options)>;

/// Runs one input through `load`. The first byte is a mode: bit 0 = mmap the vectors, bit 1 =
/// keep the checksums as they are; when clear, the CRCs of a file with a HNSW or flat magic are
/// recomputed first (docs/formats/), so that mutations reach the validation behind them instead
/// of all stopping at "checksum mismatch". The rest is the file.
void FuzzIndexFile(const uint8_t* data, size_t size, const IndexLoader& load);

}  // namespace lookalike::fuzz
