#include "server/metrics/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace lookalike::server {
namespace {

uint64_t CountOpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  uint64_t n = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n > 0 ? n - 1 : 0;  // minus the descriptor of the listing itself
}

// Seconds since the epoch at which the machine booted (/proc/stat "btime").
double BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double t = 0;
      in >> t;
      return t;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

// /proc/self/stat after the command name (which may hold spaces and parentheses).
void ReadStat(ProcessStats* s) {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return;
  size_t close = line.rfind(')');
  if (close == std::string::npos) return;
  std::istringstream fields(line.substr(close + 2));
  // Field 3 (state) is the first after the name; we need 14 utime, 15 stime, 20 num_threads,
  // 22 starttime, 23 vsize, 24 rss (pages).
  std::string f[22];
  for (auto& x : f) fields >> x;
  double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  long page = sysconf(_SC_PAGESIZE);
  if (ticks <= 0 || page <= 0) return;
  s->cpu_seconds = (std::strtod(f[11].c_str(), nullptr) + std::strtod(f[12].c_str(), nullptr)) /
                   ticks;
  s->threads = std::strtoull(f[17].c_str(), nullptr, 10);
  s->start_time_seconds = BootTimeSeconds() + std::strtod(f[19].c_str(), nullptr) / ticks;
  s->virtual_bytes = std::strtoull(f[20].c_str(), nullptr, 10);
  s->resident_bytes = std::strtoull(f[21].c_str(), nullptr, 10) * static_cast<uint64_t>(page);
}

}  // namespace

ProcessStats ReadProcessStats() {
  ProcessStats s;
  ReadStat(&s);
  s.open_fds = CountOpenFds();
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) s.max_fds = limit.rlim_cur;
  return s;
}

void WriteProcessMetrics(const ProcessStats& s, PrometheusText* out) {
  out->Family("process_cpu_seconds_total", "counter", "User and system CPU time spent.");
  out->Sample("process_cpu_seconds_total", s.cpu_seconds);
  out->Family("process_resident_memory_bytes", "gauge", "Resident memory size.");
  out->Sample("process_resident_memory_bytes", static_cast<double>(s.resident_bytes));
  out->Family("process_virtual_memory_bytes", "gauge", "Virtual memory size.");
  out->Sample("process_virtual_memory_bytes", static_cast<double>(s.virtual_bytes));
  out->Family("process_open_fds", "gauge", "Open file descriptors.");
  out->Sample("process_open_fds", static_cast<double>(s.open_fds));
  out->Family("process_max_fds", "gauge", "Limit on open file descriptors.");
  out->Sample("process_max_fds", static_cast<double>(s.max_fds));
  out->Family("process_threads", "gauge", "Operating system threads.");
  out->Sample("process_threads", static_cast<double>(s.threads));
  out->Family("process_start_time_seconds", "gauge",
              "Start time of the process since the Unix epoch.");
  out->Sample("process_start_time_seconds", s.start_time_seconds);
}

}  // namespace lookalike::server
