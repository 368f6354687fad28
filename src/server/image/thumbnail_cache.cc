// Thumbnail making and caching; see thumbnail_cache.h.
#include "server/image/thumbnail_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <span>
#include <utility>

#include "common/file_env.h"
#include "common/fnv1a.h"

namespace lookalike::server {
namespace {


std::string Hex16(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

bool ReadWhole(const std::string& path, uint64_t max_bytes, std::string* out) {
  auto read = FileEnv::Default().ReadFile(path, max_bytes);
  if (!read.ok() || read->empty()) return false;
  *out = std::move(read).value();
  return true;
}

}  // namespace

ThumbnailCache::ThumbnailCache(ThumbnailCacheOptions options) : options_(std::move(options)) {
  if (!options_.dir.empty()) RemoveStaleTemporaryFiles(options_.dir);  // writes a crash cut off
}

bool ThumbnailCache::FromMemory(const std::string& key, Thumbnail* out) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return false;
  lru_.splice(lru_.begin(), lru_, it->second);
  ++counters_.memory_hits;
  out->jpeg = it->second->jpeg;
  out->source = Source::kMemory;
  return true;
}

Status ThumbnailCache::Make(std::span<const uint8_t> original, int max_side, Thumbnail* out) {
  LOOKALIKE_ASSIGN_OR_RETURN(Image image, DecodeImage(original, options_.limits));
  LOOKALIKE_ASSIGN_OR_RETURN(std::vector<uint8_t> jpeg,
                             EncodeThumbnailJpeg(image, max_side, options_.quality));
  out->jpeg = std::make_shared<const std::string>(jpeg.begin(), jpeg.end());
  out->source = Source::kMade;
  std::lock_guard<std::mutex> lock(mu_);
  ++counters_.made;
  return Status::OK();
}

Result<ThumbnailCache::Thumbnail> ThumbnailCache::GetFromBytes(std::span<const uint8_t> original,
                                                               int max_side) {
  std::string_view content(reinterpret_cast<const char*>(original.data()), original.size());
  // FNV-1a names the disk entry: the inputs are a path and three numbers, not adversarial, and
  // a collision would only show one allowed image in place of another.
  std::string name = Hex16(Fnv1a64(content)) + "-" + std::to_string(original.size()) + "-" +
                     std::to_string(max_side);
  std::string key = "bytes\n" + name;
  Thumbnail out;
  out.etag = "\"b" + name + "\"";
  if (FromMemory(key, &out)) return out;
  LOOKALIKE_RETURN_IF_ERROR(Make(original, max_side, &out));
  Remember(key, out.jpeg);
  return out;
}

Result<ThumbnailCache::Thumbnail> ThumbnailCache::Get(const embed::ImageFile& file, int max_side) {
  LOOKALIKE_ASSIGN_OR_RETURN(embed::ImageFile::Identity before, file.Identify());
  std::string key = file.path();
  key += '\n' + std::to_string(before.size) + ':' + std::to_string(before.mtime_ns) + ':' +
         std::to_string(max_side);
  std::string name = Hex16(Fnv1a64(key)) + "-" + std::to_string(max_side);
  Thumbnail out;
  out.etag = "\"t" + name + "\"";

  if (FromMemory(key, &out)) return out;

  std::string disk_path = options_.dir.empty() ? "" : options_.dir + "/" + name + ".jpg";
  if (!disk_path.empty()) {
    auto bytes = std::make_shared<std::string>();
    if (ReadWhole(disk_path, options_.limits.max_file_bytes, bytes.get())) {
      ::utimensat(AT_FDCWD, disk_path.c_str(), nullptr, 0);  // recently used: pruned last
      out.jpeg = bytes;
      out.source = Source::kDisk;
      Remember(key, out.jpeg);
      std::lock_guard<std::mutex> lock(mu_);
      ++counters_.disk_hits;
      return out;
    }
  }

  LOOKALIKE_ASSIGN_OR_RETURN(std::vector<uint8_t> original,
                             file.ReadAll(options_.limits.max_file_bytes));
  LOOKALIKE_RETURN_IF_ERROR(Make(original, max_side, &out));
  auto after = file.Identify();
  if (!after.ok() || !(*after == before)) return out;  // changed while we read it: no caching

  Remember(key, out.jpeg);
  if (!disk_path.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options_.dir, ec);
    // The file is synced (a crash must not leave a torn JPEG to serve) but not the directory:
    // a rename lost in a crash only costs a cache miss.
    AtomicWriteOptions cache_file;
    cache_file.sync_dir = false;
    if (WriteFileAtomically(FileEnv::Default(), disk_path, *out.jpeg, cache_file).ok()) {
      AccountDisk(out.jpeg->size());
    }  // a full or read-only disk costs speed, not the response
  }
  return out;
}

void ThumbnailCache::AccountDisk(uint64_t added) {
  if (options_.disk_bytes == 0) return;
  std::lock_guard<std::mutex> lock(disk_mu_);
  namespace fs = std::filesystem;
  struct File {
    fs::file_time_type mtime;
    uint64_t size;
    fs::path path;
  };
  auto list = [&](std::vector<File>* files) {
    std::error_code ec;
    uint64_t total = 0;
    for (fs::directory_iterator it(options_.dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::error_code e2;
      if (!it->is_regular_file(e2) || it->path().extension() != ".jpg") continue;
      uint64_t size = it->file_size(e2);
      if (e2) continue;
      auto mtime = it->last_write_time(e2);
      if (e2) continue;
      total += size;
      if (files != nullptr) files->push_back({mtime, size, it->path()});
    }
    return total;
  };
  if (disk_used_ < 0) {
    disk_used_ = static_cast<int64_t>(list(nullptr));  // already includes this file
  } else {
    disk_used_ += static_cast<int64_t>(added);
  }
  if (static_cast<uint64_t>(disk_used_) <= options_.disk_bytes) return;
  // Over the bound: measure for real (other processes or restarts may have added files), then
  // delete the least recently used down to 3/4 of the bound, so pruning runs rarely.
  std::vector<File> files;
  uint64_t total = list(&files);
  std::sort(files.begin(), files.end(),
            [](const File& a, const File& b) { return a.mtime < b.mtime; });
  uint64_t target = options_.disk_bytes / 4 * 3;
  uint64_t evicted = 0;
  for (const File& f : files) {
    if (total <= target) break;
    std::error_code ec;
    if (fs::remove(f.path, ec)) {
      total -= f.size;
      ++evicted;
    }
  }
  disk_used_ = static_cast<int64_t>(total);
  std::lock_guard<std::mutex> counters_lock(mu_);
  counters_.disk_evicted += evicted;
}

void ThumbnailCache::Remember(const std::string& key, std::shared_ptr<const std::string> jpeg) {
  size_t cost = jpeg->size() + key.size();
  if (options_.memory_bytes == 0 || cost > options_.memory_bytes) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (by_key_.count(key) != 0) return;  // another request made it first
  lru_.push_front(Entry{key, std::move(jpeg)});
  by_key_.emplace(key, lru_.begin());
  counters_.memory_bytes += cost;
  ++counters_.memory_entries;
  while (counters_.memory_bytes > options_.memory_bytes) {
    Entry& last = lru_.back();
    counters_.memory_bytes -= last.jpeg->size() + last.key.size();
    --counters_.memory_entries;
    by_key_.erase(last.key);
    lru_.pop_back();
  }
}

ThumbnailCache::Counters ThumbnailCache::counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

}  // namespace lookalike::server
