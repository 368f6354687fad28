// Full-text queries on `text` fields: match (BM25 over the analysed query tokens), phrases with
// positions and slop, and multi_match (dis_max or sum of per-field queries).
//
// Scoring is Lucene's BM25 as Elasticsearch (7 and later) reports it, per index (per shard in
// cluster mode, like Elasticsearch's query_then_fetch):
//   idf(t)  = ln(1 + (N - df + 0.5) / (df + 0.5))
//   score   = boost · Σ_t idf(t) · tf / (tf + k1 · (1 - b + b · dl / avgdl))
// N = live documents with a token in the field, df = those with term t, tf = occurrences of t
// in the document's field, dl = tokens in the document's field (all values), avgdl = mean dl
// over the N documents; k1 = 1.2, b = 0.75 unless the index settings
// index.similarity.default.{k1,b} say otherwise (IndexSettings). Lucene 8 dropped the constant factor (k1 + 1) from
// the numerator, and so do we, so scores match what Elasticsearch returns. Lucene stores dl in
// one lossy byte; we keep it exact, so scores of long documents differ from Elasticsearch's in
// the last digits. A query token repeated counts twice (one clause per token, as in Lucene).
// A phrase scores as one BM25 term whose idf is the sum of its terms' idf and whose tf is the
// phrase frequency (exact: occurrences; sloppy: Σ 1 / (1 + distance)).
//
// Thread safety: as engine/query.h (Eval under the index's data lock, shared).
#pragma once

#include <memory>

#include "engine/query.h"

namespace lookalike::engine {

/// match on a text field (the caller checked the type); `m.text` is analysed here.
std::unique_ptr<Query> CompileTextMatch(const MatchNode& m);

/// multi_match / match_phrase against `index`'s mapping (patterns are expanded here).
Result<std::unique_ptr<Query>> CompileMultiMatch(const MultiMatchNode& m, const Index& index);

}  // namespace lookalike::engine
