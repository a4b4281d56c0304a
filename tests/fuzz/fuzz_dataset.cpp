// libFuzzer harness of the dataset readers: the input goes to gunzip() as bytes, and is written to a
// file read by read_idx_images() and read_idx_labels() (which gunzip it first when it starts with the
// gzip magic). Images that read must hold count x rows x cols pixels, and the first one is
// preprocessed (crop, box-filter resize down and up) into the number of inputs preprocessed_size()
// announces.
#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "devices/error.hpp"
#include "fuzz_support.hpp"
#include "mlp/dataset.hpp"

namespace fs = std::filesystem;
using namespace spx::mlp;

namespace {

void exercise(const Images& im) {
  if (im.count < 0 || im.rows < 0 || im.cols < 0 ||
      im.pixels.size() != static_cast<size_t>(im.count) * static_cast<size_t>(im.rows) * static_cast<size_t>(im.cols))
    spx::fuzz::broken("images that read hold count x rows x cols pixels",
                      fmt::format("{} x {} x {} with {} pixels", im.count, im.rows, im.cols, im.pixels.size()));
  if (im.count == 0) return;
  const int side = std::min(im.rows, im.cols);
  Preprocess crop_down, up;
  crop_down.crop = side > 1 ? side - 1 : 0;
  crop_down.resize = side > 2 ? side / 2 : 0;
  crop_down.binarize = false;
  up.resize = std::min(side + 3, 40);
  for (const Preprocess& p : {Preprocess{}, crop_down, up}) {
    try {
      const std::vector<double> v = preprocess(im.image(0), im.rows, im.cols, p);
      if (static_cast<int>(v.size()) != preprocessed_size(p, im.rows, im.cols))
        spx::fuzz::broken("preprocess gives preprocessed_size() values",
                          fmt::format("{} vs {}", v.size(), preprocessed_size(p, im.rows, im.cols)));
    } catch (const spx::InputError& e) {
      spx::fuzz::rejected(e);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fs::path dir = spx::fuzz::scratch_dir("dataset");
  try {
    (void)gunzip(std::span<const uint8_t>(data, size), "fuzz.gz");
  } catch (const spx::InputError& e) {
    spx::fuzz::rejected(e);
  }
  const fs::path file = dir / "fuzz-idx-ubyte";
  spx::fuzz::write_bytes(file, std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    exercise(read_idx_images(file));
  } catch (const spx::InputError& e) {
    spx::fuzz::rejected(e);
  }
  try {
    (void)read_idx_labels(file);
  } catch (const spx::InputError& e) {
    spx::fuzz::rejected(e);
  }
  return 0;
}
