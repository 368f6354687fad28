// The machine around the process: memory, load and CPU count (/proc), and the file system
// holding a directory (statvfs). Fields that cannot be read stay 0.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "server/metrics/prometheus_text.h"

namespace lookalike::server {

struct OsStats {
  uint64_t mem_total_bytes = 0;
  uint64_t mem_free_bytes = 0;       // MemAvailable: what can be had without swapping
  double load_average[3] = {0, 0, 0};  // 1, 5, 15 minutes
  int cpus = 0;                      // online processors
  std::string kernel_name;           // uname: "Linux"
  std::string kernel_release;        // "6.1.0-13-amd64"
  std::string machine;               // "x86_64"
};

struct FsStats {
  std::string path;           // the directory asked about
  uint64_t total_bytes = 0;
  uint64_t free_bytes = 0;      // free blocks, including those reserved for root
  uint64_t available_bytes = 0; // free blocks an unprivileged process may use
};

OsStats ReadOsStats();

/// CPU use in percent of the whole machine (all processors) since the previous Sample() — or
/// since boot and process start on the first — for the machine and for this process, the way
/// Elasticsearch reports os.cpu.percent and process.cpu.percent. Thread-safe.
class CpuSampler {
 public:
  struct Percent {
    int os = -1;       // -1 when /proc/stat could not be read
    int process = -1;
  };
  Percent Sample();

 private:
  std::mutex mu_;
  uint64_t last_busy_ = 0, last_total_ = 0;  // /proc/stat jiffies, guarded by mu_
  double last_process_seconds_ = 0;          // guarded by mu_
  double last_wall_seconds_ = 0;             // guarded by mu_; 0 = never sampled
};
FsStats ReadFsStats(const std::string& path);

/// Appends lookalike_os_* and, when `fs.path` is set, lookalike_data_fs_* families.
void WriteSystemMetrics(const OsStats& os, const FsStats& fs, PrometheusText* out);

}  // namespace lookalike::server
