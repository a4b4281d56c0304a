// Datasets: gzip decoding (stored, fixed and dynamic Huffman blocks, CRC check), IDX files, the
// installed MNIST and Fashion-MNIST sets, preprocessing.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "devices/error.hpp"
#include "devices/limits.hpp"
#include "mlp/dataset.hpp"

using namespace spx::mlp;
namespace fs = std::filesystem;

namespace {

std::string as_string(const std::vector<uint8_t>& v) { return {v.begin(), v.end()}; }

// Written by a standard gzip encoder: a stored block, a fixed-Huffman block and a dynamic-Huffman block.
const std::vector<uint8_t> kStored{0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x01, 0x13, 0x00, 0xec,
                                   0xff, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x2c, 0x20, 0x73, 0x74, 0x6f, 0x72, 0x65, 0x64,
                                   0x20, 0x62, 0x6c, 0x6f, 0x63, 0x6b, 0xf4, 0xc7, 0x22, 0xc7, 0x13, 0x00, 0x00, 0x00};
const std::vector<uint8_t> kFixed{0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x4b, 0x4c, 0x4a,
                                  0x4e, 0x04, 0x23, 0x00, 0x18, 0x48, 0x2d, 0x46, 0x09, 0x00, 0x00, 0x00};
const std::vector<uint8_t> kDynamic{
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xff, 0xed, 0xd3, 0xbb, 0x0d, 0xc2, 0x40, 0x14, 0x05, 0xd1, 0x56,
    0x5c, 0x82, 0xdf, 0x7d, 0xe6, 0x27, 0xaa, 0xc1, 0x44, 0x24, 0x80, 0xbc, 0x09, 0xe5, 0x23, 0xc7, 0x9e, 0x12, 0x26, 0x5b,
    0xdd, 0x68, 0x8f, 0x76, 0x67, 0x7c, 0x5f, 0xef, 0xdf, 0xfa, 0xd8, 0xa6, 0xe7, 0xf6, 0x19, 0x63, 0x3f, 0xcc, 0xf7, 0x69,
    0x1c, 0xc6, 0xa2, 0x31, 0x34, 0x36, 0x8d, 0x0b, 0x8d, 0x27, 0x1a, 0xcf, 0x34, 0x5e, 0x68, 0xbc, 0xd2, 0x78, 0xc3, 0xcb,
    0x33, 0x09, 0x4d, 0x85, 0xa8, 0x42, 0x55, 0x21, 0xab, 0xd0, 0x55, 0x08, 0x2b, 0x94, 0x15, 0xd2, 0x0a, 0x6d, 0x41, 0x5b,
    0xf8, 0xbd, 0xd0, 0x16, 0xb4, 0x05, 0x6d, 0x41, 0x5b, 0xd0, 0x16, 0xb4, 0x05, 0x6d, 0x41, 0x5b, 0xa3, 0xad, 0xd1, 0xd6,
    0xfc, 0x19, 0xd1, 0xd6, 0x68, 0x6b, 0xb4, 0x35, 0xda, 0x6c, 0xc4, 0x46, 0x6c, 0xc4, 0x46, 0x6c, 0xc4, 0x46, 0x6c, 0xc4,
    0x46, 0x6c, 0xc4, 0x46, 0x6c, 0xc4, 0x46, 0x6c, 0xc4, 0x46, 0x6c, 0xc4, 0x46, 0x6c, 0xc4, 0x46, 0x6c, 0xc4, 0x46, 0x6c,
    0xc4, 0x46, 0x8e, 0x8d, 0xfc, 0x01, 0xd3, 0x36, 0x17, 0x8e, 0x74, 0x19, 0x00, 0x00};

fs::path tmp_dir() {
  auto p = fs::temp_directory_path() / "spx_dataset_test";
  fs::create_directories(p);
  return p;
}

void write(const fs::path& p, const std::vector<uint8_t>& bytes) {
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::vector<uint8_t> be32(uint32_t v) {
  return {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}

/// An IDX image header: magic 0x803, then count, rows and columns (big-endian).
std::vector<uint8_t> idx_header(uint32_t count, uint32_t rows, uint32_t cols) {
  std::vector<uint8_t> h = be32(0x803);
  for (uint32_t v : {count, rows, cols}) {
    auto b = be32(v);
    h.insert(h.end(), b.begin(), b.end());
  }
  return h;
}

}  // namespace

TEST_CASE("gunzip decodes stored, fixed and dynamic Huffman blocks") {
  CHECK(as_string(gunzip(kStored, "stored")) == "hello, stored block");
  CHECK(as_string(gunzip(kFixed, "fixed")) == "abcabcabc");
  std::string text;
  for (int i = 0; i < 300; ++i) text += "spinxbar crossbar " + std::to_string(i % 37) + "; ";
  CHECK(as_string(gunzip(kDynamic, "dynamic")) == text);
  // Two members in a row decode to their concatenation.
  std::vector<uint8_t> two = kStored;
  two.insert(two.end(), kFixed.begin(), kFixed.end());
  CHECK(as_string(gunzip(two, "two")) == "hello, stored blockabcabcabc");
}

TEST_CASE("gunzip rejects corrupt data with the file's name") {
  auto bad = kDynamic;
  bad[bad.size() - 9] ^= 0x01;  // last byte of the compressed stream
  CHECK_THROWS_AS(gunzip(bad, "bad.gz"), spx::InputError);
  auto crc = kStored;
  crc[crc.size() - 8] ^= 0xff;  // CRC-32
  try {
    gunzip(crc, "crc.gz");
    FAIL("no error");
  } catch (const spx::InputError& e) {
    CHECK(std::string(e.what()).find("crc.gz: gzip: CRC-32 mismatch") == 0);
  }
  auto cut = kDynamic;
  cut.resize(40);
  CHECK_THROWS_AS(gunzip(cut, "cut.gz"), spx::InputError);
}

TEST_CASE("IDX files: images, labels, shape errors") {
  auto d = tmp_dir();
  std::vector<uint8_t> img = idx_header(2, 3, 2);
  for (int k = 0; k < 12; ++k) img.push_back(static_cast<uint8_t>(k * 20));
  write(d / "img", img);
  Images im = read_idx_images(d / "img");
  CHECK(im.count == 2);
  CHECK(im.rows == 3);
  CHECK(im.cols == 2);
  CHECK(im.image(1)[0] == 120);
  img.pop_back();
  write(d / "short", img);
  CHECK_THROWS_WITH_AS(read_idx_images(d / "short"), doctest::Contains("need 12 bytes of pixels, the file has 11"), spx::InputError);
  std::vector<uint8_t> lab = be32(0x801);
  auto n = be32(3);
  lab.insert(lab.end(), n.begin(), n.end());
  lab.insert(lab.end(), {7, 2, 11});
  write(d / "lab", lab);
  CHECK_THROWS_WITH_AS(read_idx_labels(d / "lab"), doctest::Contains("label 2 is 11"), spx::InputError);
  CHECK_THROWS_WITH_AS(read_idx_labels(d / "img"), doctest::Contains("not an IDX label file"), spx::InputError);
  CHECK_THROWS_WITH_AS(load_idx_dataset((d / "nothing").string(), Split::test), doctest::Contains("not a directory"), spx::InputError);
}

TEST_CASE("MNIST (setup's cache) and Fashion-MNIST (Debian, gzip) load with their official counts") {
  // The tests run from the build tree; the cache is data/mnist in the source tree.
  setenv("SPINXBAR_DATA", (fs::path(SPX_SOURCE_DIR) / "data").c_str(), 1);
  auto mnist = load_idx_dataset("mnist", Split::test);
  CHECK(mnist.images.count == 10000);
  CHECK(mnist.images.rows == 28);
  CHECK(mnist.labels[0] == 7);  // the first test digit is a 7
  CHECK(mnist.labels[1] == 2);
  auto fashion = load_idx_dataset("fashion-mnist", Split::test);
  CHECK(fashion.images.count == 10000);
  CHECK(fashion.images.cols == 28);
  CHECK(fashion.labels[0] == 9);  // ankle boot
}

TEST_CASE("preprocessing: centre crop, box resize, binarize or linear levels") {
  std::vector<uint8_t> img(6 * 6, 0);
  for (int r = 0; r < 6; ++r)
    for (int c = 0; c < 6; ++c) img[r * 6 + c] = static_cast<uint8_t>(r * 6 + c);
  Preprocess p;
  p.crop = 4;
  p.binarize = false;
  p.low = 0;
  p.high = 255;
  auto v = preprocess(img.data(), 6, 6, p);
  REQUIRE(v.size() == 16);
  CHECK(v[0] == doctest::Approx(7));   // (1, 1)
  CHECK(v[15] == doctest::Approx(28));  // (4, 4)
  p.resize = 2;
  v = preprocess(img.data(), 6, 6, p);
  REQUIRE(v.size() == 4);
  CHECK(v[0] == doctest::Approx((7 + 8 + 13 + 14) / 4.0));
  p.crop = 0;
  p.resize = 4;  // 6 -> 4: fractional overlaps, the mean is kept
  v = preprocess(img.data(), 6, 6, p);
  double mean = 0;
  for (double x : v) mean += x / 16;
  CHECK(mean == doctest::Approx(17.5));
  CHECK(preprocessed_size(p, 6, 6) == 16);
  Preprocess b;
  b.threshold = 0.1;  // 25.5 of 255
  v = preprocess(img.data(), 6, 6, b);
  CHECK(v[25] == -1.0);
  CHECK(v[26] == 1.0);
}

TEST_CASE("IDX headers: sizes compared without overflow; inflated data bounded") {
  auto d = tmp_dir();
  std::vector<uint8_t> img = idx_header(0xffffffffu, 0xffffffffu, 0xffffffffu);
  for (int k = 0; k < 12; ++k) img.push_back(1);
  write(d / "huge", img);
  const std::string huge = (d / "huge").string() + ": 4294967295 images of 4294967295x4294967295 need 7.923e+28 bytes "
                                                    "of pixels, the file has 12";
  CHECK_THROWS_WITH_AS(read_idx_images(d / "huge"), huge.c_str(), spx::InputError);
  // 1 x 65536 x 65536: 2^32 bytes, past 32 bits.
  img = idx_header(1, 65536, 65536);
  write(d / "big", img);
  CHECK_THROWS_WITH_AS(read_idx_images(d / "big"), doctest::Contains("need 4294967296 bytes of pixels, the file has 0"),
                       spx::InputError);
  const spx::WorkLimits saved = spx::work_limits();
  spx::work_limits().bytes = 10;  // the dynamic-block example inflates to 7 KB
  CHECK_THROWS_WITH_AS(gunzip(kDynamic, "dynamic"), doctest::Contains("dynamic: gzip: inflates to more than 10 bytes"),
                       spx::InputError);
  spx::work_limits() = saved;
}
