#include "server/metrics/system_stats.h"

#include "server/metrics/process_metrics.h"

#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>

namespace lookalike::server {

OsStats ReadOsStats() {
  OsStats s;
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  while (meminfo >> key >> kib) {
    if (key == "MemTotal:") s.mem_total_bytes = kib * 1024;
    if (key == "MemAvailable:") s.mem_free_bytes = kib * 1024;
    meminfo.ignore(256, '\n');
  }
  std::ifstream loadavg("/proc/loadavg");
  loadavg >> s.load_average[0] >> s.load_average[1] >> s.load_average[2];
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  s.cpus = cpus > 0 ? static_cast<int>(cpus) : 0;
  utsname names{};
  if (uname(&names) == 0) {
    s.kernel_name = names.sysname;
    s.kernel_release = names.release;
    s.machine = names.machine;
  }
  return s;
}

namespace {

// Busy and total jiffies of all CPUs from the first line of /proc/stat.
bool ReadCpuJiffies(uint64_t* busy, uint64_t* total) {
  std::ifstream in("/proc/stat");
  std::string cpu;
  uint64_t v[8] = {};
  if (!(in >> cpu) || cpu != "cpu") return false;
  for (uint64_t& x : v) in >> x;
  // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
  *total = 0;
  for (uint64_t x : v) *total += x;
  *busy = *total - v[3] - v[4];
  return *total > 0;
}

int PercentOf(double part, double whole) {
  if (whole <= 0) return 0;
  return static_cast<int>(std::clamp(100.0 * part / whole + 0.5, 0.0, 100.0));
}

}  // namespace

CpuSampler::Percent CpuSampler::Sample() {
  Percent p;
  ProcessStats process = ReadProcessStats();
  double wall = std::chrono::duration<double>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  uint64_t busy = 0, total = 0;
  bool have_jiffies = ReadCpuJiffies(&busy, &total);
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  std::lock_guard<std::mutex> lock(mu_);
  if (have_jiffies) {
    p.os = PercentOf(static_cast<double>(busy - last_busy_),
                     static_cast<double>(total - last_total_));
    last_busy_ = busy;
    last_total_ = total;
  }
  double since = last_wall_seconds_ > 0 ? last_wall_seconds_ : process.start_time_seconds;
  p.process = PercentOf(process.cpu_seconds - last_process_seconds_,
                        (wall - since) * static_cast<double>(std::max(1L, cpus)));
  last_process_seconds_ = process.cpu_seconds;
  last_wall_seconds_ = wall;
  return p;
}

FsStats ReadFsStats(const std::string& path) {
  FsStats s;
  s.path = path;
  struct statvfs v {};
  if (path.empty() || statvfs(path.c_str(), &v) != 0) return s;
  uint64_t unit = v.f_frsize != 0 ? v.f_frsize : v.f_bsize;
  s.total_bytes = static_cast<uint64_t>(v.f_blocks) * unit;
  s.free_bytes = static_cast<uint64_t>(v.f_bfree) * unit;
  s.available_bytes = static_cast<uint64_t>(v.f_bavail) * unit;
  return s;
}

void WriteSystemMetrics(const OsStats& os, const FsStats& fs, PrometheusText* out) {
  out->Family("lookalike_os_memory_total_bytes", "gauge", "Physical memory of the machine.");
  out->Sample("lookalike_os_memory_total_bytes", static_cast<double>(os.mem_total_bytes));
  out->Family("lookalike_os_memory_available_bytes", "gauge",
              "Memory available without swapping (MemAvailable).");
  out->Sample("lookalike_os_memory_available_bytes", static_cast<double>(os.mem_free_bytes));
  out->Family("lookalike_os_load_average", "gauge", "System load average.");
  out->Sample("lookalike_os_load_average", {{"period", "1m"}}, os.load_average[0]);
  out->Sample("lookalike_os_load_average", {{"period", "5m"}}, os.load_average[1]);
  out->Sample("lookalike_os_load_average", {{"period", "15m"}}, os.load_average[2]);
  if (fs.path.empty()) return;
  out->Family("lookalike_data_fs_total_bytes", "gauge",
              "Size of the file system holding the data directory.");
  out->Sample("lookalike_data_fs_total_bytes", static_cast<double>(fs.total_bytes));
  out->Family("lookalike_data_fs_available_bytes", "gauge",
              "Bytes of that file system the server may still write (the disk watermarks' view).");
  out->Sample("lookalike_data_fs_available_bytes", static_cast<double>(fs.available_bytes));
}

}  // namespace lookalike::server
