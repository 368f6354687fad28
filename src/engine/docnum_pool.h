// Document numbers of deleted documents, handed out again to new documents so that an index's
// slots, field columns and vector labels grow with the number of live documents, not with the
// number of deletes and re-creates.
//
// A number freed by a delete is not reusable at once: the delete's vector removal is still
// queued for the background inserter. Reusing the number before that removal ran would let a
// k-NN search find the old vector under the new document's label. So freed numbers wait in
// groups, one per write batch, each with a token that the batch's vector tasks hold; a group
// becomes reusable when its token has expired, i.e. when the inserter is done with every task
// of that batch. Tasks of one index complete in order, so groups mature front to back.
//
// Thread safety: none inside; the owning Index guards it with write_mu.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

namespace lookalike::engine {

class DocnumPool {
 public:
  /// Token that keeps a group of freed numbers waiting while any copy of it is alive.
  using Token = std::shared_ptr<const void>;
  static Token NewToken() { return std::make_shared<int>(0); }

  /// Adds freed numbers that become reusable once `token` expired (an expired or empty token:
  /// at the next Mature).
  void Free(std::vector<uint32_t> docnums, const Token& token);
  /// Moves groups whose token expired, oldest first, to the reusable numbers; every group when
  /// `all_applied` (the caller saw no vector task of the index pending, so every removal ran
  /// even if a finished task has not released its token yet).
  void Mature(bool all_applied = false);

  /// The `taken`-th reusable number (0 = the first), or false when fewer are reusable. Numbers
  /// are only peeked at while a batch is assembled: Take(n) commits once it is stored.
  bool Peek(size_t taken, uint32_t* docnum) const;
  /// Removes the first `n` reusable numbers (n <= reusable()).
  void Take(size_t n);

  /// Reusable now.
  size_t reusable() const { return reusable_.size(); }
  /// Freed and not reused yet: reusable plus waiting for their vector removals.
  size_t free_count() const { return reusable_.size() + waiting_count_; }

 private:
  struct Group {
    std::weak_ptr<const void> token;
    std::vector<uint32_t> docnums;
  };
  std::deque<Group> waiting_;
  size_t waiting_count_ = 0;
  std::vector<uint32_t> reusable_;  // handed out from the back
};

}  // namespace lookalike::engine
