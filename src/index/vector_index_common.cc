// The metric/code-type vocabulary and vector validation shared by every index kind.
#include <cmath>
#include <string>

#include "index/metric.h"
#include "lookalike/vector_index.h"

namespace lookalike {

Result<Metric> ParseMetric(std::string_view name) {
  for (const MetricInfo& m : AllMetrics()) {
    if (name == m.name || (!m.alias.empty() && name == m.alias)) return m.metric;
  }
  for (const VectorSimilarity& s : AllSimilarities()) {
    if (name == s.name) return s.metric;
  }
  return Status::InvalidArgument("unknown metric '" + std::string(name) +
                                 "' (expected l2, cosine or ip)");
}

std::string_view MetricName(Metric metric) {
  if (!IsKnownMetric(static_cast<uint32_t>(metric))) return "unknown";
  return MetricInfoOf(metric).name;
}

Result<CodeType> ParseCodeType(std::string_view name) {
  if (name == "float32" || name == "none" || name == "fp32") return CodeType::kFloat32;
  if (name == "fp16" || name == "float16") return CodeType::kFloat16;
  if (name == "int8" || name == "sq8") return CodeType::kInt8;
  if (name == "1bit" || name == "binary" || name == "bbq") return CodeType::kBinary;
  return Status::InvalidArgument("unknown code type '" + std::string(name) +
                                 "' (expected int8, fp16, 1bit or none)");
}

std::string_view CodeTypeName(CodeType type) {
  switch (type) {
    case CodeType::kFloat32: return "float32";
    case CodeType::kFloat16: return "fp16";
    case CodeType::kInt8: return "int8";
    case CodeType::kBinary: return "1bit";
  }
  return "unknown";
}

Status ValidateVector(const float* vec, size_t n, size_t expected_dim, Metric metric) {
  if (n != expected_dim) {
    return Status::InvalidArgument("vector has " + std::to_string(n) +
                                   " dimensions, the index expects " +
                                   std::to_string(expected_dim));
  }
  double norm2 = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(vec[i])) {
      return Status::InvalidArgument("vector component " + std::to_string(i) +
                                     " is not a finite number (NaN or Inf)");
    }
    norm2 += static_cast<double>(vec[i]) * vec[i];
  }
  if (norm2 == 0 && IsKnownMetric(static_cast<uint32_t>(metric)) &&
      MetricInfoOf(metric).normalize) {
    return Status::InvalidArgument("zero vector cannot be used with the " +
                                   std::string(MetricName(metric)) + " metric");
  }
  return Status::OK();
}

}  // namespace lookalike
