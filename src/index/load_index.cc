// LoadIndex: peeks at the file magic and hands the file to the loader of its index kind.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "index/flat/flat_index.h"
#include "index/hnsw/hnsw_index.h"
#include "lookalike/vector_index.h"

namespace lookalike {

Result<std::unique_ptr<VectorIndex>> LoadIndex(const std::string& path,
                                               const LoadOptions& options) {
  uint8_t magic[8] = {};
  ssize_t got = 0;
  {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return Status::NotFound("no index file " + path);
      return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
    }
    got = ::pread(fd, magic, sizeof(magic), 0);
    ::close(fd);
  }
  if (got < 0) return Status::IOError("cannot read " + path + ": " + std::strerror(errno));
  if (hnsw::IsHnswIndexMagic(magic, size_t(got))) return hnsw::HnswIndex::Load(path, options);
  if (IsFlatIndexMagic(magic, size_t(got))) return LoadFlatIndex(path, options);
  return Status::Corruption("index file " + path + " has an unknown magic (not a Lookalike index)");
}

}  // namespace lookalike
