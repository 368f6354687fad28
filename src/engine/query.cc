#include "engine/query.h"

#include "engine/nested_inner_hits.h"
#include "engine/nested_knn.h"
#include "engine/text_query.h"

#include <algorithm>
#include <cmath>
#include <chrono>
#include <limits>

namespace lookalike::engine {
namespace {

void LiveBits(const Index& index, Bitset* out) {
  *out = index.live;
  out->Resize(index.slots.size());
}

class MatchAllQuery final : public Query {
 public:
  explicit MatchAllQuery(float boost, bool none = false) : boost_(boost), none_(none) {}
  Status Eval(const Index& index, Matches* out) const override {
    if (none_) {
      out->bits = Bitset(index.slots.size());
    } else {
      LiveBits(index, &out->bits);
    }
    out->constant = boost_;
    return Status::OK();
  }

 private:
  float boost_;
  bool none_;
};

class IdsQuery final : public Query {
 public:
  IdsQuery(std::vector<std::string> ids, float boost) : ids_(std::move(ids)), boost_(boost) {}
  Status Eval(const Index& index, Matches* out) const override {
    out->bits = Bitset(index.slots.size());
    for (const auto& id : ids_) {
      auto it = index.ids.find(id);
      if (it != index.ids.end()) out->bits.Set(it->second);
    }
    out->constant = boost_;
    return Status::OK();
  }

 private:
  std::vector<std::string> ids_;
  float boost_;
};

// term / terms / match on a single field: the union of exact values.
class TermsQuery final : public Query {
 public:
  TermsQuery(std::string field, std::vector<std::string> values, float boost)
      : field_(std::move(field)), values_(std::move(values)), boost_(boost) {}
  Status Eval(const Index& index, Matches* out) const override {
    out->bits = Bitset(index.slots.size());
    out->constant = boost_;
    if (field_ == "_id") {
      for (const auto& v : values_) {
        auto it = index.ids.find(v);
        if (it != index.ids.end()) out->bits.Set(it->second);
      }
      return Status::OK();
    }
    const FieldMapping* f = index.mapping.Find(field_);
    auto fi = index.fields.find(field_);
    if (!f || fi == index.fields.end()) return Status::OK();
    for (const auto& v : values_) {
      if (IsNumeric(f->type)) {
        double d;
        int64_t ms;
        if (f->type == FieldType::kDate && ParseDateMillis(v, &ms)) {
          d = static_cast<double>(ms);
        } else {
          char* end = nullptr;
          d = std::strtod(v.c_str(), &end);
          if (v.empty() || *end != '\0') continue;
          if (f->type == FieldType::kFloat) d = static_cast<float>(d);
        }
        fi->second->Range(d, true, d, true, index.slots, &out->bits);
      } else if (f->type == FieldType::kBoolean) {
        fi->second->Term(v == "true" ? "true" : v == "false" ? "false" : v, index.slots, &out->bits);
      } else {
        fi->second->Term(v, index.slots, &out->bits);
      }
    }
    return Status::OK();
  }

 private:
  std::string field_;
  std::vector<std::string> values_;
  float boost_;
};

class RangeQuery final : public Query {
 public:
  RangeQuery(std::string field, double lo, bool lo_inc, double hi, bool hi_inc, float boost,
             std::string slo, std::string shi)
      : field_(std::move(field)), lo_(lo), hi_(hi), lo_inc_(lo_inc), hi_inc_(hi_inc),
        boost_(boost), slo_(std::move(slo)), shi_(std::move(shi)) {}
  Status Eval(const Index& index, Matches* out) const override {
    out->bits = Bitset(index.slots.size());
    out->constant = boost_;
    const FieldMapping* f = index.mapping.Find(field_);
    auto fi = index.fields.find(field_);
    if (!f || fi == index.fields.end()) return Status::OK();
    if (IsNumeric(f->type)) {
      fi->second->Range(lo_, lo_inc_, hi_, hi_inc_, index.slots, &out->bits);
      return Status::OK();
    }
    // keyword: lexicographic on the document's first value.
    for (uint32_t d = 0; d < index.slots.size(); ++d) {
      if (!index.slots[d].live) continue;
      const std::string* t = fi->second->TermOf(d);
      if (!t) continue;
      bool ok = (slo_.empty() || (lo_inc_ ? *t >= slo_ : *t > slo_)) &&
                (shi_.empty() || (hi_inc_ ? *t <= shi_ : *t < shi_));
      if (ok) out->bits.Set(d);
    }
    return Status::OK();
  }

