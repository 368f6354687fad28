#include "report.h"

#include <cstdio>
#include <sstream>

#include "util.h"

namespace lookalike::bench {
namespace {

std::string Fmt(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), fmt, v);
  return buf;
}

std::string QpsCell(const AtRecall& a) {
  if (!a.reached) return "not reached";
  return (a.lower_bound ? "≥ " : "") + Fmt("%.0f", a.qps);
}

std::string P50Cell(const AtRecall& a) {
  if (!a.reached) return "—";
  return (a.lower_bound ? "≤ " : "") + Fmt("%.3f", a.p50_ms);
}

std::string RatioCell(const AtRecall& ours, const AtRecall& theirs) {
  if (!ours.reached) return "Lookalike not reached";
  if (!theirs.reached) return "peer not reached";
  if (theirs.qps <= 0) return "—";
  std::string approx = (ours.lower_bound || theirs.lower_bound) ? "≈ " : "";
  return approx + Fmt("%.2f×", ours.qps / theirs.qps);
}

}  // namespace

AtRecall AtTargetRecall(const std::vector<SweepPoint>& sweep, double target) {
  AtRecall a;
  for (size_t i = 0; i < sweep.size(); ++i) {
    if (sweep[i].recall < target) continue;
    a.reached = true;
    if (i == 0) {
      a.lower_bound = true;
      a.qps = sweep[0].qps;
      a.p50_ms = sweep[0].p50_ms;
      a.cpu_ms = sweep[0].cpu_ms;
      return a;
    }
    const SweepPoint& lo = sweep[i - 1];
    const SweepPoint& hi = sweep[i];
    double span = hi.recall - lo.recall;
    double t = span > 0 ? (target - lo.recall) / span : 1.0;
    a.qps = lo.qps + t * (hi.qps - lo.qps);
    a.p50_ms = lo.p50_ms + t * (hi.p50_ms - lo.p50_ms);
    a.cpu_ms = lo.cpu_ms + t * (hi.cpu_ms - lo.cpu_ms);
    return a;
  }
  return a;
}

