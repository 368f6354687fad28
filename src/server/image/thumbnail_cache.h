// JPEG thumbnails of stored images for GET /{index}/_image/{id}?size=N, made once and cached.
//
// A thumbnail is identified by the image's stored path, its file size and modification time
// (nanoseconds) and the requested longest side, so a file that is replaced or rewritten gets a
// fresh thumbnail on the next request without any invalidation step. Two levels:
//   - memory: an LRU of encoded JPEGs bounded by `memory_bytes` (0 disables it);
//   - disk: `dir`/<16 hex digits of the key's FNV-1a hash>-<N>.jpg, written to a temporary
//     name and renamed, so readers never see half a file and concurrent makers of the same
//     thumbnail are harmless. "" disables the disk level. The folder is bounded by
//     `disk_bytes`: past it, the least recently used files (by mtime, which a disk hit
//     refreshes) are deleted until it is under 3/4 of the bound, which also reclaims entries
//     of replaced files (never served again).
// A thumbnail is only cached when the file's size and mtime were the same before and after it
// was read, so a file being rewritten during the request is never cached under either key.
//
// Thread safety: all methods may be called concurrently; mu_ guards the LRU and the counters.
// Decoding and encoding run outside the lock.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>

#include "lookalike/embedder.h"
#include "lookalike/status.h"
#include "embed/image_file.h"

namespace lookalike::server {

struct ThumbnailCacheOptions {
  std::string dir;                 // disk cache folder, created on first write; "" = none
  size_t memory_bytes = 32 << 20;  // bound of the in-memory LRU; 0 = none
  uint64_t disk_bytes = 1ull << 30; // bound of the disk folder; 0 = unbounded
  int quality = 82;                // JPEG quality
  DecodeLimits limits;             // applied when reading and decoding the original
};

class ThumbnailCache {
 public:
  explicit ThumbnailCache(ThumbnailCacheOptions options);

  enum class Source : uint8_t { kMemory, kDisk, kMade };
  struct Thumbnail {
    std::shared_ptr<const std::string> jpeg;  // never null on success
    std::string etag;                         // quoted, changes with the file and the size
    Source source = Source::kMade;
  };

  /// The thumbnail (longest side `max_side`, never enlarged) of `file`, opened below the image
  /// roots by the caller (keyed by its stored path, size and mtime). Errors: ResourceExhausted
  /// over the limits, InvalidArgument when it is not a decodable image, IOError when reading
  /// or encoding fails. A failing disk cache is not an error (the thumbnail is made and served
  /// anyway).
  Result<Thumbnail> Get(const embed::ImageFile& file, int max_side);
  /// The same for an image held in memory (a document's {"base64": …}), keyed by its content;
  /// cached in memory only, since the bytes already live in the document store.
  Result<Thumbnail> GetFromBytes(std::span<const uint8_t> original, int max_side);

  struct Counters {
    uint64_t memory_hits = 0;
    uint64_t disk_hits = 0;
    uint64_t made = 0;
    size_t memory_bytes = 0;  // bytes held by the LRU now
    size_t memory_entries = 0;
    uint64_t disk_evicted = 0;  // files deleted to keep the folder under disk_bytes
  };
  Counters counters() const;

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const std::string> jpeg;
  };
  void Remember(const std::string& key, std::shared_ptr<const std::string> jpeg);
  // A memory-cache hit for `key` into *out (counted), or false.
  bool FromMemory(const std::string& key, Thumbnail* out);
  // Decodes `original` and encodes its thumbnail into *out (counted as made).
  Status Make(std::span<const uint8_t> original, int max_side, Thumbnail* out);
  // Adds a written file's size to the folder's total; prunes the folder when over the bound.
  void AccountDisk(uint64_t added);

  ThumbnailCacheOptions options_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> by_key_;
  Counters counters_;
  std::mutex disk_mu_;                 // guards disk_used_ and serialises pruning
  int64_t disk_used_ = -1;             // bytes in the folder; -1 until first measured
};

}  // namespace lookalike::server
