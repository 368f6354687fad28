// The embedder: preprocessing (resize, crop, scale, mean/std) and forward passes through OpenCV
// DNN. Parallelism comes from several network instances (one per core by default), because a
// cv::dnn::Net must not be used from two threads at once; each EmbedBatch call fans its images
// out over the instances it can borrow, and batches images per instance.
#include "lookalike/embedder.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "embed/descriptor.h"

namespace lookalike {

// One network per input scale: OpenCV re-plans a net whenever the input shape changes, so each
// scale keeps its own.
struct Embedder::Instance {
  std::vector<cv::dnn::Net> nets;
};

namespace {

std::vector<float> ScalesOf(const ModelManifest& m) {
  return m.scales.empty() ? std::vector<float>{1.0f} : m.scales;
}

}  // namespace

// Instances not currently running a forward pass. Waiters block on `cv`.
struct Embedder::FreeList {
  std::vector<Instance*> free;
  std::condition_variable cv;
};

Embedder::Embedder(ModelManifest manifest)
    : manifest_(std::move(manifest)), free_(std::make_unique<FreeList>()) {}

Embedder::~Embedder() = default;

int Embedder::instances() const { return static_cast<int>(instances_.size()); }

Result<std::unique_ptr<Embedder>> Embedder::Create(const ModelManifest& manifest,
                                                   const EmbedderOptions& options) {
  int n = options.instances > 0
              ? options.instances
              : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ModelManifest checked = manifest;
  if (checked.channels == 0) checked.channels = checked.dims;  // a manifest built in code
  const int want = checked.whitening ? checked.whitening->out_dims : checked.channels;
  if (checked.dims != want ||
      (checked.whitening && checked.whitening->in_dims != checked.channels)) {
    return Status::InvalidArgument("model " + manifest.name + ": dims " +
                                   std::to_string(checked.dims) + " do not match the output (" +
                                   std::to_string(checked.channels) + " channels" +
                                   (checked.whitening ? ", whitened" : "") + ")");
  }
  std::unique_ptr<Embedder> e(new Embedder(std::move(checked)));  // private constructor
  const size_t scales = ScalesOf(manifest).size();
  for (int i = 0; i < n; ++i) {
    auto inst = std::make_unique<Instance>();
    for (size_t k = 0; k < scales; ++k) {
      cv::dnn::Net net;
      try {
        net = cv::dnn::readNetFromONNX(manifest.file);
      } catch (const cv::Exception& ex) {
        return Status::InvalidArgument("model " + manifest.name + ": cannot load " + manifest.file +
                                       ": " + ex.what());
      }
      if (net.empty()) {
        return Status::InvalidArgument("model " + manifest.name + ": cannot load " + manifest.file);
      }
      net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
      net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
      inst->nets.push_back(std::move(net));
    }
    e->free_->free.push_back(inst.get());
    e->instances_.push_back(std::move(inst));
  }
  // A forward pass on a grey image checks the output name and dims now, not at first use.
  Image probe;
  probe.width = manifest.input_width;
  probe.height = manifest.input_height;
  probe.rgb.assign(static_cast<size_t>(probe.width) * probe.height * 3, 128);
  Result<std::vector<float>> v = e->Embed(probe);
  if (!v.ok()) return v.status();
  return e;
}

std::vector<float> Embedder::Preprocess(const Image& image) const {
  return PreprocessAt(image, manifest_.input_width, manifest_.input_height);
}

std::vector<float> Embedder::PreprocessAt(const Image& image, int width, int height) const {
  const ModelManifest& m = manifest_;
  cv::Mat src(image.height, image.width, CV_8UC3, const_cast<uint8_t*>(image.rgb.data()));
  if (m.crop == CropMode::kCenter) {
    // Largest centred window with the input's aspect ratio.
    double want = static_cast<double>(width) / height;
    int w = image.width, h = image.height;
    if (static_cast<double>(w) / h > want) {
      w = std::max(1, static_cast<int>(std::lround(h * want)));
    } else {
      h = std::max(1, static_cast<int>(std::lround(w / want)));
    }
    src = src(cv::Rect((image.width - w) / 2, (image.height - h) / 2, w, h));
  }
  cv::Mat resized;
  if (src.cols == width && src.rows == height) {
    resized = src;
  } else {
    // Area averaging only when shrinking; it degenerates to nearest-neighbour when enlarging.
    bool shrink = src.cols > width && src.rows > height;
    int interp = (m.resize == ResizeMode::kArea && shrink) ? cv::INTER_AREA : cv::INTER_LINEAR;
    cv::resize(src, resized, cv::Size(width, height), 0, 0, interp);
  }
  const size_t plane = static_cast<size_t>(width) * height;
  std::vector<float> chw(plane * 3);
  float mul[3], add[3];
  for (int c = 0; c < 3; ++c) {
    mul[c] = m.scale / m.std[c];
    add[c] = -m.mean[c] / m.std[c];
  }
  for (int y = 0; y < height; ++y) {
    const uint8_t* row = resized.ptr<uint8_t>(y);
    for (int x = 0; x < width; ++x) {
      size_t o = static_cast<size_t>(y) * width + x;
      for (int c = 0; c < 3; ++c) {
        int dst = m.bgr ? 2 - c : c;  // source is RGB
        chw[dst * plane + o] = row[3 * x + c] * mul[dst] + add[dst];
      }
    }
  }
  return chw;
}

Embedder::Instance* Embedder::Acquire() {
  std::unique_lock lock(mu_);
  free_->cv.wait(lock, [&] { return !free_->free.empty(); });
  Instance* inst = free_->free.back();
  free_->free.pop_back();
  return inst;
}

void Embedder::Release(Instance* inst) {
  {
    std::lock_guard lock(mu_);
    free_->free.push_back(inst);
  }
  free_->cv.notify_one();
}

// One forward pass of `images` at one input size; each image's pooled vector (channels floats)
// is added to pooled[i * channels ...].
Status Embedder::ForwardScale(Instance& inst, size_t scale_index,
                              std::span<const Image* const> images, int width, int height,
                              float* pooled) {
  const ModelManifest& m = manifest_;
  cv::dnn::Net& net = inst.nets[scale_index];
  const int n = static_cast<int>(images.size());
  const size_t per = static_cast<size_t>(width) * height * 3;
  int shape[4] = {n, 3, height, width};
  cv::Mat blob(4, shape, CV_32F);
  for (int i = 0; i < n; ++i) {
    std::vector<float> chw = PreprocessAt(*images[i], width, height);
    std::memcpy(blob.ptr<float>() + i * per, chw.data(), per * sizeof(float));
  }
  cv::Mat result;
  try {
    net.setInput(blob, m.input_name);
    result = net.forward(m.output_name);
  } catch (const cv::Exception& ex) {
    return Status::InvalidArgument("model " + m.name + ": forward pass failed: " + ex.what());
  }
  // Accept [N, C] or [N, C, H, W] (pooled here as the manifest says).
  if (result.dims < 2 || result.size[0] != n || result.type() != CV_32F) {
    return Status::InvalidArgument("model " + m.name + ": output " + m.output_name +
                                   " has an unexpected shape");
  }
  const int c = result.size[1];
  const int h = result.dims > 2 ? result.size[2] : 1;
  const int w = result.dims > 3 ? result.size[3] : 1;
  size_t spatial = 1;
  for (int d = 2; d < result.dims; ++d) spatial *= result.size[d];
  if (c != m.channels || spatial != static_cast<size_t>(h) * w ||
      (spatial != 1 && m.pooling == Pooling::kNone)) {
    return Status::InvalidArgument("model " + m.name + ": output " + m.output_name + " gives " +
                                   std::to_string(c) + "x" + std::to_string(spatial) +
                                   " values per image, manifest says dims " +
                                   std::to_string(m.channels));
  }
  cv::Mat flat = result.isContinuous() ? result : result.clone();
  std::vector<float> one(c);
  for (int i = 0; i < n; ++i) {
    embed::PoolFeatureMap(flat.ptr<float>() + static_cast<size_t>(i) * c * spatial, c, h, w,
                          m.pooling, m.gem_p, one.data());
    float* acc = pooled + static_cast<size_t>(i) * c;
    for (int k = 0; k < c; ++k) acc[k] += one[k];
  }
  return Status::OK();
}

Status Embedder::RunBatch(Instance& inst, std::span<const Image* const> images, float* out) {
  const ModelManifest& m = manifest_;
  const int n = static_cast<int>(images.size());
  for (const Image* img : images) {
    if (img->width <= 0 || img->height <= 0 ||
        img->rgb.size() != static_cast<size_t>(img->width) * img->height * 3) {
      return Status::InvalidArgument("image buffer does not match its size");
    }
  }
  // Multi-scale: the pooled vectors of every scale are averaged.
  const std::vector<float> scales = ScalesOf(m);
  const int c = m.channels;
  std::vector<float> pooled(static_cast<size_t>(n) * c, 0.0f);
  for (size_t k = 0; k < scales.size(); ++k) {
    LOOKALIKE_RETURN_IF_ERROR(
        ForwardScale(inst, k, images, ScaledInputSide(m.input_width, scales[k]),
                     ScaledInputSide(m.input_height, scales[k]), pooled.data()));
  }
  for (int i = 0; i < n; ++i) {
    std::span<float> v(pooled.data() + static_cast<size_t>(i) * c, c);
    if (scales.size() > 1) {
      for (float& x : v) x /= static_cast<float>(scales.size());
    }
    if (!m.center.empty()) {
      for (int k = 0; k < c; ++k) v[k] -= m.center[k];
    }
    std::span<float> dst(out + static_cast<size_t>(i) * m.dims, m.dims);
    if (m.whitening) {
      // Whitening is learned on L2-normalised vectors (build/photo_eval --learn-whitening).
      embed::L2Normalize(v);
      embed::ApplyWhitening(*m.whitening, v.data(), dst.data());
    } else {
      std::copy(v.begin(), v.end(), dst.begin());
    }
    // A zero vector (possible after centring) stays zero rather than becoming NaN.
    if (m.l2_normalize) embed::L2Normalize(dst);
  }
  return Status::OK();
}

Result<std::vector<float>> Embedder::Embed(const Image& image) {
  std::vector<float> v(static_cast<size_t>(manifest_.dims));
  const Image* one[1] = {&image};
  LOOKALIKE_RETURN_IF_ERROR(EmbedBatch(one, v));
  return v;
}

Status Embedder::EmbedBatch(std::span<const Image* const> images, std::span<float> out) {
  const size_t dims = static_cast<size_t>(manifest_.dims);
  if (out.size() < images.size() * dims) {
    return Status::InvalidArgument("output buffer too small for the batch");
  }
  if (images.empty()) return Status::OK();
  // Smaller batches when there are fewer images than instances × batch_size, so that every
  // instance gets work.
  const size_t spread = (images.size() + instances_.size() - 1) / instances_.size();
  const size_t bs = std::max<size_t>(1, std::min<size_t>(manifest_.batch_size, spread));
  const size_t chunks = (images.size() + bs - 1) / bs;
  // Chunks are claimed from a shared counter by the calling thread and up to instances-1 helper
  // threads, each holding its own network instance while it works.
  std::atomic<size_t> next{0};
  std::mutex err_mu;
  Status first_error;
  auto work = [&] {
    Instance* inst = Acquire();
    for (size_t ch; (ch = next.fetch_add(1)) < chunks;) {
      size_t begin = ch * bs, end = std::min(images.size(), begin + bs);
      Status st = RunBatch(*inst, images.subspan(begin, end - begin), out.data() + begin * dims);
      if (!st.ok()) {
        std::lock_guard lock(err_mu);
        if (first_error.ok()) first_error = std::move(st);
      }
    }
    Release(inst);
  };
  size_t helpers = std::min(chunks, instances_.size()) - 1;
  std::vector<std::thread> threads;
  threads.reserve(helpers);
  for (size_t i = 0; i < helpers; ++i) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  return first_error;
}

}  // namespace lookalike
