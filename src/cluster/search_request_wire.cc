// Coding of the typed requests the coordinator sends to shard copies; layout in
// docs/formats/search-request.md.
#include <variant>

#include "cluster/search_wire.h"
#include "cluster/wire_coding.h"

namespace lookalike::cluster {
namespace {

// Node tags: the index of the alternative in QueryNode::node, fixed by the format.
enum NodeTag : uint8_t {
  kMatchAllTag = 0,
  kIdsTag = 1,
  kTermsTag = 2,
  kRangeTag = 3,
  kExistsTag = 4,
  kMatchTag = 5,
  kConstantScoreTag = 6,
  kBoolTag = 7,
  kKnnTag = 8,
  // 9 (neural) never travels: the coordinator embeds it into a knn node.
  kMultiMatchTag = 10,
};

// The smallest encodings, which bound the counts a reader accepts: a match_all node (tag, boost,
// none) and a knn entry (field, vector, k, ef_search, boost, three absent radii, oversample,
// rescore, filter flag).
constexpr size_t kMinNodeBytes = 1 + 4 + 1;
constexpr size_t kMinKnnBytes = 4 + 4 + 8 + 4 + 4 + 3 * 1 + 4 + 1 + 1;
// A multi_match field: name (a u32 length) and boost.
constexpr size_t kMinFieldBytes = 4 + 4;

// RangeBound flags.
constexpr uint8_t kBoundPresent = 1, kBoundIsString = 2, kBoundHasNumber = 4;

Status NotEncodable(std::string_view why) {
  return Status::InvalidArgument(why).WithKind(ErrorKind::kInvalidValue);
}

// ---- Encoding --------------------------------------------------------------------------------

Status PutNode(const QueryNode& node, WireWriter* w);

Status PutOptionalNode(const std::shared_ptr<const QueryNode>& node, WireWriter* w) {
  w->Bool(node != nullptr);
  return node ? PutNode(*node, w) : Status::OK();
}

Status PutNodes(const std::vector<QueryNode>& nodes, WireWriter* w) {
  w->Count(nodes.size());
  for (const QueryNode& n : nodes) LOOKALIKE_RETURN_IF_ERROR(PutNode(n, w));
  return Status::OK();
}

void PutBound(const RangeBound& b, WireWriter* w) {
  w->Put<uint8_t>((b.present ? kBoundPresent : 0) | (b.is_string ? kBoundIsString : 0) |
                  (b.has_number ? kBoundHasNumber : 0));
  w->String(b.text);
  w->Put<double>(b.number);
}

void PutSourceFilter(const SourceFilter& source, WireWriter* w);

Status PutKnn(const KnnNode& knn, WireWriter* w) {
  if ((knn.lookup || knn.recommend) && knn.vector.empty()) {
    return NotEncodable("knn query_vector_builder lookup/recommend is not supported across "
                        "shards yet; give the query vector");
  }
  w->String(knn.field);
  w->Floats(knn.vector);
  w->Put<uint64_t>(knn.k);
  w->Put<int32_t>(knn.ef_search);
  w->Put<float>(knn.boost);
  for (const std::optional<float>* radius : {&knn.max_distance, &knn.min_score, &knn.similarity}) {
    w->Bool(radius->has_value());
    if (radius->has_value()) w->Put<float>(**radius);
  }
  w->Put<float>(knn.oversample);
  w->Bool(knn.rescore);
  LOOKALIKE_RETURN_IF_ERROR(PutOptionalNode(knn.filter, w));
  // Version 3: nested knn inner_hits and expand_nested_docs' average score.
  w->Bool(knn.score_avg);
  w->Bool(knn.inner_hits.has_value());
  if (!knn.inner_hits) return Status::OK();
  const NestedInnerHitsRequest& e = *knn.inner_hits;
  w->String(e.name);
  w->Put<int64_t>(e.from);
  w->Put<int64_t>(e.size);
  w->Bool(e.all_vectors);
  PutSourceFilter(e.source, w);
  w->Strings(e.fields);
  return Status::OK();
}

Status PutNode(const QueryNode& node, WireWriter* w) {
  if (std::holds_alternative<NeuralNode>(node.node)) {
    return NotEncodable("a neural query must be embedded by the coordinating node before it is "
                        "sent to shards");
  }
  w->Put<uint8_t>(static_cast<uint8_t>(node.node.index()));
  if (const auto* n = std::get_if<MatchAllNode>(&node.node)) {
    w->Put<float>(n->boost);
    w->Bool(n->none);
  } else if (const auto* n = std::get_if<IdsNode>(&node.node)) {
    w->Strings(n->ids);
    w->Put<float>(n->boost);
  } else if (const auto* n = std::get_if<TermsNode>(&node.node)) {
    w->String(n->field);
    w->Strings(n->values);
    w->Put<float>(n->boost);
  } else if (const auto* n = std::get_if<RangeNode>(&node.node)) {
    w->String(n->field);
    PutBound(n->lower, w);
    PutBound(n->upper, w);
    w->Bool(n->include_lower);
    w->Bool(n->include_upper);
    w->Put<float>(n->boost);
  } else if (const auto* n = std::get_if<ExistsNode>(&node.node)) {
    w->String(n->field);
    w->Put<float>(n->boost);
  } else if (const auto* n = std::get_if<MatchNode>(&node.node)) {
    w->String(n->field);
    w->String(n->text);
    w->Bool(n->all);
    w->Put<int32_t>(n->minimum_should_match);
    w->Put<float>(n->boost);
  } else if (const auto* n = std::get_if<ConstantScoreNode>(&node.node)) {
    LOOKALIKE_RETURN_IF_ERROR(PutOptionalNode(n->filter, w));
    w->Put<float>(n->boost);
  } else if (const auto* n = std::get_if<BoolNode>(&node.node)) {
    for (const auto* clauses : {&n->must, &n->filter, &n->should, &n->must_not}) {
      LOOKALIKE_RETURN_IF_ERROR(PutNodes(*clauses, w));
    }
    w->String(n->minimum_should_match);
    w->Put<float>(n->boost);
  } else if (const auto* n = std::get_if<KnnNode>(&node.node)) {
    return PutKnn(*n, w);
  } else if (const auto* n = std::get_if<MultiMatchNode>(&node.node)) {
    w->Count(n->fields.size());
    for (const auto& f : n->fields) {
      w->String(f.name);
      w->Put<float>(f.boost);
    }
    w->String(n->text);
    w->Put<uint8_t>(static_cast<uint8_t>(n->type));
    w->Put<float>(n->tie_breaker);
    w->Bool(n->all);
    w->Put<int32_t>(n->minimum_should_match);
    w->Put<int32_t>(n->slop);
    w->Put<float>(n->boost);
  }
  return Status::OK();
}

Status PutOptionalQuery(const std::optional<QueryNode>& query, WireWriter* w) {
  w->Bool(query.has_value());
  return query ? PutNode(*query, w) : Status::OK();
}

void PutSourceFilter(const SourceFilter& source, WireWriter* w) {
  w->Bool(source.enabled);
  w->Strings(source.includes);
  w->Strings(source.excludes);
}

// ---- Decoding --------------------------------------------------------------------------------

// Reads with a sticky failure flag; any false is Corruption at the end.
class RequestReader {
 public:
  explicit RequestReader(std::string_view payload) : r_(payload) {}
  WireReader& wire() { return r_; }

