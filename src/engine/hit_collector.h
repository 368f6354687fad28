// The top-k / sort collector of a search: candidates offered by every searched index, kept in a
// bounded partial selection ordered by score or by sort keys, plus the helpers that type sort
// keys, search_after and collapse values for one index (searcher.cc runs it).
//
// Thread safety: a HitCollector belongs to one search call. The helpers that take an Index need
// its data_mu (shared).
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/index.h"
#include "lookalike/search_request.h"
#include "lookalike/search_result.h"

namespace lookalike::engine {

struct Candidate {
  size_t index_i;
  uint32_t doc;
  float score;
  std::vector<SortValue> keys;  // one per sort key when not score-sorted (kField keys only)
  // The slot's incarnation when the document matched: its number may be reused by another
  // document before the hit is fetched, and that document must not be returned in its place.
  uint32_t incarnation = 0;
  SortValue group;  // the collapse field's value (SearchRequest::collapse)
};

// The bounded top-`want` selection over all searched indices, plus the totals. Order: score
// descending (then index position in the request and document number) or the sort keys
// (missing values last in both orders, same tie-break).
class HitCollector {
 public:
  HitCollector(const SearchRequest& req, size_t want)
      : req_(req), want_(want), score_sort_(req.ScoreSorted()), collapse_(req.collapse) {}

  bool score_sort() const { return score_sort_; }
  size_t want() const { return want_; }

  bool Better(const Candidate& a, const Candidate& b) const {
    if (!score_sort_) {
      for (size_t i = 0; i < req_.sort.size(); ++i) {
        int c = CompareKey(req_.sort[i], i, a, b);
        if (c == kMissingFirst) return true;
        if (c == kMissingSecond) return false;
        if (c != 0) return req_.sort[i].desc ? c > 0 : c < 0;
      }
    } else if (a.score != b.score) {
      return a.score > b.score;
    }
    if (a.index_i != b.index_i) return a.index_i < b.index_i;
    return a.doc < b.doc;
  }

  // Every match counts towards the total and max_score, even those search_after skips.
  void Count(float score) {
    ++total_;
    max_score_ = std::max(max_score_, score);
  }

  // Keeps a match as a candidate for the page (want() > 0). With collapse, a candidate
  // replaces its group's current one when better, so candidates_ holds one per group.
  void Offer(Candidate c) {
    if (collapse_) {
      auto [it, inserted] = group_pos_.try_emplace(SortValueKey(c.group), candidates_.size());
      if (!inserted) {
        if (Better(c, candidates_[it->second])) candidates_[it->second] = std::move(c);
        return;
      }
    }
    candidates_.push_back(std::move(c));
    if (candidates_.size() > 2 * want_ + 1024) Prune();
  }

  int64_t total() const { return total_; }
  // A capped match set (Matches::capped) was counted: total() is a lower bound.
  void MarkTotalLowerBound() { total_lower_bound_ = true; }
  bool total_lower_bound() const { return total_lower_bound_; }
  float max_score() const { return max_score_; }

  // The hits from `from` on, best first.
  std::vector<Candidate> TakePage(int64_t from) {
    std::sort(candidates_.begin(), candidates_.end(),
              [this](const auto& a, const auto& b) { return Better(a, b); });
    if (candidates_.size() > want_) candidates_.resize(want_);
    size_t first = static_cast<size_t>(
        std::min<int64_t>(from, static_cast<int64_t>(candidates_.size())));
    candidates_.erase(candidates_.begin(), candidates_.begin() + static_cast<ptrdiff_t>(first));
    return std::move(candidates_);
  }

 private:
  // A missing value sorts last whatever the order: these two results bypass `desc`.
  static constexpr int kMissingFirst = 2, kMissingSecond = -2;

  // Keeps the best want_ candidates. A pruned group may come back with a later member: that
  // member is then worse than every kept candidate's cut and cannot reach the page, since the
  // cut only rises.
  void Prune() {
    std::nth_element(candidates_.begin(), candidates_.begin() + static_cast<ptrdiff_t>(want_) - 1,
                     candidates_.end(),
                     [this](const auto& a, const auto& b) { return Better(a, b); });
    candidates_.resize(want_);
    if (!collapse_) return;
    group_pos_.clear();
    for (size_t i = 0; i < candidates_.size(); ++i) {
      group_pos_[SortValueKey(candidates_[i].group)] = i;
    }
  }


  static int CompareKey(const SortKey& k, size_t i, const Candidate& a, const Candidate& b) {
    switch (k.kind) {
      case SortKey::Kind::kScore:
        return a.score < b.score ? -1 : (a.score > b.score ? 1 : 0);
      case SortKey::Kind::kDoc:
        if (a.index_i != b.index_i) return a.index_i < b.index_i ? -1 : 1;
        return a.doc < b.doc ? -1 : (a.doc > b.doc ? 1 : 0);
      case SortKey::Kind::kField:
        break;
    }
    const SortValue& x = a.keys[i];
    const SortValue& y = b.keys[i];
    if (x.missing() != y.missing()) return y.missing() ? kMissingFirst : kMissingSecond;
    return CompareSortValues(x, y);
  }

  const SearchRequest& req_;
  size_t want_;
  bool score_sort_;
  bool collapse_;
  std::vector<Candidate> candidates_;
  std::unordered_map<std::string, size_t> group_pos_;  // collapse: group → its candidate
  int64_t total_ = 0;
  bool total_lower_bound_ = false;
  float max_score_ = -INFINITY;
};

// The field structure of each kField sort key in `index` (null when no document has a value);
// kInvalidValue for unsortable or unmapped fields, as Elasticsearch.
Result<std::vector<const FieldIndex*>> ResolveSortFields(const Index& index,
                                                         const SearchRequest& req);
// search_after: the previous page's last hit as a candidate, typed like this index's sort
// fields (see hit_collector.cc).
Candidate AfterCandidate(const SearchRequest& req,
                         const std::vector<const FieldIndex*>& sort_fields);
// Document d's value of a sortable field (its first term for keyword and boolean fields):
// missing when `fi` is null or the document has none.
SortValue FieldValue(const FieldIndex* fi, uint32_t d);
// The sort-field values of document `d` (kField keys; others stay missing).
void FillSortKeys(const std::vector<const FieldIndex*>& sort_fields, uint32_t d,
                  std::vector<SortValue>* keys);
// The field structure of the collapse field in `index` (null when no document has a value, or
// no collapse); kInvalidValue for an unmapped field or one of another type.
Result<const FieldIndex*> ResolveCollapseField(const Index& index, const SearchRequest& req);
// The hit's sort values as the response shows them.
std::vector<SortValue> HitSortValues(const SearchRequest& req, Candidate& c);

}  // namespace lookalike::engine
