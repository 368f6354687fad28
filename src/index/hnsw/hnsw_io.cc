// Save and Load of HNSW snapshots. The byte layout is documented in docs/formats/hnsw-index.md;
// keep the two in step. Load validates every length, offset, state, level and link target, so a
// damaged file yields Corruption rather than a crash.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "common/coding.h"
#include "common/crc32c.h"
#include "common/file_env.h"
#include "index/hnsw/hnsw_index.h"
#include "index/metric.h"

namespace lookalike::hnsw {
namespace {

constexpr char kMagic[8] = {'L', 'K', 'A', 'L', 'H', 'N', 'S', 'W'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 320;
constexpr size_t kSectionTable = 96;  // offset of the section table in the header
constexpr size_t kPage = 4096;
enum Section : int {
  kLabels = 0, kStates, kLevels, kLevel0, kUpper, kQuantParams, kCodes, kVectors, kNumSections
};

struct SectionEntry {
  uint64_t offset = 0;
  uint64_t length = 0;
  uint32_t crc = 0;
};

Status ErrnoStatus(const std::string& what, const std::string& path) {
  return Status::IOError(what + " " + path + ": " + std::strerror(errno));
}

// Sequential writer over the snapshot file that tracks the running CRC of the current section.
class Writer {
 public:
  explicit Writer(WritableFile* file) : file_(file) {}
  Status Write(const void* data, size_t n) {
    crc_ = Crc32cExtend(crc_, data, n);
    return file_->Append(data, n);
  }
  Status PadTo(size_t alignment) {
    static const uint8_t kZeros[kPage] = {};
    size_t pad = (alignment - offset() % alignment) % alignment;
    return file_->Append(kZeros, pad);  // padding is outside every section's CRC
  }
  void BeginSection() { crc_ = 0; }
  uint32_t crc() const { return crc_; }
  uint64_t offset() const { return file_->size(); }

 private:
  WritableFile* file_;
  uint32_t crc_ = 0;
};

Status ReadAt(int fd, uint64_t offset, void* dst, size_t n) {
  uint8_t* p = static_cast<uint8_t*>(dst);
  while (n > 0) {
    ssize_t r = ::pread(fd, p, n, off_t(offset));
    if (r < 0) {
      if (errno == EINTR) continue;
      return Status::IOError(std::string("read failed: ") + std::strerror(errno));
    }
    if (r == 0) return Status::Corruption("hnsw index file is truncated");
    p += r;
    n -= size_t(r);
    offset += uint64_t(r);
  }
  return Status::OK();
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

// Friend of HnswIndex: the serialisation code, kept out of the index's own files.
class HnswFile {
 public:
  static Status Save(const HnswIndex& index, FileEnv& env, const std::string& path);
  // The snapshot's bytes; the caller holds the index's locks.
  static Status Write(const HnswIndex& index, WritableFile* file);
  static Result<std::unique_ptr<VectorIndex>> Load(const std::string& path,
                                                   const LoadOptions& options);
};

Status HnswFile::Save(const HnswIndex& ix, FileEnv& env, const std::string& path) {
  std::unique_lock writers(ix.update_mu_);  // no Add/Remove/Compact; searches go on
  auto lock = ix.ReadLock();
  return WriteFileAtomically(env, path, [&](WritableFile* file) { return Write(ix, file); });
}

Status HnswFile::Write(const HnswIndex& ix, WritableFile* file) {
  const uint32_t n = ix.slots_.load();
  Writer w(file);
  uint8_t header[kHeaderBytes] = {};
  LOOKALIKE_RETURN_IF_ERROR(w.Write(header, kHeaderBytes));
  SectionEntry sec[kNumSections];
  auto begin = [&](int s, size_t align) -> Status {
    LOOKALIKE_RETURN_IF_ERROR(w.PadTo(align));
    w.BeginSection();
    sec[s].offset = w.offset();
    return Status::OK();
  };
  auto end = [&](int s) {
    sec[s].length = w.offset() - sec[s].offset;
    sec[s].crc = w.crc();
  };
  LOOKALIKE_RETURN_IF_ERROR(begin(kLabels, 8));
  LOOKALIKE_RETURN_IF_ERROR(w.Write(ix.labels_.data(), size_t{n} * sizeof(uint64_t)));
  end(kLabels);
  LOOKALIKE_RETURN_IF_ERROR(begin(kStates, 8));
  LOOKALIKE_RETURN_IF_ERROR(w.Write(ix.states_.data(), n));
  end(kStates);
  LOOKALIKE_RETURN_IF_ERROR(begin(kLevels, 8));
  LOOKALIKE_RETURN_IF_ERROR(w.Write(ix.levels_.data(), n));
  end(kLevels);
  LOOKALIKE_RETURN_IF_ERROR(begin(kLevel0, 8));
  LOOKALIKE_RETURN_IF_ERROR(w.Write(ix.level0_, size_t{n} * ix.slot0_ * sizeof(uint32_t)));
  end(kLevel0);
  LOOKALIKE_RETURN_IF_ERROR(begin(kUpper, 8));
  for (uint32_t i = 0; i < n; ++i) {
    if (ix.levels_[i] == 0) continue;
    LOOKALIKE_RETURN_IF_ERROR(
        w.Write(ix.upper_[i].get(), ix.levels_[i] * ix.slot_up_ * sizeof(uint32_t)));
  }
  end(kUpper);
  LOOKALIKE_RETURN_IF_ERROR(begin(kQuantParams, 8));
  std::string qp = ix.quant_->trained() && ix.trained_count_ > 0 ? ix.quant_->SaveParams() : "";
  LOOKALIKE_RETURN_IF_ERROR(w.Write(qp.data(), qp.size()));
  end(kQuantParams);
  LOOKALIKE_RETURN_IF_ERROR(begin(kCodes, 8));
  if (!ix.codes_in_floats_) {
    LOOKALIKE_RETURN_IF_ERROR(w.Write(ix.codes_.data(), size_t{n} * ix.code_size_));
  }
  end(kCodes);
  LOOKALIKE_RETURN_IF_ERROR(begin(kVectors, kPage));  // page-aligned: loadable by mmap
  for (uint32_t i = 0; i < n; ++i) {
    LOOKALIKE_RETURN_IF_ERROR(w.Write(ix.Vec(i), ix.dim_ * sizeof(float)));
  }
  end(kVectors);

  std::memcpy(header, kMagic, 8);
  EncodeFixed<uint32_t>(header, 8, kVersion);
  EncodeFixed<uint32_t>(header, 12, uint32_t(kHeaderBytes));
  EncodeFixed<uint32_t>(header, 16, uint32_t(ix.dim_));
  header[20] = uint8_t(ix.metric_);
  header[21] = uint8_t(ix.params_.code);
  EncodeFixed<uint32_t>(header, 24, uint32_t(ix.params_.m));
  EncodeFixed<uint32_t>(header, 28, uint32_t(ix.params_.ef_construction));
  EncodeFixed<uint32_t>(header, 32, uint32_t(ix.params_.ef_search));
  EncodeFixed<float>(header, 36, ix.params_.rerank_factor);
  EncodeFixed<uint64_t>(header, 40, ix.params_.seed);
  EncodeFixed<uint64_t>(header, 48, n);
  EncodeFixed<uint64_t>(header, 56, ix.live_.load());
  uint64_t e = ix.entry_.load();
  EncodeFixed<uint32_t>(header, 64, e == ~uint64_t{0} ? HnswIndex::kNone : uint32_t(e));
  EncodeFixed<uint32_t>(header, 68, e == ~uint64_t{0} ? 0 : uint32_t(e >> 32));
  EncodeFixed<uint32_t>(header, 72, uint32_t(ix.code_size_));
  EncodeFixed<uint32_t>(header, 76, uint32_t(kNumSections));
  EncodeFixed<uint64_t>(header, 80, ix.trained_count_);
  EncodeFixed<uint64_t>(header, 88, ix.tombstones_.load());
  for (int s = 0; s < kNumSections; ++s) {
    size_t at = kSectionTable + size_t(s) * 24;
    EncodeFixed<uint64_t>(header, at, sec[s].offset);
    EncodeFixed<uint64_t>(header, at + 8, sec[s].length);
    EncodeFixed<uint32_t>(header, at + 16, sec[s].crc);
  }
  EncodeFixed<uint32_t>(header, kHeaderBytes - 4, Crc32c(header, kHeaderBytes - 4));
  return file->WriteAt(0, header, kHeaderBytes);
}

Result<std::unique_ptr<VectorIndex>> HnswFile::Load(const std::string& path,
                                                    const LoadOptions& options) {
  Fd f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) {
    if (errno == ENOENT) return Status::NotFound("no index file " + path);
    return ErrnoStatus("cannot open", path);
  }
  struct stat st;
  if (::fstat(f.fd, &st) != 0) return ErrnoStatus("cannot stat", path);
  const uint64_t file_size = uint64_t(st.st_size);
  auto bad = [&](const std::string& why) {
    return Status::Corruption("hnsw index " + path + ": " + why);
  };
  if (file_size < kHeaderBytes) return bad("file is shorter than the header");
  uint8_t header[kHeaderBytes];
  LOOKALIKE_RETURN_IF_ERROR(ReadAt(f.fd, 0, header, kHeaderBytes));
  if (std::memcmp(header, kMagic, 8) != 0) return bad("bad magic");
  if (DecodeFixed<uint32_t>(header, 8) != kVersion) {
    return bad("unsupported version " + std::to_string(DecodeFixed<uint32_t>(header, 8)));
  }
  if (DecodeFixed<uint32_t>(header, kHeaderBytes - 4) != Crc32c(header, kHeaderBytes - 4)) {
    return bad("header checksum mismatch");
  }
  if (DecodeFixed<uint32_t>(header, 12) != kHeaderBytes) return bad("bad header size");
  size_t dim = DecodeFixed<uint32_t>(header, 16);
  if (!IsKnownMetric(header[20])) return bad("unknown metric");
  if (header[21] > uint8_t(CodeType::kBinary)) return bad("unknown code type");
  HnswParams params;
  params.m = int(DecodeFixed<uint32_t>(header, 24));
  params.ef_construction = int(DecodeFixed<uint32_t>(header, 28));
  params.ef_search = int(DecodeFixed<uint32_t>(header, 32));
  params.rerank_factor = DecodeFixed<float>(header, 36);
  params.seed = DecodeFixed<uint64_t>(header, 40);
  params.code = CodeType(header[21]);
  auto created = HnswIndex::Create(dim, Metric(header[20]), params);
  if (!created.ok()) return bad("bad parameters: " + created.status().message());
  std::unique_ptr<HnswIndex> ix = std::move(created).value();

  const uint64_t n = DecodeFixed<uint64_t>(header, 48);
  const uint64_t live = DecodeFixed<uint64_t>(header, 56);
  const uint32_t entry = DecodeFixed<uint32_t>(header, 64);
  const uint32_t max_level = DecodeFixed<uint32_t>(header, 68);
  if (DecodeFixed<uint32_t>(header, 72) != ix->code_size_) return bad("code size does not match");
  if (DecodeFixed<uint32_t>(header, 76) != kNumSections) return bad("unexpected section count");
  if (n >= HnswIndex::kNone || live > n) return bad("bad node counts");
  SectionEntry sec[kNumSections];
  for (int s = 0; s < kNumSections; ++s) {
    size_t at = kSectionTable + size_t(s) * 24;
    sec[s].offset = DecodeFixed<uint64_t>(header, at);
    sec[s].length = DecodeFixed<uint64_t>(header, at + 8);
    sec[s].crc = DecodeFixed<uint32_t>(header, at + 16);
    if (sec[s].offset < kHeaderBytes || sec[s].offset > file_size ||
        sec[s].length > file_size - sec[s].offset) {
      return bad("section " + std::to_string(s) + " lies outside the file (truncated?)");
    }
  }
  const uint64_t expect[kNumSections] = {
      n * 8, n, n, n * ix->slot0_ * 4, sec[kUpper].length, sec[kQuantParams].length,
      ix->codes_in_floats_ ? 0 : n * ix->code_size_, n * dim * 4};
  for (int s = 0; s < kNumSections; ++s) {
    if (sec[s].length != expect[s]) return bad("section " + std::to_string(s) + " has a bad length");
  }
  if (sec[kVectors].offset % kPage != 0) return bad("vector section is not page-aligned");

  auto read_section = [&](int s, void* dst) -> Status {
    LOOKALIKE_RETURN_IF_ERROR(ReadAt(f.fd, sec[s].offset, dst, sec[s].length));
    if (Crc32c(dst, sec[s].length) != sec[s].crc) {
      return bad("checksum mismatch in section " + std::to_string(s));
    }
    return Status::OK();
  };
  const bool mmap_vectors = options.mmap_vectors && n > 0;
  if (mmap_vectors) ix->mapped_count_ = n;  // GrowLocked then owns no vector storage
  ix->GrowLocked(std::max<uint64_t>(n, 1));
  LOOKALIKE_RETURN_IF_ERROR(read_section(kLabels, ix->labels_.data()));
  LOOKALIKE_RETURN_IF_ERROR(read_section(kStates, ix->states_.data()));
  LOOKALIKE_RETURN_IF_ERROR(read_section(kLevels, ix->levels_.data()));
  LOOKALIKE_RETURN_IF_ERROR(read_section(kLevel0, ix->level0_));
  std::vector<uint32_t> upper(sec[kUpper].length / 4);
  if (sec[kUpper].length % 4 != 0) return bad("upper-level section has a bad length");
  LOOKALIKE_RETURN_IF_ERROR(read_section(kUpper, upper.data()));
  std::string qp(sec[kQuantParams].length, '\0');
  LOOKALIKE_RETURN_IF_ERROR(read_section(kQuantParams, qp.data()));
  if (!qp.empty()) {
    Status qs = ix->quant_->LoadParams(qp);
    if (!qs.ok()) return bad(qs.message());
  } else if (n > 0 && !ix->quant_->trained()) {
    return bad("missing quantizer parameters");
  }
  if (!ix->codes_in_floats_) LOOKALIKE_RETURN_IF_ERROR(read_section(kCodes, ix->codes_.data()));

  // Structural validation: states, levels, link counts and targets, labels, entry point.
  uint64_t upper_words = 0, live_seen = 0;
  for (uint64_t i = 0; i < n; ++i) {
    uint8_t s = ix->states_[i];
    if (s != HnswIndex::kLive && s != HnswIndex::kDeleted && s != HnswIndex::kFree) {
      return bad("bad node state");
    }
    if (ix->levels_[i] > HnswIndex::kMaxLevel || (s == HnswIndex::kFree && ix->levels_[i] != 0)) {
      return bad("bad node level");
    }
    upper_words += ix->levels_[i] * ix->slot_up_;
    live_seen += s == HnswIndex::kLive;
  }
  if (upper_words * 4 != sec[kUpper].length) return bad("upper-level section has a bad length");
  if (live_seen != live) return bad("live count does not match the node states");
  auto check_links = [&](const uint32_t* links, int cap) {
    if (links[0] > uint32_t(cap)) return false;
    for (uint32_t j = 1; j <= links[0]; ++j) {
      if (links[j] >= n) return false;
    }
    return true;
  };
  size_t pos = 0;
  for (uint64_t i = 0; i < n; ++i) {
    if (!check_links(ix->Links0(uint32_t(i)), ix->m0_)) return bad("bad level-0 links");
    int levels = ix->levels_[i];
    if (levels == 0) continue;
    ix->upper_[i] = std::make_unique<uint32_t[]>(levels * ix->slot_up_);
    std::memcpy(ix->upper_[i].get(), upper.data() + pos, levels * ix->slot_up_ * 4);
    pos += levels * ix->slot_up_;
    for (int l = 1; l <= levels; ++l) {
      const uint32_t* links = ix->Links(uint32_t(i), l);
      if (!check_links(links, ix->params_.m)) return bad("bad upper-level links");
      for (uint32_t j = 1; j <= links[0]; ++j) {
        if (ix->levels_[links[j]] < l) return bad("link to a node below its level");
      }
    }
  }
  if (entry == HnswIndex::kNone) {
    for (uint64_t i = 0; i < n; ++i) {
      if (ix->states_[i] != HnswIndex::kFree) return bad("missing entry point");
    }
  } else {
    if (entry >= n || ix->levels_[entry] != max_level || ix->states_[entry] == HnswIndex::kFree) {
      return bad("bad entry point");
    }
    ix->entry_.store((uint64_t(max_level) << 32) | entry);
  }
  for (uint64_t i = 0; i < n; ++i) {
    uint8_t s = ix->states_[i];
    if (s == HnswIndex::kFree) {
      ix->free_.push_back(uint32_t(i));
    } else if (s == HnswIndex::kLive) {
      if (!ix->label_to_node_.emplace(ix->labels_[i], uint32_t(i)).second) {
        return bad("duplicate label");
      }
    }
  }

  // Float32 vectors: a private copy-on-write mapping (pages load on demand; writes to reused
  // slots stay in memory) or a checked read. Mapped vectors are not checksummed at load: reading
  // gigabytes would defeat the mapping; every other section is checked.
  if (mmap_vectors) {
    void* addr = ::mmap(nullptr, sec[kVectors].length, PROT_READ | PROT_WRITE, MAP_PRIVATE, f.fd,
                        off_t(sec[kVectors].offset));
    if (addr == MAP_FAILED) return ErrnoStatus("cannot map", path);
    // Rerank reads a few scattered vectors per query; the kernel's default readahead would map
    // whole runs of neighbours that are never used and inflate the resident set.
    (void)::madvise(addr, sec[kVectors].length, MADV_RANDOM);
    ix->map_addr_ = addr;
    ix->map_len_ = sec[kVectors].length;
    ix->mapped_vecs_ = static_cast<float*>(addr);
  } else if (n > 0) {
    LOOKALIKE_RETURN_IF_ERROR(read_section(kVectors, ix->owned_vecs_.data()));
  }
  ix->slots_.store(uint32_t(n));
  ix->live_.store(live);
  ix->tombstones_.store(n - live - ix->free_.size());
  ix->trained_count_ = DecodeFixed<uint64_t>(header, 80);
  ix->next_retrain_.store(ix->quant_->trained() && ix->trained_count_ < 20000
                              ? std::max<uint64_t>(2 * ix->trained_count_, 1)
                              : std::numeric_limits<size_t>::max());
  return std::unique_ptr<VectorIndex>(std::move(ix));
}

Status HnswIndex::Save(const std::string& path) const { return SaveTo(FileEnv::Default(), path); }

Status HnswIndex::SaveTo(FileEnv& env, const std::string& path) const {
  return HnswFile::Save(*this, env, path);
}

Result<std::unique_ptr<VectorIndex>> HnswIndex::Load(const std::string& path,
                                                     const LoadOptions& options) {
  return HnswFile::Load(path, options);
}

bool IsHnswIndexMagic(const void* data, size_t n) {
  return n >= sizeof(kMagic) && std::memcmp(data, kMagic, sizeof(kMagic)) == 0;
}

}  // namespace lookalike::hnsw
