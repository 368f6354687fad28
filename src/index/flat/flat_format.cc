// FlatIndex snapshots: Save and Load (byte layout in docs/formats/flat-index.md).
//
// Every section is length-checked against the file size before it is touched and checksummed
// (CRC-32C) before it is used, so a truncated or damaged file yields Corruption, never a crash.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "common/coding.h"
#include "common/crc32c.h"
#include "common/residency.h"
#include "common/file_env.h"
#include "index/flat/flat_index.h"
#include "index/flat/flat_internal.h"
#include "index/metric.h"

namespace lookalike {
namespace flat {

namespace {

constexpr char kMagic[8] = {'L', 'O', 'O', 'K', 'F', 'L', 'A', 'T'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderSize = 64;
constexpr size_t kSectionHeaderSize = 64;
constexpr size_t kAlign = 64;
constexpr uint32_t kNumSections = 3;
constexpr uint32_t Tag(const char (&s)[5]) {
  return static_cast<uint32_t>(static_cast<uint8_t>(s[0])) |
         static_cast<uint32_t>(static_cast<uint8_t>(s[1])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(s[2])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(s[3])) << 24;
}
constexpr uint32_t kTagLabels = Tag("LABL");
constexpr uint32_t kTagNorms = Tag("NORM");
constexpr uint32_t kTagVectors = Tag("VECS");

uint64_t AlignUp(uint64_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

std::string ErrnoText(const std::string& what, const std::string& path) {
  return what + " '" + path + "': " + std::strerror(errno);
}

Status PadToAlignment(WritableFile* w) {
  static const uint8_t kZeros[kAlign] = {};
  return w->Append(kZeros, AlignUp(w->size()) - w->size());
}

// Writes one section: a placeholder header, the payload produced by `emit` (which calls
// append(data, n) in order), padding, then the real header with length and CRC.
template <typename Emit>
Status WriteSection(WritableFile* w, uint32_t tag, uint32_t elem_size, Emit emit) {
  const uint64_t header_at = w->size();
  uint8_t header[kSectionHeaderSize] = {};
  LOOKALIKE_RETURN_IF_ERROR(w->Append(header, sizeof(header)));
  uint32_t crc = 0;
  uint64_t length = 0;
  Status st;
  emit([&](const void* data, size_t n) {
    if (!st.ok()) return;
    crc = Crc32cExtend(crc, data, n);
    length += n;
    st = w->Append(data, n);
  });
  LOOKALIKE_RETURN_IF_ERROR(st);
  LOOKALIKE_RETURN_IF_ERROR(PadToAlignment(w));
  EncodeFixed<uint32_t>(header, 0, tag);
  EncodeFixed<uint32_t>(header, 4, elem_size);
  EncodeFixed<uint64_t>(header, 8, length);
  EncodeFixed<uint32_t>(header, 16, crc);
  EncodeFixed<uint32_t>(header, 60, Crc32c(header, 60));
  return w->WriteAt(header_at, header, sizeof(header));
}

}  // namespace

// A read-only private mapping of a whole file, unmapped on destruction.
class MappedFile {
 public:
  MappedFile(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  const uint8_t* data_;
  size_t size_;
};

Status FlatIndex::Save(const std::string& path) const { return SaveTo(FileEnv::Default(), path); }

Status FlatIndex::SaveTo(FileEnv& env, const std::string& path) const {
  std::shared_lock lock(mu_);
  return WriteFileAtomically(env, path, [&](WritableFile* w) -> Status {
    uint8_t header[kHeaderSize] = {};
    std::memcpy(header, kMagic, sizeof(kMagic));
    EncodeFixed<uint32_t>(header, 8, kVersion);
    EncodeFixed<uint32_t>(header, 12, kHeaderSize);
    EncodeFixed<uint32_t>(header, 16, static_cast<uint32_t>(dim_));
    EncodeFixed<uint32_t>(header, 20, static_cast<uint32_t>(metric_));
    EncodeFixed<uint64_t>(header, 24, slot_of_.size());
    EncodeFixed<uint32_t>(header, 32, kNumSections);
    EncodeFixed<uint32_t>(header, 60, Crc32c(header, 60));
    LOOKALIKE_RETURN_IF_ERROR(w->Append(header, sizeof(header)));
    // Live slots only, in slot order: a snapshot is always compact.
    LOOKALIKE_RETURN_IF_ERROR(WriteSection(w, kTagLabels, sizeof(uint64_t), [&](auto append) {
      for (size_t s = 0; s < num_slots_; ++s) {
        if (live_[s]) append(&labels_[s], sizeof(uint64_t));
      }
    }));
    LOOKALIKE_RETURN_IF_ERROR(WriteSection(w, kTagNorms, sizeof(float), [&](auto append) {
      for (size_t s = 0; s < num_slots_; ++s) {
        if (live_[s]) append(&norms_[s], sizeof(float));
      }
    }));
    return WriteSection(w, kTagVectors, static_cast<uint32_t>(dim_ * sizeof(float)),
                        [&](auto append) {
                          for (size_t s = 0; s < num_slots_; ++s) {
                            if (live_[s]) append(SlotData(s), dim_ * sizeof(float));
                          }
                        });
  });
}

namespace {

struct SectionView {
  const uint8_t* payload;
  uint64_t length;
};

// Checks the section header at `off` and its payload checksum; *next = the following section.
Status ReadSection(const MappedFile& file, uint64_t off, uint32_t want_tag, uint32_t want_elem,
                   uint64_t want_length, const char* name, SectionView* view, uint64_t* next) {
  const std::string where = std::string(name) + " section";
  if (off + kSectionHeaderSize > file.size()) return Status::Corruption(where + " is truncated");
  const std::span<const uint8_t> h(file.data() + off, kSectionHeaderSize);
  if (DecodeFixed<uint32_t>(h, 60) != Crc32c(h.data(), 60)) {
    return Status::Corruption(where + " header checksum mismatch");
  }
  if (DecodeFixed<uint32_t>(h, 0) != want_tag) {
    return Status::Corruption(where + " has the wrong tag");
  }
  if (DecodeFixed<uint32_t>(h, 4) != want_elem || DecodeFixed<uint64_t>(h, 8) != want_length) {
    return Status::Corruption(where + " length does not match the header");
  }
  const uint64_t payload_at = off + kSectionHeaderSize;
  if (want_length > file.size() - payload_at) {
    return Status::Corruption(where + " is truncated");
  }
  view->payload = file.data() + payload_at;
  view->length = want_length;
  if (Crc32c(view->payload, want_length) != DecodeFixed<uint32_t>(h, 16)) {
    return Status::Corruption(where + " checksum mismatch");
  }
  // Padding must be zero, so that every byte of a snapshot is checked.
  for (uint64_t i = payload_at + want_length; i < payload_at + AlignUp(want_length); ++i) {
    if (file.data()[i] != 0) return Status::Corruption(where + " has non-zero padding");
  }
  *next = payload_at + AlignUp(want_length);
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<FlatIndex>> FlatIndex::Load(const std::string& path,
                                                   const LoadOptions& options) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("no index file '" + path + "'");
    return Status::IOError(ErrnoText("cannot open", path));
  }
  struct stat sb;
  if (::fstat(fd, &sb) != 0) {
    const Status st = Status::IOError(ErrnoText("cannot stat", path));
    ::close(fd);
    return st;
  }
  const auto file_size = static_cast<uint64_t>(sb.st_size);
  if (file_size < kHeaderSize) {
    ::close(fd);
    return Status::Corruption("flat index '" + path + "' is truncated (" +
                              std::to_string(file_size) + " bytes)");
  }
  void* addr = ::mmap(nullptr, file_size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);  // the mapping keeps the file open
  if (addr == MAP_FAILED) return Status::IOError(ErrnoText("cannot map", path));
  auto file = std::make_shared<const MappedFile>(static_cast<const uint8_t*>(addr), file_size);
  const auto corrupt = [&](const std::string& why) {
    return Status::Corruption("flat index '" + path + "': " + why);
  };

  const std::span<const uint8_t> h(file->data(), kHeaderSize);
  if (std::memcmp(h.data(), kMagic, sizeof(kMagic)) != 0) {
    return corrupt("not a flat index (bad magic)");
  }
  if (DecodeFixed<uint32_t>(h, 60) != Crc32c(h.data(), 60)) {
    return corrupt("header checksum mismatch");
  }
  const uint32_t version = DecodeFixed<uint32_t>(h, 8);
  if (version != kVersion) return corrupt("unsupported version " + std::to_string(version));
  const uint32_t header_size = DecodeFixed<uint32_t>(h, 12);
  const uint32_t dim = DecodeFixed<uint32_t>(h, 16);
  const uint32_t metric = DecodeFixed<uint32_t>(h, 20);
  const uint64_t count = DecodeFixed<uint64_t>(h, 24);
  if (header_size != kHeaderSize || DecodeFixed<uint32_t>(h, 32) != kNumSections) {
    return corrupt("unexpected header or section count");
  }
  if (dim == 0 || dim > kMaxDim) return corrupt("bad dimension " + std::to_string(dim));
  if (!IsKnownMetric(metric)) return corrupt("bad metric");
  if (count > kMaxSlots) return corrupt("bad vector count");
  const uint64_t vec_bytes = uint64_t{dim} * sizeof(float);
  const uint64_t expected = kHeaderSize + 3 * kSectionHeaderSize + AlignUp(count * 8) +
                            AlignUp(count * 4) + AlignUp(count * vec_bytes);
  if (expected != file_size) {
    return corrupt(file_size < expected ? "truncated (" + std::to_string(file_size) + " of " +
                                              std::to_string(expected) + " bytes)"
                                        : "unexpected trailing bytes");
  }

  SectionView labels, norms, vectors;
  uint64_t off = kHeaderSize;
  Status st = ReadSection(*file, off, kTagLabels, 8, count * 8, "labels", &labels, &off);
  if (st.ok()) st = ReadSection(*file, off, kTagNorms, 4, count * 4, "norms", &norms, &off);
  if (st.ok()) {
    st = ReadSection(*file, off, kTagVectors, static_cast<uint32_t>(vec_bytes),
                     count * vec_bytes, "vectors", &vectors, &off);
  }
  if (!st.ok()) return st.WithContext("flat index '" + path + "'");

  auto index = std::unique_ptr<FlatIndex>(new FlatIndex(dim, static_cast<Metric>(metric)));
  index->labels_.assign(reinterpret_cast<const uint64_t*>(labels.payload),
                        reinterpret_cast<const uint64_t*>(labels.payload) + count);
  index->norms_.assign(reinterpret_cast<const float*>(norms.payload),
                       reinterpret_cast<const float*>(norms.payload) + count);
  index->live_.assign(count, 1);
  index->slot_of_.reserve(count);
  for (uint64_t s = 0; s < count; ++s) {
    if (!index->slot_of_.emplace(index->labels_[s], static_cast<uint32_t>(s)).second) {
      return corrupt("label " + std::to_string(index->labels_[s]) + " appears twice");
    }
  }
  const auto* vecs = reinterpret_cast<const float*>(vectors.payload);  // 64-byte aligned
  const size_t full_chunks = options.mmap_vectors ? count / kChunkSlots : 0;
  for (size_t c = 0; c < full_chunks; ++c) {
    index->chunk_data_.push_back(vecs + c * kChunkSlots * dim);
  }
  index->mapped_chunks_ = full_chunks;
  if (full_chunks > 0) index->mapping_ = file;
  // Everything after the mapped prefix is copied into owned chunks.
  for (size_t first = full_chunks * kChunkSlots; first < count; first += kChunkSlots) {
    const size_t rows = std::min<size_t>(kChunkSlots, count - first);
    std::vector<float> chunk(vecs + first * dim, vecs + (first + rows) * dim);
    index->chunk_data_.push_back(chunk.data());
    index->owned_.push_back(std::move(chunk));
  }
  index->num_slots_ = count;
  return index;
}

size_t FlatIndex::MappedResidentBytes() const {
  std::shared_lock lock(mu_);
  return mapping_ ? static_cast<size_t>(ResidentBytes(mapping_->data(), mapping_->size())) : 0;
}

size_t FlatIndex::MappedBytes() const {
  std::shared_lock lock(mu_);
  return mapping_ ? mapping_->size() : 0;
}

}  // namespace flat

Result<std::unique_ptr<VectorIndex>> LoadFlatIndex(const std::string& path,
                                                   const LoadOptions& options) {
  LOOKALIKE_ASSIGN_OR_RETURN(auto index, flat::FlatIndex::Load(path, options));
  return std::unique_ptr<VectorIndex>(std::move(index));
}

bool IsFlatIndexMagic(const void* data, size_t n) {
  return n >= sizeof(flat::kMagic) && std::memcmp(data, flat::kMagic, sizeof(flat::kMagic)) == 0;
}

}  // namespace lookalike
