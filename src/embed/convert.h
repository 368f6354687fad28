// Where the model converter lives, for `lookalike convert-model` (the converter is a script:
// node reads the TF.js weights, python3-onnx writes the graph).
#pragma once

#include <string>

namespace lookalike::embed {

/// Absolute path of scripts/convert-model.sh in the source tree this binary was built from.
std::string ConverterScriptPath();

}  // namespace lookalike::embed
