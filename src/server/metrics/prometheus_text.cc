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

void PrometheusText::Labels(
    std::initializer_list<std::pair<std::string_view, std::string_view>> fixed,
    const MetricLabels* dynamic, std::string_view le) {
  bool first = true;
  auto label = [&](std::string_view key, std::string_view value) {
    out_ += first ? '{' : ',';
    first = false;
    out_ += key;
    out_ += "=\"";
    AppendEscapedLabelValue(&out_, value);
    out_ += '"';
  };
  for (const auto& [key, value] : fixed) label(key, value);
  if (dynamic != nullptr) {
    for (const auto& [key, value] : *dynamic) label(key, value);
  }
  if (!le.empty()) label("le", le);
  if (!first) out_ += '}';
}

void PrometheusText::Sample(std::string_view name, PrometheusLabels labels, double value) {
  out_ += name;
  Labels(labels, nullptr, {});
  out_ += ' ';
  out_ += PrometheusNumber(value);
  out_ += '\n';
}

void PrometheusText::Sample(std::string_view name, const MetricLabels& labels, double value,
                            std::string_view le) {
  out_ += name;
  Labels({}, &labels, le);
  out_ += ' ';
  out_ += PrometheusNumber(value);
  out_ += '\n';
}

void WriteMetricFamilies(const std::vector<MetricFamily>& families, PrometheusText* out) {
  for (const MetricFamily& family : families) {
    const char* type = family.type == MetricType::kCounter     ? "counter"
                       : family.type == MetricType::kHistogram ? "histogram"
                                                               : "gauge";
    out->Family(family.name, type, family.help);
    for (const MetricSample& sample : family.samples) {
      if (family.type != MetricType::kHistogram) {
        out->Sample(family.name, sample.labels, sample.value);
        continue;
      }
      const HistogramValues& h = sample.histogram;
      uint64_t cumulative = 0;
      for (size_t b = 0; b < h.counts.size(); ++b) {
        cumulative += h.counts[b];
        std::string le = b < h.bounds.size() ? PrometheusNumber(h.bounds[b]) : "+Inf";
        out->Sample(family.name + "_bucket", sample.labels, static_cast<double>(cumulative), le);
      }
      out->Sample(family.name + "_sum", sample.labels, h.sum);
      out->Sample(family.name + "_count", sample.labels, static_cast<double>(cumulative));
    }
  }
}

}  // namespace lookalike::server
