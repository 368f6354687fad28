// In-memory structures that make document fields searchable: per-document slots, the _id map,
// a live bitset, and per field either term postings (keyword, text, boolean) or numeric
// columns (numbers, dates). Rebuilt from RocksDB at startup; never persisted.
//
// Postings are appended and carry the document's generation at indexing time; re-indexing a
// document bumps its generation, which invalidates its old postings without searching for
// them (entries whose generation differs are skipped). A document's postings of one term are
// adjacent (all its values are added in one go), so one posting per (term, document,
// generation) carries the term frequency; text fields also keep each posting's token positions
// (in a per-term array, in posting order) and each document's length in tokens, which BM25 and
// phrase queries need (engine/text_query.h). So that memory follows the live
// documents rather than the number of writes, MaybeCollectGarbage drops stale postings and
// terms no document has anymore once the postings have doubled since the last collection.
//
// Thread safety: none inside; the owning Index guards a FieldStore with its data lock (shared
// for queries, exclusive for applying writes).
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/analyzer.h"
#include "engine/mapping.h"

namespace lookalike::engine {

/// Dense bitset over document numbers.
class Bitset {
 public:
  Bitset() = default;
  explicit Bitset(size_t n) : n_(n), words_((n + 63) / 64, 0) {}
  size_t size() const { return n_; }
  void Resize(size_t n) { n_ = n; words_.resize((n + 63) / 64, 0); }
  void Set(size_t i) { words_[i >> 6] |= uint64_t{1} << (i & 63); }
  void Clear(size_t i) { words_[i >> 6] &= ~(uint64_t{1} << (i & 63)); }
  bool Test(size_t i) const { return i < n_ && (words_[i >> 6] >> (i & 63)) & 1; }
  void SetAll();
  void And(const Bitset& o);
  void Or(const Bitset& o);
  void AndNot(const Bitset& o);
  size_t Count() const;
  template <typename F>
  void ForEach(F&& f) const {
    for (size_t w = 0; w < words_.size(); ++w) {
      uint64_t bits = words_[w];
      while (bits) {
        size_t i = w * 64 + static_cast<size_t>(__builtin_ctzll(bits));
        if (i >= n_) return;
        f(static_cast<uint32_t>(i));
        bits &= bits - 1;
      }
    }
  }

 private:
  size_t n_ = 0;
  std::vector<uint64_t> words_;
};

struct DocSlot {
  bool live = false;
  uint32_t gen = 0;          // bumped by every write of the slot: postings of other gens are stale
  uint32_t incarnation = 0;  // bumped when a document (re)takes the slot: tells reuse apart
  int64_t version = 0;
  int64_t seq_no = 0;
  std::string id;
};

class FieldIndex {
 public:
  explicit FieldIndex(FieldType type) : type_(type) {}
  FieldType type() const { return type_; }

  /// Values of one document (already cleared by ClearDoc when re-indexed). AddTerm adds a
  /// whole value as one term (keyword, boolean: no positions, frequency 1).
  void AddTerm(uint32_t doc, uint32_t gen, std::string_view term);
  /// One analysed token of a text field at `position`; a document's tokens are added in
  /// increasing position order, all in one go (see the file comment).
  void AddToken(uint32_t doc, uint32_t gen, std::string_view term, uint32_t position);
  void AddNumber(uint32_t doc, uint32_t gen, double value);
  /// Forgets the doc's column values (postings are invalidated by the generation bump).
  void ClearDoc(uint32_t doc);
  /// Collects garbage (see CollectGarbage) when the postings have grown past twice what the
  /// last collection kept plus kGcFloor: amortised O(1) per added posting. `slots` are the
  /// owning index's current slots.
  void MaybeCollectGarbage(const std::vector<DocSlot>& slots) {
    if (postings_total_ >= gc_threshold_) CollectGarbage(slots);
  }
  /// Drops every posting whose document is dead or has another generation, and every term left
  /// without postings (term ids are renumbered). Query results are unchanged.
  void CollectGarbage(const std::vector<DocSlot>& slots);
  /// Postings held, valid or stale (memory accounting and tests).
  size_t posting_count() const { return postings_total_; }
  /// Distinct terms held, including terms only stale postings still have.
  size_t term_count() const { return terms_.size(); }

  /// Documents whose current generation has `term`; `gens` are the slots' generations.
  void Term(std::string_view term, const std::vector<DocSlot>& slots, Bitset* out) const;
  /// Number of valid postings of a term (document frequency, approximate after updates).
  size_t TermFrequency(std::string_view term) const;