std::string RenderReport(const RunInfo& info, const std::vector<PeerResult>& results) {
  std::ostringstream o;
  o << "## ANN benchmark: " << info.dataset << ", n=" << info.n << ", d=" << info.dim << ", "
    << info.metric << ", k=" << info.k << ", " << info.queries << " queries\n\n";
  o << "- command: `" << info.command << "`\n";
  o << "- date: " << info.date << "; machine: " << info.machine << "\n";
  o << "- data: " << info.data_details << " (prepared in " << Fmt("%.1f", info.data_seconds)
    << " s)\n";
  o << "- ground truth: exact top-" << info.gt_k << " by OpenBLAS sgemm, "
    << Fmt("%.1f", info.gt_seconds) << " s, " << info.gt_note << "\n";
  if (!info.difficulty.empty()) o << "- difficulty: " << info.difficulty << "\n";
  o << "- build threads: " << info.build_threads << " (all libraries), efConstruction "
    << info.ef_construction << "; latency: one query per call on one thread; QPS: "
    << info.search_threads << " threads\n";
  o << "- CPU columns: CPU time actually consumed (build: all threads; search: the searching "
       "thread), which stays meaningful when the machine is shared and wall time includes "
       "waiting to be scheduled\n";
  o << "- memory: RSS growth of a forked child per library (Δ from before build); index bytes "
       "as each library accounts its structures\n\n";

  o << "### Build\n\n";
  o << "| index | build s | build CPU s | index bytes | RSS after build | RSS after sweep | "
       "peak RSS | notes |\n";
  o << "|---|---:|---:|---:|---:|---:|---:|---|\n";
  for (const auto& r : results) {
    o << "| " << r.config.Label() << " | ";
    if (!r.ok) {
      o << "failed | | | | | | " << r.error << " |\n";
      continue;
    }
    o << Fmt("%.1f", r.build_seconds) << " | " << Fmt("%.1f", r.build_cpu_seconds) << " | "
      << FormatBytes(r.index_bytes) << " | "
      << FormatBytes(r.rss_after_build) << " | " << FormatBytes(r.rss_after_sweep) << " | "
      << FormatBytes(r.peak_rss)
      << (r.peak_exact ? "" : " (approx.)") << " | " << r.notes << " |\n";
  }

  o << "\n### Search sweep\n\n";
  o << "| index | ef_search | recall@" << info.k << " | p50 ms | p99 ms | CPU ms/query | QPS ("
    << info.search_threads << " threads) |\n";
  o << "|---|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& r : results) {
    if (!r.ok) continue;
    for (const auto& p : r.sweep) {
      o << "| " << r.config.Label() << " | " << p.ef << " | " << Fmt("%.4f", p.recall) << " | "
        << Fmt("%.3f", p.p50_ms) << " | " << Fmt("%.3f", p.p99_ms) << " | "
        << Fmt("%.3f", p.cpu_ms) << " | " << Fmt("%.0f", p.qps) << " |\n";
    }
  }

  // Summary: the first Lookalike configuration against every other configuration.
  const PeerResult* ours = nullptr;
  for (const auto& r : results) {
    if (r.ok && r.config.library == "lookalike") {
      ours = &r;
      break;
    }
  }
  const double kTargets[2] = {0.95, 0.99};
  o << "\n### QPS at recall 0.95 and 0.99 (interpolated along the sweep)\n\n";
  o << "| index | QPS @0.95 | p50 ms @0.95 | QPS @0.99 | p50 ms @0.99 | Lookalike ÷ this @0.95 "
       "| Lookalike ÷ this @0.99 | build s ÷ Lookalike's | build CPU s ÷ Lookalike's |\n";
  o << "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const auto& r : results) {
    if (!r.ok) continue;
    o << "| " << r.config.Label();
    for (double t : kTargets) {
      AtRecall a = AtTargetRecall(r.sweep, t);
      o << " | " << QpsCell(a) << " | " << P50Cell(a);
    }
    for (double t : kTargets) {
      if (ours == nullptr) {
        o << " | n/a";
      } else if (&r == ours) {
        o << " | 1.00×";
      } else {
        o << " | " << RatioCell(AtTargetRecall(ours->sweep, t), AtTargetRecall(r.sweep, t));
      }
    }
    bool wall = ours != nullptr && ours->build_seconds > 0;
    bool cpu = ours != nullptr && ours->build_cpu_seconds > 0;
    o << " | " << (wall ? Fmt("%.2f×", r.build_seconds / ours->build_seconds) : "n/a") << " | "
      << (cpu ? Fmt("%.2f×", r.build_cpu_seconds / ours->build_cpu_seconds) : "n/a") << " |\n";
  }
  if (ours == nullptr) {
    o << "\nNo Lookalike HNSW result in this run, so no ratios.\n";
  }
  o << "\n\"≥\" marks a value already past the target at the smallest ef_search of the sweep; "
       "\"not reached\" means even the largest ef_search stays below the target.\n";

  // The same comparison in CPU time per query, which a shared, busy machine distorts less.
  o << "\n### CPU time per query at recall 0.95 and 0.99 (single thread, interpolated)\n\n";
  o << "| index | CPU ms @0.95 | CPU ms @0.99 | this ÷ Lookalike @0.95 | this ÷ Lookalike @0.99 |\n";
  o << "|---|---:|---:|---:|---:|\n";
  for (const auto& r : results) {
    if (!r.ok) continue;
    o << "| " << r.config.Label();
    for (double t : kTargets) {
      AtRecall a = AtTargetRecall(r.sweep, t);
      o << " | " << (a.reached ? (a.lower_bound ? "≤ " : "") + Fmt("%.3f", a.cpu_ms) : "—");
    }
    for (double t : kTargets) {
      AtRecall a = AtTargetRecall(r.sweep, t);
      AtRecall b = ours ? AtTargetRecall(ours->sweep, t) : AtRecall();
      if (ours == nullptr || !a.reached || !b.reached || b.cpu_ms <= 0) {
        o << " | —";
      } else {
        o << " | " << ((a.lower_bound || b.lower_bound) ? "≈ " : "") << Fmt("%.2f×", a.cpu_ms / b.cpu_ms);
      }
    }
    o << " |\n";
  }

  bool any_warning = !info.warnings.empty();
  if (any_warning) o << "\n### Warnings\n\n";
  for (const auto& w : info.warnings) o << "- " << w << "\n";
  for (const auto& r : results) {
    for (const auto& w : r.warnings) {
      if (!any_warning) o << "\n### Warnings\n\n";
      any_warning = true;
      o << "- " << r.config.Label() << ": " << w << "\n";
    }
  }

  if (!info.exact.empty()) {
    o << "\n### Exact (flat) search, one batch of queries against the whole base\n\n";
    o << "| method | queries | base rows | seconds | ms per query | recall@" << info.k
      << " |\n|---|---:|---:|---:|---:|---:|\n";
    for (const auto& e : info.exact) {
      o << "| " << e.method << " | " << e.queries << " | " << e.base_rows << " | "
        << Fmt("%.3f", e.seconds) << " | "
        << Fmt("%.2f", e.queries ? e.seconds * 1e3 / static_cast<double>(e.queries) : 0.0)
        << " | " << (e.recall < 0 ? std::string("—") : Fmt("%.4f", e.recall)) << " |\n";
    }
  }
  return o.str();
}

}  // namespace lookalike::bench
