// collapse.inner_hits: the members of each collapsed group, recorded while the searcher offers
// matches to the HitCollector, then ordered and fetched for the groups that reach the page.
//
// Why record instead of searching again per group (Elasticsearch's expand phase runs one
// query per group): a second evaluation would repeat the knn search, and its members must be
// the first one's k hits. Memory is 16 bytes per match plus one key per group, and only when
// the request has inner_hits.
//
// Thread safety: a GroupMembers belongs to one search call. FillInnerHits takes each target's
// data_mu shared while it reads sort values.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/index.h"
#include "lookalike/search_request.h"
#include "lookalike/search_result.h"
#include "storage/doc_store.h"

namespace lookalike::engine {

struct GroupMember {
  size_t index_i;  // the index's position among the search's targets
  uint32_t doc;
  float score;
  uint32_t incarnation;  // the slot's, when the document matched (see Candidate)
};

/// Every match of a collapsing search, by the SortValueKey of its collapse value.
class GroupMembers {
 public:
  void Add(const std::string& key, const GroupMember& m) { groups_[key].push_back(m); }
  /// The members of group `key` in the order they were added; null when it has none.
  const std::vector<GroupMember>* Find(const std::string& key) const {
    auto it = groups_.find(key);
    return it == groups_.end() ? nullptr : &it->second;
  }

 private:
  std::unordered_map<std::string, std::vector<GroupMember>> groups_;
};

/// illegal_argument_exception when an inner_hits entry's from + size exceeds `window` (the
/// smallest index.max_inner_result_window of the targets), in Elasticsearch's words.
Status CheckInnerHitsWindow(const SearchRequest& req, int64_t window);

/// For each hit k of `hits` (a collapsed page), the InnerHits of every entry of
/// req.collapse->inner_hits, from the members of group keys[k]. Members that went away since
/// they matched still count in the total but are not shown. kInvalidValue for an inner sort on
/// an unsortable or unmapped field. `as_shard`: each entry shows its first from + size members
/// (from 0), for a coordinator to merge (lookalike/search_merge.h).
Status FillInnerHits(const storage::DocStore& store,
                     const std::vector<std::shared_ptr<Index>>& targets, const SearchRequest& req,
                     const GroupMembers& members, const std::vector<std::string>& keys,
                     bool as_shard, std::vector<DocumentHit>* hits);

}  // namespace lookalike::engine
