#include "engine/query.h"

#include <algorithm>
#include <cmath>
#include <chrono>
#include <limits>

namespace lookalike::engine {
namespace {

constexpr size_t kMaxK = 10000;

float GetBoost(element obj) {
  double b = 1.0;
  if (obj.is_object() && obj.at_key("boost").get_double().get(b)) b = 1.0;
  return static_cast<float>(b);
}

void LiveBits(const Index& index, Bitset* out) {
  *out = index.live;
  out->Resize(index.slots.size());
}

// Splits {"FIELD": value-or-options} clauses (term, match, range, ...).
Status SingleField(element clause, std::string_view query_name, std::string* field,
                   element* body) {
  simdjson::dom::object obj;
  if (clause.get_object().get(obj) != simdjson::SUCCESS || obj.size() == 0) {
    return ParsingError("[" + std::string(query_name) + "] query malformed, no field specified");
  }
  int count = 0;
  for (auto kv : obj) {
    if (kv.key == "boost" || kv.key == "_name") continue;
    *field = std::string(kv.key);
    *body = kv.value;
    ++count;
  }
  if (count != 1) {
    return ParsingError("[" + std::string(query_name) +
                        "] query doesn't support multiple fields, found [" +
                        std::to_string(count) + "]");
  }
  return Status::OK();
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

// match on a text field: OR (or AND) of tokens; score = boost * sum of matched token idf.
class MatchQuery final : public Query {
 public:
  MatchQuery(std::string field, std::vector<std::string> tokens, bool all, int msm, float boost)
      : field_(std::move(field)), tokens_(std::move(tokens)), all_(all), msm_(msm), boost_(boost) {}
  Status Eval(const Index& index, Matches* out) const override {
    size_t n = index.slots.size();
    out->bits = Bitset(n);
    auto fi = index.fields.find(field_);
    if (fi == index.fields.end() || tokens_.empty()) return Status::OK();
    out->mode = Matches::Mode::kSparse;
    std::unordered_map<uint32_t, int> hits;
    double total = static_cast<double>(index.ids.size());
    for (const auto& tok : tokens_) {
      Bitset b(n);
      fi->second->Term(tok, index.slots, &b);
      double df = static_cast<double>(b.Count());
      float idf = static_cast<float>(std::log(1.0 + (total - df + 0.5) / (df + 0.5)));
      b.ForEach([&](uint32_t d) {
        ++hits[d];
        out->sparse[d] += idf * boost_;
      });
    }
    int need = all_ ? static_cast<int>(tokens_.size()) : std::max(1, msm_);
    for (const auto& [d, c] : hits) {
      if (c >= need) out->bits.Set(d);
    }
    return Status::OK();
  }

 private:
  std::string field_;
  std::vector<std::string> tokens_;
  bool all_;
  int msm_;
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
  std::string field;
  std::vector<float> vector;
  size_t k = 10;
  int ef_search = 0;
  float boost = 1.0f;
  float min_similarity = -std::numeric_limits<float>::infinity();
  std::unique_ptr<Query> filter;

  bool HasKnn() const override { return true; }

  Status Eval(const Index& index, Matches* out) const override {
    out->bits = Bitset(index.slots.size());
    out->mode = Matches::Mode::kSparse;
    auto it = index.vectors.find(field);
    if (it == index.vectors.end()) return Status::OK();
    const VectorField& vf = *it->second;
    Matches allowed;
    SearchParams params;
    params.k = k;
    int ef = ef_search > 0 ? ef_search : vf.spec.hnsw.ef_search;
    if (index.settings.knn_ef_search > 0 && ef_search <= 0) ef = index.settings.knn_ef_search;
    params.ef_search = std::max<int>(ef, static_cast<int>(k));
    std::unique_ptr<BitsetFilter> allow;
    if (filter) {
      LOOKALIKE_RETURN_IF_ERROR(filter->Eval(index, &allowed));
      allowed.bits.Resize(index.slots.size());
      allowed.bits.And(index.live);
      if (allowed.bits.Count() == 0) return Status::OK();
      allow = std::make_unique<BitsetFilter>(&allowed.bits);
      params.filter = allow.get();
    }
    std::vector<SearchHit> hits;
    Status s = vf.index->Search(vector.data(), params, &hits);
    if (!s.ok()) return IllegalArgument(s.message());
    for (const auto& h : hits) {
      if (h.label >= index.slots.size() || !index.slots[h.label].live) continue;
      float score = VectorScore(vf.spec, h.distance);
      if (score < min_similarity) continue;
      out->bits.Set(h.label);
      out->sparse[static_cast<uint32_t>(h.label)] = score * boost;
    }
    return Status::OK();
  }
};

Status ParseVector(element v, const Index& index, const std::string& field,
                   std::vector<float>* out) {
  const FieldMapping* f = index.mapping.Find(field);
  if (!f || !IsVector(f->type)) {
    return IllegalArgument("Field '" + field + "' is not knn_vector or dense_vector type.");
  }
  simdjson::dom::array arr;
  if (v.get_array().get(arr) != simdjson::SUCCESS) {
    return ParsingError("[knn] query vector must be an array of numbers");
  }
  out->clear();
  out->reserve(arr.size());
  for (element x : arr) {
    double d;
    if (x.get_double().get(d) != simdjson::SUCCESS || !std::isfinite(static_cast<float>(d))) {
      return IllegalArgument("[knn] query vector values must be finite numbers");
    }
    out->push_back(static_cast<float>(d));
  }
  if (out->empty()) return IllegalArgument("[knn] query vector must not be empty");
  if (out->size() != f->vector.dim) {
    return IllegalArgument("Query vector has invalid dimension: " + std::to_string(out->size()) +
                           ". Dimension should be: " + std::to_string(f->vector.dim));
  }
  Status s = ValidateVector(out->data(), out->size(), f->vector.dim, f->vector.metric);
  if (!s.ok()) return IllegalArgument(s.message());
  return Status::OK();
}

Result<int64_t> GetPositive(element obj, std::string_view key, int64_t def, int64_t max,
                            std::string_view what) {
  element v;
  if (obj.at_key(key).get(v) != simdjson::SUCCESS) return def;
  double d;
  if (!ElementToDouble(v, &d) || d != std::floor(d)) {
    return ParsingError("[" + std::string(what) + "] [" + std::string(key) +
                        "] must be an integer");
  }
  if (d < 1 || d > static_cast<double>(max)) {
    return IllegalArgument("[" + std::string(key) + "] must be between 1 and " +
                           std::to_string(max) + " in [" + std::string(what) + "], got " +
                           ElementToJson(v));
  }
  return static_cast<int64_t>(d);
}

Result<std::unique_ptr<Query>> ParseFilterClause(element f, const Index& index) {
  if (f.is_array()) {
    auto b = std::make_unique<BoolQuery>();
    for (element x : AsArray(f)) {
      LOOKALIKE_ASSIGN_OR_RETURN(auto q, ParseQuery(x, index));
      b->filter.push_back(std::move(q));
    }
    return std::unique_ptr<Query>(std::move(b));
  }
  return ParseQuery(f, index);
}

Result<std::unique_ptr<Query>> ParseOpenSearchKnn(element body, const Index& index) {
  std::string field;
  element opts;
  LOOKALIKE_RETURN_IF_ERROR(SingleField(body, "knn", &field, &opts));
  if (!opts.is_object()) return ParsingError("[knn] query malformed: expected an object");
  auto q = std::make_unique<KnnQuery>();
  q->field = field;
  element vec;
  if (opts.at_key("vector").get(vec) != simdjson::SUCCESS) {
    return ParsingError("[knn] requires [vector]");
  }
  for (auto kv : AsObject(opts)) {
    if (kv.key != "vector" && kv.key != "k" && kv.key != "filter" && kv.key != "boost" &&
        kv.key != "method_parameters" && kv.key != "_name" && kv.key != "rescore" &&
        kv.key != "expand_nested_docs") {
      return ParsingError("[knn] unknown field [" + std::string(kv.key) + "]");
    }
  }
  LOOKALIKE_RETURN_IF_ERROR(ParseVector(vec, index, field, &q->vector));
  element kel;
  if (opts.at_key("k").get(kel) != simdjson::SUCCESS) {
    return IllegalArgument("[knn] requires k");
  }
  LOOKALIKE_ASSIGN_OR_RETURN(int64_t k, GetPositive(opts, "k", 10, kMaxK, "knn"));
  q->k = static_cast<size_t>(k);
  q->boost = GetBoost(opts);
  element mp;
  if (opts.at_key("method_parameters").get(mp) == simdjson::SUCCESS) {
    LOOKALIKE_ASSIGN_OR_RETURN(int64_t ef, GetPositive(mp, "ef_search", 0, 100000, "knn"));
    q->ef_search = static_cast<int>(ef);
  }
  element filter;
  if (opts.at_key("filter").get(filter) == simdjson::SUCCESS && !filter.is_null()) {
    LOOKALIKE_ASSIGN_OR_RETURN(q->filter, ParseFilterClause(filter, index));
  }
  return std::unique_ptr<Query>(std::move(q));
}

Result<std::unique_ptr<Query>> ParseBool(element body, const Index& index) {
  if (!body.is_object()) return ParsingError("[bool] query malformed");
  auto b = std::make_unique<BoolQuery>();
  for (auto kv : AsObject(body)) {
    std::vector<std::unique_ptr<Query>>* list = nullptr;
    if (kv.key == "must") list = &b->must;
    else if (kv.key == "filter") list = &b->filter;
    else if (kv.key == "should") list = &b->should;
    else if (kv.key == "must_not") list = &b->must_not;
    else if (kv.key == "minimum_should_match") {
      if (!ElementToText(kv.value, &b->msm_spec)) {
        return ParsingError("[bool] minimum_should_match must be a number or string");
      }
      continue;
    } else if (kv.key == "boost") {
      b->boost = GetBoost(body);
      continue;
    } else if (kv.key == "_name" || kv.key == "adjust_pure_negative") {
      continue;
    } else {
      return ParsingError("[bool] query does not support [" + std::string(kv.key) + "]");
    }
    if (kv.value.is_array()) {
      for (element x : AsArray(kv.value)) {
        LOOKALIKE_ASSIGN_OR_RETURN(auto q, ParseQuery(x, index));
        list->push_back(std::move(q));
      }
    } else {
      LOOKALIKE_ASSIGN_OR_RETURN(auto q, ParseQuery(kv.value, index));
      list->push_back(std::move(q));
    }
  }
  return std::unique_ptr<Query>(std::move(b));
}

Status ValueText(element v, std::string* out, std::string_view query) {
  if (!ElementToText(v, out)) {
    return ParsingError("[" + std::string(query) + "] query does not support an object or array "
                        "value here");
  }
  return Status::OK();
}

Result<std::unique_ptr<Query>> ParseRange(element body, const Index& index) {
  std::string field;
  element opts;
  LOOKALIKE_RETURN_IF_ERROR(SingleField(body, "range", &field, &opts));
  if (!opts.is_object()) return ParsingError("[range] query malformed, expected an object");
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_inc = true, hi_inc = true;
  std::string slo, shi;
  const FieldMapping* f = index.mapping.Find(field);
  bool is_date = f && f->type == FieldType::kDate;
  auto bound = [&](element v, double* num, std::string* text) -> Status {
    if (v.is_null()) return Status::OK();
    LOOKALIKE_RETURN_IF_ERROR(ValueText(v, text, "range"));
    int64_t ms;
    if (is_date && *text == "now") {
      *num = static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
    } else if (is_date && v.is_string() && ParseDateMillis(*text, &ms)) {
      *num = static_cast<double>(ms);
    } else if (!ElementToDouble(v, num)) {
      if (f && IsNumeric(f->type)) {
        return ParsingError("[range] failed to parse [" + *text + "] for field [" + field + "]");
      }
    }
    return Status::OK();
  };
  for (auto kv : AsObject(opts)) {
    if (kv.key == "gte" || kv.key == "from") {
      LOOKALIKE_RETURN_IF_ERROR(bound(kv.value, &lo, &slo));
    } else if (kv.key == "gt") {
      LOOKALIKE_RETURN_IF_ERROR(bound(kv.value, &lo, &slo));
      lo_inc = false;
    } else if (kv.key == "lte" || kv.key == "to") {
      LOOKALIKE_RETURN_IF_ERROR(bound(kv.value, &hi, &shi));
    } else if (kv.key == "lt") {
      LOOKALIKE_RETURN_IF_ERROR(bound(kv.value, &hi, &shi));
      hi_inc = false;
    } else if (kv.key == "include_lower") {
      if (kv.value.get_bool().get(lo_inc)) lo_inc = true;
    } else if (kv.key == "include_upper") {
      if (kv.value.get_bool().get(hi_inc)) hi_inc = true;
    } else if (kv.key != "boost" && kv.key != "format" && kv.key != "time_zone" &&
               kv.key != "relation" && kv.key != "_name") {
      return ParsingError("[range] query does not support [" + std::string(kv.key) + "]");
    }
  }
  return std::unique_ptr<Query>(std::make_unique<RangeQuery>(field, lo, lo_inc, hi, hi_inc,
                                                             GetBoost(opts), slo, shi));
}

Result<std::unique_ptr<Query>> ParseMatch(element body, const Index& index, bool phrase) {
  std::string field;
  element opts;
  LOOKALIKE_RETURN_IF_ERROR(SingleField(body, phrase ? "match_phrase" : "match", &field, &opts));
  element qv = opts;
  bool all = phrase;
  int msm = 0;
  if (opts.is_object()) {
    if (opts.at_key("query").get(qv) != simdjson::SUCCESS) {
      return ParsingError("[match] query malformed, no [query] for field [" + field + "]");
    }
    std::string_view op;
    if (opts.at_key("operator").get_string().get(op) == simdjson::SUCCESS) {
      all = op == "and" || op == "AND";
    }
    std::string m;
    element me;
    if (opts.at_key("minimum_should_match").get(me) == simdjson::SUCCESS && ElementToText(me, &m)) {
      msm = std::atoi(m.c_str());
    }
  }
  std::string text;
  LOOKALIKE_RETURN_IF_ERROR(ValueText(qv, &text, "match"));
  const FieldMapping* f = index.mapping.Find(field);
  if (f && f->type == FieldType::kText) {
    return std::unique_ptr<Query>(
        std::make_unique<MatchQuery>(field, Tokenize(text), all, msm, GetBoost(opts)));
  }
  return std::unique_ptr<Query>(
      std::make_unique<TermsQuery>(field, std::vector<std::string>{text}, GetBoost(opts)));
}

}  // namespace

Result<std::unique_ptr<Query>> ParseQuery(element q, const Index& index) {
  simdjson::dom::object obj;
  // obj is only read once get_object succeeded: a default dom::object has no document behind it.
  if (q.get_object().get(obj) != simdjson::SUCCESS) {
    return ParsingError("[_na] query malformed, must start with start_object");
  }
  if (obj.size() != 1) {
    return ParsingError(obj.size() == 0 ? "query malformed, empty clause found"
                                        : "[_na] query malformed, must start with start_object");
  }
  auto kv = *obj.begin();
  std::string_view type = kv.key;
  element body = kv.value;
  if (type == "match_all") {
    return std::unique_ptr<Query>(std::make_unique<MatchAllQuery>(GetBoost(body)));
  }
  if (type == "match_none") {
    return std::unique_ptr<Query>(std::make_unique<MatchAllQuery>(0.0f, true));
  }
  if (type == "bool") return ParseBool(body, index);
  if (type == "knn") return ParseOpenSearchKnn(body, index);
  if (type == "range") return ParseRange(body, index);
  if (type == "match") return ParseMatch(body, index, false);
  if (type == "match_phrase") return ParseMatch(body, index, true);
  if (type == "ids") {
    element values;
    if (body.at_key("values").get(values) != simdjson::SUCCESS || !values.is_array()) {
      return ParsingError("[ids] query malformed, [values] must be an array");
    }
    std::vector<std::string> ids;
    for (element v : AsArray(values)) {
      std::string s;
      LOOKALIKE_RETURN_IF_ERROR(ValueText(v, &s, "ids"));
      ids.push_back(std::move(s));
    }
    return std::unique_ptr<Query>(std::make_unique<IdsQuery>(std::move(ids), GetBoost(body)));
  }
  if (type == "term" || type == "terms") {
    std::string field;
    element v;
    LOOKALIKE_RETURN_IF_ERROR(SingleField(body, type, &field, &v));
    std::vector<std::string> values;
    float boost = GetBoost(body);
    if (type == "term") {
      if (v.is_object()) {
        boost = GetBoost(v);
        if (v.at_key("value").get(v) != simdjson::SUCCESS) {
          return ParsingError("[term] query malformed, no [value] for field [" + field + "]");
        }
      }
      std::string s;
      LOOKALIKE_RETURN_IF_ERROR(ValueText(v, &s, "term"));
      values.push_back(std::move(s));
    } else {
      if (!v.is_array()) return ParsingError("[terms] query requires an array of values");
      for (element x : AsArray(v)) {
        std::string s;
        LOOKALIKE_RETURN_IF_ERROR(ValueText(x, &s, "terms"));
        values.push_back(std::move(s));
      }
    }
    return std::unique_ptr<Query>(std::make_unique<TermsQuery>(field, std::move(values), boost));
  }
  if (type == "exists") {
    std::string_view field;
    if (body.at_key("field").get_string().get(field) != simdjson::SUCCESS) {
      return ParsingError("[exists] must be provided with a [field]");
    }
    return std::unique_ptr<Query>(
        std::make_unique<ExistsQuery>(std::string(field), GetBoost(body)));
  }
  if (type == "constant_score") {
    element f;
    if (body.at_key("filter").get(f) != simdjson::SUCCESS) {
      return ParsingError("[constant_score] requires a 'filter' element");
    }
    LOOKALIKE_ASSIGN_OR_RETURN(auto inner, ParseQuery(f, index));
    return std::unique_ptr<Query>(
        std::make_unique<ConstantScoreQuery>(std::move(inner), GetBoost(body)));
  }
  return ParsingError("unknown query [" + std::string(type) + "]");
}

Result<std::unique_ptr<Query>> ParseTopLevelKnn(element knn, const Index& index,
                                                int64_t default_k) {
  if (knn.is_array()) {
    auto b = std::make_unique<BoolQuery>();
    for (element x : AsArray(knn)) {
      LOOKALIKE_ASSIGN_OR_RETURN(auto q, ParseTopLevelKnn(x, index, default_k));
      b->should.push_back(std::move(q));
    }
    return std::unique_ptr<Query>(std::move(b));
  }
  if (!knn.is_object()) return ParsingError("[knn] must be an object or an array");
  auto q = std::make_unique<KnnQuery>();
  std::string_view field;
  if (knn.at_key("field").get_string().get(field) != simdjson::SUCCESS) {
    return ParsingError("[knn] requires [field]");
  }
  q->field = std::string(field);
  element vec;
  if (knn.at_key("query_vector").get(vec) != simdjson::SUCCESS) {
    return ParsingError("[knn] requires [query_vector]");
  }
  LOOKALIKE_RETURN_IF_ERROR(ParseVector(vec, index, q->field, &q->vector));
  LOOKALIKE_ASSIGN_OR_RETURN(int64_t k, GetPositive(knn, "k", std::clamp<int64_t>(default_k, 1, kMaxK),
                                                    kMaxK, "knn"));
  LOOKALIKE_ASSIGN_OR_RETURN(int64_t nc, GetPositive(knn, "num_candidates",
                                                     std::min<int64_t>(kMaxK, std::max<int64_t>(
                                                         k * 3 / 2, 100)), kMaxK, "knn"));
  if (nc < k) {
    return IllegalArgument("[num_candidates] cannot be less than [k]");
  }
  q->k = static_cast<size_t>(k);
  q->ef_search = static_cast<int>(nc);
  q->boost = GetBoost(knn);
  double sim;
  if (knn.at_key("similarity").get_double().get(sim) == simdjson::SUCCESS) {
    q->min_similarity = static_cast<float>(sim);
  }
  element filter;
  if (knn.at_key("filter").get(filter) == simdjson::SUCCESS && !filter.is_null()) {
    LOOKALIKE_ASSIGN_OR_RETURN(q->filter, ParseFilterClause(filter, index));
  }
  return std::unique_ptr<Query>(std::move(q));
}

}  // namespace lookalike::engine
