// The engine half of fuzz_util.h (its own object file, so targets without an engine do not
// link RocksDB).
#include <cstdio>
#include <cstdlib>

#include "fuzz_util.h"
#include "server/es/bulk_codec.h"
#include "server/es/index_codec.h"

namespace lookalike::fuzz {

namespace {

// Destroyed at exit in reverse order of construction: the engine before its directory. The
// engine is opened in the constructor so that this destructor is registered after the static
// objects RocksDB creates while opening; were it registered first, it would run after they are
// gone and Shutdown() would crash inside RocksDB.
struct EngineHolder {
  TempDir dir;
  std::unique_ptr<Engine> engine;

  EngineHolder() {
    EngineOptions options;
    options.data_dir = dir.path() + "/data";
    options.threads = 1;
    options.durability = Durability::kAsync;
    options.snapshot_on_shutdown = false;
    options.auto_snapshot_vectors = 0;
    auto opened = Engine::Open(options);
    CheckOk(opened.status(), "Engine::Open");
    engine = std::move(opened).value();
  }
  ~EngineHolder() { engine->Shutdown(); }
};

std::string StateFingerprint(const Engine& engine) {
  std::string out;
  for (const IndexInfo& info : engine.ListIndices()) {
    out += info.name + ":" + std::to_string(info.docs_count) + ":" +
           std::to_string(info.docs_deleted) + ";";
  }
  auto mapping = es::GetMappingJson(engine, "");
  if (mapping.ok()) out += mapping.value();
  return out;
}

std::string& FixtureFingerprint() {
  static std::string fingerprint;
  return fingerprint;
}

}  // namespace

Engine& SharedEngine() {
  static EngineHolder holder;
  return *holder.engine;
}

void DeleteAllIndices(Engine& engine) {
  for (const IndexInfo& info : engine.ListIndices()) {
    CheckOk(es::DeleteIndexJson(engine, info.name).status(), "DeleteIndex");
  }
}

void CreateFixtureIndex(Engine& engine) {
  constexpr std::string_view kMapping = R"({
    "settings": {"index.knn": true, "number_of_shards": 1},
    "mappings": {"properties": {
      "vec": {"type": "knn_vector", "dimension": 3,
              "method": {"name": "hnsw", "space_type": "l2",
                         "parameters": {"m": 4, "ef_construction": 16}}},
      "cos": {"type": "knn_vector", "dimension": 2,
              "method": {"name": "flat", "space_type": "cosinesimil"}},
      "category": {"type": "keyword"},
      "title": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
      "price": {"type": "float"},
      "count": {"type": "integer"},
      "when": {"type": "date"},
      "ok": {"type": "boolean"},
      "meta": {"properties": {"tag": {"type": "keyword"}}},
      "crops": {"type": "nested", "properties": {
        "emb": {"type": "knn_vector", "dimension": 2,
                "method": {"name": "flat", "space_type": "l2"}},
        "tag": {"type": "keyword"}}}}}})";
  CheckOk(es::CreateIndexJson(engine, "fz", kMapping).status(), "CreateIndex fz");
  constexpr std::string_view kDocs =
      R"({"index":{"_id":"1"}}
{"vec":[0,0,1],"cos":[1,0],"category":"a","title":"red shoes","price":1.5,"count":1,"when":"2024-01-02","ok":true,"meta":{"tag":"x"},"crops":[{"emb":[1,0],"tag":"p"},{"tag":"q"},{"emb":[0,1]}]}
{"index":{"_id":"2"}}
{"vec":[0,1,0],"cos":[0,1],"category":"b","title":"blue shoes","price":20,"count":2,"when":"2024-02-03T04:05:06Z","ok":false,"crops":{"emb":[1,1]}}
{"index":{"_id":"3"}}
{"vec":[1,0,0],"cos":[1,1],"category":"a","title":"green hat","price":300.25,"count":3}
{"index":{"_id":"4"}}
{"category":["a","b"],"title":"no vector at all","count":-4}
)";
  auto bulk = es::Bulk(engine, "fz", kDocs, RefreshPolicy::kWaitFor);
  CheckOk(bulk.status(), "Bulk fixture");
  if (bulk.value().find("\"errors\":false") == std::string::npos) {
    std::fprintf(stderr, "fuzz setup failed: fixture bulk had errors: %s\n",
                 bulk.value().c_str());
    std::abort();
  }
  FixtureFingerprint() = StateFingerprint(engine);
}

void RestoreFixture(Engine& engine) {
  if (StateFingerprint(engine) == FixtureFingerprint()) return;
  DeleteAllIndices(engine);
  CreateFixtureIndex(engine);
}

}  // namespace lookalike::fuzz
