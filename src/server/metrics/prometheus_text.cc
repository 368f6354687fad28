#include "server/metrics/prometheus_text.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace lookalike::server {
namespace {

void AppendEscapedLabelValue(std::string* out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '"') {
      *out += "\\\"";
    } else if (c == '\n') {
      *out += "\\n";
    } else {
      *out += c;
    }
  }
}

}  // namespace

std::string PrometheusNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[32];
  if (value == std::floor(value) && std::fabs(value) < 9.0e15) {
    std::snprintf(buf, sizeof(buf), "%.0f", value);
    return buf;
  }
  // The shortest text that reads back as the same double ("0.0005", not "0.00050000000000000001"),
  // in fixed notation where that stays short, as bucket bounds are usually written.
  char text[64];
  std::chars_format format = std::fabs(value) >= 1e-6 && std::fabs(value) < 1e15
                                 ? std::chars_format::fixed
                                 : std::chars_format::general;
  auto [end, ec] = std::to_chars(text, text + sizeof(text), value, format);
  return ec == std::errc() ? std::string(text, end) : std::string("NaN");
}

void PrometheusText::Family(std::string_view name, std::string_view type,
                            std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += help;  // help text is ours: no newlines or backslashes to escape
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void PrometheusText::Sample(std::string_view name, PrometheusLabels labels, double value) {
  out_ += name;
  if (labels.size() > 0) {
    out_ += '{';
    bool first = true;
    for (const auto& [key, label_value] : labels) {
      if (!first) out_ += ',';
      first = false;
      out_ += key;
      out_ += "=\"";
      AppendEscapedLabelValue(&out_, label_value);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  out_ += PrometheusNumber(value);
  out_ += '\n';
}

}  // namespace lookalike::server
