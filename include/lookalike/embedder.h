// Images in, vectors out: decoding with limits, model manifests, the CNN embedder and the
// registry of models. Pipeline: ReadImageFile/bytes → DecodeImage → Embedder::EmbedBatch.
//
// Decoding accepts JPEG, PNG, WebP, GIF (first frame only) and BMP, recognised by their
// signature (never by file name). The header is parsed first and the image is rejected before
// any pixel buffer is allocated when it is over DecodeLimits::max_pixels. Every decoded image is
// 8-bit RGB with EXIF orientation applied (JPEG), grey expanded to RGB, CMYK converted, and
// transparency composited over white (clip art on a transparent background then looks as it
// does on a page rather than on black). Bad input of any kind — empty, truncated, corrupt, not
// an image, too large — is an error Status (InvalidArgument, or ResourceExhausted for limits),
// never a crash.
//
// Models are ONNX files run in-process by OpenCV's DNN module, each described by a JSON
// manifest (docs/models.md documents the fields). Several manifests may share one ONNX file and
// pick different output tensors.
//
// Thread safety: the free functions are thread-safe. Embedder::Embed/EmbedBatch may be called
// from any number of threads at once (each call borrows one of the embedder's network
// instances; OpenCV nets themselves are not thread-safe). ModelRegistry is thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lookalike/status.h"

namespace lookalike {

// ---------------------------------------------------------------------------------------------
// Decoding

enum class ImageFormat : uint8_t { kUnknown = 0, kJpeg, kPng, kGif, kWebp, kBmp };

/// "jpeg", "png", "gif", "webp", "bmp", "unknown".
std::string_view ImageFormatName(ImageFormat format);

struct DecodeLimits {
  uint64_t max_pixels = 50'000'000;       // width × height from the header
  uint64_t max_file_bytes = 64ull << 20;  // encoded size
};

/// What the header says, read without decoding pixels.
struct ImageInfo {
  ImageFormat format = ImageFormat::kUnknown;
  int width = 0;  // as stored (before EXIF orientation)
  int height = 0;
};

/// Recognises the format by signature and reads the dimensions from the header.
/// InvalidArgument for an unknown signature, a truncated or inconsistent header, or zero size.
Result<ImageInfo> ProbeImage(std::span<const uint8_t> bytes);

/// A decoded image: 8-bit RGB, rows packed (stride = 3 × width).
struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;
  ImageFormat format = ImageFormat::kUnknown;  // what it was decoded from
};

/// Decodes `bytes` within `limits`: ResourceExhausted when the file or the header's pixel count
/// is over a limit, InvalidArgument when it is not a decodable image of a supported format.
Result<Image> DecodeImage(std::span<const uint8_t> bytes, const DecodeLimits& limits = {});

/// Reads a whole file, refusing (ResourceExhausted) files over `max_bytes` before reading them.
Result<std::vector<uint8_t>> ReadFileLimited(const std::string& path, uint64_t max_bytes);

/// ReadFileLimited + DecodeImage; errors name the path.
Result<Image> DecodeImageFile(const std::string& path, const DecodeLimits& limits = {});

/// A baseline JPEG of `image` scaled (area averaging, aspect kept) so that its longer side is
/// `max_side` pixels; images already that small are encoded at their own size (never enlarged).
/// InvalidArgument for max_side < 1, quality outside 1..100 or an empty/inconsistent image.
Result<std::vector<uint8_t>> EncodeThumbnailJpeg(const Image& image, int max_side,
                                                 int quality = 85);

// ---------------------------------------------------------------------------------------------
// Models

enum class ResizeMode : uint8_t { kArea, kBilinear };
enum class CropMode : uint8_t { kNone, kCenter };  // none: stretch to the input size
/// Applied to an [N,C,H,W] output: average, max, generalised mean (GeM, exponent gem_p) or R-MAC
/// (regional max-pooling at 3 scales, each region L2-normalised, summed).
enum class Pooling : uint8_t { kNone, kAverage, kMax, kGem, kRmac };

/// PCA-whitening learned on an image collection: v' = projection · (v − mean), projection being
/// out_dims × in_dims (row-major). Stored in its own file (docs/formats/whitening.md).
struct Whitening {
  int in_dims = 0;
  int out_dims = 0;
  std::vector<float> mean;        // in_dims
  std::vector<float> projection;  // out_dims × in_dims
};

/// A model description loaded from JSON (see docs/models.md). Example:
///   {"name": "mobilenet_v2_b10", "file": "mobilenet_v2.onnx",
///    "input":  {"name": "input", "width": 224, "height": 224, "color": "rgb",
///               "scale": 0.00392156862745098, "mean": [0,0,0], "std": [1,1,1],
///               "resize": "area", "crop": "none"},
///    "output": {"name": "pool/block_10_depthwise_relu", "dims": 384, "pooling": "none",
///               "normalize": "l2", "center": "mobilenet_v2_b10.mean.f32"}}
/// Pixel values fed to the network: ((v × scale) − mean[c]) / std[c], with v in 0..255.
struct ModelManifest {
  std::string name;  // [a-z0-9_.-]+, unique in a registry
  std::string description;
  std::string file;        // absolute path of the ONNX file (resolved against the manifest)
  std::string input_name;  // "" = the network's only input
  int input_width = 0;
  int input_height = 0;
  bool bgr = false;  // channel order the network wants
  float scale = 1.0f / 255.0f;
  float mean[3] = {0, 0, 0};
  float std[3] = {1, 1, 1};
  ResizeMode resize = ResizeMode::kArea;
  CropMode crop = CropMode::kNone;
  std::string output_name;  // tensor to read
  int channels = 0;         // C of the output tensor ("output.dims" in the JSON)
  int dims = 0;             // embedding length: whitening->out_dims when whitened, else channels
  Pooling pooling = Pooling::kNone;
  float gem_p = 3.0f;         // GeM exponent
  std::vector<float> scales;  // input sizes as multiples of input_width/height; empty = {1}
  bool l2_normalize = true;
  std::vector<float> center;  // `channels` values subtracted before normalisation; empty = none
  std::string whiten_file;    // path of the whitening file ("" = none)
  std::shared_ptr<const Whitening> whitening;  // loaded from whiten_file; in_dims = channels
  int version = 1;     // bumped whenever the vectors change; indices record name and version
  int batch_size = 8;  // images per forward pass
};