 private:
  std::string field_;
  double lo_, hi_;
  bool lo_inc_, hi_inc_;
  float boost_;
  std::string slo_, shi_;
};

class ExistsQuery final : public Query {
 public:
  ExistsQuery(std::string field, float boost) : field_(std::move(field)), boost_(boost) {}
  Status Eval(const Index& index, Matches* out) const override {
    out->bits = Bitset(index.slots.size());
    out->constant = boost_;
    std::string prefix = field_ + ".";
    for (const auto& [path, fi] : index.fields) {
      if (path == field_ || path.compare(0, prefix.size(), prefix) == 0) {
        fi->Exists(index.slots, &out->bits);
      }
    }
    for (const auto& [path, vf] : index.vectors) {
      if (path != field_ && path.compare(0, prefix.size(), prefix) != 0) continue;
      const auto& field = vf;  // clang 14 cannot capture a structured binding in a lambda
      index.live.ForEach([&](uint32_t d) {
        if (d < index.slots.size() && field->index->Contains(d)) out->bits.Set(d);
      });
    }
    return Status::OK();
  }

 private:
  std::string field_;
  float boost_;
};

class ConstantScoreQuery final : public Query {
 public:
  ConstantScoreQuery(std::unique_ptr<Query> inner, float boost)
      : inner_(std::move(inner)), boost_(boost) {}
  Status Eval(const Index& index, Matches* out) const override {
    LOOKALIKE_RETURN_IF_ERROR(inner_->Eval(index, out));
    out->mode = Matches::Mode::kConstant;
    out->constant = boost_;
    out->dense.clear();
    out->sparse.clear();
    return Status::OK();
  }
  bool HasKnn() const override { return inner_->HasKnn(); }

 private:
  std::unique_ptr<Query> inner_;
  float boost_;
};

class BoolQuery final : public Query {
 public:
  std::vector<std::unique_ptr<Query>> must, filter, should, must_not;
  std::string msm_spec;
  float boost = 1.0f;

  bool HasKnn() const override {
    for (const auto* list : {&must, &filter, &should, &must_not}) {
      for (const auto& q : *list) {
        if (q->HasKnn()) return true;
      }
    }
    return false;
  }

  int MinimumShouldMatch() const {
    int n = static_cast<int>(should.size());
    if (msm_spec.empty()) return (must.empty() && filter.empty()) ? (n > 0 ? 1 : 0) : 0;
    std::string s = msm_spec;
    bool pct = !s.empty() && s.back() == '%';
    if (pct) s.pop_back();
    int v = std::atoi(s.c_str());
    int r = pct ? (n * std::abs(v)) / 100 : std::abs(v);
    if (v < 0) r = n - r;
    return std::clamp(r, 0, n);
  }

  Status Eval(const Index& index, Matches* out) const override {
    size_t n = index.slots.size();
    std::vector<Matches> scoring;
    Bitset bits;
    bool started = false;
    for (const auto* list : {&must, &filter}) {
      for (const auto& q : *list) {
        Matches m;
        LOOKALIKE_RETURN_IF_ERROR(q->Eval(index, &m));
        m.bits.Resize(n);
        out->capped |= m.capped;
        if (!started) {
          bits = m.bits;
          started = true;
        } else {
          bits.And(m.bits);
        }
        if (list == &must) scoring.push_back(std::move(m));
      }
    }
    if (!started) LiveBits(index, &bits);
    std::vector<Matches> should_m;
    int msm = MinimumShouldMatch();
    if (!should.empty()) {
      std::vector<uint16_t> counts(msm > 0 ? n : 0, 0);
      for (const auto& q : should) {
        Matches m;
        LOOKALIKE_RETURN_IF_ERROR(q->Eval(index, &m));
        m.bits.Resize(n);
        if (msm > 0) m.bits.ForEach([&](uint32_t d) { ++counts[d]; });
        out->capped |= m.capped;
        should_m.push_back(std::move(m));
      }
      if (msm > 0) {
        Bitset enough(n);
        for (uint32_t d = 0; d < n; ++d) {
          if (counts[d] >= msm) enough.Set(d);
        }
        bits.And(enough);
      }
    }
    for (const auto& q : must_not) {
      Matches m;
      LOOKALIKE_RETURN_IF_ERROR(q->Eval(index, &m));
      m.bits.Resize(n);
      bits.AndNot(m.bits);
    }
    out->bits = std::move(bits);
    bool all_constant = should_m.empty();
    float constant = 0.0f;
    for (const auto& m : scoring) {
      all_constant &= m.mode == Matches::Mode::kConstant;
      constant += m.constant;
    }
    if (all_constant) {
      out->mode = Matches::Mode::kConstant;
      out->constant = constant * boost;
      return Status::OK();
    }
    out->mode = Matches::Mode::kDense;
    out->dense.assign(n, 0.0f);
    out->bits.ForEach([&](uint32_t d) {
      float s = 0;
      for (const auto& m : scoring) s += m.Score(d);
      for (const auto& m : should_m) {
        if (m.bits.Test(d)) s += m.Score(d);
      }
      out->dense[d] = s * boost;
    });
    return Status::OK();
  }
};

// Allow-set over document numbers for filtered vector search.
class BitsetFilter final : public LabelFilter {
 public:
  explicit BitsetFilter(const Bitset* bits) : bits_(bits), count_(bits->Count()) {}
  bool Contains(uint64_t label) const override { return bits_->Test(label); }
  int64_t Count() const override { return static_cast<int64_t>(count_); }
  bool Enumerate(std::vector<uint64_t>* out) const override {
    bits_->ForEach([&](uint32_t d) { out->push_back(d); });
    return true;
  }

