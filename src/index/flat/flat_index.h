// FlatIndex: exact nearest-neighbour search by scanning every stored vector.
//
// It is the oracle for the HNSW tests and the ground truth of the benchmark harness, so it
// favours exactness: single queries use the float32 SIMD kernels directly; query batches
// (SearchBatch) use BLAS sgemm over blocks of the database with a per-query top-k heap.
//
// Storage: vectors live in chunks of kChunkSlots rows (no giant reallocations while growing);
// after LoadFlatIndex with mmap_vectors, the full chunks point into a read-only mapping of the
// snapshot file, and later inserts go to owned chunks. A vector replaced or removed inside the
// mapping becomes a tombstone; owned slots are overwritten in place or reused after Remove.
// Cosine vectors are normalised once at insert; queries are normalised per search.
//
// Thread safety / invariants: mu_ (shared_mutex) guards all members below it. Search,
// SearchBatch, Contains, Stats and Save hold it shared; Add, AddBatch and Remove hold it
// exclusive. `slot_of_` maps every live label to exactly one slot with live_[slot] == 1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/file_env.h"
#include "lookalike/vector_index.h"

namespace lookalike {
namespace flat {

class MappedFile;  // flat_format.cc

class FlatIndex final : public VectorIndex {
 public:
  /// Rows per storage chunk (and per sgemm block in SearchBatch).
  static constexpr size_t kChunkSlots = 4096;
  /// Largest dimension accepted (keeps size arithmetic far from overflow).
  static constexpr size_t kMaxDim = 65536;

  static Result<std::unique_ptr<FlatIndex>> Create(size_t dim, Metric metric);
  /// Reads a snapshot written by Save (docs/formats/flat-index.md). Corruption for any bad magic,
  /// version, length or checksum; the whole file is verified, also when vectors are mapped.
  static Result<std::unique_ptr<FlatIndex>> Load(const std::string& path,
                                                 const LoadOptions& options);
  ~FlatIndex() override;

  size_t dim() const override { return dim_; }
  Metric metric() const override { return metric_; }
  size_t size() const override;

  Status Add(uint64_t label, const float* vec) override;
  /// All-or-nothing validation first (InvalidArgument names the bad row), then inserts in order
  /// (a label repeated in the batch ends with its last vector). Insertion is a memory copy, so
  /// `threads` is accepted for interface compatibility and not used.
  Status AddBatch(size_t n, const uint64_t* labels, const float* vecs, int threads = 0) override;
  Status Remove(uint64_t label) override;
  bool Contains(uint64_t label) const override;

  /// Exact top-k; with a finite max_distance an exact range scan (the closest k within it).
  /// ef_search and rerank_factor are validated (ef_search >= k when set, top-k only) but
  /// otherwise ignored. Large scans are split over all cores.
  Status Search(const float* query, const SearchParams& params,
                std::vector<SearchHit>* out) const override;
  Status GetVector(uint64_t label, std::vector<float>* out) const override;

  /// Exact top-k for `nq` row-major queries at once: (*out)[i] holds query i's hits, closest
  /// first (within max_distance when it is finite). Distances come from sgemm (L2 as |q|^2 + |x|^2 - 2<q,x>), so they can differ from
  /// Search in the last bits. `threads` workers (0 = all cores) split the database blocks.
  /// InvalidArgument for bad params or any bad query (the message names the query index).
  Status SearchBatch(size_t nq, const float* queries, const SearchParams& params,
                     std::vector<std::vector<SearchHit>>* out, int threads = 0) const;

  Status Save(const std::string& path) const override;
  /// Save through `env` (tests inject failures there); Save uses FileEnv::Default().
  Status SaveTo(FileEnv& env, const std::string& path) const;
  IndexStats Stats() const override;
  size_t MappedResidentBytes() const override;
  size_t MappedBytes() const override;

  /// The BLAS behind SearchBatch, e.g. "OpenBLAS 0.3.21 core=Haswell threads=2". OpenBLAS picks
  /// its kernels from cpuid unless OPENBLAS_CORETYPE forces one (a forced "Haswell" on an
  /// AVX-512 CPU runs batches about 1.7x slower), and uses OPENBLAS_NUM_THREADS threads per call.
  static std::string BlasDescription();

 private:
  FlatIndex(size_t dim, Metric metric);

  // Requires mu_ held (shared or exclusive).
  const float* SlotData(size_t slot) const {
    return chunk_data_[slot / kChunkSlots] + (slot % kChunkSlots) * dim_;
  }
  // Requires mu_ exclusive. nullptr when the slot lies in the read-only mapping.
  float* MutableSlot(size_t slot);
  // Requires mu_ exclusive. Stores an already validated (and, for cosine, normalised) vector.
  void InsertLocked(uint64_t label, const float* vec);
  size_t AppendSlotLocked();
  // Requires mu_ shared. Scans slots [begin, end) into a top-k heap of the hits at distance
  // <= max_distance (see flat_index.cc).
  void ScanRange(const float* query, size_t k, float max_distance, const LabelFilter* filter,
                 size_t begin, size_t end, std::vector<SearchHit>* heap) const;
  // Cosine: *normalised = vec / |vec|; otherwise a copy.
  void PrepareVector(const float* vec, float* normalised) const;

  const size_t dim_;
  const Metric metric_;

  mutable std::shared_mutex mu_;
  std::vector<const float*> chunk_data_;   // base of each chunk (mapped or owned)
  std::vector<std::vector<float>> owned_;  // owned chunk c lives at owned_[c - mapped_chunks_]
  size_t mapped_chunks_ = 0;               // leading chunks that point into mapping_
  std::shared_ptr<const MappedFile> mapping_;
  std::vector<uint64_t> labels_;  // per slot
  std::vector<float> norms_;      // per slot: squared L2 norm of the stored vector
  std::vector<uint8_t> live_;     // per slot: 1 = searchable
  std::vector<uint32_t> free_;    // owned dead slots, reused by inserts
  std::unordered_map<uint64_t, uint32_t> slot_of_;
  size_t num_slots_ = 0;

};

}  // namespace flat

/// Loads a flat snapshot (docs/formats/flat-index.md); used by LoadIndex's dispatch.
Result<std::unique_ptr<VectorIndex>> LoadFlatIndex(const std::string& path,
                                                   const LoadOptions& options);

/// True when the first bytes of a file are the flat-index magic (8 bytes, see the format doc).
bool IsFlatIndexMagic(const void* data, size_t n);

}  // namespace lookalike
