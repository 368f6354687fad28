// Coding of the typed results shard copies send back; layout in docs/formats/search-result.md.
#include "cluster/search_wire.h"
#include "cluster/wire_coding.h"

namespace lookalike::cluster {
namespace {

// Smallest encodings (bounds for the counts a reader accepts).
constexpr size_t kMinSortValueBytes = 1 + 8 + 4;
constexpr size_t kMinHitBytes = 4 + 4 + 4 + 4 + 1 + 4 + 3 * 8 + 4 + 1 + 4;
constexpr size_t kMinInnerHitsBytes = 4 + 8 + 4 + 4;  // name, total, max_score, hit count
constexpr size_t kMinAggBytes = 4 + 1 + 8 + 4 + 4 + 1 + 3 * 8 + 8;

void PutSortValues(const std::vector<SortValue>& values, WireWriter* w) {
  w->Count(values.size());
  for (const SortValue& v : values) {
    w->Put<uint8_t>(static_cast<uint8_t>(v.kind));
    w->Put<double>(v.number);
    w->String(v.text);
  }
}

void PutShards(const ShardCounts& shards, WireWriter* w) {
  w->Put<int64_t>(shards.total);
  w->Put<int64_t>(shards.successful);
  w->Put<int64_t>(shards.skipped);
  w->Put<int64_t>(shards.failed);
}

void PutHit(const DocumentHit& hit, WireWriter* w) {
  w->String(hit.index);
  w->String(hit.id);
  w->Put<float>(hit.score);
  PutSortValues(hit.sort, w);
  w->Bool(hit.has_source);
  w->String(hit.source);
  w->Put<int64_t>(hit.version);
  w->Put<int64_t>(hit.seq_no);
  w->Put<int64_t>(hit.primary_term);
  w->Count(hit.fields.size());
  for (const HitField& field : hit.fields) {
    w->String(field.name);
    PutSortValues(field.values, w);
  }
  // Version 3: where a nested knn's inner hit sits (absent on every other hit).
  w->Bool(hit.nested.has_value());
  if (hit.nested) {
    w->String(hit.nested->field);
    w->Put<int64_t>(hit.nested->offset);
  }
  w->Count(hit.inner_hits.size());
  for (const InnerHits& inner : hit.inner_hits) {
    w->String(inner.name);
    w->Put<int64_t>(inner.total);
    w->Put<float>(inner.max_score);
    w->Count(inner.hits.size());
    for (const DocumentHit& member : inner.hits) PutHit(member, w);
  }
}

void PutAggregation(const AggregationPartial& agg, WireWriter* w) {
  w->String(agg.name);
  w->Put<uint8_t>(static_cast<uint8_t>(agg.kind));
  w->Put<int64_t>(agg.size);
  w->Count(agg.term_counts.size());
  for (const auto& [key, count] : agg.term_counts) {
    w->String(key);
    w->Put<int64_t>(count);
  }
  w->Count(agg.number_counts.size());
  for (const auto& [key, count] : agg.number_counts) {
    w->Put<double>(key);
    w->Put<int64_t>(count);
  }
  w->Bool(agg.boolean_keys);
  w->Put<double>(agg.min);
  w->Put<double>(agg.max);
  w->Put<double>(agg.sum);
  w->Put<int64_t>(agg.count);
}

bool GetSortValues(WireReader& r, std::vector<SortValue>* values) {
  size_t n = 0;
  if (!r.Count(kMinSortValueBytes, &n)) return false;
  values->resize(n);
  for (SortValue& v : *values) {
    uint8_t kind = 0;
    if (!r.Get(&kind)) return false;
    if (kind > static_cast<uint8_t>(SortValue::Kind::kString)) return r.Fail();
    v.kind = static_cast<SortValue::Kind>(kind);
    if (!r.Get(&v.number) || !r.String(&v.text)) return false;
  }
  return true;
}

bool GetShards(WireReader& r, ShardCounts* shards) {
  return r.Get(&shards->total) && r.Get(&shards->successful) && r.Get(&shards->skipped) &&
         r.Get(&shards->failed);
}

// `member`: a hit inside inner_hits, which has no inner_hits of its own (refused, so a forged
// message cannot nest deeply).
bool GetHit(WireReader& r, DocumentHit* hit, bool member = false) {
  size_t n = 0;
  if (!r.String(&hit->index) || !r.String(&hit->id) || !r.Get(&hit->score) ||
      !GetSortValues(r, &hit->sort) || !r.Bool(&hit->has_source) || !r.String(&hit->source) ||
      !r.Get(&hit->version) || !r.Get(&hit->seq_no) || !r.Get(&hit->primary_term) ||
      !r.Count(8, &n)) {
    return false;
  }
  hit->fields.resize(n);
  for (HitField& field : hit->fields) {
    if (!r.String(&field.name) || !GetSortValues(r, &field.values)) return false;
  }
  bool nested = false;
  if (!r.Bool(&nested)) return false;
  if (nested) {
    NestedIdentity& id = hit->nested.emplace();
    if (!r.String(&id.field) || !r.Get(&id.offset)) return false;
  }
  if (!r.Count(kMinInnerHitsBytes, &n)) return false;
  if (member && n > 0) return r.Fail();
  hit->inner_hits.resize(n);
  for (InnerHits& inner : hit->inner_hits) {
    if (!r.String(&inner.name) || !r.Get(&inner.total) || !r.Get(&inner.max_score) ||
        !r.Count(kMinHitBytes, &n)) {
      return false;
    }
    inner.hits.resize(n);
    for (DocumentHit& m : inner.hits) {
      if (!GetHit(r, &m, /*member=*/true)) return false;
    }
  }
  return true;
}

// Map keys must arrive strictly ascending, as the encoder writes them: a repeated or unordered
// key would decode to a map that encodes differently (and hides a damaged message).
bool GetAggregation(WireReader& r, AggregationPartial* agg) {
  uint8_t kind = 0;
  size_t n = 0;
  if (!r.String(&agg->name) || !r.Get(&kind)) return false;
  if (kind > static_cast<uint8_t>(AggregationPartial::Kind::kValueCount)) return r.Fail();
  agg->kind = static_cast<AggregationPartial::Kind>(kind);
  if (!r.Get(&agg->size) || !r.Count(4 + 8, &n)) return false;
  for (size_t i = 0; i < n; ++i) {
    std::string key;
    int64_t count = 0;
    if (!r.String(&key) || !r.Get(&count)) return false;
    if (!agg->term_counts.empty() && !(agg->term_counts.rbegin()->first < key)) return r.Fail();
    agg->term_counts.emplace_hint(agg->term_counts.end(), std::move(key), count);
  }
  if (!r.Count(8 + 8, &n)) return false;
  for (size_t i = 0; i < n; ++i) {
    double key = 0;
    int64_t count = 0;
    if (!r.Get(&key) || !r.Get(&count)) return false;
    // NaN keys never compare in order; refuse them like an unordered key.
    if (key != key) return r.Fail();
    if (!agg->number_counts.empty() && !(agg->number_counts.rbegin()->first < key)) {
      return r.Fail();
    }
    agg->number_counts.emplace_hint(agg->number_counts.end(), key, count);
  }
  return r.Bool(&agg->boolean_keys) && r.Get(&agg->min) && r.Get(&agg->max) && r.Get(&agg->sum) &&
         r.Get(&agg->count);
}

Status Damaged(std::string_view what) {
  return Status::Corruption(std::string(what) +
                            " is damaged (truncated, trailing bytes or an unknown tag)");
}

}  // namespace

std::string EncodeSearchResult(const SearchResult& result) {
  std::string payload;
  WireWriter w(&payload);
  w.Put<int64_t>(result.took_ms);
  w.Bool(result.timed_out);
  PutShards(result.shards, &w);
  w.Bool(result.total.tracked);
  w.Put<int64_t>(result.total.value);
  w.Put<uint8_t>(static_cast<uint8_t>(result.total.relation));
  w.Put<float>(result.max_score);
  w.Count(result.hits.size());
  for (const DocumentHit& hit : result.hits) PutHit(hit, &w);
  w.Count(result.aggregations.size());
  for (const AggregationPartial& agg : result.aggregations) PutAggregation(agg, &w);
  w.Bool(result.embedding.has_value());
  if (result.embedding) {
    w.Put<double>(result.embedding->took_ms);
    w.String(result.embedding->model);
  }
  return FrameWireMessage(kSearchResultMagic, payload);
}

Result<SearchResult> DecodeSearchResult(std::string_view bytes) {
  LOOKALIKE_ASSIGN_OR_RETURN(std::string_view payload,
                             UnframeWireMessage(kSearchResultMagic, bytes, "search result"));
  WireReader r(payload);
  SearchResult result;
  uint8_t relation = 0;
  size_t n = 0;
  bool ok = r.Get(&result.took_ms) && r.Bool(&result.timed_out) && GetShards(r, &result.shards) &&
            r.Bool(&result.total.tracked) && r.Get(&result.total.value) && r.Get(&relation) &&
            (relation <= 1 || r.Fail()) && r.Get(&result.max_score) && r.Count(kMinHitBytes, &n);
  if (!ok) return Damaged("search result");
  result.total.relation = static_cast<TotalHits::Relation>(relation);
  result.hits.resize(n);
  for (DocumentHit& hit : result.hits) {
    if (!GetHit(r, &hit)) return Damaged("search result");
  }
  if (!r.Count(kMinAggBytes, &n)) return Damaged("search result");
  result.aggregations.resize(n);
  for (AggregationPartial& agg : result.aggregations) {
    if (!GetAggregation(r, &agg)) return Damaged("search result");
  }
  bool has_embedding = false;
  if (!r.Bool(&has_embedding)) return Damaged("search result");
  if (has_embedding) {
    // Built aside and moved in: clang refuses optional<Embedding>::emplace() (a nested struct
    // with default member initializers is not default-constructible where optional is used).
    SearchResult::Embedding embedding;
    if (!r.Get(&embedding.took_ms) || !r.String(&embedding.model)) return Damaged("search result");
    result.embedding = std::move(embedding);
  }
  if (!r.done()) return Damaged("search result");
  return result;
}

std::string EncodeCountResult(const CountResult& result) {
  std::string payload;
  WireWriter w(&payload);
  w.Put<int64_t>(result.count);
  PutShards(result.shards, &w);
  return FrameWireMessage(kCountResultMagic, payload);
}

Result<CountResult> DecodeCountResult(std::string_view bytes) {
  LOOKALIKE_ASSIGN_OR_RETURN(std::string_view payload,
                             UnframeWireMessage(kCountResultMagic, bytes, "count result"));
  WireReader r(payload);
  CountResult result;
  if (!r.Get(&result.count) || !GetShards(r, &result.shards) || !r.done()) {
    return Damaged("count result");
  }
  return result;
}

std::string EncodeStoredDocument(const StoredDocument& document) {
  std::string payload;
  WireWriter w(&payload);
  w.String(document.index);
  w.String(document.id);
  w.Bool(document.found);
  w.Put<int64_t>(document.version);
  w.Put<int64_t>(document.seq_no);
  w.Put<int64_t>(document.primary_term);
  w.Bool(document.source.has_value());
  if (document.source) w.String(*document.source);
  return FrameWireMessage(kStoredDocumentMagic, payload);
}

Result<StoredDocument> DecodeStoredDocument(std::string_view bytes) {
  LOOKALIKE_ASSIGN_OR_RETURN(std::string_view payload,
                             UnframeWireMessage(kStoredDocumentMagic, bytes, "stored document"));
  WireReader r(payload);
  StoredDocument document;
  bool has_source = false;
  bool ok = r.String(&document.index) && r.String(&document.id) && r.Bool(&document.found) &&
            r.Get(&document.version) && r.Get(&document.seq_no) &&
            r.Get(&document.primary_term) && r.Bool(&has_source) &&
            (!has_source || r.String(&document.source.emplace())) && r.done();
  if (!ok) return Damaged("stored document");
  return document;
}

std::string EncodeShardError(const Status& status) {
  std::string payload;
  WireWriter w(&payload);
  w.Put<uint8_t>(static_cast<uint8_t>(status.code()));
  w.Put<uint8_t>(static_cast<uint8_t>(status.kind()));
  w.String(status.message());
  return FrameWireMessage(kShardErrorMagic, payload);
}

Status DecodeShardError(std::string_view bytes) {
  auto framed = UnframeWireMessage(kShardErrorMagic, bytes, "shard error");
  if (!framed.ok()) return framed.status();
  WireReader r(*framed);
  uint8_t code = 0, kind = 0;
  std::string message;
  if (!r.Get(&code) || !r.Get(&kind) || !r.String(&message) || !r.done() || code == 0 ||
      code > static_cast<uint8_t>(StatusCode::kPermissionDenied) || kind >= kErrorKindCount) {
    return Damaged("shard error");
  }
  return Status(static_cast<StatusCode>(code), message).WithKind(static_cast<ErrorKind>(kind));
}

}  // namespace lookalike::cluster
