// inner_hits of nested knn searches (nested_inner_hits.h).
#include "engine/nested_inner_hits.h"

#include <algorithm>
#include <set>

#include "engine/json_util.h"
#include "engine/mapping.h"
#include "engine/source_filter.h"
#include "index/metric.h"
#include "simd/distance.h"

namespace lookalike::engine {
namespace {

void CollectNodes(const QueryNode& node, std::vector<const KnnNode*>* out) {
  if (const auto* knn = std::get_if<KnnNode>(&node.node)) {
    if (knn->inner_hits) out->push_back(knn);
  } else if (const auto* b = std::get_if<BoolNode>(&node.node)) {
    for (const auto* list : {&b->must, &b->filter, &b->should, &b->must_not}) {
      for (const QueryNode& q : *list) CollectNodes(q, out);
    }
  } else if (const auto* c = std::get_if<ConstantScoreNode>(&node.node)) {
    if (c->filter) CollectNodes(*c->filter, out);
  }
}

// Every knn node of the request (for the score_avg check), inner_hits or not.
void AllKnnNodes(const QueryNode& node, std::vector<const KnnNode*>* out) {
  if (const auto* knn = std::get_if<KnnNode>(&node.node)) {
    out->push_back(knn);
  } else if (const auto* b = std::get_if<BoolNode>(&node.node)) {
    for (const auto* list : {&b->must, &b->filter, &b->should, &b->must_not}) {
      for (const QueryNode& q : *list) AllKnnNodes(q, out);
    }
  } else if (const auto* c = std::get_if<ConstantScoreNode>(&node.node)) {
    if (c->filter) AllKnnNodes(*c->filter, out);
  }
}

// `pattern` relative to the nested object: "crops.color" → "color" under path "crops".
std::string RelativeTo(const std::string& path, const std::string& pattern) {
  if (pattern.size() > path.size() && pattern.compare(0, path.size(), path) == 0 &&
      pattern[path.size()] == '.') {
    return pattern.substr(path.size() + 1);
  }
  return pattern;
}

// The member at dotted `path` below `e` (one object level per segment); false when absent.
bool Walk(element e, std::string_view path, element* out) {
  while (!path.empty()) {
    const size_t dot = path.find('.');
    const std::string_view key = path.substr(0, dot);
    if (!e.is_object() || AsObject(e).at_key(key).get(e) != simdjson::SUCCESS) return false;
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  }
  *out = e;
  return true;
}

// The nested object at `offset` of the list at `path` in the stored source (an object alone
// counts as a list of one, as the writer counted it); false when the source lacks it.
bool NestedObject(element source, const std::string& path, int64_t offset, element* out) {
  element list;
  if (!Walk(source, path, &list)) return false;
  if (list.is_object()) {
    *out = list;
    return offset == 0;
  }
  int64_t i = 0;
  for (element x : AsArray(list)) {
    if (x.is_null()) continue;  // skipped by the writer too: offsets count objects only
    if (i++ == offset) {
      *out = x;
      return true;
    }
  }
  return false;
}

// The values of `field` (a full nested path) in nested object `obj`, as "fields" shows them.
void AddField(element obj, const std::string& path, const std::string& field,
              std::vector<HitField>* out) {
  element v;
  if (!Walk(obj, RelativeTo(path, field), &v)) return;
  HitField f{field, {}};
  auto add = [&](element x) {
    double d = 0;
    std::string text;
    if (x.is_number() && ElementToDouble(x, &d)) {
      f.values.push_back(SortValue::Number(d));
    } else if (!x.is_object() && !x.is_array() && !x.is_null() && ElementToText(x, &text)) {
      f.values.push_back(SortValue::String(std::move(text)));
    }
  };
  if (v.is_array()) {
    for (element x : AsArray(v)) add(x);
  } else {
    add(v);
  }
  if (!f.values.empty()) out->push_back(std::move(f));
}

struct Scored {
  int64_t offset;
  float score;
};

// Exact float32 score of `x` against the prepared query `q` (as the flat index computes it).
float ScoreOf(const VectorSpec& spec, const float* q, const float* x, float boost,
              std::vector<float>* scratch) {
  const MetricInfo& m = MetricInfoOf(spec.metric);
  scratch->resize(spec.dim);
  PrepareVector(m, x, scratch->data(), spec.dim);
  const simd::KernelTable& kt = simd::Kernels();
  const float d = m.kernel == DistanceKernel::kSquaredL2
                      ? kt.l2_f32(q, scratch->data(), spec.dim)
                      : m.dot_offset - kt.ip_f32(q, scratch->data(), spec.dim);
  return VectorScore(spec, d) * boost;
}

// One inner_hits entry for knn `node` on document `doc`, whose source `source` (null when it
// did not parse) and vectors `vecs` were read.
InnerHits EntryFor(const KnnNode& node, const VectorSpec& spec, const std::string& path,
                   const std::vector<storage::StoredVector>& vecs, const element* source,
                   const DocumentHit& parent) {
  const NestedInnerHitsRequest& req = *node.inner_hits;
  InnerHits entry;
  entry.name = req.name.empty() ? path : req.name;
  if (node.vector.size() != spec.dim) return entry;
  std::vector<float> q(spec.dim), scratch;
  PrepareVector(MetricInfoOf(spec.metric), node.vector.data(), q.data(), spec.dim);
  std::vector<Scored> scored;
  int64_t offset = 0;
  for (const storage::StoredVector& v : vecs) {
    std::string_view name = v.field;
    if (!name.empty() && name[0] == '^') name.remove_prefix(1);
    if (name != node.field) continue;
    // Empty entries are placeholders of objects without the vector: they keep their offset.
    if (v.values.size() == spec.dim) {
      scored.push_back({offset, ScoreOf(spec, q.data(), v.values.data(), node.boost, &scratch)});
    }
    ++offset;
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const Scored& a, const Scored& b) { return a.score > b.score; });
  if (!req.all_vectors && scored.size() > 1) scored.resize(1);
  entry.total = static_cast<int64_t>(scored.size());
  if (!scored.empty()) entry.max_score = scored[0].score;
  SourceFilter filter = req.source;
  for (auto* list : {&filter.includes, &filter.excludes}) {
    for (std::string& p : *list) p = RelativeTo(path, p);
  }
  const size_t first = static_cast<size_t>(std::min<int64_t>(req.from, entry.total));
  const size_t end = static_cast<size_t>(std::min<int64_t>(
      entry.total, req.from > INT64_MAX - req.size ? INT64_MAX : req.from + req.size));
  for (size_t i = first; i < end; ++i) {
    DocumentHit h;
    h.index = parent.index;
    h.id = parent.id;
    h.score = scored[i].score;
    h.nested = NestedIdentity{path, scored[i].offset};
    element obj;
    if (source != nullptr && NestedObject(*source, path, scored[i].offset, &obj)) {
      if (filter.enabled) {
        h.has_source = true;
        // simdjson's serializer writes shortest round-trip numbers, much faster than the
        // JsonWriter for a vector of floats (this is the bulk of an inner hit's cost).
        h.source = FilterSource(simdjson::to_string(obj), filter);
      }
      for (const std::string& f : req.fields) AddField(obj, path, f, &h.fields);
    }
    entry.hits.push_back(std::move(h));
  }
  return entry;
}

}  // namespace

