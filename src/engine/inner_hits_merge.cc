// InnerHitsRound and MergeInnerHits (include/lookalike/search_merge.h): exact collapse
// inner_hits over partial results, in a second round restricted to the page's groups.
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "lookalike/search_merge.h"

namespace lookalike {
namespace {

// The collapse value a hit shows under "fields" (missing when it has none).
SortValue GroupOf(const DocumentHit& h, const std::string& field) {
  for (const HitField& f : h.fields) {
    if (f.name == field && !f.values.empty()) return f.values[0];
  }
  return SortValue::Missing();
}

// The documents whose collapse value is one of `groups`: keyword and boolean values by term,
// numbers (numeric and date fields) by an exact range, the missing value as "no value". For a
// multi-valued field this also keeps documents with a listed value that is not their first;
// those form other groups and only compete for the round's slots (collapse fields are single
// valued in Elasticsearch).
QueryNode GroupFilter(const std::string& field, const std::vector<SortValue>& groups) {
  BoolNode any;
  any.minimum_should_match = "1";
  TermsNode terms;
  terms.field = field;
  for (const SortValue& v : groups) {
    if (v.kind == SortValue::Kind::kString) {
      terms.values.push_back(v.text);
    } else if (v.missing()) {
      BoolNode none;
      none.must_not.push_back(QueryNode{ExistsNode{field}});
      any.should.push_back(QueryNode{std::move(none)});
    } else {
      RangeBound b;
      b.present = true;
      b.has_number = true;
      b.number = v.number;
      b.text = std::to_string(v.number);
      RangeNode r;
      r.field = field;
      r.lower = r.upper = b;
      any.should.push_back(QueryNode{std::move(r)});
    }
  }
  if (!terms.values.empty()) any.should.push_back(QueryNode{std::move(terms)});
  return QueryNode{std::move(any)};
}

// Whether member `a` comes before member `b` in `entry`'s order (as MergeSearchResults orders
// hits: missing sort values last in both orders, ties by index name and _id).
bool MemberBefore(const InnerHitsRequest& entry, const DocumentHit& a, const DocumentHit& b) {
  if (entry.ScoreSorted()) {
    if (a.score != b.score) return a.score > b.score;
  } else {
    for (size_t i = 0; i < entry.sort.size() && i < a.sort.size() && i < b.sort.size(); ++i) {
      const SortValue& x = a.sort[i];
      const SortValue& y = b.sort[i];
      if (x.missing() != y.missing()) return y.missing();
      int c = CompareSortValues(x, y);
      if (c != 0) return entry.sort[i].desc ? c > 0 : c < 0;
    }
  }
  if (a.index != b.index) return a.index < b.index;
  return a.id < b.id;
}

// Adds a partial's InnerHits of one group and entry into `into`.
void AddInnerHits(InnerHits&& from, InnerHits* into) {
  into->total += from.total;
  if (!std::isnan(from.max_score) &&
      (std::isnan(into->max_score) || from.max_score > into->max_score)) {
    into->max_score = from.max_score;
  }
  for (DocumentHit& h : from.hits) into->hits.push_back(std::move(h));
}

}  // namespace

SearchRequest InnerHitsRound(const SearchRequest& request, const SearchResult& page) {
  SearchRequest round = request;
  if (!request.collapse) return round;
  std::vector<SortValue> groups;
  for (const DocumentHit& h : page.hits) groups.push_back(GroupOf(h, request.collapse->field));
  BoolNode both;
  if (request.post_filter) both.filter.push_back(*request.post_filter);
  both.filter.push_back(GroupFilter(request.collapse->field, groups));
  round.post_filter = QueryNode{std::move(both)};
  round.from = 0;
  round.size = static_cast<int64_t>(page.hits.size());
  round.search_after.reset();  // the page's groups are named; members ignore search_after
  round.aggs.clear();
  round.track_total_hits = 0;
  return round;
}

Status MergeInnerHits(std::vector<SearchResult> partials, const SearchRequest& request,
                      SearchResult* page) {
  if (!request.collapse || request.collapse->inner_hits.empty()) return Status::OK();
  const CollapseRequest& collapse = *request.collapse;
  const size_t entries = collapse.inner_hits.size();
  std::unordered_map<std::string, size_t> position;  // group key → page hit
  for (size_t k = 0; k < page->hits.size(); ++k) {
    position.emplace(SortValueKey(GroupOf(page->hits[k], collapse.field)), k);
    page->hits[k].inner_hits.assign(entries, InnerHits{});
    for (size_t e = 0; e < entries; ++e) {
      page->hits[k].inner_hits[e].name = collapse.inner_hits[e].name;
    }
  }
  for (SearchResult& partial : partials) {
    for (DocumentHit& h : partial.hits) {
      auto it = position.find(SortValueKey(GroupOf(h, collapse.field)));
      if (it == position.end()) continue;  // another group (see GroupFilter)
      if (h.inner_hits.size() != entries) {
        return Status::InvalidArgument("a partial hit has " + std::to_string(h.inner_hits.size()) +
                                       " inner_hits entries for " + std::to_string(entries));
      }
      for (size_t e = 0; e < entries; ++e) {
        AddInnerHits(std::move(h.inner_hits[e]), &page->hits[it->second].inner_hits[e]);
      }
    }
  }
  for (DocumentHit& hit : page->hits) {
    for (size_t e = 0; e < entries; ++e) {
      const InnerHitsRequest& entry = collapse.inner_hits[e];
      std::vector<DocumentHit>& members = hit.inner_hits[e].hits;
      std::stable_sort(members.begin(), members.end(),
                       [&entry](const DocumentHit& a, const DocumentHit& b) {
                         return MemberBefore(entry, a, b);
                       });
      const size_t from = std::min(members.size(), static_cast<size_t>(entry.from));
      const size_t end = std::min(members.size(), from + static_cast<size_t>(entry.size));
      members.erase(members.begin() + static_cast<ptrdiff_t>(end), members.end());
      members.erase(members.begin(), members.begin() + static_cast<ptrdiff_t>(from));
    }
  }
  return Status::OK();
}

}  // namespace lookalike
