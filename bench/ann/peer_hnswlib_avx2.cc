// hnswlib built for AVX2 + FMA (CMake adds LOOKALIKE_AVX2_FLAGS); see peer_hnswlib_impl.h.
// hnswlib's header defines non-inline functions and is included by two translation units, so
// its namespace and its four global functions are renamed for this one. The system headers it
// uses come first, outside the renaming.
#include <cpuid.h>
#include <immintrin.h>
#include <x86intrin.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cmath>
#include <deque>
#include <fstream>
#include <iostream>
#include <list>
#include <mutex>
#include <queue>
#include <random>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#define hnswlib hnswlib_avx2
#define cpuid hnswlib_avx2_cpuid
#define xgetbv hnswlib_avx2_xgetbv
#define AVXCapable hnswlib_avx2_avx_capable
#define AVX512Capable hnswlib_avx2_avx512_capable
#include <hnswlib/hnswlib.h>

#define LOOKALIKE_HNSWLIB_SUFFIX Avx2
#include "peer_hnswlib_impl.h"