 private:
  const Bitset* bits_;
  size_t count_;
};

class KnnQuery final : public Query {
 public:
  // `spec` is the request's node, which outlives the plan: its vector is not copied.
  KnnQuery(const KnnNode& spec, std::unique_ptr<Query> filter)
      : spec_(spec), filter_(std::move(filter)) {}

  bool HasKnn() const override { return true; }

  Status Eval(const Index& index, Matches* out) const override {
    const std::string& field = spec_.field;
    out->bits = Bitset(index.slots.size());
    out->mode = Matches::Mode::kSparse;
    auto it = index.vectors.find(field);
    if (it == index.vectors.end()) return Status::OK();
    const VectorField& vf = *it->second;
    Matches allowed;
    SearchParams params = Params(index, vf.spec);
    std::unique_ptr<BitsetFilter> allow;
    if (filter_) {
      LOOKALIKE_RETURN_IF_ERROR(filter_->Eval(index, &allowed));
      allowed.bits.Resize(index.slots.size());
      allowed.bits.And(index.live);
      if (allowed.bits.Count() == 0) return Status::OK();
      allow = std::make_unique<BitsetFilter>(&allowed.bits);
      params.filter = allow.get();
    }
    if (vf.nested) return EvalNested(index, vf, params, allow ? &allowed.bits : nullptr, out);
    std::vector<SearchHit> hits;
    Status s = vf.index->Search(spec_.vector.data(), params, &hits);
    if (!s.ok()) return IllegalArgument(s.message());
    out->capped = spec_.IsRadial() && hits.size() >= params.k;
    for (const auto& h : hits) {
      if (h.label >= index.slots.size() || !index.slots[h.label].live) continue;
      out->bits.Set(h.label);
      out->sparse[static_cast<uint32_t>(h.label)] = VectorScore(vf.spec, h.distance) * spec_.boost;
    }
    return Status::OK();
  }

 private:
  // k documents by their best vector (nested_knn.h).
  Status EvalNested(const Index& index, const VectorField& vf, const SearchParams& params,
                    const Bitset* allowed, Matches* out) const {
    std::vector<NestedDocHit> docs;
    LOOKALIKE_RETURN_IF_ERROR(
        SearchNestedDocs(index, vf, spec_.vector.data(), params, allowed, &docs));
    out->capped = spec_.IsRadial() && docs.size() >= params.k;
    for (const NestedDocHit& d : docs) {
      out->bits.Set(d.doc);
      float score = VectorScore(vf.spec, d.distance) * spec_.boost;
      if (spec_.score_avg) {
        // expand_nested_docs with score_mode avg: the k documents are those of the best
        // vectors, each scored by the mean over all its vectors (as OpenSearch).
        const std::vector<float> all =
            NestedVectorScores(vf, d.doc, spec_.vector.data(), spec_.boost);
        if (!all.empty()) {
          double sum = 0;
          for (float s : all) sum += s;
          score = static_cast<float>(sum / double(all.size()));
        }
      }
      out->sparse[d.doc] = score;
    }
    return Status::OK();
  }

