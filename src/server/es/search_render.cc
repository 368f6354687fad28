#include "server/es/search_render.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "common/json_writer.h"
#include "server/es/cluster_render.h"

namespace lookalike::es {
namespace {

// Whole numbers print as integers, like Elasticsearch's long fields; others as doubles.
void WriteNumber(JsonWriter& w, double v) {
  if (v == std::floor(v) && std::fabs(v) < 9e15) {
    w.Int(static_cast<int64_t>(v));
  } else {
    w.Double(v);
  }
}

void WriteSortValue(JsonWriter& w, const SortValue& v) {
  switch (v.kind) {
    case SortValue::Kind::kMissing:
      w.Null();
      break;
    case SortValue::Kind::kNumber:
      WriteNumber(w, v.number);
      break;
    case SortValue::Kind::kScore:
      w.Float(static_cast<float>(v.number));
      break;
    case SortValue::Kind::kString:
      w.String(v.text);
      break;
  }
}

void WriteShards(JsonWriter& w, const ShardCounts& s,
                 const std::vector<ShardFailure>* failures = nullptr) {
  w.Key("_shards").BeginObject().Key("total").Int(s.total).Key("successful").Int(s.successful)
      .Key("skipped").Int(s.skipped).Key("failed").Int(s.failed);
  if (failures != nullptr && !failures->empty()) {
    w.Key("failures").BeginArray();
    for (const ShardFailure& f : *failures) {
      w.BeginObject().Key("shard").Int(f.shard).Key("index").String(f.index).Key("node");
      if (f.node.empty()) {
        w.Null();
      } else {
        w.String(f.node);
      }
      w.Key("reason").BeginObject().Key("type").String(f.type.empty() ? "exception" : f.type)
          .Key("reason").String(f.reason).EndObject().EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

void WriteHit(JsonWriter& w, const DocumentHit& hit) {
  w.BeginObject().Key("_index").String(hit.index).Key("_id").String(hit.id);
  if (hit.version != DocumentHit::kAbsent) w.Key("_version").Int(hit.version);
  if (hit.seq_no != DocumentHit::kAbsent) {
    w.Key("_seq_no").Int(hit.seq_no).Key("_primary_term").Int(hit.primary_term);
  }
  if (hit.nested) {
    w.Key("_nested").BeginObject().Key("field").String(hit.nested->field).Key("offset")
        .Int(hit.nested->offset).EndObject();
  }
  if (hit.scored()) {
    w.Key("_score").Float(hit.score);
  } else {
    w.Key("_score").Null();
  }
  if (hit.has_source) w.Key("_source").Raw(hit.source);
  if (!hit.fields.empty()) {
    w.Key("fields").BeginObject();
    for (const HitField& f : hit.fields) {
      w.Key(f.name).BeginArray();
      for (const SortValue& v : f.values) WriteSortValue(w, v);
      w.EndArray();
    }
    w.EndObject();
  }
  if (!hit.sort.empty()) {
    w.Key("sort").BeginArray();
    for (const SortValue& v : hit.sort) WriteSortValue(w, v);
    w.EndArray();
  }
  if (!hit.inner_hits.empty()) {
    // Elasticsearch's shape: each entry is a whole "hits" section of its own.
    w.Key("inner_hits").BeginObject();
    for (const InnerHits& inner : hit.inner_hits) {
      w.Key(inner.name).BeginObject().Key("hits").BeginObject();
      w.Key("total").BeginObject().Key("value").Int(inner.total).Key("relation").String("eq")
          .EndObject();
      if (std::isnan(inner.max_score)) {
        w.Key("max_score").Null();
      } else {
        w.Key("max_score").Float(inner.max_score);
      }
      w.Key("hits").BeginArray();
      for (const DocumentHit& member : inner.hits) WriteHit(w, member);
      w.EndArray().EndObject().EndObject();
    }
    w.EndObject();
  }
  w.EndObject();
}

void WriteTermsBuckets(JsonWriter& w, const AggregationPartial& a) {
  struct Bucket {
    const std::string* term;
    double number;
    int64_t count;
  };
  std::vector<Bucket> buckets;
  buckets.reserve(a.term_counts.size() + a.number_counts.size());
  for (const auto& [t, c] : a.term_counts) buckets.push_back({&t, 0, c});
  for (const auto& [v, c] : a.number_counts) buckets.push_back({nullptr, v, c});
  // Most documents first; ties by key, ascending (both maps are already key-ordered).
  std::stable_sort(buckets.begin(), buckets.end(),
                   [](const Bucket& x, const Bucket& y) { return x.count > y.count; });
  size_t shown = std::min(buckets.size(), static_cast<size_t>(std::max<int64_t>(a.size, 0)));
  int64_t other = 0;
  for (size_t b = shown; b < buckets.size(); ++b) other += buckets[b].count;
  w.Key("doc_count_error_upper_bound").Int(0).Key("sum_other_doc_count").Int(other);
  w.Key("buckets").BeginArray();
  for (size_t b = 0; b < shown; ++b) {
    w.BeginObject().Key("key");
    if (buckets[b].term == nullptr) {
      WriteNumber(w, buckets[b].number);
    } else if (a.boolean_keys) {
      w.Int(*buckets[b].term == "true" ? 1 : 0).Key("key_as_string").String(*buckets[b].term);
    } else {
      w.String(*buckets[b].term);
    }
    w.Key("doc_count").Int(buckets[b].count).EndObject();
  }
  w.EndArray();
}

void WriteAggregations(JsonWriter& w, const std::vector<AggregationPartial>& aggs) {
  using K = AggregationPartial::Kind;
  w.BeginObject();
  for (const AggregationPartial& a : aggs) {
    w.Key(a.name).BeginObject();
    if (a.kind == K::kTerms) {
      WriteTermsBuckets(w, a);
    } else if (a.kind == K::kValueCount) {
      w.Key("value").Int(a.count);
    } else if (a.kind == K::kSum) {
      w.Key("value").Double(a.sum);
    } else if (a.count == 0) {
      w.Key("value").Null();
    } else {
      w.Key("value").Double(a.kind == K::kMin   ? a.min
                            : a.kind == K::kMax ? a.max
                                                : a.sum / static_cast<double>(a.count));
    }
    w.EndObject();
  }
  w.EndObject();
}

}  // namespace

namespace {

std::string RenderSearch(const SearchResult& r, std::string_view leading_members,
                         const std::vector<ShardFailure>* failures) {
  std::string out;
  size_t sources = 0;
  for (const DocumentHit& h : r.hits) sources += h.source.size() + h.id.size() + h.index.size();
  out.reserve(256 + leading_members.size() + sources + 96 * r.hits.size());
  JsonWriter w(&out);
  w.BeginObject();
  if (!leading_members.empty()) w.Raw(leading_members);
  if (r.embedding) {
    // How long the neural query's input took to embed (one decimal) and which model made it.
    char ms[48];
    std::snprintf(ms, sizeof(ms), "%.1f", r.embedding->took_ms);
    w.Key("embed_took").Raw(ms).Key("model").String(r.embedding->model);
  }
  w.Key("took").Int(r.took_ms).Key("timed_out").Bool(r.timed_out);
  WriteShards(w, r.shards, failures);
  w.Key("hits").BeginObject();
  if (r.total.tracked) {
    w.Key("total").BeginObject().Key("value").Int(r.total.value).Key("relation")
        .String(r.total.relation == TotalHits::Relation::kEqual ? "eq" : "gte").EndObject();
  }
  if (std::isnan(r.max_score)) {
    w.Key("max_score").Null();
  } else {
    w.Key("max_score").Float(r.max_score);
  }
  w.Key("hits").BeginArray();
  for (const DocumentHit& hit : r.hits) WriteHit(w, hit);
  w.EndArray().EndObject();
  if (!r.aggregations.empty()) {
    w.Key("aggregations");
    WriteAggregations(w, r.aggregations);
  }
  w.EndObject();
  return out;
}

std::string RenderCount(const CountResult& r, const std::vector<ShardFailure>* failures) {
  JsonWriter w;
  w.BeginObject().Key("count").Int(r.count);
  WriteShards(w, r.shards, failures);
  w.EndObject();
  return w.Take();
}

}  // namespace

std::string RenderSearchResponse(const SearchResult& r, std::string_view leading_members) {
  return RenderSearch(r, leading_members, nullptr);
}

std::string RenderCountResponse(const CountResult& r) { return RenderCount(r, nullptr); }

std::string RenderClusterSearchResponse(const SearchResult& result,
                                        const std::vector<ShardFailure>& failures,
                                        std::string_view leading_members) {
  return RenderSearch(result, leading_members, &failures);
}

std::string RenderClusterCountResponse(const CountResult& result,
                                       const std::vector<ShardFailure>& failures) {
  return RenderCount(result, &failures);
}

}  // namespace lookalike::es
