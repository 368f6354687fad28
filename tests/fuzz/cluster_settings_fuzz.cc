// The persistent cluster settings file (ClusterSettings in src/server/handlers/rest_common.cc):
// load a file, apply a PUT _cluster/settings body, render GET _cluster/settings. Checks the
// durability promise: whatever an update persisted loads again to the same settings.
//
// Input: the settings file, a NUL byte, then the update body (no NUL: the whole input is the
// file and the update is skipped).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "server/handlers/rest_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using lookalike::server::ClusterSettings;
  static lookalike::fuzz::TempDir dir;
  const std::string path = dir.path() + "/cluster_settings.json";
  std::string_view input = lookalike::fuzz::AsText(data, size);
  size_t nul = input.find('\0');
  lookalike::fuzz::WriteFileOrDie(path, input.substr(0, nul));
  {
    ClusterSettings settings;
    bool opened = settings.Open(path).ok();
    if (nul != std::string_view::npos) {
      auto updated = settings.Update(input.substr(nul + 1));
      if (opened && updated.ok()) {
        std::string expected = settings.ToJson();
        ClusterSettings reloaded;
        if (!reloaded.Open(path).ok()) {
          std::fprintf(stderr, "saved cluster settings do not load again\n");
          __builtin_trap();
        }
        // Transient settings are not persisted; compare the persistent half only.
        std::string again = reloaded.ToJson();
        size_t cut_expected = expected.find("\"transient\"");
        size_t cut_again = again.find("\"transient\"");
        if (expected.substr(0, cut_expected) != again.substr(0, cut_again)) {
          std::fprintf(stderr, "reloaded cluster settings differ:\n%s\n%s\n", expected.c_str(),
                       again.c_str());
          __builtin_trap();
        }
      }
    }
    (void)settings.ToJson();
  }
  ::unlink(path.c_str());
  ::unlink((path + ".tmp").c_str());
  return 0;
}
