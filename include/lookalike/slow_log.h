// The slow log: Elasticsearch's index.search.slowlog.threshold.query.{warn,info,debug,trace}
// and index.indexing.slowlog.threshold.index.{warn,info,debug,trace} index settings. A search
// or a document write that takes at least a threshold of one of its indices is logged once, at
// the most severe level reached, and kept in a small in-memory ring (Engine::slow_log()) for
// the status page (GET /_lookalike/slowlog).
//
// The log line is stable and parseable, one line per event, `key[value]` pairs like
// Elasticsearch's slow log:
//   slowlog type[search] index[photos] took_ms[12.345] kind[knn] total_hits[10] source[{...}]
//   slowlog type[index] index[photos] took_ms[3.100] id[abc] source[{...}]
// Values never contain a newline; `source` is the request body (search) or the document
// (indexing) with every array of numbers written as […N floats…] and capped in length.
//
// Thread safety: SlowLog::Record and Entries may be called from any thread; mu_ guards the
// ring. Record is only called when a threshold was exceeded, never on the fast path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lookalike {

/// Most severe first.
enum class SlowLogLevel : uint8_t { kWarn = 0, kInfo = 1, kDebug = 2, kTrace = 3 };
/// "warn", "info", "debug", "trace".
std::string_view SlowLogLevelName(SlowLogLevel level);

/// The four thresholds of one slow log of one index, in nanoseconds; -1 = that level is off.
struct SlowLogThresholds {
  int64_t nanos[4] = {-1, -1, -1, -1};  // indexed by SlowLogLevel

  /// The most severe level whose threshold `took_nanos` reaches; nullopt when none does.
  std::optional<SlowLogLevel> LevelFor(int64_t took_nanos) const;
  /// The smallest enabled threshold, -1 when every level is off.
  int64_t Floor() const;
  bool operator==(const SlowLogThresholds&) const = default;
};

/// The slow-log settings of one index.
struct IndexSlowLogSettings {
  std::string index;
  SlowLogThresholds search;    // index.search.slowlog.threshold.query.*
  SlowLogThresholds indexing;  // index.indexing.slowlog.threshold.index.*
  /// index.indexing.slowlog.source: characters of the document logged (0 = none).
  int64_t indexing_source_chars = 1000;
};

/// One slow event.
struct SlowLogEntry {
  int64_t timestamp_ms = 0;  // wall clock, milliseconds since the epoch
  SlowLogLevel level = SlowLogLevel::kWarn;
  std::string type;  // "search" or "index"
  std::string index;
  double took_ms = 0;
  std::string kind;         // search: knn, filtered_knn, image, text, match_all
  int64_t total_hits = -1;  // search: hits counted (-1 unknown / not tracked)
  std::string id;           // index: the document id
  std::string source;       // vectors elided, capped (see the file comment)

  /// The log line (without the logger's own prefix).
  std::string Line() const;
};

/// The last `capacity` slow events, oldest first, plus the logging itself.
class SlowLog {
 public:
  explicit SlowLog(size_t capacity = 100) : capacity_(capacity) {}

  /// Writes the entry's line through the process logger at its level and keeps it (the oldest
  /// entry goes when the ring is full).
  void Record(SlowLogEntry entry);
  /// A copy of the ring, oldest first.
  std::vector<SlowLogEntry> Entries() const;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::deque<SlowLogEntry> entries_;  // guarded by mu_
};

/// Longest `source` kept in an entry (bytes); longer text is cut and ends with "...".
inline constexpr size_t kSlowLogMaxSourceBytes = 4096;

}  // namespace lookalike
