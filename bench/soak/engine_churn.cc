// bench_engine_churn: the soak's write mix straight against the engine, without HTTP, to see
// whether in-process memory follows the live documents or the number of writes. Not a test and
// not timed: it prints RSS and the engine's own counters every --report writes.
//
//   build/bench_engine_churn [--writes 2000000] [--ids 100000] [--report 200000]
//
// Each _bulk holds 450 index operations on random ids in [1, ids] (64-d vector, a keyword with
// five values, a long) and one delete of a range of 50 ids; an index operation on a deleted id
// re-creates it, as the soak's overwrite clients do after its delete client.
#include <simdjson.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "lookalike/engine.h"
#include "server/es/bulk_codec.h"
#include "server/es/index_codec.h"

namespace {

constexpr int kDim = 64;
constexpr int kIndexOps = 450;
constexpr int kDeleteRange = 50;
const char* kTags[] = {"red", "green", "blue", "black", "white"};

double RssMb() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) /
         (1024.0 * 1024.0);
}

int64_t At(simdjson::dom::element root, const char* pointer) {
  int64_t v = -1;
  if (root.at_pointer(pointer).get_int64().get(v) != simdjson::SUCCESS) return -1;
  return v;
}

void Report(lookalike::Engine& engine, int64_t writes) {
  if (!lookalike::es::RefreshJson(engine, "churn").ok()) std::exit(1);
  simdjson::dom::parser parser;
  auto stats = lookalike::es::StatsJson(engine, "churn");
  if (!stats.ok()) std::exit(1);
  simdjson::dom::element root = parser.parse(*stats);
  int64_t docs = At(root, "/indices/churn/primaries/docs/count");
  int64_t deleted = At(root, "/indices/churn/primaries/docs/deleted");
  int64_t knn_mb = At(root, "/indices/churn/primaries/knn/memory_bytes") >> 20;
  // The highest document number in use: slots, columns and labels are sized by it.
  lookalike::SearchRequest newest;
  newest.size = 1;
  newest.source.enabled = false;
  newest.sort.push_back(lookalike::SortKey::Of("_doc"));
  newest.sort.back().desc = true;
  auto last = engine.Search("churn", newest);
  if (!last.ok()) std::exit(1);
  int64_t max_docnum = last->hits.empty() || last->hits[0].sort.empty()
                           ? 0
                           : static_cast<int64_t>(last->hits[0].sort[0].number);
  std::printf("| %9lld | %8.1f | %7lld | %7lld | %10lld | %6lld |\n",
              static_cast<long long>(writes), RssMb(), static_cast<long long>(docs),
              static_cast<long long>(deleted), static_cast<long long>(max_docnum),
              static_cast<long long>(knn_mb));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  int64_t total = 2000000, ids = 100000, every = 200000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    int64_t value = std::atoll(argv[i + 1]);
    if (flag == "--writes")
      total = value;
    else if (flag == "--ids")
      ids = value;
    else if (flag == "--report")
      every = value;
    else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      return 2;
    }
  }
  std::string dir =
      (std::filesystem::temp_directory_path() / ("lookalike-churn-" + std::to_string(getpid())))
          .string();
  lookalike::EngineOptions options;
  options.data_dir = dir;
  options.durability = lookalike::Durability::kAsync;
  options.threads = 2;
  auto engine = lookalike::Engine::Open(options);
  if (!engine.ok()) {
    std::fprintf(stderr, "%s\n", engine.status().ToString().c_str());
    return 1;
  }
  auto created = lookalike::es::CreateIndexJson(**engine, "churn", R"({"mappings":{"properties":{
      "v":{"type":"knn_vector","dimension":64,"method":{"name":"hnsw","space_type":"l2",
           "parameters":{"m":16,"ef_construction":64}}},
      "tag":{"type":"keyword"},"n":{"type":"long"}}}})");
  if (!created.ok()) return 1;
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  std::printf("| writes    | RSS MiB  | docs    | deleted | max docnum | knn MiB |\n");
  std::printf("|-----------|----------|---------|---------|------------|---------|\n");
  int64_t written = 0, next_report = every;
  std::string bulk;
  while (written < total) {
    bulk.clear();
    for (int i = 0; i < kIndexOps; ++i) {
      int64_t id = 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(ids));
      bulk += "{\"index\":{\"_id\":\"" + std::to_string(id) + "\"}}\n{\"v\":[";
      for (int d = 0; d < kDim; ++d) bulk += (d ? "," : "") + std::to_string(unit(rng));
      bulk += "],\"tag\":\"" + std::string(kTags[rng() % 5]) +
              "\",\"n\":" + std::to_string(rng() % 1000000) + "}\n";
    }
    int64_t first = 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(ids - kDeleteRange));
    for (int64_t id = first; id < first + kDeleteRange; ++id) {
      bulk += "{\"delete\":{\"_id\":\"" + std::to_string(id) + "\"}}\n";
    }
    auto r = lookalike::es::Bulk(**engine, "churn", bulk, lookalike::RefreshPolicy::kFalse);
    if (!r.ok()) {
      std::fprintf(stderr, "bulk: %s\n", r.status().ToString().c_str());
      return 1;
    }
    written += kIndexOps + kDeleteRange;
    if (written >= next_report) {
      Report(**engine, written);
      next_report += every;
    }
  }
  (*engine)->Shutdown();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
