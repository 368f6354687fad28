// Vector files the harness reads (and writes, for exporting synthetic sets).
//
//   .fvecs  every row is int32 dim followed by dim float32 (the TEXMEX/SIFT layout)
//   .fbin   uint32 rows, uint32 dim, then rows*dim float32 (the big-ann-benchmarks layout)
//   .npy    NumPy format 1.0-3.0, dtype '<f4', C order, shape (rows, dim)
//   other   raw float32 rows without any header (like the reference's fvecs.bin); needs dim
//
// All values are little-endian. Readers validate sizes against the file length and return
// InvalidArgument/Corruption/IOError instead of trusting headers.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "lookalike/status.h"

namespace lookalike::bench {

/// Row-major float32 matrix.
struct Matrix {
  size_t rows = 0;
  size_t dim = 0;
  std::vector<float> data;

  const float* Row(size_t i) const { return data.data() + i * dim; }
  float* Row(size_t i) { return data.data() + i * dim; }
};

enum class VectorFormat { kFvecs, kFbin, kNpy, kRaw };

/// Format from the file name's extension; anything unknown is raw float32.
VectorFormat FormatFromPath(std::string_view path);

/// Reads up to `max_rows` rows (0 = all) starting at row `skip_rows`. `dim` is required for raw
/// files and, when non-zero, checked against the header of the others.
Result<Matrix> ReadVectors(const std::string& path, size_t dim = 0, size_t max_rows = 0,
                           size_t skip_rows = 0);

/// Number of rows and the dimension of a file without reading the payload.
Status ProbeVectors(const std::string& path, size_t dim, size_t* rows, size_t* out_dim);

/// Writes `m` in the format chosen by the extension of `path`.
Status WriteVectors(const std::string& path, const Matrix& m);

/// Scales every row to unit L2 norm; rows of norm 0 are left as they are.
void NormalizeRows(Matrix* m, int threads);

}  // namespace lookalike::bench
