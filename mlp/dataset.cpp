// Datasets (dataset.hpp). gzip files are decoded by zlib.
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

#include <zlib.h>

namespace spx::mlp {
namespace fs = std::filesystem;

namespace {

uint32_t big_endian(const std::vector<uint8_t>& b, size_t at) {
  return (uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) | (uint32_t{b[at + 2]} << 8) | b[at + 3];
}

/// zlib's message for a corrupt stream, in this project's words where they differ.
std::string corrupt(const char* msg) {
  const std::string m = msg ? msg : "corrupt data";
  if (m == "incorrect data check") return "CRC-32 mismatch (corrupt file)";
  if (m == "incorrect length check") return "size mismatch (corrupt file)";
  if (m == "invalid stored block lengths") return "stored block length check failed";
  return m;
}

}  // namespace

std::vector<uint8_t> gunzip(std::span<const uint8_t> bytes, const std::string& what) {
  // zlib (RFC 1950-1952) with windowBits 15 + 16: gzip members only, their CRC-32 and size checked.
  std::vector<uint8_t> out;
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) fail("{}: gzip: cannot start zlib ({})", what, z.msg ? z.msg : "out of memory");
  struct End {
    z_stream* z;
    ~End() { inflateEnd(z); }
  } end{&z};
  size_t pos = 0;
  while (pos < bytes.size()) {
    // Each member: its magic and method checked here, so the messages say what is wrong.
    if (bytes.size() - pos < 18 || bytes[pos] != 0x1f || bytes[pos + 1] != 0x8b)
      fail("{}: gzip: {}", what, pos == 0 ? "not a gzip file" : "trailing bytes after the gzip data");
    if (bytes[pos + 2] != 8) fail("{}: gzip: unknown compression method", what);
    if (inflateReset(&z) != Z_OK) fail("{}: gzip: cannot restart zlib", what);
    z.next_in = const_cast<Bytef*>(bytes.data() + pos);
    const size_t avail = bytes.size() - pos;
    z.avail_in = static_cast<uInt>(std::min<size_t>(avail, std::numeric_limits<uInt>::max()));
    size_t fed = z.avail_in;
    for (;;) {
      // Refuses output beyond the work limit on bytes (a small file may inflate to terabytes).
      if (out.size() > work_limits().bytes)
        fail("{}: gzip: inflates to more than {} bytes (raise the limit with --max-bytes)", what, work_limits().bytes);
      const size_t chunk = static_cast<size_t>(std::min<uintmax_t>(std::uintmax_t{1} << 20, work_limits().bytes + 1 - out.size()));
      const size_t have = out.size();
      out.resize(have + chunk);
      z.next_out = out.data() + have;
      z.avail_out = static_cast<uInt>(chunk);
      const int rc = inflate(&z, Z_NO_FLUSH);
      out.resize(have + chunk - z.avail_out);
      if (rc == Z_STREAM_END) break;
      if (rc == Z_DATA_ERROR) fail("{}: gzip: {}", what, corrupt(z.msg));
      if (rc == Z_MEM_ERROR) fail("{}: gzip: out of memory", what);
      if (z.avail_in == 0 && fed < avail) {  // more input than one call takes
        const size_t next = std::min<size_t>(avail - fed, std::numeric_limits<uInt>::max());
        z.next_in = const_cast<Bytef*>(bytes.data() + pos + fed);
        z.avail_in = static_cast<uInt>(next);
        fed += next;
        continue;
      }
      if (rc == Z_BUF_ERROR && z.avail_in == 0) fail("{}: gzip: unexpected end of compressed data", what);
      if (rc != Z_OK && rc != Z_BUF_ERROR) fail("{}: gzip: {}", what, corrupt(z.msg));
    }
    if (out.size() > work_limits().bytes)
      fail("{}: gzip: inflates to more than {} bytes (raise the limit with --max-bytes)", what, work_limits().bytes);
    pos += fed - z.avail_in;
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