/// The network input size for `scale` (× input_width/height), rounded to a multiple of 32 — the
/// total stride of the usual backbones, which keeps every layer's padding as converted — and at
/// least 32.
int ScaledInputSide(int side, float scale);

/// Parses a manifest; relative "file"/"center"/"whiten" paths are resolved against `base_dir`.
/// InvalidArgument naming the field for a missing/ill-typed field or a bad value.
Result<ModelManifest> ParseModelManifest(std::string_view json, const std::string& base_dir);
/// Reads and parses a manifest file.
Result<ModelManifest> LoadModelManifest(const std::string& path);

struct EmbedderOptions {
  int instances = 0;  // network copies (parallel forward passes); 0 = hardware threads
};

/// Runs one model. Create() loads the ONNX file and checks it on a blank image so that a bad
/// file or manifest (wrong output name or dims) fails here rather than on the first request.
class Embedder {
 public:
  static Result<std::unique_ptr<Embedder>> Create(const ModelManifest& manifest,
                                                  const EmbedderOptions& options = {});
  ~Embedder();
  Embedder(const Embedder&) = delete;
  Embedder& operator=(const Embedder&) = delete;

  const ModelManifest& manifest() const { return manifest_; }
  int dims() const { return manifest_.dims; }
  int instances() const;

  /// Embeds one image; the result has dims() floats.
  Result<std::vector<float>> Embed(const Image& image);
  /// Embeds images[i] into out[i*dims() .. (i+1)*dims()); `out` must hold images.size()*dims()
  /// floats. Images are spread over the network instances and batched per instance.
  Status EmbedBatch(std::span<const Image* const> images, std::span<float> out);

  /// The network input for one image (CHW float, input_height × input_width × 3), exposed for
  /// tests and for callers that want to compare with another runtime.
  std::vector<float> Preprocess(const Image& image) const;
  /// The same at another input size (multi-scale embedding feeds several).
  std::vector<float> PreprocessAt(const Image& image, int width, int height) const;

 private:
  struct Instance;
  explicit Embedder(ModelManifest manifest);
  Status RunBatch(Instance& inst, std::span<const Image* const> images, float* out);
  Status ForwardScale(Instance& inst, size_t scale_index, std::span<const Image* const> images,
                      int width, int height, float* pooled);
  Instance* Acquire();
  void Release(Instance* inst);

  ModelManifest manifest_;
  std::vector<std::unique_ptr<Instance>> instances_;
  std::mutex mu_;  // guards the free list below
  struct FreeList;
  std::unique_ptr<FreeList> free_;
};

/// The models a directory offers: every *.json manifest in it. Embedders are created lazily on
/// first Get and then shared.
class ModelRegistry {
 public:
  /// Loads every manifest in `dir`. An unreadable or invalid manifest is left out and reported
  /// in refused() (so that one bad file does not take the other models down); the load fails
  /// only when no manifest at all could be loaded, with the reasons. An empty or missing
  /// directory gives an empty registry only when `allow_missing` is set.
  static Result<std::unique_ptr<ModelRegistry>> LoadDir(const std::string& dir,
                                                        const EmbedderOptions& options = {},
                                                        bool allow_missing = false);
  ~ModelRegistry();
  ModelRegistry(const ModelRegistry&) = delete;
  ModelRegistry& operator=(const ModelRegistry&) = delete;

  /// Adds a manifest (AlreadyExists if the name is taken).
  Status Register(ModelManifest manifest);

  /// Manifests of the directory that were refused (bad option, missing or short whitening
  /// file, duplicate name, …), one error per file naming it; LoadDir keeps the others.
  const std::vector<Status>& refused() const { return refused_; }

  /// Manifests sorted by name.
  std::vector<ModelManifest> List() const;
  /// NotFound naming the known models when `name` is unknown; errors from Embedder::Create.
  /// An empty name means the default model.
  Result<std::shared_ptr<Embedder>> Get(std::string_view name);
  /// Name of the default model: kDefaultModelName if registered, else the first name in
  /// sorted order; "" when the registry is empty.
  std::string DefaultName() const;

 private:
  ModelRegistry() = default;
  struct Entry;
  EmbedderOptions options_;
  mutable std::mutex mu_;  // guards entries_
  std::vector<std::unique_ptr<Entry>> entries_;
  std::vector<Status> refused_;  // written only by LoadDir, before the registry is shared
};

/// The model `embed` and `ingest-images` use when none is named (chosen by measurement; see
/// docs/models.md).
inline constexpr std::string_view kDefaultModelName = "mobilenet_v2_mid";

/// Directory searched for model manifests when none is given: $LOOKALIKE_MODELS if set, else
/// "<dir of the executable>/models" when it exists, else "models".
std::string DefaultModelDir();

}  // namespace lookalike
