// Nested kNN (nested_knn.h).
#include "engine/nested_knn.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <unordered_set>

namespace lookalike::engine {
namespace {

// Up to this many passing documents the filter lists their labels (probing the index for
// ordinals 0, 1, ... of each), so the index can scan them exactly as it does for a selective
// filter on a plain field; above it the label count is estimated from the average.
constexpr size_t kEnumerateDocs = 4096;

// Allow-set over a nested field's labels: a vector passes when its document does.
class ParentDocFilter final : public LabelFilter {
 public:
  ParentDocFilter(const Bitset* docs, const VectorIndex& index, size_t live_docs) : docs_(docs) {
    const size_t passing = docs->Count();
    if (passing <= kEnumerateDocs) {
      docs->ForEach([&](uint32_t d) {
        for (uint32_t i = 0; index.Contains(NestedLabel(d, i)); ++i) {
          labels_.push_back(NestedLabel(d, i));
        }
      });
      count_ = static_cast<int64_t>(labels_.size());
      enumerated_ = true;
    } else {
      // Vectors per live document on average: enough for the index to widen its beam.
      count_ = static_cast<int64_t>(double(passing) * double(index.size()) /
                                    double(std::max<size_t>(live_docs, 1)));
      count_ = std::max<int64_t>(count_, 1);
    }
  }
  bool Contains(uint64_t label) const override { return docs_->Test(NestedLabelDoc(label)); }
  int64_t Count() const override { return count_; }
  bool Enumerate(std::vector<uint64_t>* out) const override {
    if (!enumerated_) return false;
    out->insert(out->end(), labels_.begin(), labels_.end());
    return true;
  }

 private:
  const Bitset* docs_;
  std::vector<uint64_t> labels_;
  int64_t count_ = -1;
  bool enumerated_ = false;
};

// The most vectors one search asks for (VectorIndex::Search refuses k above it).
constexpr size_t kMaxVectors = 10000;
// First ask for this many vectors per wanted document: a document rarely has more than a few
// of its vectors among the closest.
constexpr size_t kFirstFactor = 4;

}  // namespace

Status SearchNestedDocs(const Index& index, const VectorField& field, const float* query,
                        SearchParams params, const Bitset* allowed,
                        std::vector<NestedDocHit>* out) {
  out->clear();
  const size_t want_docs = params.k;
  // Without a filter none is set: vectors of deleted documents are removed by the inserter, and
  // the few not yet removed are skipped below.
  std::optional<ParentDocFilter> filter;
  if (allowed != nullptr) {
    filter.emplace(allowed, *field.index, index.live.Count());
    params.filter = &*filter;
  } else {
    params.filter = nullptr;
  }
  const int beam = params.ef_search;
  size_t ask = std::min(kMaxVectors, std::max<size_t>(want_docs, want_docs * kFirstFactor));
  std::vector<SearchHit> hits;
  std::unordered_set<uint32_t> seen;  // documents already in *out
  while (true) {
    params.k = ask;
    // ef_search must cover k (top-k); a radial search starts its own beam from ef_search.
    if (beam > 0 && params.max_distance == std::numeric_limits<float>::infinity()) {
      params.ef_search = std::max<int>(beam, static_cast<int>(ask));
    }
    Status s = field.index->Search(query, params, &hits);
    if (!s.ok()) return IllegalArgument(s.message());
    out->clear();
    seen.clear();
    for (const SearchHit& h : hits) {  // closest first: a document's first hit is its best
      const uint32_t doc = NestedLabelDoc(h.label);
      if (doc >= index.slots.size() || !index.slots[doc].live || !seen.insert(doc).second) {
        continue;
      }
      out->push_back({doc, h.distance, NestedLabelOrdinal(h.label)});
      if (out->size() == want_docs) return Status::OK();
    }
    // Exhausted: the index had no more vectors (within the radius, passing the filter).
    if (hits.size() < ask || ask >= kMaxVectors) return Status::OK();
    ask = std::min(kMaxVectors, ask * 2);
  }
}

}  // namespace lookalike::engine
