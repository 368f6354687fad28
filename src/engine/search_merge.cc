// MergeSearchResults (include/lookalike/search_merge.h).
#include "lookalike/search_merge.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>

namespace lookalike {
namespace {

// Sorted by score alone: hits carry no sort values (as the engine renders them).
bool ScoreOnly(const MergeSpec& spec) {
  return spec.sort.empty() ||
         (spec.sort.size() == 1 && spec.sort[0].by_score && spec.sort[0].descending);
}

// Whether hit `a` comes before hit `b` in the merged order.
bool Before(const MergeSpec& spec, const DocumentHit& a, const DocumentHit& b) {
  if (ScoreOnly(spec)) {
    if (a.score != b.score) return a.score > b.score;
  } else {
    for (size_t i = 0; i < spec.sort.size(); ++i) {
      const SortValue& x = a.sort[i];
      const SortValue& y = b.sort[i];
      if (x.missing() != y.missing()) return y.missing();  // missing last in both orders
      int c = CompareSortValues(x, y);
      if (c != 0) return spec.sort[i].descending ? c > 0 : c < 0;
    }
  }
  if (a.index != b.index) return a.index < b.index;
  return a.id < b.id;
}

Status CheckSameAggregations(const SearchResult& a, const SearchResult& b) {
  if (a.aggregations.size() != b.aggregations.size()) {
    return Status::InvalidArgument("partial results hold different aggregations");
  }
  for (size_t i = 0; i < a.aggregations.size(); ++i) {
    if (a.aggregations[i].name != b.aggregations[i].name ||
        a.aggregations[i].kind != b.aggregations[i].kind) {
      return Status::InvalidArgument("partial results hold different aggregations ([" +
                                     a.aggregations[i].name + "] vs [" +
                                     b.aggregations[i].name + "])");
    }
  }
  return Status::OK();
}

void MergeAggregation(AggregationPartial* into, const AggregationPartial& from) {
  for (const auto& [key, n] : from.term_counts) into->term_counts[key] += n;
  for (const auto& [key, n] : from.number_counts) into->number_counts[key] += n;
  into->boolean_keys |= from.boolean_keys;
  if (from.count > 0) {
    into->min = into->count == 0 ? from.min : std::min(into->min, from.min);
    into->max = into->count == 0 ? from.max : std::max(into->max, from.max);
  }
  into->sum += from.sum;
  into->count += from.count;
}

// hits.total of the merged result (see the header for why this is exact).
TotalHits MergeTotals(const std::vector<SearchResult>& partials, int64_t limit) {
  TotalHits total;
  total.tracked = limit != 0;
  if (!total.tracked) return total;
  bool capped = false;
  for (const SearchResult& p : partials) {
    total.value += p.total.value;
    capped |= p.total.relation == TotalHits::Relation::kGreaterOrEqual;
  }
  if (limit > 0 && (capped || total.value > limit)) {
    total.value = limit;
    total.relation = TotalHits::Relation::kGreaterOrEqual;
  }
  return total;
}

// Drops every hit (sorted best first) whose collapse value an earlier hit already has. A hit
// without the field is in the group of missing values.
void KeepFirstOfEachGroup(const std::string& field, std::vector<DocumentHit>* hits) {
  std::unordered_set<std::string> seen;
  size_t kept = 0;
  for (DocumentHit& h : *hits) {
    auto f = std::find_if(h.fields.begin(), h.fields.end(),
                          [&field](const HitField& x) { return x.name == field; });
    const bool has_value = f != h.fields.end() && !f->values.empty();
    if (!seen.insert(SortValueKey(has_value ? f->values[0] : SortValue::Missing())).second) {
      continue;
    }
    if (&(*hits)[kept] != &h) (*hits)[kept] = std::move(h);  // no self-move
    ++kept;
  }
  hits->resize(kept);
}

}  // namespace

Result<SearchResult> MergeSearchResults(std::vector<SearchResult> partials,
                                        const MergeSpec& spec) {
  SearchResult out;
  if (partials.empty()) return out;
  std::vector<DocumentHit> hits;
  for (SearchResult& p : partials) {
    LOOKALIKE_RETURN_IF_ERROR(CheckSameAggregations(partials.front(), p));
    out.took_ms = std::max(out.took_ms, p.took_ms);
    out.timed_out |= p.timed_out;
    out.shards.total += p.shards.total;
    out.shards.successful += p.shards.successful;
    out.shards.skipped += p.shards.skipped;
    out.shards.failed += p.shards.failed;
    // Every shard embedded the same input; the slowest one says how long it took.
    if (p.embedding && (!out.embedding || p.embedding->took_ms > out.embedding->took_ms)) {
      out.embedding = p.embedding;
    }
    if (!std::isnan(p.max_score) &&
        (std::isnan(out.max_score) || p.max_score > out.max_score)) {
      out.max_score = p.max_score;
    }
    for (DocumentHit& h : p.hits) {
      if (h.sort.size() != (ScoreOnly(spec) ? 0 : spec.sort.size())) {
        return Status::InvalidArgument("a partial hit has " + std::to_string(h.sort.size()) +
                                       " sort values for " + std::to_string(spec.sort.size()) +
                                       " sort keys");
      }
      hits.push_back(std::move(h));
    }
  }
  out.total = MergeTotals(partials, spec.track_total_hits);
  size_t from = static_cast<size_t>(std::max<int64_t>(spec.from, 0));
  auto before = [&spec](const DocumentHit& a, const DocumentHit& b) { return Before(spec, a, b); };
  if (!spec.collapse_field.empty()) {
    std::sort(hits.begin(), hits.end(), before);
    KeepFirstOfEachGroup(spec.collapse_field, &hits);
  }
  size_t end = std::min(hits.size(), from + static_cast<size_t>(std::max<int64_t>(spec.size, 0)));
  if (from < end) {
    std::partial_sort(hits.begin(), hits.begin() + static_cast<ptrdiff_t>(end), hits.end(),
                      before);
    out.hits.assign(std::make_move_iterator(hits.begin() + static_cast<ptrdiff_t>(from)),
                    std::make_move_iterator(hits.begin() + static_cast<ptrdiff_t>(end)));
  }
  out.aggregations = std::move(partials.front().aggregations);
  for (size_t p = 1; p < partials.size(); ++p) {
    for (size_t i = 0; i < out.aggregations.size(); ++i) {
      MergeAggregation(&out.aggregations[i], partials[p].aggregations[i]);
    }
  }
  return out;
}

}  // namespace lookalike
