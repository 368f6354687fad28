// The full-text clauses of the query DSL: match, match_phrase and multi_match (part of
// ParseQueryNode, query_parse.h; split out to keep each file small).
//
// Accepted options: match {query, operator, minimum_should_match, boost}, match_phrase {query,
// slop, boost}, multi_match {query, fields (with "name^boost" and * patterns), type
// (best_fields, most_fields, phrase), tie_breaker, operator, minimum_should_match, slop,
// boost}. Options that cannot change the hits here are accepted: _name, lenient,
// auto_generate_synonyms_phrase_query, analyzer "standard", zero_terms_query "none". Any other
// option, or a multi_match type not built (cross_fields, phrase_prefix, bool_prefix), is a
// parsing_exception naming it: never silently ignored.
//
// minimum_should_match is resolved here against the number of analysed query tokens (the
// analyzer does not depend on the mapping): "2", "-1", "75%", "-25%" as Elasticsearch reads
// them; the combination forms ("3<90%") are refused.
#pragma once

#include <string>
#include <string_view>

#include "server/es/query_parse.h"

namespace lookalike::es {

Result<QueryNode> ParseMatch(element body);
Result<QueryNode> ParseMatchPhrase(element body);
Result<QueryNode> ParseMultiMatch(element body);

// Shared with query_parse.cc (defined there).
Status SingleField(element clause, std::string_view query_name, std::string* field,
                   element* body);
float GetBoost(element obj);

}  // namespace lookalike::es