  bool Node(QueryNode* node, int depth);
  bool OptionalNode(std::shared_ptr<const QueryNode>* node, int depth) {
    bool present = false;
    if (!r_.Bool(&present)) return false;
    if (!present) {
      node->reset();
      return true;
    }
    auto child = std::make_shared<QueryNode>();
    if (!Node(child.get(), depth + 1)) return false;
    *node = std::move(child);
    return true;
  }
  bool OptionalQuery(std::optional<QueryNode>* query) {
    bool present = false;
    if (!r_.Bool(&present)) return false;
    if (!present) return true;
    query->emplace();
    return Node(&**query, 0);
  }
  bool Knn(KnnNode* knn, int depth) {
    uint64_t k = 0;
    return r_.String(&knn->field) && r_.Floats(&knn->vector) && r_.Get(&k) &&
           (knn->k = static_cast<size_t>(k), true) && r_.Get(&knn->ef_search) &&
           r_.Get(&knn->boost) && OptionalFloat(&knn->max_distance) &&
           OptionalFloat(&knn->min_score) && OptionalFloat(&knn->similarity) &&
           r_.Get(&knn->oversample) && r_.Bool(&knn->rescore) &&
           OptionalNode(&knn->filter, depth) && r_.Bool(&knn->score_avg) &&
           NestedInnerHits(&knn->inner_hits);
  }
  bool NestedInnerHits(std::optional<NestedInnerHitsRequest>* out) {
    bool present = false;
    if (!r_.Bool(&present)) return false;
    if (!present) return true;
    NestedInnerHitsRequest& e = out->emplace();
    return r_.String(&e.name) && r_.Get(&e.from) && r_.Get(&e.size) && r_.Bool(&e.all_vectors) &&
           Source(&e.source) && r_.Strings(&e.fields);
  }
  bool MultiMatch(MultiMatchNode* m) {
    size_t n = 0;
    if (!r_.Count(kMinFieldBytes, &n)) return false;
    m->fields.resize(n);
    for (auto& f : m->fields) {
      if (!r_.String(&f.name) || !r_.Get(&f.boost)) return false;
    }
    uint8_t type = 0;
    if (!r_.String(&m->text) || !r_.Get(&type)) return false;
    if (type > static_cast<uint8_t>(MultiMatchNode::Type::kPhrase)) return r_.Fail();
    m->type = static_cast<MultiMatchNode::Type>(type);
    return r_.Get(&m->tie_breaker) && r_.Bool(&m->all) && r_.Get(&m->minimum_should_match) &&
           r_.Get(&m->slop) && r_.Get(&m->boost);
  }
  bool OptionalFloat(std::optional<float>* value) {
    bool present = false;
    if (!r_.Bool(&present)) return false;
    if (!present) return true;
    float v = 0;
    if (!r_.Get(&v)) return false;
    *value = v;
    return true;
  }
  bool Source(SourceFilter* source) {
    return r_.Bool(&source->enabled) && r_.Strings(&source->includes) &&
           r_.Strings(&source->excludes);
  }
  bool SortValueOf(SortValue* v) {
    uint8_t kind = 0;
    if (!r_.Get(&kind)) return false;
    if (kind > static_cast<uint8_t>(SortValue::Kind::kString)) return r_.Fail();
    v->kind = static_cast<SortValue::Kind>(kind);
    return r_.Get(&v->number) && r_.String(&v->text);
  }

