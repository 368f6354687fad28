// Placeholder until this layer lands: the subcommand exists and says it is not built yet.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/commands.h"

namespace lookalike::cli {

void AddModelCommands(CLI::App& app, int* exit_code) {
  auto* cmd = app.add_subcommand("convert-model", "(not implemented yet)");
  cmd->allow_extras();
  cmd->callback([exit_code] {
    std::fprintf(stderr, "lookalike: 'convert-model' is not implemented yet\n");
    *exit_code = 2;
  });
}

}  // namespace lookalike::cli
