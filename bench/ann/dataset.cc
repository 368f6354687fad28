#include "dataset.h"

#include <sys/stat.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>

#include "util.h"

namespace lookalike::bench {
namespace {

struct FileCloser {
  void operator()(FILE* f) const {
    if (f != nullptr) std::fclose(f);
  }
};
using File = std::unique_ptr<FILE, FileCloser>;

Result<File> Open(const std::string& path, const char* mode) {
  File f(std::fopen(path.c_str(), mode));
  if (!f) return Status::IOError("cannot open '" + path + "': " + std::strerror(errno));
  return f;
}

Result<size_t> FileSize(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return Status::IOError("cannot stat '" + path + "': " + std::strerror(errno));
  }
  return static_cast<size_t>(st.st_size);
}

Status ReadExact(FILE* f, void* out, size_t bytes, const std::string& path) {
  if (bytes != 0 && std::fread(out, 1, bytes, f) != bytes) {
    return Status::Corruption("'" + path + "' ends early");
  }
  return Status::OK();
}

Status Seek(FILE* f, size_t offset, const std::string& path) {
  if (fseeko(f, static_cast<off_t>(offset), SEEK_SET) != 0) {
    return Status::IOError("cannot seek in '" + path + "'");
  }
  return Status::OK();
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Layout of a file: rows, dim, where the payload starts, and the per-row prefix (fvecs only).
struct Layout {
  size_t rows = 0;
  size_t dim = 0;
  size_t data_offset = 0;
  size_t row_prefix = 0;  // bytes before each row's floats (4 for fvecs)
};

// Parses the NumPy header: magic, version, header length, then a Python dict literal.
Result<Layout> NpyLayout(FILE* f, size_t file_size, const std::string& path) {
  unsigned char pre[10];
  if (file_size < sizeof(pre)) return Status::Corruption("'" + path + "' is not a .npy file");
  LOOKALIKE_RETURN_IF_ERROR(ReadExact(f, pre, sizeof(pre), path));
  if (std::memcmp(pre, "\x93NUMPY", 6) != 0) {
    return Status::Corruption("'" + path + "' lacks the .npy magic");
  }
  size_t header_len = 0;
  size_t prefix = 0;
  if (pre[6] == 1) {
    header_len = pre[8] | (pre[9] << 8);
    prefix = 10;
  } else if (pre[6] == 2 || pre[6] == 3) {
    unsigned char extra[2];
    LOOKALIKE_RETURN_IF_ERROR(ReadExact(f, extra, 2, path));
    header_len = pre[8] | (pre[9] << 8) | (extra[0] << 16) | (static_cast<size_t>(extra[1]) << 24);
    prefix = 12;
  } else {
    return Status::Unsupported("'" + path + "': .npy version " + std::to_string(pre[6]));
  }
  if (header_len > 1 << 20 || prefix + header_len > file_size) {
    return Status::Corruption("'" + path + "': .npy header length out of range");
  }
  std::string header(header_len, '\0');
  LOOKALIKE_RETURN_IF_ERROR(ReadExact(f, header.data(), header_len, path));
  auto value_of = [&](const std::string& key) -> std::string {
    size_t k = header.find("'" + key + "'");
    if (k == std::string::npos) return "";
    size_t colon = header.find(':', k);
    if (colon == std::string::npos) return "";
    size_t start = header.find_first_not_of(' ', colon + 1);
    if (start == std::string::npos) return "";
    size_t end = header[start] == '(' ? header.find(')', start) + 1
                                      : header.find_first_of(",}", start);
    return header.substr(start, end == std::string::npos ? std::string::npos : end - start);
  };
  std::string descr = value_of("descr");
  if (descr != "'<f4'" && descr != "'=f4'" && descr != "'float32'") {
    return Status::Unsupported("'" + path + "': dtype " + descr + " (need little-endian float32)");
  }
  if (value_of("fortran_order") != "False") {
    return Status::Unsupported("'" + path + "': Fortran order (need C order)");
  }
  std::string shape = value_of("shape");  // "(1000, 128)" or "(1000, 128,)"
  size_t a = 0, b = 0;
  int got = std::sscanf(shape.c_str(), "(%zu, %zu", &a, &b);
  if (got != 2 || a == 0 || b == 0) {
    return Status::Unsupported("'" + path + "': shape " + shape + " (need a 2-d array)");
  }
  Layout l{a, b, prefix + header_len, 0};
  if (l.data_offset + l.rows * l.dim * sizeof(float) > file_size) {
    return Status::Corruption("'" + path + "' is shorter than its .npy shape says");
  }
  return l;
}

Result<Layout> GetLayout(FILE* f, const std::string& path, size_t dim) {
  LOOKALIKE_ASSIGN_OR_RETURN(size_t size, FileSize(path));
  Layout l;
  switch (FormatFromPath(path)) {
    case VectorFormat::kFvecs: {
      int32_t d = 0;
      if (size < 4) return Status::Corruption("'" + path + "' is empty");
      LOOKALIKE_RETURN_IF_ERROR(ReadExact(f, &d, 4, path));
      if (d <= 0 || d > (1 << 20)) return Status::Corruption("'" + path + "': bad fvecs dim");
      l.dim = static_cast<size_t>(d);
      l.row_prefix = 4;
      size_t row_bytes = 4 + l.dim * sizeof(float);
      if (size % row_bytes != 0) {
        return Status::Corruption("'" + path + "': size is not a multiple of the fvecs row");
      }
      l.rows = size / row_bytes;
      break;
    }
    case VectorFormat::kFbin: {
      uint32_t hdr[2];
      if (size < 8) return Status::Corruption("'" + path + "' is too short for an fbin header");
      LOOKALIKE_RETURN_IF_ERROR(ReadExact(f, hdr, 8, path));
      l.rows = hdr[0];
      l.dim = hdr[1];
      l.data_offset = 8;
      if (l.dim == 0 || 8 + l.rows * l.dim * sizeof(float) > size) {
        return Status::Corruption("'" + path + "': fbin header does not match the file size");
      }
      break;
    }
    case VectorFormat::kNpy: {
      LOOKALIKE_ASSIGN_OR_RETURN(l, NpyLayout(f, size, path));
      break;
    }
    case VectorFormat::kRaw: {
      if (dim == 0) {
        return Status::InvalidArgument("'" + path + "' is raw float32: pass --dim");
      }
      l.dim = dim;
      if (size % (dim * sizeof(float)) != 0) {
        return Status::InvalidArgument("'" + path + "': size " + std::to_string(size) +
                                       " is not a multiple of dim*4 = " +
                                       std::to_string(dim * 4));
      }
      l.rows = size / (dim * sizeof(float));
      break;
    }
  }
  if (dim != 0 && l.dim != dim) {
    return Status::InvalidArgument("'" + path + "' has dim " + std::to_string(l.dim) +
                                   ", expected " + std::to_string(dim));
  }
  return l;
}

Status WriteExact(FILE* f, const void* data, size_t bytes, const std::string& path) {
  if (bytes != 0 && std::fwrite(data, 1, bytes, f) != bytes) {
    return Status::IOError("cannot write '" + path + "'");
  }
  return Status::OK();
}

}  // namespace

VectorFormat FormatFromPath(std::string_view path) {
  if (EndsWith(path, ".fvecs")) return VectorFormat::kFvecs;
  if (EndsWith(path, ".fbin")) return VectorFormat::kFbin;
  if (EndsWith(path, ".npy")) return VectorFormat::kNpy;
  return VectorFormat::kRaw;
}

Status ProbeVectors(const std::string& path, size_t dim, size_t* rows, size_t* out_dim) {
  LOOKALIKE_ASSIGN_OR_RETURN(File f, Open(path, "rb"));
  LOOKALIKE_ASSIGN_OR_RETURN(Layout l, GetLayout(f.get(), path, dim));
  *rows = l.rows;
  *out_dim = l.dim;
  return Status::OK();
}

Result<Matrix> ReadVectors(const std::string& path, size_t dim, size_t max_rows,
                           size_t skip_rows) {
  LOOKALIKE_ASSIGN_OR_RETURN(File f, Open(path, "rb"));
  LOOKALIKE_ASSIGN_OR_RETURN(Layout l, GetLayout(f.get(), path, dim));
  if (skip_rows > l.rows) {
    return Status::InvalidArgument("'" + path + "' has only " + std::to_string(l.rows) + " rows");
  }
  Matrix m;
  m.dim = l.dim;
  m.rows = l.rows - skip_rows;
  if (max_rows != 0 && max_rows < m.rows) m.rows = max_rows;
  m.data.resize(m.rows * m.dim);
  size_t row_bytes = l.row_prefix + l.dim * sizeof(float);
  LOOKALIKE_RETURN_IF_ERROR(Seek(f.get(), l.data_offset + skip_rows * row_bytes, path));
  if (l.row_prefix == 0) {
    LOOKALIKE_RETURN_IF_ERROR(ReadExact(f.get(), m.data.data(), m.data.size() * sizeof(float), path));
  } else {
    for (size_t i = 0; i < m.rows; ++i) {
      int32_t d = 0;
      LOOKALIKE_RETURN_IF_ERROR(ReadExact(f.get(), &d, 4, path));
      if (static_cast<size_t>(d) != l.dim) {
        return Status::Corruption("'" + path + "': row " + std::to_string(i + skip_rows) +
                                  " has dim " + std::to_string(d));
      }
      LOOKALIKE_RETURN_IF_ERROR(ReadExact(f.get(), m.Row(i), l.dim * sizeof(float), path));
    }
  }
  return m;
}

Status WriteVectors(const std::string& path, const Matrix& m) {
  std::string tmp = path + ".tmp";
  {
    LOOKALIKE_ASSIGN_OR_RETURN(File f, Open(tmp, "wb"));
    switch (FormatFromPath(path)) {
      case VectorFormat::kFvecs: {
        int32_t d = static_cast<int32_t>(m.dim);
        for (size_t i = 0; i < m.rows; ++i) {
          LOOKALIKE_RETURN_IF_ERROR(WriteExact(f.get(), &d, 4, tmp));
          LOOKALIKE_RETURN_IF_ERROR(WriteExact(f.get(), m.Row(i), m.dim * sizeof(float), tmp));
        }
        break;
      }
      case VectorFormat::kFbin: {
        if (m.rows > UINT32_MAX || m.dim > UINT32_MAX) {
          return Status::InvalidArgument("too many rows for .fbin");
        }
        uint32_t hdr[2] = {static_cast<uint32_t>(m.rows), static_cast<uint32_t>(m.dim)};
        LOOKALIKE_RETURN_IF_ERROR(WriteExact(f.get(), hdr, 8, tmp));
        LOOKALIKE_RETURN_IF_ERROR(
            WriteExact(f.get(), m.data.data(), m.data.size() * sizeof(float), tmp));
        break;
      }
      case VectorFormat::kNpy: {
        std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                           std::to_string(m.rows) + ", " + std::to_string(m.dim) + "), }";
        // Pad so the payload starts on a 64-byte boundary, header ends with '\n' (the spec).
        size_t total = 10 + dict.size() + 1;
        dict.append((64 - total % 64) % 64, ' ');
        dict.push_back('\n');
        unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                                 static_cast<unsigned char>(dict.size() & 0xff),
                                 static_cast<unsigned char>(dict.size() >> 8)};
        LOOKALIKE_RETURN_IF_ERROR(WriteExact(f.get(), pre, sizeof(pre), tmp));
        LOOKALIKE_RETURN_IF_ERROR(WriteExact(f.get(), dict.data(), dict.size(), tmp));
        LOOKALIKE_RETURN_IF_ERROR(
            WriteExact(f.get(), m.data.data(), m.data.size() * sizeof(float), tmp));
        break;
      }
      case VectorFormat::kRaw:
        LOOKALIKE_RETURN_IF_ERROR(
            WriteExact(f.get(), m.data.data(), m.data.size() * sizeof(float), tmp));
        break;
    }
    if (std::fflush(f.get()) != 0) return Status::IOError("cannot write '" + tmp + "'");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IOError("cannot rename '" + tmp + "' to '" + path + "'");
  }
  return Status::OK();
}

void NormalizeRows(Matrix* m, int threads) {
  ParallelFor(m->rows, threads, 1024, [m](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      float* row = m->Row(i);
      double ss = 0.0;
      for (size_t j = 0; j < m->dim; ++j) ss += static_cast<double>(row[j]) * row[j];
      if (ss <= 0.0) continue;
      float inv = static_cast<float>(1.0 / std::sqrt(ss));
      for (size_t j = 0; j < m->dim; ++j) row[j] *= inv;
    }
  });
}

}  // namespace lookalike::bench
