// Nested kNN (nested_knn.h).
#include "engine/nested_knn.h"

#include <algorithm>
#include <limits>
#include <unordered_set>

namespace lookalike::engine {
namespace {

// Allow-set over a nested field's labels: a vector passes when its document does.
class ParentDocFilter final : public LabelFilter {
 public:
  explicit ParentDocFilter(const Bitset* docs) : docs_(docs) {}
  bool Contains(uint64_t label) const override { return docs_->Test(NestedLabelDoc(label)); }
  // Count() stays unknown: the number of passing vectors is not the number of documents, and
  // the index must not take the document count for a label count.

 private:
  const Bitset* docs_;
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
  ParentDocFilter filter(allowed != nullptr ? allowed : &index.live);
  params.filter = &filter;
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
