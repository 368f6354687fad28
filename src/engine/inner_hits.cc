// collapse.inner_hits (inner_hits.h).
#include "engine/inner_hits.h"

#include <cmath>
#include <shared_mutex>

#include "engine/hit_collector.h"
#include "engine/searcher.h"

namespace lookalike::engine {
namespace {

// What FetchHit and the HitCollector read of an inner_hits entry, as a request of its own.
SearchRequest EntryRequest(const InnerHitsRequest& entry) {
  SearchRequest r;
  r.sort = entry.sort;
  r.source = entry.source;
  r.version = entry.version;
  r.seq_no_primary_term = entry.seq_no_primary_term;
  r.size = entry.size;
  r.from = entry.from;
  return r;
}

// Offers the members of index `ii` in each page group to that group's collector (one per hit).
Status OfferMembers(Index& index, size_t ii, const SearchRequest& entry,
                    const GroupMembers& members, const std::vector<std::string>& keys,
                    std::vector<HitCollector>* collectors) {
  std::shared_lock lock(index.data_mu);
  LOOKALIKE_ASSIGN_OR_RETURN(auto sort_fields, ResolveSortFields(index, entry));
  for (size_t k = 0; k < keys.size(); ++k) {
    const std::vector<GroupMember>* group = members.Find(keys[k]);
    if (group == nullptr) continue;
    HitCollector& collector = (*collectors)[k];
    for (const GroupMember& m : *group) {
      if (m.index_i != ii) continue;
      collector.Count(m.score);
      if (collector.want() == 0) continue;
      Candidate c{ii, m.doc, m.score, {}, m.incarnation, {}};
      // A reused number holds another document now: FetchHit drops it, its keys do not matter.
      if (!collector.score_sort() && m.doc < index.slots.size()) {
        FillSortKeys(sort_fields, m.doc, &c.keys);
      }
      collector.Offer(std::move(c));
    }
  }
  return Status::OK();
}

}  // namespace

Status CheckInnerHitsWindow(const SearchRequest& req, int64_t window) {
  if (!req.collapse) return Status::OK();
  for (const InnerHitsRequest& e : req.collapse->inner_hits) {
    const int64_t end = e.from > INT64_MAX - e.size ? INT64_MAX : e.from + e.size;
    if (end > window) {
      return IllegalArgument("Inner result window is too large, the inner hit definition's [" +
                             e.name + "]'s from + size must be less than or equal to: [" +
                             std::to_string(window) + "] but was [" + std::to_string(end) +
                             "]. This limit can be set by changing the "
                             "[index.max_inner_result_window] index level setting.");
    }
    if (e.size < 0 || e.from < 0) {
      return IllegalArgument("[inner_hits] [" + e.name + "] size and from cannot be negative");
    }
  }
  return Status::OK();
}

Status FillInnerHits(const storage::DocStore& store,
                     const std::vector<std::shared_ptr<Index>>& targets, const SearchRequest& req,
                     const GroupMembers& members, const std::vector<std::string>& keys,
                     bool as_shard, std::vector<DocumentHit>* hits) {
  if (!req.collapse || req.collapse->inner_hits.empty()) return Status::OK();
  for (DocumentHit& h : *hits) h.inner_hits.reserve(req.collapse->inner_hits.size());
  for (const InnerHitsRequest& e : req.collapse->inner_hits) {
    const SearchRequest entry = EntryRequest(e);
    const size_t want = static_cast<size_t>(e.from + e.size);
    std::vector<HitCollector> collectors;
    collectors.reserve(keys.size());
    for (size_t k = 0; k < keys.size(); ++k) collectors.emplace_back(entry, want);
    for (size_t ii = 0; ii < targets.size(); ++ii) {
      LOOKALIKE_RETURN_IF_ERROR(OfferMembers(*targets[ii], ii, entry, members, keys, &collectors));
    }
    for (size_t k = 0; k < keys.size(); ++k) {
      HitCollector& collector = collectors[k];
      InnerHits out;
      out.name = e.name;
      out.total = collector.total();
      if (collector.total() > 0 && collector.score_sort()) out.max_score = collector.max_score();
      std::vector<Candidate> page = collector.want() == 0
                                        ? std::vector<Candidate>{}
                                        : collector.TakePage(as_shard ? 0 : e.from);
      for (Candidate& c : page) {
        DocumentHit member;
        if (FetchHit(store, *targets[c.index_i], entry, collector.score_sort(), c, &member)) {
          out.hits.push_back(std::move(member));
        }
      }
      (*hits)[k].inner_hits.push_back(std::move(out));
    }
  }
  return Status::OK();
}

}  // namespace lookalike::engine
