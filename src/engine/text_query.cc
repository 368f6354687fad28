#include "engine/text_query.h"

#include <algorithm>
#include <cmath>

#include "common/glob.h"

namespace lookalike::engine {
namespace {

// The BM25 pieces of one field, fixed for one evaluation.
struct Bm25 {
  double avgdl = 1;
  double docs = 0;
  double k1, b;  // index.similarity.default.{k1,b} (1.2, 0.75 unless set)
  Bm25(const FieldIndex& f, const Index& index)
      : k1(index.settings.bm25_k1), b(index.settings.bm25_b) {
    FieldIndex::TextStats s = f.Stats(index.slots);
    docs = static_cast<double>(s.docs);
    if (s.docs > 0) avgdl = static_cast<double>(s.tokens) / docs;
  }
  double Idf(double df) const { return std::log(1.0 + (docs - df + 0.5) / (df + 0.5)); }
  // tf / (tf + k1 · (1 - b + b · dl / avgdl)): the saturated, length-normalised frequency.
  double Tf(double tf, uint32_t dl) const {
    return tf / (tf + k1 * (1.0 - b + b * static_cast<double>(dl) / avgdl));
  }
};

// match on a text field: documents with enough of the query tokens, scored by BM25.
class TextMatchQuery final : public Query {
 public:
  TextMatchQuery(std::string field, std::vector<std::string> tokens, bool all, int msm,
                 float boost)
      : field_(std::move(field)), tokens_(std::move(tokens)), all_(all), msm_(msm),
        boost_(boost) {}

