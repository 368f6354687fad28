// Temporary skeleton so the REST layer can build against include/lookalike/engine.h while the
// real engine is written; every operation answers Unsupported.
#include "lookalike/engine.h"

namespace lookalike {
namespace {

Status NotYet() { return Status::Unsupported("engine not implemented yet"); }

class StubEngine final : public Engine {
 public:
  Result<std::string> CreateIndex(std::string_view, std::string_view) override { return NotYet(); }
  Result<std::string> DeleteIndex(std::string_view) override { return NotYet(); }
  bool IndexExists(std::string_view) const override { return false; }
  Result<std::string> GetIndex(std::string_view) const override { return NotYet(); }
  Result<std::string> GetMapping(std::string_view) const override { return NotYet(); }
  Result<std::string> PutMapping(std::string_view, std::string_view) override { return NotYet(); }
  Result<std::string> GetSettings(std::string_view) const override { return NotYet(); }
  std::vector<IndexInfo> ListIndices() const override { return {}; }
  Result<std::string> Refresh(std::string_view) override { return NotYet(); }
  Result<std::string> Flush(std::string_view) override { return NotYet(); }
  Result<std::string> Stats(std::string_view) const override { return NotYet(); }
  std::string ClusterHealth() const override { return "{}"; }
  Result<DocWriteResult> IndexDocument(std::string_view, std::string_view, std::string_view,
                                       OpType, RefreshPolicy) override {
    return NotYet();
  }
  Result<JsonResponse> GetDocument(std::string_view, std::string_view,
                                   const SearchOptions&) const override {
    return NotYet();
  }
  Result<DocWriteResult> DeleteDocument(std::string_view, std::string_view,
                                        RefreshPolicy) override {
    return NotYet();
  }
  Result<DocWriteResult> UpdateDocument(std::string_view, std::string_view, std::string_view,
                                        RefreshPolicy) override {
    return NotYet();
  }
  Result<std::string> Bulk(std::string_view, std::string_view, RefreshPolicy) override {
    return NotYet();
  }
  Result<std::string> Search(std::string_view, std::string_view, const SearchOptions&) override {
    return NotYet();
  }
  Result<std::string> Count(std::string_view, std::string_view, const SearchOptions&) override {
    return NotYet();
  }
  void Shutdown() override {}
};

}  // namespace

Result<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options) {
  return std::unique_ptr<Engine>(std::make_unique<StubEngine>());
}

}  // namespace lookalike