  // The vector index's parameters: result count (k, or the radial cap), beam, rescoring and
  // the radius in index distance (see KnnNode).
  SearchParams Params(const Index& index, const VectorSpec& spec) const {
    SearchParams params;
    params.k = spec_.k;
    if (spec_.IsRadial()) {
      params.k = static_cast<size_t>(
          std::clamp<int64_t>(index.settings.max_result_window, 1, KnnNode::kRadialCap));
    }
    int ef = spec_.ef_search > 0 ? spec_.ef_search : spec.hnsw.ef_search;
    if (index.settings.knn_ef_search > 0 && spec_.ef_search <= 0) {
      ef = index.settings.knn_ef_search;
    }
    // A radial search widens its beam itself (HnswIndex::SearchRadius): ef is where it starts.
    params.ef_search = spec_.IsRadial() ? ef : std::max<int>(ef, static_cast<int>(params.k));
    params.rerank_factor = spec_.oversample;
    params.rerank = spec_.rescore;
    if (spec_.max_distance) params.max_distance = *spec_.max_distance;
    if (spec_.min_score) {
      params.max_distance = spec.similarity->distance_for_score(*spec_.min_score);
    }
    if (spec_.similarity) {
      params.max_distance = DistanceForRawSimilarity(MetricInfoOf(spec.metric), *spec_.similarity);
    }
    return params;
  }

