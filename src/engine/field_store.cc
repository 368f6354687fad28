#include "engine/field_store.h"

namespace lookalike::engine {

void Bitset::SetAll() {
  for (auto& w : words_) w = ~uint64_t{0};
  if (n_ % 64) words_.back() &= (uint64_t{1} << (n_ % 64)) - 1;
}
void Bitset::And(const Bitset& o) {
  for (size_t i = 0; i < words_.size(); ++i) words_[i] &= i < o.words_.size() ? o.words_[i] : 0;
}
void Bitset::Or(const Bitset& o) {
  for (size_t i = 0; i < words_.size() && i < o.words_.size(); ++i) words_[i] |= o.words_[i];
}
void Bitset::AndNot(const Bitset& o) {
  for (size_t i = 0; i < words_.size() && i < o.words_.size(); ++i) words_[i] &= ~o.words_[i];
}
size_t Bitset::Count() const {
  size_t c = 0;
  for (uint64_t w : words_) c += static_cast<size_t>(__builtin_popcountll(w));
  return c;
}

void FieldIndex::Grow(uint32_t doc) {
  if (doc >= present_gen_.size()) {
    size_t n = std::max<size_t>(doc + 1, present_gen_.size() * 2);
    present_gen_.resize(n, 0);
    if (IsNumeric(type_)) num_single_.resize(n, std::nan(""));
    else first_term_.resize(n, 0);
    if (type_ == FieldType::kText) doc_len_.resize(n, 0);
  }
}

uint32_t FieldIndex::AddPosting(uint32_t doc, uint32_t gen, std::string_view term) {
  Grow(doc);
  auto [it, inserted] = term_ids_.try_emplace(std::string(term), static_cast<uint32_t>(terms_.size()));
  if (inserted) {
    terms_.emplace_back(term);
    postings_.emplace_back();
    if (type_ == FieldType::kText) positions_.emplace_back();
  }
  uint32_t id = it->second;
  auto& plist = postings_[id];
  if (plist.empty() || plist.back().doc != doc || plist.back().gen != gen) {
    plist.push_back({doc, gen, 1});
    ++postings_total_;
  } else if (type_ == FieldType::kText) {
    ++plist.back().tf;  // keyword values repeated in an array stay one occurrence
  }
  if (present_gen_[doc] != gen + 1 || first_term_[doc] == 0) first_term_[doc] = id + 1;
  return id;
}

void FieldIndex::AddTerm(uint32_t doc, uint32_t gen, std::string_view term) {
  AddPosting(doc, gen, term);
  present_gen_[doc] = gen + 1;
}

void FieldIndex::AddToken(uint32_t doc, uint32_t gen, std::string_view term, uint32_t position) {
  uint32_t id = AddPosting(doc, gen, term);
  if (id < positions_.size()) positions_[id].push_back(position);
  if (doc < doc_len_.size()) {
    if (present_gen_[doc] != gen + 1) doc_len_[doc] = 0;  // the first token of this generation
    ++doc_len_[doc];
  }
  present_gen_[doc] = gen + 1;
}

void FieldIndex::AddNumber(uint32_t doc, uint32_t gen, double value) {
  Grow(doc);
  if (present_gen_[doc] != gen + 1 || std::isnan(num_single_[doc])) {
    num_single_[doc] = value;
  } else {
    num_multi_[doc].push_back(value);
  }
  present_gen_[doc] = gen + 1;
}

void FieldIndex::ClearDoc(uint32_t doc) {
  if (doc >= present_gen_.size()) return;
  present_gen_[doc] = 0;
  if (IsNumeric(type_)) {
    num_single_[doc] = std::nan("");
    num_multi_.erase(doc);
  } else {
    first_term_[doc] = 0;
    if (doc < doc_len_.size()) doc_len_[doc] = 0;
  }
}

void FieldIndex::CollectGarbage(const std::vector<DocSlot>& slots) {
  auto valid = [&](const Posting& p) {
    return p.doc < slots.size() && slots[p.doc].live && slots[p.doc].gen == p.gen;
  };
  std::vector<std::string> terms;
  std::vector<std::vector<Posting>> postings;
  std::vector<std::vector<uint32_t>> positions;
  bool has_positions = type_ == FieldType::kText;
  std::vector<std::pair<uint32_t, uint32_t>> first_terms;  // (doc, new term id + 1)
  size_t kept = 0;
  for (size_t t = 0; t < terms_.size(); ++t) {
    size_t n = 0;
    for (const Posting& p : postings_[t]) n += valid(p);
    if (n == 0) continue;
    auto new_id = static_cast<uint32_t>(terms.size());
    // Fresh vectors of the exact size: a term that once had many postings gives the memory back.
    std::vector<Posting> live;
    live.reserve(n);
    std::vector<uint32_t> live_pos;
    size_t offset = 0;  // of the posting's positions in positions_[t]
    for (const Posting& p : postings_[t]) {
      size_t at = offset;
      offset += p.tf;
      if (!valid(p)) continue;
      live.push_back(p);
      if (has_positions) {
        live_pos.insert(live_pos.end(), positions_[t].begin() + at,
                        positions_[t].begin() + at + p.tf);
      }
      // A doc's first term is one of its valid postings: ClearDoc resets it on delete/re-index.
      if (first_term_[p.doc] == t + 1) first_terms.emplace_back(p.doc, new_id + 1);
    }
    kept += n;
    terms.push_back(std::move(terms_[t]));
    postings.push_back(std::move(live));
    if (has_positions) {
      live_pos.shrink_to_fit();
      positions.push_back(std::move(live_pos));
    }
  }
  // Renumbered after the scan: old and new term ids must not be mixed while it runs.
  for (auto [doc, id] : first_terms) first_term_[doc] = id;
  terms_ = std::move(terms);
  postings_ = std::move(postings);
  positions_ = std::move(positions);
  term_ids_.clear();
  for (size_t t = 0; t < terms_.size(); ++t) term_ids_.emplace(terms_[t], static_cast<uint32_t>(t));
  postings_total_ = kept;
  gc_threshold_ = 2 * kept + kGcFloor;
}

void FieldIndex::Term(std::string_view term, const std::vector<DocSlot>& slots,
                      Bitset* out) const {
  auto it = term_ids_.find(std::string(term));
  if (it == term_ids_.end()) return;
  for (const Posting& p : postings_[it->second]) {
    if (p.doc < slots.size() && slots[p.doc].live && slots[p.doc].gen == p.gen) out->Set(p.doc);
  }
}

FieldIndex::TextStats FieldIndex::Stats(const std::vector<DocSlot>& slots) const {
  TextStats stats;
  size_t n = std::min(doc_len_.size(), slots.size());
  for (size_t d = 0; d < n; ++d) {
    if (doc_len_[d] > 0 && slots[d].live && present_gen_[d] == slots[d].gen + 1) {
      ++stats.docs;
      stats.tokens += doc_len_[d];
    }
  }
  return stats;
}

size_t FieldIndex::TermFrequency(std::string_view term) const {
  auto it = term_ids_.find(std::string(term));
  return it == term_ids_.end() ? 0 : postings_[it->second].size();
}

void FieldIndex::Range(double lo, bool lo_inc, double hi, bool hi_inc,
                       const std::vector<DocSlot>& slots, Bitset* out) const {
  auto in = [&](double v) {
    return (lo_inc ? v >= lo : v > lo) && (hi_inc ? v <= hi : v < hi);
  };
  size_t n = std::min(num_single_.size(), slots.size());
  for (size_t d = 0; d < n; ++d) {
    double v = num_single_[d];
    if (!std::isnan(v) && slots[d].live && present_gen_[d] == slots[d].gen + 1 && in(v)) {
      out->Set(d);
    }
  }
  for (const auto& [d, values] : num_multi_) {
    if (d >= slots.size() || !slots[d].live || present_gen_[d] != slots[d].gen + 1) continue;
    for (double v : values) {
      if (in(v)) {
        out->Set(d);
        break;
      }
    }
  }
}

void FieldIndex::Exists(const std::vector<DocSlot>& slots, Bitset* out) const {
  size_t n = std::min(present_gen_.size(), slots.size());
  for (size_t d = 0; d < n; ++d) {
    if (slots[d].live && present_gen_[d] == slots[d].gen + 1) out->Set(d);
  }
}

const std::string* FieldIndex::TermOf(uint32_t doc) const {
  if (doc >= first_term_.size() || first_term_[doc] == 0) return nullptr;
  return &terms_[first_term_[doc] - 1];
}

}  // namespace lookalike::engine
