// Datasets (dataset.hpp). The DEFLATE decoder follows RFC 1951 (block types, canonical Huffman codes,
// length/distance tables) and the gzip container RFC 1952 (header flags, CRC-32 and size trailer).
#include "mlp/dataset.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "devices/error.hpp"
#include "devices/limits.hpp"
#include "mlp/weights.hpp"

namespace spx::mlp {
namespace fs = std::filesystem;

namespace {

struct InflateError {
  std::string what;
};

/// Least-significant-bit-first reader over the compressed bytes.
class BitReader {
 public:
  BitReader(const uint8_t* data, size_t size, size_t pos) : p_(data), n_(size), pos_(pos) {}
  uint32_t bits(int need) {
    uint64_t v = buf_;
    while (count_ < need) {
      if (pos_ >= n_) throw InflateError{"unexpected end of compressed data"};
      v |= static_cast<uint64_t>(p_[pos_++]) << count_;
      count_ += 8;
    }
    buf_ = v >> need;
    count_ -= need;
    return static_cast<uint32_t>(v & ((1ull << need) - 1));
  }
  /// Drops the bits left in the current byte (stored blocks start on a byte boundary).
  void align() {
    buf_ = 0;
    count_ = 0;
  }
  size_t pos() const { return pos_; }
  uint8_t byte() {
    if (pos_ >= n_) throw InflateError{"unexpected end of compressed data"};
    return p_[pos_++];
  }

 private:
  const uint8_t* p_;
  size_t n_, pos_;
  uint64_t buf_ = 0;
  int count_ = 0;
};

/// A canonical Huffman code: how many codes of each length, and the symbols in code order.
struct Huffman {
  std::array<uint16_t, 16> count{};
  std::vector<uint16_t> symbol;

  Huffman(const uint8_t* lengths, int n) {
    for (int s = 0; s < n; ++s) ++count[lengths[s]];
    count[0] = 0;
    int left = 1;  // codes of the current length still available
    for (int len = 1; len < 16; ++len) {
      left = 2 * left - count[len];
      if (left < 0) throw InflateError{"over-subscribed Huffman code"};
    }
    std::array<uint16_t, 16> offset{};
    for (int len = 1; len < 15; ++len) offset[len + 1] = static_cast<uint16_t>(offset[len] + count[len]);
    symbol.assign(n, 0);
    for (int s = 0; s < n; ++s)
      if (lengths[s]) symbol[offset[lengths[s]]++] = static_cast<uint16_t>(s);
  }