  const KnnNode& spec_;           // its filter is compiled into filter_
  std::unique_ptr<Query> filter_;
};

// The query vector against the field it searches: a vector field of that dimension, and valid
// for its metric (a zero vector cannot be cosine-normalised).
Status CheckQueryVector(const std::vector<float>& vector, const Index& index,
                        const std::string& field) {
  const FieldMapping* f = index.mapping.Find(field);
  if (!f || !IsVector(f->type)) {
    return IllegalArgument("Field '" + field + "' is not knn_vector or dense_vector type.");
  }
  if (vector.size() != f->vector.dim) {
    return IllegalArgument("Query vector has invalid dimension: " +
                           std::to_string(vector.size()) +
                           ". Dimension should be: " + std::to_string(f->vector.dim));
  }
  Status s = ValidateVector(vector.data(), vector.size(), f->vector.dim, f->vector.metric);
  if (!s.ok()) return IllegalArgument(s.message());
  return Status::OK();
}

// One side of a range as the number the field compares: dates from date strings (and "now"),
// everything else from what the value spells as a number. A side that is not a number stays
// unbounded (±inf) and is compared as text on keyword fields; on numeric fields it is an error.
Status RangeSide(const RangeNode& r, const RangeBound& b, const FieldMapping* f, double* num) {
  if (!b.present) return Status::OK();
  bool is_date = f && f->type == FieldType::kDate;
  int64_t ms;
  if (is_date && b.text == "now") {
    *num = static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
  } else if (is_date && b.is_string && ParseDateMillis(b.text, &ms)) {
    *num = static_cast<double>(ms);
  } else if (b.has_number) {
    *num = b.number;
  } else if (f && IsNumeric(f->type)) {
    return ParsingError("[range] failed to parse [" + b.text + "] for field [" + r.field + "]");
  }
  return Status::OK();
}

Result<std::unique_ptr<Query>> CompileRange(const RangeNode& r, const Index& index) {
  const FieldMapping* f = index.mapping.Find(r.field);
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  LOOKALIKE_RETURN_IF_ERROR(RangeSide(r, r.lower, f, &lo));
  LOOKALIKE_RETURN_IF_ERROR(RangeSide(r, r.upper, f, &hi));
  return std::unique_ptr<Query>(std::make_unique<RangeQuery>(
      r.field, lo, r.include_lower, hi, r.include_upper, r.boost, r.lower.text, r.upper.text));
}

Result<std::unique_ptr<Query>> CompileMatch(const MatchNode& m, const Index& index) {
  const FieldMapping* f = index.mapping.Find(m.field);
  if (f && f->type == FieldType::kText) {
    return CompileTextMatch(m);
  }
  return std::unique_ptr<Query>(
      std::make_unique<TermsQuery>(m.field, std::vector<std::string>{m.text}, m.boost));
}

Status CompileList(const std::vector<QueryNode>& nodes, const Index& index,
                   std::vector<std::unique_ptr<Query>>* out) {
  for (const QueryNode& n : nodes) {
    LOOKALIKE_ASSIGN_OR_RETURN(auto q, CompileQuery(n, index));
    out->push_back(std::move(q));
  }
  return Status::OK();
}

Result<std::unique_ptr<Query>> CompileBool(const BoolNode& b, const Index& index) {
  auto q = std::make_unique<BoolQuery>();
  LOOKALIKE_RETURN_IF_ERROR(CompileList(b.must, index, &q->must));
  LOOKALIKE_RETURN_IF_ERROR(CompileList(b.filter, index, &q->filter));
  LOOKALIKE_RETURN_IF_ERROR(CompileList(b.should, index, &q->should));
  LOOKALIKE_RETURN_IF_ERROR(CompileList(b.must_not, index, &q->must_not));
  q->msm_spec = b.minimum_should_match;
  q->boost = b.boost;
  return std::unique_ptr<Query>(std::move(q));
}

Result<std::unique_ptr<Query>> CompileKnn(const KnnNode& k, const Index& index) {
  LOOKALIKE_RETURN_IF_ERROR(CheckQueryVector(k.vector, index, k.field));
  std::unique_ptr<Query> filter;
  if (k.filter) {
    LOOKALIKE_ASSIGN_OR_RETURN(filter, CompileQuery(*k.filter, index));
  }
  return std::unique_ptr<Query>(std::make_unique<KnnQuery>(k, std::move(filter)));
}

// Compiles one alternative of QueryNode::node.
struct Compiler {
  const Index& index;
  Result<std::unique_ptr<Query>> operator()(const MatchAllNode& n) const {
    return std::unique_ptr<Query>(std::make_unique<MatchAllQuery>(n.boost, n.none));
  }
  Result<std::unique_ptr<Query>> operator()(const IdsNode& n) const {
    return std::unique_ptr<Query>(std::make_unique<IdsQuery>(n.ids, n.boost));
  }
  Result<std::unique_ptr<Query>> operator()(const TermsNode& n) const {
    return std::unique_ptr<Query>(std::make_unique<TermsQuery>(n.field, n.values, n.boost));
  }
  Result<std::unique_ptr<Query>> operator()(const RangeNode& n) const {
    return CompileRange(n, index);
  }
  Result<std::unique_ptr<Query>> operator()(const ExistsNode& n) const {
    return std::unique_ptr<Query>(std::make_unique<ExistsQuery>(n.field, n.boost));
  }
  Result<std::unique_ptr<Query>> operator()(const MatchNode& n) const {
    return CompileMatch(n, index);
  }
  Result<std::unique_ptr<Query>> operator()(const MultiMatchNode& n) const {
    return CompileMultiMatch(n, index);
  }
  Result<std::unique_ptr<Query>> operator()(const ConstantScoreNode& n) const {
    LOOKALIKE_ASSIGN_OR_RETURN(auto inner, CompileQuery(*n.filter, index));
    return std::unique_ptr<Query>(
        std::make_unique<ConstantScoreQuery>(std::move(inner), n.boost));
  }
  Result<std::unique_ptr<Query>> operator()(const BoolNode& n) const {
    return CompileBool(n, index);
  }
  Result<std::unique_ptr<Query>> operator()(const KnnNode& n) const {
    return CompileKnn(n, index);
  }
  Result<std::unique_ptr<Query>> operator()(const NeuralNode&) const {
    // The search embeds neural nodes into knn nodes before it compiles (engine_embed.cc).
    return Status::InvalidArgument("[neural] query was not embedded before execution")
        .WithKind(ErrorKind::kInvalidValue);
  }
};

}  // namespace

Result<std::unique_ptr<Query>> CompileQuery(const QueryNode& node, const Index& index) {
  return std::visit(Compiler{index}, node.node);
}

Result<std::unique_ptr<Query>> CompileKnnSection(const std::vector<KnnNode>& entries,
                                                 const Index& index) {
  if (entries.size() == 1) return CompileKnn(entries[0], index);
  auto q = std::make_unique<BoolQuery>();
  for (const KnnNode& entry : entries) {
    LOOKALIKE_ASSIGN_OR_RETURN(auto knn, CompileKnn(entry, index));
    q->should.push_back(std::move(knn));
  }
  return std::unique_ptr<Query>(std::move(q));
}

}  // namespace lookalike::engine

namespace lookalike {

namespace {

struct HasKnnVisitor {
  bool neural_only;  // looks for neural nodes alone
  bool operator()(const KnnNode&) const { return !neural_only; }
  bool operator()(const NeuralNode&) const { return true; }
  bool operator()(const ConstantScoreNode& n) const {
    return n.filter && std::visit(*this, n.filter->node);
  }
  bool operator()(const BoolNode& n) const {
    for (const auto* list : {&n.must, &n.filter, &n.should, &n.must_not}) {
      for (const QueryNode& q : *list) {
        if (std::visit(*this, q.node)) return true;
      }
    }
    return false;
  }
  bool operator()(const auto&) const { return false; }
};

}  // namespace

bool QueryNode::HasKnn() const { return std::visit(HasKnnVisitor{false}, node); }
bool QueryNode::HasNeural() const { return std::visit(HasKnnVisitor{true}, node); }

}  // namespace lookalike
