// Model subcommands: `convert-model` makes the ONNX files + manifests from the packaged weights;
// `models` lists what a model directory offers.
#include <sys/wait.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/commands.h"
#include "embed/convert.h"
#include "lookalike/embedder.h"

namespace lookalike::cli {
namespace {

std::string ShellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

int RunConvert(const std::string& out_dir) {
  std::string dir = out_dir.empty() ? DefaultModelDir() : out_dir;
  std::string cmd = "bash " + ShellQuote(embed::ConverterScriptPath()) + " " + ShellQuote(dir);
  int rc = std::system(cmd.c_str());
  if (rc != 0) {
    std::fprintf(stderr, "lookalike convert-model: converter failed (%s)\n", cmd.c_str());
    return 1;
  }
  return 0;
}

int RunModels(const std::string& models_dir) {
  std::string dir = models_dir.empty() ? DefaultModelDir() : models_dir;
  Result<std::unique_ptr<ModelRegistry>> reg = ModelRegistry::LoadDir(dir);
  if (!reg.ok()) {
    std::fprintf(stderr, "lookalike models: %s\n", reg.status().ToString().c_str());
    return 2;
  }
  std::string def = (*reg)->DefaultName();
  std::printf("%-20s %6s  %-9s %s\n", "name", "dims", "input", "description");
  for (const ModelManifest& m : (*reg)->List()) {
    std::string input = std::to_string(m.input_width) + "x" + std::to_string(m.input_height);
    std::printf("%-20s %6d  %-9s %s%s\n", m.name.c_str(), m.dims, input.c_str(),
                m.description.c_str(), m.name == def ? " [default]" : "");
  }
  for (const Status& refused : (*reg)->refused()) {
    std::fprintf(stderr, "lookalike models: refused: %s\n", refused.ToString().c_str());
  }
  return (*reg)->refused().empty() ? 0 : 1;
}

}  // namespace

void AddModelCommands(CLI::App& app, int* exit_code) {
  auto out_dir = std::make_shared<std::string>();
  auto* convert = app.add_subcommand(
      "convert-model",
      "Convert the packaged MobileNetV2 weights (npm nsfwjs) to ONNX files + model manifests");
  convert->add_option("--out", *out_dir,
                      "output directory (default: $LOOKALIKE_MODELS or build/models)");
  convert->callback([out_dir, exit_code] { *exit_code = RunConvert(*out_dir); });

  auto models_dir = std::make_shared<std::string>();
  auto* models = app.add_subcommand("models", "List the models in the model directory");
  models->add_option("--models,--models-dir", *models_dir, "directory of model manifests");
  models->callback([models_dir, exit_code] { *exit_code = RunModels(*models_dir); });
}

}  // namespace lookalike::cli
