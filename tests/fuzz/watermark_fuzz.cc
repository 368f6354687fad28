// Disk watermarks (src/storage/disk_monitor.cc): Watermark::Parse and DiskWatermarks::FromText,
// the parsers behind --disk-*-watermark and the cluster.routing.allocation.disk.watermark.*
// settings, then a DiskMonitor with a fake disk. The cluster_settings target stores these keys
// but never parses their values (it runs ClusterSettings without the apply step).
// Checks:
//   - a parsed watermark keeps its text, a ratio lies in [0, 1], and its text parses again to the
//     same watermark (the text is what _cluster/settings stores and reloads);
//   - an accepted set of three never flaps: on a disk whose usage does not change, the
//     read-only-allow-delete block stays as the first sample left it, and a disk above the flood
//     stage is always blocked;
//   - a PUT _cluster/settings body accepted with the watermarks applied as the handler applies
//     them leaves persistent settings that apply again as the server applies them at start
//     (src/server/rest_server.cc), so a restart never falls back to other watermarks.
//
// Input: low, NUL, high, NUL, flood stage (missing or empty parts keep the defaults); or, when it
// starts with '{', a _cluster/settings body.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "server/handlers/rest_common.h"
#include "storage/disk_monitor.h"

namespace {

using lookalike::storage::DiskMonitor;
using lookalike::storage::DiskUsage;
using lookalike::storage::DiskWatermarks;
using lookalike::storage::Watermark;

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "%s\n%s\n", what, detail.c_str());
  __builtin_trap();
}

bool Same(const Watermark& a, const Watermark& b) {
  if (a.is_ratio() != b.is_ratio()) return false;
  return a.is_ratio() ? a.ratio() == b.ratio() : a.free_bytes() == b.free_bytes();
}

void CheckOne(std::string_view text) {
  auto parsed = Watermark::Parse(text);
  if (!parsed.ok()) {
    if (parsed.status().code() != lookalike::StatusCode::kInvalidArgument) {
      Fail("a bad watermark is not InvalidArgument", parsed.status().ToString());
    }
    return;
  }
  if (parsed->text() != text) Fail("a watermark lost its text", parsed->text());
  if (parsed->is_ratio() && !(parsed->ratio() >= 0.0 && parsed->ratio() <= 1.0)) {
    Fail("a ratio outside [0, 1] was accepted", std::string(text));
  }
  auto again = Watermark::Parse(parsed->text());
  if (!again.ok() || !Same(*parsed, *again)) Fail("a watermark's text parses differently", "");
}

// Disks from empty to overfull, in sizes from bytes to exabytes (plus unknown: total 0).
constexpr uint64_t kTotals[] = {0, 1, 1000, uint64_t{1} << 30, uint64_t{1} << 40, UINT64_MAX};

DiskUsage g_usage;  // what the fake probe reports

void CheckMonitor(const DiskWatermarks& watermarks) {
  DiskMonitor monitor("/fuzz", watermarks,
                      [](const std::string&) { return lookalike::Result<DiskUsage>(g_usage); });
  for (uint64_t total : kTotals) {
    const uint64_t frees[] = {0,         1,         total / 100, total / 20, total / 10,
                              total / 7, total / 2, total,       total + 1,  UINT64_MAX};
    for (uint64_t free : frees) {
      g_usage = DiskUsage{total, free};
      bool first = monitor.Check();
      bool second = monitor.Check();
      if (first != second) {
        Fail("the block flaps on a disk that does not change",
             watermarks.high.text() + " / " + watermarks.flood_stage.text() + " at " +
                 std::to_string(free) + " of " + std::to_string(total) + " free");
      }
      if (watermarks.flood_stage.Exceeded(g_usage) && !first) {
        Fail("a disk above the flood stage is not blocked", watermarks.flood_stage.text());
      }
    }
  }
}

// What Engine::SetDiskWatermarks does with the serve defaults (EngineOptions): empty → default.
lookalike::Status ApplyAsTheEngine(const lookalike::server::ClusterSettings::Lookup& get) {
  using namespace lookalike::server;
  auto value = [&](std::string_view key, const char* fallback) {
    std::string v = get(key);
    return v.empty() ? std::string(fallback) : v;
  };
  return DiskWatermarks::FromText(value(kDiskWatermarkLow, "85%"), value(kDiskWatermarkHigh, "90%"),
                                  value(kDiskFloodStage, "95%"))
      .status();
}

void CheckSettingsBody(std::string_view body) {
  using namespace lookalike::server;
  static lookalike::fuzz::TempDir dir;
  const std::string path = dir.path() + "/cluster_settings.json";
  ::unlink(path.c_str());
  ClusterSettings settings;
  lookalike::fuzz::CheckOk(settings.Open(path), "opening empty cluster settings");
  if (!settings.Update(body, ApplyAsTheEngine).ok()) return;
  ClusterSettings restarted;
  if (!restarted.Open(path).ok()) Fail("accepted cluster settings do not load again", "");
  auto stored = [&](std::string_view key) { return restarted.Get(key); };
  if (stored(kDiskWatermarkLow).empty() && stored(kDiskWatermarkHigh).empty() &&
      stored(kDiskFloodStage).empty()) {
    return;
  }
  lookalike::Status again = ApplyAsTheEngine(stored);
  if (!again.ok()) Fail("accepted watermarks are refused after a restart", again.ToString());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool quiet = (spdlog::set_level(spdlog::level::off), true);  // Check logs each change
  (void)quiet;
  std::string_view input = lookalike::fuzz::AsText(data, size);
  if (!input.empty() && input.front() == '{') {
    CheckSettingsBody(input);
    return 0;
  }
  std::string_view parts[3];
  for (std::string_view& part : parts) {
    size_t nul = input.find('\0');
    part = input.substr(0, nul);
    input = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
    CheckOne(part);
  }
  auto watermarks = DiskWatermarks::FromText(parts[0], parts[1], parts[2]);
  if (!watermarks.ok()) return 0;
  if (!watermarks->Validate().ok()) Fail("FromText accepted what Validate refuses", "");
  CheckMonitor(*watermarks);
  return 0;
}