std::vector<const KnnNode*> NestedInnerHitsNodes(const SearchRequest& req) {
  std::vector<const KnnNode*> out;
  if (req.query) CollectNodes(*req.query, &out);
  for (const KnnNode& knn : req.knn) {
    if (knn.inner_hits) out.push_back(&knn);
  }
  return out;
}

Status CheckNestedInnerHits(const std::vector<const KnnNode*>& nodes, const SearchRequest& req,
                            const std::vector<std::shared_ptr<Index>>& targets, int64_t window) {
  std::vector<const KnnNode*> all;
  if (req.query) AllKnnNodes(*req.query, &all);
  for (const KnnNode& knn : req.knn) all.push_back(&knn);
  if (!nodes.empty() && req.collapse && !req.collapse->inner_hits.empty()) {
    return IllegalArgument("[inner_hits] of a nested knn cannot be combined with [collapse] "
                           "[inner_hits]");
  }
  std::set<std::string> names;
  for (const KnnNode* knn : all) {
    if (!knn->inner_hits && !knn->score_avg) continue;
    std::string path;
    for (const auto& index : targets) {
      std::shared_lock lock(index->data_mu);
      const FieldMapping* f = index->mapping.Find(knn->field);
      if (f == nullptr || !IsVector(f->type)) continue;
      if (f->nested_path.empty()) {
        return IllegalArgument(std::string(knn->inner_hits ? "[inner_hits]" : "[expand_nested_docs]") +
                               " needs a vector field under a [nested] object, but [" +
                               knn->field + "] of index [" + index->name + "] is not");
      }
      if (path.empty()) path = f->nested_path;
    }
    if (!knn->inner_hits) continue;
    const NestedInnerHitsRequest& e = *knn->inner_hits;
    const std::string name = e.name.empty() ? (path.empty() ? knn->field : path) : e.name;
    if (e.size < 0 || e.from < 0) {
      return IllegalArgument("[inner_hits] [" + name + "] size and from cannot be negative");
    }
    const int64_t end = e.from > INT64_MAX - e.size ? INT64_MAX : e.from + e.size;
    if (end > window) {
      return IllegalArgument("Inner result window is too large, the inner hit definition's [" +
                             name + "]'s from + size must be less than or equal to: [" +
                             std::to_string(window) + "] but was [" + std::to_string(end) +
                             "]. This limit can be set by changing the "
                             "[index.max_inner_result_window] index level setting.");
    }
    if (!names.insert(name).second) {
      return IllegalArgument("[inner_hits] already contains an entry for key [" + name + "]");
    }
  }
  return Status::OK();
}

