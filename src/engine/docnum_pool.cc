#include "engine/docnum_pool.h"

#include <cassert>

namespace lookalike::engine {

void DocnumPool::Free(std::vector<uint32_t> docnums, const Token& token) {
  if (docnums.empty()) return;
  waiting_count_ += docnums.size();
  waiting_.push_back(Group{token, std::move(docnums)});
}

void DocnumPool::Mature(bool all_applied) {
  while (!waiting_.empty() && (all_applied || waiting_.front().token.expired())) {
    std::vector<uint32_t>& docnums = waiting_.front().docnums;
    waiting_count_ -= docnums.size();
    reusable_.insert(reusable_.end(), docnums.begin(), docnums.end());
    waiting_.pop_front();
  }
}

bool DocnumPool::Peek(size_t taken, uint32_t* docnum) const {
  if (taken >= reusable_.size()) return false;
  *docnum = reusable_[reusable_.size() - 1 - taken];
  return true;
}

void DocnumPool::Take(size_t n) {
  assert(n <= reusable_.size());
  reusable_.resize(reusable_.size() - n);
}

}  // namespace lookalike::engine