 private:
  bool Bound(RangeBound* b) {
    uint8_t flags = 0;
    if (!r_.Get(&flags)) return false;
    if ((flags & ~(kBoundPresent | kBoundIsString | kBoundHasNumber)) != 0) return r_.Fail();
    b->present = flags & kBoundPresent;
    b->is_string = flags & kBoundIsString;
    b->has_number = flags & kBoundHasNumber;
    return r_.String(&b->text) && r_.Get(&b->number);
  }
  bool Nodes(std::vector<QueryNode>* nodes, int depth) {
    size_t n = 0;
    if (!r_.Count(kMinNodeBytes, &n)) return false;
    nodes->resize(n);
    for (QueryNode& node : *nodes) {
      if (!Node(&node, depth + 1)) return false;
    }
    return true;
  }

  WireReader r_;
};

bool RequestReader::Node(QueryNode* node, int depth) {
  uint8_t tag = 0;
  if (depth > kMaxWireQueryDepth || !r_.Get(&tag)) return r_.Fail();
  switch (tag) {
    case kMatchAllTag: {
      auto& n = node->node.emplace<MatchAllNode>();
      return r_.Get(&n.boost) && r_.Bool(&n.none);
    }
    case kIdsTag: {
      auto& n = node->node.emplace<IdsNode>();
      return r_.Strings(&n.ids) && r_.Get(&n.boost);
    }
    case kTermsTag: {
      auto& n = node->node.emplace<TermsNode>();
      return r_.String(&n.field) && r_.Strings(&n.values) && r_.Get(&n.boost);
    }
    case kRangeTag: {
      auto& n = node->node.emplace<RangeNode>();
      return r_.String(&n.field) && Bound(&n.lower) && Bound(&n.upper) &&
             r_.Bool(&n.include_lower) && r_.Bool(&n.include_upper) && r_.Get(&n.boost);
    }
    case kExistsTag: {
      auto& n = node->node.emplace<ExistsNode>();
      return r_.String(&n.field) && r_.Get(&n.boost);
    }
    case kMatchTag: {
      auto& n = node->node.emplace<MatchNode>();
      return r_.String(&n.field) && r_.String(&n.text) && r_.Bool(&n.all) &&
             r_.Get(&n.minimum_should_match) && r_.Get(&n.boost);
    }
    case kConstantScoreTag: {
      auto& n = node->node.emplace<ConstantScoreNode>();
      return OptionalNode(&n.filter, depth) && r_.Get(&n.boost);
    }
    case kBoolTag: {
      auto& n = node->node.emplace<BoolNode>();
      return Nodes(&n.must, depth) && Nodes(&n.filter, depth) && Nodes(&n.should, depth) &&
             Nodes(&n.must_not, depth) && r_.String(&n.minimum_should_match) &&
             r_.Get(&n.boost);
    }
    case kKnnTag:
      return Knn(&node->node.emplace<KnnNode>(), depth);
    case kMultiMatchTag:
      return MultiMatch(&node->node.emplace<MultiMatchNode>());
    default:
      return r_.Fail();
  }
}

Status Damaged(std::string_view what) {
  return Status::Corruption(std::string(what) + " is damaged (truncated, trailing bytes or an "
                                                "unknown tag)");
}

void PutSortKeys(const std::vector<SortKey>& sort, WireWriter* w) {
  w->Count(sort.size());
  for (const SortKey& key : sort) {
    w->Put<uint8_t>(static_cast<uint8_t>(key.kind));
    w->String(key.field);
    w->Bool(key.desc);
  }
}

void PutCollapse(const CollapseRequest& c, WireWriter* w) {
  w->String(c.field);
  w->Count(c.inner_hits.size());
  for (const InnerHitsRequest& e : c.inner_hits) {
    w->String(e.name);
    w->Put<int64_t>(e.size);
    w->Put<int64_t>(e.from);
    PutSortKeys(e.sort, w);
    PutSourceFilter(e.source, w);
    w->Bool(e.version);
    w->Bool(e.seq_no_primary_term);
  }
}

Status EncodeSearchBody(const SearchRequest& q, WireWriter* w) {
  LOOKALIKE_RETURN_IF_ERROR(PutOptionalQuery(q.query, w));
  w->Count(q.knn.size());
  for (const KnnNode& knn : q.knn) LOOKALIKE_RETURN_IF_ERROR(PutKnn(knn, w));
  LOOKALIKE_RETURN_IF_ERROR(PutOptionalQuery(q.post_filter, w));
  w->Put<int64_t>(q.size);
  w->Put<int64_t>(q.from);
  PutSourceFilter(q.source, w);
  PutSortKeys(q.sort, w);
  w->Put<int64_t>(q.track_total_hits);
  w->Bool(q.min_score.has_value());
  if (q.min_score) w->Put<double>(*q.min_score);
  w->Bool(q.seq_no_primary_term);
  w->Bool(q.version);
  w->Bool(q.search_after.has_value());
  if (q.search_after) {
    w->Count(q.search_after->size());
    for (const SortValue& v : *q.search_after) {
      w->Put<uint8_t>(static_cast<uint8_t>(v.kind));
      w->Put<double>(v.number);
      w->String(v.text);
    }
  }
  w->Count(q.aggs.size());
  for (const AggRequest& agg : q.aggs) {
    w->String(agg.name);
    w->Put<uint8_t>(static_cast<uint8_t>(agg.kind));
    w->String(agg.field);
    w->Put<int64_t>(agg.size);
  }
  w->Bool(q.collapse.has_value());
  if (q.collapse) PutCollapse(*q.collapse, w);
  return Status::OK();
}

bool GetSortKeys(WireReader& r, std::vector<SortKey>* sort) {
  size_t n = 0;
  if (!r.Count(6, &n)) return false;
  sort->resize(n);
  for (SortKey& key : *sort) {
    uint8_t kind = 0;
    if (!r.Get(&kind)) return false;
    if (kind > static_cast<uint8_t>(SortKey::Kind::kField)) return r.Fail();
    key.kind = static_cast<SortKey::Kind>(kind);
    if (!r.String(&key.field) || !r.Bool(&key.desc)) return false;
  }
  return true;
}

// The smallest inner_hits entry: name, size, from, sort count, _source (bool and two lists),
// version, seq_no_primary_term.
constexpr size_t kMinInnerHitsBytes = 4 + 8 + 8 + 4 + 1 + 4 + 4 + 1 + 1;

bool GetCollapse(RequestReader& in, CollapseRequest* c) {
  WireReader& r = in.wire();
  size_t n = 0;
  if (!r.String(&c->field) || !r.Count(kMinInnerHitsBytes, &n)) return false;
  c->inner_hits.resize(n);
  for (InnerHitsRequest& e : c->inner_hits) {
    if (!r.String(&e.name) || !r.Get(&e.size) || !r.Get(&e.from) || !GetSortKeys(r, &e.sort) ||
        !in.Source(&e.source) || !r.Bool(&e.version) || !r.Bool(&e.seq_no_primary_term)) {
      return false;
    }
  }
  return true;
}

bool DecodeSearchBody(RequestReader& in, SearchRequest* q) {
  WireReader& r = in.wire();
  size_t n = 0;
  if (!in.OptionalQuery(&q->query) || !r.Count(kMinKnnBytes, &n)) return false;
  q->knn.resize(n);
  for (KnnNode& knn : q->knn) {
    if (!in.Knn(&knn, 0)) return false;
  }
  if (!in.OptionalQuery(&q->post_filter) || !r.Get(&q->size) || !r.Get(&q->from) ||
      !in.Source(&q->source) || !GetSortKeys(r, &q->sort)) {
    return false;
  }
  bool has = false;
  if (!r.Get(&q->track_total_hits) || !r.Bool(&has)) return false;
  if (has && !r.Get(&q->min_score.emplace())) return false;
  if (!r.Bool(&q->seq_no_primary_term) || !r.Bool(&q->version) || !r.Bool(&has)) return false;
  if (has) {
    if (!r.Count(13, &n)) return false;
    q->search_after.emplace(n);
    for (SortValue& v : *q->search_after) {
      if (!in.SortValueOf(&v)) return false;
    }
  }
  if (!r.Count(17, &n)) return false;
  q->aggs.resize(n);
  for (AggRequest& agg : q->aggs) {
    uint8_t kind = 0;
    if (!r.String(&agg.name) || !r.Get(&kind)) return false;
    if (kind > static_cast<uint8_t>(AggregationPartial::Kind::kValueCount)) return r.Fail();
    agg.kind = static_cast<AggRequest::Kind>(kind);
    if (!r.String(&agg.field) || !r.Get(&agg.size)) return false;
  }
  if (!r.Bool(&has)) return false;
  return !has || GetCollapse(in, &q->collapse.emplace());
}

}  // namespace

Result<std::string> EncodeSearchRequest(const SearchRequest& request) {
  std::string payload;
  WireWriter w(&payload);
  LOOKALIKE_RETURN_IF_ERROR(EncodeSearchBody(request, &w));
  return FrameWireMessage(kSearchRequestMagic, payload);
}

Result<SearchRequest> DecodeSearchRequest(std::string_view bytes) {
  LOOKALIKE_ASSIGN_OR_RETURN(std::string_view payload,
                             UnframeWireMessage(kSearchRequestMagic, bytes, "search request"));
  RequestReader in(payload);
  SearchRequest request;
  if (!DecodeSearchBody(in, &request) || !in.wire().done()) return Damaged("search request");
  return request;
}

Result<std::string> EncodeCountRequest(const CountRequest& request) {
  std::string payload;
  WireWriter w(&payload);
  LOOKALIKE_RETURN_IF_ERROR(PutOptionalQuery(request.query, &w));
  return FrameWireMessage(kCountRequestMagic, payload);
}

Result<CountRequest> DecodeCountRequest(std::string_view bytes) {
  LOOKALIKE_ASSIGN_OR_RETURN(std::string_view payload,
                             UnframeWireMessage(kCountRequestMagic, bytes, "count request"));
  RequestReader in(payload);
  CountRequest request;
  if (!in.OptionalQuery(&request.query) || !in.wire().done()) return Damaged("count request");
  return request;
}

std::string EncodeGetRequest(const ShardGetRequest& request) {
  std::string payload;
  WireWriter w(&payload);
  w.String(request.id);
  PutSourceFilter(request.source, &w);
  return FrameWireMessage(kGetRequestMagic, payload);
}

Result<ShardGetRequest> DecodeGetRequest(std::string_view bytes) {
  LOOKALIKE_ASSIGN_OR_RETURN(std::string_view payload,
                             UnframeWireMessage(kGetRequestMagic, bytes, "get request"));
  RequestReader in(payload);
  ShardGetRequest request;
  if (!in.wire().String(&request.id) || !in.Source(&request.source) || !in.wire().done()) {
    return Damaged("get request");
  }
  return request;
}

}  // namespace lookalike::cluster
