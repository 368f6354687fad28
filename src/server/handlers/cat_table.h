// The _cat APIs' two output forms for one table: aligned text (a header row with ?v, columns
// chosen with ?h=a,b) or, with ?format=json, an array of objects whose values are strings, as
// Elasticsearch prints them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "server/http/http_message.h"
#include "server/router.h"

namespace lookalike::server {

struct CatTable {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;  // each as long as `columns`
};

/// A size as the _cat APIs print it: "208b", "4.5kb", "1.2mb" (Elasticsearch's human-readable
/// sizes), or plain bytes with ?bytes=b.
std::string CatBytes(int64_t bytes, const RestRequest& request);

/// Lines of cells as the _cat APIs print text: each column padded to its widest cell, one space
/// between columns, a newline after each line.
std::string AlignedCatText(const std::vector<std::vector<std::string>>& lines);

/// Fills `response` from `table` according to the request's ?format, ?v and ?h. An ?h naming
/// an unknown column answers 400 illegal_argument_exception.
void ReplyCatTable(const CatTable& table, const RestRequest& request, HttpResponse* response);

}  // namespace lookalike::server