  /// Reads one symbol: codes of each length are consecutive integers, shorter lengths first.
  int decode(BitReader& in) const {
    int code = 0, first = 0, index = 0;
    for (int len = 1; len < 16; ++len) {
      code |= static_cast<int>(in.bits(1));
      int c = count[len];
      if (code - first < c) return symbol[index + code - first];
      index += c;
      first = (first + c) << 1;
      code <<= 1;
    }
    throw InflateError{"invalid Huffman code"};
  }
};

constexpr std::array<uint16_t, 29> kLengthBase{3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                                31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr std::array<uint8_t, 29> kLengthExtra{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                               2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr std::array<uint16_t, 30> kDistBase{1,   2,   3,   4,   5,   7,    9,    13,   17,   25,
                                              33,  49,  65,  97,  129, 193,  257,  385,  513,  769,
                                              1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
constexpr std::array<uint8_t, 30> kDistExtra{0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                             6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

/// Refuses output beyond the work limit on bytes (a small file may inflate to terabytes).
void check_size(const std::vector<uint8_t>& out) {
  if (out.size() > work_limits().bytes)
    throw InflateError{fmt::format("inflates to more than {} bytes (raise the limit with --max-bytes)", work_limits().bytes)};
}

void inflate_codes(BitReader& in, std::vector<uint8_t>& out, const Huffman& lit, const Huffman& dist) {
  const size_t limit = work_limits().bytes;
  for (;;) {
    if (out.size() > limit) check_size(out);
    int s = lit.decode(in);
    if (s < 256) {
      out.push_back(static_cast<uint8_t>(s));
      continue;
    }
    if (s == 256) return;
    s -= 257;
    if (s >= 29) throw InflateError{"invalid length code"};
    size_t len = kLengthBase[s] + in.bits(kLengthExtra[s]);
    int d = dist.decode(in);
    if (d >= 30) throw InflateError{"invalid distance code"};
    size_t back = kDistBase[d] + in.bits(kDistExtra[d]);
    if (back > out.size()) throw InflateError{"distance too far back"};
    size_t from = out.size() - back;
    for (size_t k = 0; k < len; ++k) out.push_back(out[from + k]);  // may overlap what it writes
  }
}

/// Inflates one raw DEFLATE stream starting at `in`, appending to out.
void inflate(BitReader& in, std::vector<uint8_t>& out) {
  bool last = false;
  while (!last) {
    last = in.bits(1) != 0;
    uint32_t type = in.bits(2);
    if (type == 0) {
      in.align();
      uint32_t len = in.byte() | (in.byte() << 8);
      uint32_t nlen = in.byte() | (in.byte() << 8);
      if ((len ^ 0xffffu) != nlen) throw InflateError{"stored block length check failed"};
      for (uint32_t k = 0; k < len; ++k) out.push_back(in.byte());
      check_size(out);
    } else if (type == 1) {
      static const auto fixed = [] {
        std::array<uint8_t, 288> l{};
        for (int s = 0; s < 288; ++s) l[s] = s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8;
        std::array<uint8_t, 30> d{};
        d.fill(5);
        return std::pair{Huffman(l.data(), 288), Huffman(d.data(), 30)};
      }();
      inflate_codes(in, out, fixed.first, fixed.second);
    } else if (type == 2) {
      int nlit = static_cast<int>(in.bits(5)) + 257, ndist = static_cast<int>(in.bits(5)) + 1;
      int ncode = static_cast<int>(in.bits(4)) + 4;
      if (nlit > 286 || ndist > 30) throw InflateError{"bad code counts"};
      static constexpr std::array<uint8_t, 19> order{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
      std::array<uint8_t, 19> cl{};
      for (int k = 0; k < ncode; ++k) cl[order[k]] = static_cast<uint8_t>(in.bits(3));
      Huffman lencode(cl.data(), 19);
      std::array<uint8_t, 316> lengths{};
      int k = 0;
      while (k < nlit + ndist) {
        int s = lencode.decode(in);
        if (s < 16) {
          lengths[k++] = static_cast<uint8_t>(s);
          continue;
        }
        uint8_t value = 0;
        int repeat = 0;
        if (s == 16) {
          if (k == 0) throw InflateError{"repeat with no previous length"};
          value = lengths[k - 1];
          repeat = 3 + static_cast<int>(in.bits(2));
        } else if (s == 17) {
          repeat = 3 + static_cast<int>(in.bits(3));
        } else {
          repeat = 11 + static_cast<int>(in.bits(7));
        }
        if (k + repeat > nlit + ndist) throw InflateError{"too many code lengths"};
        while (repeat--) lengths[k++] = value;
      }
      if (lengths[256] == 0) throw InflateError{"no end-of-block code"};
      inflate_codes(in, out, Huffman(lengths.data(), nlit), Huffman(lengths.data() + nlit, ndist));
    } else {
      throw InflateError{"invalid block type"};
    }
  }
}

uint32_t crc32(const uint8_t* p, size_t n) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t k = 0; k < 256; ++k) {
      uint32_t c = k;
      for (int b = 0; b < 8; ++b) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[k] = c;
    }
    return t;
  }();
  uint32_t c = 0xffffffffu;
  for (size_t k = 0; k < n; ++k) c = table[(c ^ p[k]) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

uint32_t big_endian(const std::vector<uint8_t>& b, size_t at) {
  return (uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) | (uint32_t{b[at + 2]} << 8) | b[at + 3];
}

}  // namespace

std::vector<uint8_t> gunzip(std::span<const uint8_t> bytes, const std::string& what) {
  std::vector<uint8_t> out;
  size_t pos = 0;
  try {
    while (pos < bytes.size()) {
      if (bytes.size() - pos < 18 || bytes[pos] != 0x1f || bytes[pos + 1] != 0x8b)
        throw InflateError{pos == 0 ? "not a gzip file" : "trailing bytes after the gzip data"};
      if (bytes[pos + 2] != 8) throw InflateError{"unknown compression method"};
      const uint8_t flags = bytes[pos + 3];
      BitReader hdr(bytes.data(), bytes.size(), pos + 10);
      if (flags & 4) {  // FEXTRA
        uint32_t len = hdr.byte() | (hdr.byte() << 8);
        while (len--) hdr.byte();
      }
      if (flags & 8)
        while (hdr.byte() != 0) {}  // FNAME
      if (flags & 16)
        while (hdr.byte() != 0) {}  // FCOMMENT
      if (flags & 2) {              // FHCRC
        hdr.byte();
        hdr.byte();
      }
      const size_t start = out.size();
      BitReader in(bytes.data(), bytes.size(), hdr.pos());
      inflate(in, out);
      pos = in.pos();
      if (bytes.size() - pos < 8) throw InflateError{"missing gzip trailer"};
      uint32_t crc = 0, size = 0;
      for (int k = 3; k >= 0; --k) {
        crc = (crc << 8) | bytes[pos + k];
        size = (size << 8) | bytes[pos + 4 + k];
      }
      pos += 8;
      if (crc32(out.data() + start, out.size() - start) != crc) throw InflateError{"CRC-32 mismatch (corrupt file)"};
      if (static_cast<uint32_t>(out.size() - start) != size) throw InflateError{"size mismatch (corrupt file)"};
    }
  } catch (const InflateError& e) {
    fail("{}: gzip: {}", what, e.what);
  }
  return out;
}

std::vector<uint8_t> read_maybe_gzip(const fs::path& path) {
  const std::string text = read_file(path);
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  if (bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) return gunzip(bytes, path.string());
  return {bytes.begin(), bytes.end()};
}

Images read_idx_images(const fs::path& path) {
  auto b = read_maybe_gzip(path);
  Images im;
  im.source = path.string();
  if (b.size() < 16 || big_endian(b, 0) != 0x00000803)
    fail("{}: not an IDX image file (magic 0x00000803 expected)", im.source);
  const uint64_t count = big_endian(b, 4), rows = big_endian(b, 8), cols = big_endian(b, 12);
  const uint64_t have = b.size() - 16, per_image = rows * cols;  // < 2^64: both < 2^32
  // count * per_image can exceed 64 bits: compare by division.
  const bool fits = per_image == 0 || count <= UINT64_MAX / per_image;
  if (!fits || count * per_image != have)
    fail("{}: {} images of {}x{} need {} bytes of pixels, the file has {}", im.source, count, rows, cols,
         fits ? fmt::format("{}", count * per_image) : fmt::format("{:.4g}", static_cast<double>(count) * per_image), have);
  if (count > static_cast<uint64_t>(std::numeric_limits<int>::max()) || rows > 65536 || cols > 65536 || per_image == 0)
    fail("{}: {} images of {}x{} pixels: sizes out of range", im.source, count, rows, cols);
  im.count = static_cast<int>(count);
  im.rows = static_cast<int>(rows);
  im.cols = static_cast<int>(cols);
  im.pixels.assign(b.begin() + 16, b.end());
  return im;
}

std::vector<uint8_t> read_idx_labels(const fs::path& path) {
  auto b = read_maybe_gzip(path);
  if (b.size() < 8 || big_endian(b, 0) != 0x00000801)
    fail("{}: not an IDX label file (magic 0x00000801 expected)", path.string());
  size_t count = big_endian(b, 4);
  if (b.size() - 8 != count) fail("{}: {} labels announced, the file has {}", path.string(), count, b.size() - 8);
  std::vector<uint8_t> labels(b.begin() + 8, b.end());
  for (size_t k = 0; k < labels.size(); ++k)
    if (labels[k] > 9) fail("{}: label {} is {}, expected 0..9", path.string(), k, labels[k]);
  return labels;
}

fs::path dataset_dir(const std::string& name) {
  if (name == "fashion-mnist") {
    fs::path d = "/usr/share/datasets/fashion-mnist";
    if (const char* env = std::getenv("SPINXBAR_FASHION_MNIST")) d = env;
    if (std::error_code ec; !fs::is_directory(d, ec))
      fail("dataset fashion-mnist: {} not found (install the Debian package dataset-fashion-mnist; scripts/setup does)",
           d.string());
    return d;
  }
  if (name == "mnist") {
    std::vector<fs::path> tried;
    if (const char* env = std::getenv("SPINXBAR_DATA")) tried.push_back(fs::path(env) / "mnist");
    tried.push_back(fs::path("data") / "mnist");
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) tried.push_back(exe.parent_path() / ".." / ".." / "data" / "mnist");  // build/<dir>/exe
    for (const auto& d : tried)
      if (std::error_code ec; fs::exists(d / "t10k-images-idx3-ubyte", ec)) return d;
    std::string where;
    for (const auto& d : tried) where += (where.empty() ? "" : ", ") + d.string();
    fail("dataset mnist: not found in {} (scripts/setup fetches it; or set SPINXBAR_DATA)", where);
  }
  if (std::error_code ec; !fs::is_directory(name, ec)) fail("dataset '{}': not a directory with IDX files, nor mnist or fashion-mnist", name);
  return name;
}

LabeledImages load_idx_dataset(const std::string& name, Split split) {
  fs::path dir = dataset_dir(name);
  const std::string stem = split == Split::train ? "train" : "t10k";
  auto find = [&](const std::string& base) {
    for (const char* ext : {"", ".gz"}) {
      fs::path p = dir / (base + ext);
      if (std::error_code ec; fs::exists(p, ec)) return p;
    }
    fail("dataset '{}': {} missing in {}", name, base, dir.string());
  };
  LabeledImages out;
  out.images = read_idx_images(find(stem + "-images-idx3-ubyte"));
  const fs::path labels = find(stem + "-labels-idx1-ubyte");
  out.labels = read_idx_labels(labels);
  out.labels_file = labels.string();
  out.name = fmt::format("{} {}", name, split == Split::train ? "train" : "test");
  if (out.labels.size() != static_cast<size_t>(out.images.count))
    fail("dataset '{}': {} images but {} labels", name, out.images.count, out.labels.size());
  return out;
}

int preprocessed_size(const Preprocess& p, int rows, int cols) {
  int r = rows, c = cols;
  if (p.crop > 0) r = c = p.crop;
  if (p.resize > 0) r = c = p.resize;
  return r * c;
}

std::vector<double> preprocess(const uint8_t* image, int rows, int cols, const Preprocess& p) {
  // Centre crop.
  int r0 = 0, c0 = 0, h = rows, w = cols;
  if (p.crop > 0) {
    if (p.crop > rows || p.crop > cols) fail("preprocessing: crop {} is larger than the {}x{} images", p.crop, rows, cols);
    r0 = (rows - p.crop) / 2;
    c0 = (cols - p.crop) / 2;
    h = w = p.crop;
  }
  std::vector<double> px(static_cast<size_t>(h) * w);
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) px[static_cast<size_t>(r) * w + c] = image[static_cast<size_t>(r0 + r) * cols + c0 + c] / 255.0;
  // Box-filter resize: each output pixel averages the input area it covers (fractional overlaps).
  if (p.resize > 0 && (p.resize != h || p.resize != w)) {
    const int n = p.resize;
    std::vector<double> out(static_cast<size_t>(n) * n, 0.0);
    const double sy = static_cast<double>(h) / n, sx = static_cast<double>(w) / n;
    for (int y = 0; y < n; ++y) {
      for (int x = 0; x < n; ++x) {
        double y0 = y * sy, y1 = (y + 1) * sy, x0 = x * sx, x1 = (x + 1) * sx, acc = 0;
        for (int r = static_cast<int>(std::floor(y0)); r < std::min(h, static_cast<int>(std::ceil(y1))); ++r) {
          double fy = std::min<double>(r + 1, y1) - std::max<double>(r, y0);
          for (int c = static_cast<int>(std::floor(x0)); c < std::min(w, static_cast<int>(std::ceil(x1))); ++c) {
            double fx = std::min<double>(c + 1, x1) - std::max<double>(c, x0);
            acc += fy * fx * px[static_cast<size_t>(r) * w + c];
          }
        }
        out[static_cast<size_t>(y) * n + x] = acc / (sy * sx);
      }
    }
    px = std::move(out);
  }
  for (double& v : px) v = p.binarize ? (v > p.threshold ? p.high : p.low) : p.low + (p.high - p.low) * v;
  return px;
}

}  // namespace spx::mlp