  Status Eval(const Index& index, Matches* out) const override {
    size_t n = index.slots.size();
    out->bits = Bitset(n);
    auto fi = index.fields.find(field_);
    if (fi == index.fields.end() || tokens_.empty()) return Status::OK();
    const FieldIndex& f = *fi->second;
    Bm25 bm25(f, index);
    out->mode = Matches::Mode::kDense;
    out->dense.assign(n, 0.0f);
    std::vector<uint32_t> matched(n, 0);  // query tokens each doc has
    std::vector<std::pair<uint32_t, uint32_t>> postings;  // (doc, tf) of one token
    for (const std::string& tok : tokens_) {
      postings.clear();
      f.ForEachPosting(tok, index.slots, [&](uint32_t d, uint32_t tf, const uint32_t*) {
        postings.emplace_back(d, tf);
      });
      double idf = bm25.Idf(static_cast<double>(postings.size()));
      for (auto [d, tf] : postings) {
        out->dense[d] += static_cast<float>(idf * bm25.Tf(tf, f.Length(d)) * boost_);
        ++matched[d];
      }
    }
    size_t need = all_ ? tokens_.size() : static_cast<size_t>(std::max(1, msm_));
    for (uint32_t d = 0; d < n; ++d) {
      if (matched[d] >= need) out->bits.Set(d);
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

// Positions of one phrase term in one document.
struct PositionList {
  const uint32_t* pos;
  uint32_t n;
};

// A phrase that repeats a term ("fox fox") needs as many occurrences: one token cannot stand
// for two terms of the window (only repeated terms can share a position).
bool DistinctPositions(const PositionList* lists, const std::vector<uint32_t>& at) {
  for (size_t i = 0; i < at.size(); ++i) {
    for (size_t j = i + 1; j < at.size(); ++j) {
      if (lists[i].pos[at[i]] == lists[j].pos[at[j]]) return false;
    }
  }
  return true;
}

// Phrase frequency of one document: windows that hold every term at its place in the phrase
// within `slop` moves. Term i's positions are shifted by its query position, so an exact
// occurrence puts every shifted position on the same number; a window's distance is the
// spread (max - min) of its shifted positions. The sweep always advances the term at the
// smallest shifted position: each window is counted once, and an exact phrase counts its
// occurrences.
double PhraseFrequency(const PositionList* lists, const std::vector<uint32_t>& qpos, int slop) {
  size_t m = qpos.size();
  std::vector<uint32_t> at(m, 0);
  double freq = 0;
  for (;;) {
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    size_t lo_term = 0;
    for (size_t i = 0; i < m; ++i) {
      int64_t p = static_cast<int64_t>(lists[i].pos[at[i]]) - qpos[i];
      if (p < lo) lo = p, lo_term = i;
      hi = std::max(hi, p);
    }
    if (hi - lo <= slop && DistinctPositions(lists, at)) {
      freq += 1.0 / (1.0 + static_cast<double>(hi - lo));
    }
    if (++at[lo_term] == lists[lo_term].n) return freq;
  }
}

class PhraseQuery final : public Query {
 public:
  PhraseQuery(std::string field, std::vector<Token> tokens, int slop, float boost)
      : field_(std::move(field)), tokens_(std::move(tokens)), slop_(slop), boost_(boost) {}

  Status Eval(const Index& index, Matches* out) const override {
    out->bits = Bitset(index.slots.size());
    auto fi = index.fields.find(field_);
    if (fi == index.fields.end() || tokens_.empty()) return Status::OK();
    const FieldIndex& f = *fi->second;
    Bm25 bm25(f, index);
    out->mode = Matches::Mode::kSparse;
    size_t m = tokens_.size();
    std::vector<uint32_t> qpos;
    for (const Token& t : tokens_) qpos.push_back(t.position);
    // Rarest term first (posting counts, stale included, are a good enough guide): it decides
    // the candidates; each further term only looks them up, and a candidate missing a term
    // drops out.
    std::vector<size_t> order(m);
    for (size_t i = 0; i < m; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return f.TermFrequency(tokens_[a].text) < f.TermFrequency(tokens_[b].text);
    });
    std::vector<int32_t> slot(index.slots.size(), -1);  // doc -> candidate number
    std::vector<uint32_t> docs;                           // candidate -> doc
    std::vector<PositionList> lists;                      // candidate c, term i: c * m + i
    std::vector<uint32_t> seen;                           // terms found per candidate
    double idf = 0;
    for (size_t step = 0; step < m; ++step) {
      size_t i = order[step];
      size_t df = 0;
      f.ForEachPosting(tokens_[i].text, index.slots,
                       [&](uint32_t d, uint32_t tf, const uint32_t* pos) {
                         ++df;
                         if (pos == nullptr) return;
                         if (step == 0) {
                           slot[d] = static_cast<int32_t>(docs.size());
                           docs.push_back(d);
                           lists.resize(lists.size() + m);
                           seen.push_back(0);
                         } else if (slot[d] < 0 || seen[slot[d]] != step) {
                           return;
                         }
                         lists[static_cast<size_t>(slot[d]) * m + i] = {pos, tf};
                         ++seen[slot[d]];
                       });
      idf += bm25.Idf(static_cast<double>(df));
    }
    for (size_t c = 0; c < docs.size(); ++c) {
      if (seen[c] != m) continue;
      uint32_t d = docs[c];
      double freq = PhraseFrequency(lists.data() + c * m, qpos, slop_);
      if (freq <= 0) continue;
      out->bits.Set(d);
      out->sparse[d] = static_cast<float>(idf * bm25.Tf(freq, f.Length(d)) * boost_);
    }
    return Status::OK();
  }

 private:
  std::string field_;
  std::vector<Token> tokens_;
  int slop_;
  float boost_;
};

// dis_max (best field + tie_breaker × the others) or, with tie_breaker 1, the sum.
class DisMaxQuery final : public Query {
 public:
  DisMaxQuery(std::vector<std::unique_ptr<Query>> children, float tie_breaker, float boost)
      : children_(std::move(children)), tie_(tie_breaker), boost_(boost) {}

  Status Eval(const Index& index, Matches* out) const override {
    size_t n = index.slots.size();
    std::vector<Matches> parts(children_.size());
    out->bits = Bitset(n);
    for (size_t i = 0; i < children_.size(); ++i) {
      LOOKALIKE_RETURN_IF_ERROR(children_[i]->Eval(index, &parts[i]));
      parts[i].bits.Resize(n);
      out->bits.Or(parts[i].bits);
    }
    out->mode = Matches::Mode::kDense;
    out->dense.assign(n, 0.0f);
    out->bits.ForEach([&](uint32_t d) {
      float best = 0, sum = 0;
      for (const Matches& m : parts) {
        if (!m.bits.Test(d)) continue;
        float s = m.Score(d);
        best = std::max(best, s);
        sum += s;
      }
      out->dense[d] = (best + tie_ * (sum - best)) * boost_;
    });
    return Status::OK();
  }

 private:
  std::vector<std::unique_ptr<Query>> children_;
  float tie_;
  float boost_;
};

// The fields a multi_match queries, each with its boost (a field named twice keeps the
// larger boost, as Elasticsearch does).
std::vector<MultiMatchNode::Field> ResolveFields(const MultiMatchNode& m, const Index& index) {
  std::vector<MultiMatchNode::Field> out;
  auto add = [&](const std::string& name, float boost) {
    for (auto& f : out) {
      if (f.name == name) {
        f.boost = std::max(f.boost, boost);
        return;
      }
    }
    out.push_back({name, boost});
  };
  std::vector<MultiMatchNode::Field> patterns = m.fields;
  if (patterns.empty()) patterns.push_back({"*", 1.0f});
  for (const auto& p : patterns) {
    if (p.name.find('*') == std::string::npos) {
      add(p.name, p.boost);
      continue;
    }
    for (const auto& [path, fm] : index.mapping.fields()) {
      bool searchable = fm.type == FieldType::kText || fm.type == FieldType::kKeyword;
      if (searchable && GlobMatch(p.name, path)) add(path, p.boost);
    }
  }
  return out;
}

}  // namespace

std::unique_ptr<Query> CompileTextMatch(const MatchNode& m) {
  return std::make_unique<TextMatchQuery>(m.field, Tokenize(m.text), m.all,
                                          m.minimum_should_match, m.boost);
}

Result<std::unique_ptr<Query>> CompileMultiMatch(const MultiMatchNode& m, const Index& index) {
  std::vector<std::unique_ptr<Query>> children;
  for (const auto& field : ResolveFields(m, index)) {
    const FieldMapping* fm = index.mapping.Find(field.name);
    if (fm && fm->type == FieldType::kText) {
      if (m.type == MultiMatchNode::Type::kPhrase) {
        children.push_back(
            std::make_unique<PhraseQuery>(field.name, Analyze(m.text), m.slop, field.boost));
      } else {
        children.push_back(std::make_unique<TextMatchQuery>(
            field.name, Tokenize(m.text), m.all, m.minimum_should_match, field.boost));
      }
      continue;
    }
    QueryNode term;
    term.node = TermsNode{field.name, {m.text}, field.boost};
    LOOKALIKE_ASSIGN_OR_RETURN(auto q, CompileQuery(term, index));
    children.push_back(std::move(q));
  }
  if (children.size() == 1 && m.boost == 1.0f) return std::move(children[0]);
  float tie = m.type == MultiMatchNode::Type::kMostFields ? 1.0f : m.tie_breaker;
  return std::unique_ptr<Query>(std::make_unique<DisMaxQuery>(std::move(children), tie, m.boost));
}

}  // namespace lookalike::engine
