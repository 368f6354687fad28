// The near-duplicate report: which documents of an index have vectors so close that they are
// probably copies of each other (the same photo resized, recompressed or slightly cropped).
//
// What a group is. Documents a and b are near duplicates when the knn `_score` of b for a query
// with a's vector (same field, same formula as a knn search) is at least `min_score` (S). A
// group is a complete-linkage cluster of that relation: EVERY pair of its members scores at
// least S. Connected components of the "≥ S" graph were the alternative; they chain (a~b, b~c
// while a and c are far apart), and a user who keeps one image of a group and deletes the rest
// must not lose c because it resembles b. So inside each connected component, clusters are
// merged along the component's edges in descending score order, and a merge happens only when
// all cross pairs score ≥ S; a component can therefore yield several groups, and a document
// belongs to at most one group. Each group reports its smallest pairwise score (≥ S).
//
// How it is found (linear in the number of documents, not quadratic): every stored vector asks
// the field's vector index for its nearest neighbours (k = NearDuplicateOptions::neighbors,
// doubled while all of them still score ≥ S, up to max_neighbors). Hits are exact float32
// scores (HNSW re-ranks its candidates against float32, also for int8/fp16 codes); pairs ≥ S
// are joined with union-find, then clustered as above with exact pairwise scores. Under HNSW a
// pair the graph search misses is not found (the recall of a knn search with that k); the
// flat index finds every pair but costs a full scan per document (n² distance computations:
// meant for small fields).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lookalike {

struct NearDuplicateOptions {
  /// Groups returned, largest first (0 = all). NearDuplicateReport::total_groups counts all.
  size_t max_groups = 0;
  /// Ids listed per group (0 = all); NearDuplicateGroup::doc_count is the full size.
  size_t max_group_size = 0;
  /// Neighbours asked per document at first, and at most (see the file comment).
  size_t neighbors = 16;
  size_t max_neighbors = 256;
  /// Memory bound: more pairs ≥ S than this (S too low for a duplicate report) fails with
  /// InvalidArgument / kInvalidValue instead of growing without limit. So does a connected
  /// component larger than max_component (its vectors are held in memory while clustering).
  size_t max_pairs = 10'000'000;
  size_t max_component = 20'000;
  /// Worker threads for the neighbour searches (0 = all cores).
  int threads = 0;
};

struct NearDuplicateGroup {
  std::vector<std::string> ids;  // sorted; at most max_group_size of them
  size_t doc_count = 0;          // members of the group (≥ 2)
  float min_score = 0;           // the smallest score between two members (≥ min_score)
};

struct NearDuplicateReport {
  /// Largest group first; equal sizes by their first id. Deterministic for a given index state.
  std::vector<NearDuplicateGroup> groups;
  size_t total_groups = 0;  // groups found, before max_groups
  size_t docs_scanned = 0;  // documents with a vector in the field
  size_t pairs = 0;         // distinct pairs scoring ≥ min_score that the search found
  double took_ms = 0;
};

}  // namespace lookalike