void FillNestedInnerHits(const storage::DocStore& store, Index& index, uint32_t doc,
                         const std::vector<const KnnNode*>& nodes, DocumentHit* hit) {
  std::vector<storage::StoredVector> vecs;
  storage::DocRecord rec;
  const bool read = store.GetVectors(index.space, doc, &vecs).ok() &&
                    store.GetDoc(index.space, doc, &rec).ok() && rec.id == hit->id;
  // One parser per thread: a parser's buffers are its cost (FilterSource keeps its own).
  thread_local simdjson::dom::parser parser;
  element source;
  bool have_source = false;
  if (read) {
    auto parsed = ParseStoredJson(parser, rec.source);
    if (parsed.ok()) {
      source = *parsed;
      have_source = true;
    }
  }
  for (const KnnNode* node : nodes) {
    VectorSpec spec;
    std::string path;
    {
      std::shared_lock lock(index.data_mu);
      const FieldMapping* f = index.mapping.Find(node->field);
      if (f != nullptr && IsVector(f->type)) {
        spec = f->vector;
        path = f->nested_path;
      }
    }
    if (path.empty() || !read) {
      InnerHits empty;
      empty.name = node->inner_hits->name.empty() ? (path.empty() ? node->field : path)
                                                  : node->inner_hits->name;
      hit->inner_hits.push_back(std::move(empty));
      continue;
    }
    hit->inner_hits.push_back(
        EntryFor(*node, spec, path, vecs, have_source ? &source : nullptr, *hit));
  }
}

std::vector<float> NestedVectorScores(const VectorField& field, uint32_t doc, const float* query,
                                      float boost) {
  std::vector<float> scores, v, q(field.spec.dim), scratch;
  PrepareVector(MetricInfoOf(field.spec.metric), query, q.data(), field.spec.dim);
  for (uint32_t i = 0; field.index->Contains(NestedLabel(doc, i)); ++i) {
    if (!field.index->GetVector(NestedLabel(doc, i), &v).ok()) return {};
    scores.push_back(ScoreOf(field.spec, q.data(), v.data(), boost, &scratch));
  }
  return scores;
}

}  // namespace lookalike::engine