  /// Collection statistics of a text field over the live documents that have a token in it.
  struct TextStats {
    uint64_t docs = 0;    // documents with the field
    uint64_t tokens = 0;  // sum of their lengths
  };
  TextStats Stats(const std::vector<DocSlot>& slots) const;
  /// Tokens in a document's text field (every value counted); 0 when it has none.
  uint32_t Length(uint32_t doc) const {
    return doc < doc_len_.size() ? doc_len_[doc] : 0;
  }
  /// Calls f(doc, tf, positions) for each live current posting of `term`; `positions` are the
  /// tf token positions of the term in the doc, ascending (nullptr when the field keeps none).
  template <typename F>
  void ForEachPosting(std::string_view term, const std::vector<DocSlot>& slots, F&& f) const {
    auto it = term_ids_.find(std::string(term));
    if (it == term_ids_.end()) return;
    const std::vector<uint32_t>* pos = it->second < positions_.size() ? &positions_[it->second]
                                                                       : nullptr;
    size_t offset = 0;
    for (const Posting& p : postings_[it->second]) {
      size_t at = offset;
      offset += p.tf;
      if (p.doc >= slots.size() || !slots[p.doc].live || slots[p.doc].gen != p.gen) continue;
      f(p.doc, p.tf, pos && !pos->empty() ? pos->data() + at : nullptr);
    }
  }
  /// Numeric column: documents with a value in [lo, hi] (bounds inclusive per flags).
  void Range(double lo, bool lo_inc, double hi, bool hi_inc, const std::vector<DocSlot>& slots,
             Bitset* out) const;
  void Exists(const std::vector<DocSlot>& slots, Bitset* out) const;
  /// Sort key of a doc: first numeric value, or NaN.
  double NumberOf(uint32_t doc) const {
    return doc < num_single_.size() ? num_single_[doc] : std::nan("");
  }
  /// Smallest term of a doc for keyword sort; nullptr when none.
  const std::string* TermOf(uint32_t doc) const;
  /// Every numeric value of a doc (multi-valued fields included).
  template <typename F>
  void ForEachNumber(uint32_t doc, F&& f) const {
    if (doc >= num_single_.size() || std::isnan(num_single_[doc])) return;
    f(num_single_[doc]);
    auto it = num_multi_.find(doc);
    if (it != num_multi_.end()) {
      for (double v : it->second) f(v);
    }
  }
  /// For each term, the number of live documents in `docs` that have it (each document once).
  template <typename F>
  void CountTerms(const Bitset& docs, const std::vector<DocSlot>& slots, F&& f) const {
    for (size_t t = 0; t < terms_.size(); ++t) {
      int64_t count = 0;
      uint32_t last_doc = UINT32_MAX;
      for (const Posting& p : postings_[t]) {
        if (p.doc == last_doc || p.doc >= slots.size() || slots[p.doc].gen != p.gen ||
            !slots[p.doc].live || !docs.Test(p.doc)) {
          continue;
        }
        last_doc = p.doc;  // a document's postings of one term are adjacent
        ++count;
      }
      if (count > 0) f(std::string_view(terms_[t]), count);
    }
  }

 private:
  struct Posting {
    uint32_t doc;
    uint32_t gen;
    uint32_t tf;  // term frequency (positions held: text fields)
  };
  void Grow(uint32_t doc);
  // Appends to (or extends) the doc's posting of `term`; returns the term id.
  uint32_t AddPosting(uint32_t doc, uint32_t gen, std::string_view term);

  FieldType type_;
  std::unordered_map<std::string, uint32_t> term_ids_;
  std::vector<std::string> terms_;
  std::vector<std::vector<Posting>> postings_;
  std::vector<std::vector<uint32_t>> positions_;  // text: per term, the postings' positions
  std::vector<uint32_t> doc_len_;                 // text: tokens of the doc's current gen
  std::vector<uint32_t> first_term_;   // term id + 1 of the doc's first term, 0 = none
  std::vector<double> num_single_;     // first numeric value, NaN = none
  std::unordered_map<uint32_t, std::vector<double>> num_multi_;  // further values
  std::vector<uint32_t> present_gen_;  // gen + 1 when the doc has a value, 0 = none
  static constexpr size_t kGcFloor = 1024;
  size_t postings_total_ = 0;       // sum of postings_[t].size()
  size_t gc_threshold_ = kGcFloor;  // postings_total_ that triggers the next collection
};

}  // namespace lookalike::engine
