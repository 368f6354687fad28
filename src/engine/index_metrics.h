// The series the engine records on its request paths for one index, created when the index is
// published and dropped from the registry when it is deleted (lookalike/metrics.h). Recording
// is a relaxed atomic add through these pointers: no lock, no lookup by name.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "lookalike/metrics.h"
#include "lookalike/search_request.h"

namespace lookalike::engine {

struct IndexMetrics {
  IndexMetrics(MetricsRegistry& registry, const std::string& index);

  /// One finished search of `kind` on this index; `ok` = it returned a result.
  void RecordSearch(SearchKind kind, double seconds, bool ok);

  std::array<std::shared_ptr<Histogram>, kSearchKinds> search_seconds;
  std::array<std::shared_ptr<Counter>, kSearchKinds> searches;
  std::array<std::shared_ptr<Counter>, kSearchKinds> search_failures;
  std::shared_ptr<Counter> docs_indexed;  // created or overwritten
  std::shared_ptr<Counter> docs_deleted;
};

}  // namespace lookalike::engine
