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

std::vector<std::string> Tokenize(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) {
      cur.push_back(static_cast<char>(c));
    } else if (c >= 'A' && c <= 'Z') {
      cur.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

void FieldIndex::Grow(uint32_t doc) {
  if (doc >= present_gen_.size()) {
    size_t n = std::max<size_t>(doc + 1, present_gen_.size() * 2);
    present_gen_.resize(n, 0);
    if (IsNumeric(type_)) num_single_.resize(n, std::nan(""));
    else first_term_.resize(n, 0);
  }
}

void FieldIndex::AddTerm(uint32_t doc, uint32_t gen, std::string_view term) {
  Grow(doc);
  auto [it, inserted] = term_ids_.try_emplace(std::string(term), static_cast<uint32_t>(terms_.size()));
  if (inserted) {
    terms_.emplace_back(term);
    postings_.emplace_back();
  }
  auto& plist = postings_[it->second];
  if (plist.empty() || plist.back().doc != doc || plist.back().gen != gen) {
    plist.push_back({doc, gen});
    ++postings_total_;
  }
  if (present_gen_[doc] != gen + 1 || first_term_[doc] == 0) first_term_[doc] = it->second + 1;
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
  }
}

void FieldIndex::CollectGarbage(const std::vector<DocSlot>& slots) {
  auto valid = [&](const Posting& p) {
    return p.doc < slots.size() && slots[p.doc].live && slots[p.doc].gen == p.gen;
  };
  std::vector<std::string> terms;
  std::vector<std::vector<Posting>> postings;
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
    for (const Posting& p : postings_[t]) {
      if (!valid(p)) continue;
      live.push_back(p);
      // A doc's first term is one of its valid postings: ClearDoc resets it on delete/re-index.
      if (first_term_[p.doc] == t + 1) first_terms.emplace_back(p.doc, new_id + 1);
    }
    kept += n;
    terms.push_back(std::move(terms_[t]));
    postings.push_back(std::move(live));
  }
  // Renumbered after the scan: old and new term ids must not be mixed while it runs.
  for (auto [doc, id] : first_terms) first_term_[doc] = id;
  terms_ = std::move(terms);
  postings_ = std::move(postings);
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
