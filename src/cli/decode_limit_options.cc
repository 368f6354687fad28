// See commands.h.
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <string>

#include "cli/commands.h"

namespace lookalike::cli {

void AddDecodeLimitOptions(CLI::App* cmd, DecodeLimits* limits) {
  char megapixels[32];
  std::snprintf(megapixels, sizeof(megapixels), "%g", double(limits->max_pixels) / 1e6);
  cmd->add_option_function<double>(
         "--max-megapixels",
         [limits](double mp) { limits->max_pixels = static_cast<uint64_t>(std::llround(mp * 1e6)); },
         std::string("Refuse images whose header claims more pixels than this, in millions "
                     "(default ") + megapixels + ")")
      ->check(CLI::Range(0.0001, 1000.0));
  cmd->add_option_function<int>(
         "--max-file-mb", [limits](int mb) { limits->max_file_bytes = uint64_t(mb) << 20; },
         "Refuse image files larger than this, in MiB (default " +
             std::to_string(limits->max_file_bytes >> 20) + ")")
      ->check(CLI::Range(1, 4096));
}

}  // namespace lookalike::cli
