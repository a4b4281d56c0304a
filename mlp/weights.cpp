// Weight file reading and writing (weights.hpp). The .npy layout follows the NumPy format
// specification (numpy.lib.format): magic "\x93NUMPY", major/minor version, a little-endian header
// length (2 bytes in version 1, 4 bytes in versions 2 and 3), then a Python dict literal with
// 'descr', 'fortran_order' and 'shape', padded to a multiple of 64 bytes, then the raw data.
#include "mlp/weights.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "devices/error.hpp"
#include "devices/files.hpp"
#include "devices/units.hpp"

namespace spx::mlp {
namespace fs = std::filesystem;

std::string Matrix::where(int r, int c) const {
  if (csv) return fmt::format("{}:{}:{}", source, r + 1, c + 1);
  return fmt::format("{}[{},{}]", source, r, c);
}

namespace {



std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string read_file(const fs::path& p) { return read_input_file(p); }

void write_files_atomic(const std::vector<std::pair<fs::path, std::string>>& files) {
  std::vector<fs::path> temps;
  auto give_up = [&](const fs::path& p, std::string why) {
    for (const auto& t : temps) {
      std::error_code ec;
      fs::remove(t, ec);
    }
    fail("{}: cannot write ({})", p.string(), why);
  };
  for (const auto& [p, bytes] : files) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) give_up(p, "a directory");
    fs::path tmp = p;
    tmp += fmt::format(".{}.tmp", ::getpid());  // not a name a user's file is likely to have
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) give_up(p, std::strerror(errno));
    temps.push_back(tmp);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) give_up(p, "write failed");
  }
  for (size_t k = 0; k < files.size(); ++k) {
    std::error_code ec;
    fs::rename(temps[k], files[k].first, ec);
    if (ec) {
      temps.erase(temps.begin(), temps.begin() + static_cast<ptrdiff_t>(k));
      give_up(files[k].first, ec.message());
    }
  }
}

void write_file_atomic(const fs::path& p, const std::string& bytes) { write_files_atomic({{p, bytes}}); }

Matrix read_csv(const fs::path& path) {
  Matrix m;
  m.source = path.filename().string();
  m.csv = true;
  std::string text = read_file(path);
  size_t start = 0;
  int line = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view row = trim(std::string_view(text).substr(start, end - start));
    start = end + 1;
    ++line;
    if (row.empty()) continue;
    int col = 0;
    size_t pos = 0;
    std::vector<double> values;
    while (pos <= row.size()) {
      size_t comma = row.find(',', pos);
      if (comma == std::string_view::npos) comma = row.size();
      std::string_view cell = trim(row.substr(pos, comma - pos));
      ++col;
      double v = 0;
      std::string s(cell);
      if (s == "nan" || s == "NaN" || s == "NAN") {
        v = NAN;
      } else {
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || ec != std::errc() || p != s.data() + s.size())
          fail("{}:{}:{}: not a number: '{}'", m.source, line, col, clip(s));
        if (std::isinf(v)) fail("{}:{}:{}: not a finite number: '{}'", m.source, line, col, clip(s));
      }
      values.push_back(v);
      pos = comma + 1;
      if (comma == row.size()) break;
    }
    if (m.rows == 0) m.cols = static_cast<int>(values.size());
    else if (static_cast<int>(values.size()) != m.cols)
      fail("{}:{}: expected {} values like the rows above, got {}", m.source, line, m.cols, values.size());
    m.data.insert(m.data.end(), values.begin(), values.end());
    ++m.rows;
  }
  if (m.rows == 0) fail("{}: no values", m.source);
  return m;
}

namespace {

/// What a .npy header dict says.
struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<uint64_t> shape;
};

/// Parses the header, a Python dict literal such as
/// {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }; one pass, no recursion.
NpyHeader parse_npy_header(std::string_view h, const std::string& source) {
  size_t i = 0;
  auto bad = [&](std::string_view what) {
    fail("{}: header: {} at byte {} of '{}'", source, what, i, clip(h, 80));
  };
  auto skip = [&] {
    while (i < h.size() && (h[i] == ' ' || h[i] == '\t' || h[i] == '\n' || h[i] == '\r')) ++i;
  };
  auto expect = [&](char c) {
    skip();
    if (i >= h.size() || h[i] != c) bad(fmt::format("'{}' expected", c));
    ++i;
  };
  auto quoted = [&] {
    skip();
    if (i >= h.size() || (h[i] != '\'' && h[i] != '"')) bad("a quoted string expected");
    const char q = h[i++];
    const size_t end = h.find(q, i);
    if (end == std::string_view::npos) bad("unclosed string");
    std::string out(h.substr(i, end - i));
    i = end + 1;
    return out;
  };
  NpyHeader out;
  bool descr = false, order = false, shape = false;
  expect('{');
  for (;;) {
    skip();
    if (i < h.size() && h[i] == '}') break;
    const std::string key = quoted();
    expect(':');
    skip();
    if (key == "descr") {
      out.descr = quoted();
      descr = true;
    } else if (key == "fortran_order") {
      if (h.substr(i, 4) == "True") out.fortran_order = true;
      else if (h.substr(i, 5) != "False") bad("True or False expected");
      i += out.fortran_order ? 4 : 5;
      order = true;
    } else if (key == "shape") {
      expect('(');
      for (;;) {
        skip();
        if (i < h.size() && h[i] == ')') break;
        uint64_t v = 0;
        auto [p, ec] = std::from_chars(h.data() + i, h.data() + h.size(), v);
        if (ec == std::errc::result_out_of_range) bad("shape number out of range");
        if (ec != std::errc()) bad("a shape number expected");
        i = static_cast<size_t>(p - h.data());
        out.shape.push_back(v);
        skip();
        if (i < h.size() && h[i] == ',') ++i;
        else if (i >= h.size() || h[i] != ')') bad("',' or ')' expected in the shape");
      }
      ++i;
      shape = true;
    } else {
      bad(fmt::format("unknown key '{}'", clip(key)));
    }
    skip();
    if (i < h.size() && h[i] == ',') ++i;
    else if (i >= h.size() || h[i] != '}') bad("',' or '}' expected");
  }
  if (!descr) fail("{}: header has no 'descr'", source);
  if (!order) fail("{}: header has no 'fortran_order'", source);
  if (!shape) fail("{}: header has no 'shape'", source);
  return out;
}

}  // namespace

Matrix read_npy(const fs::path& path) {
  Matrix m;
  m.source = path.filename().string();
  std::string b = read_file(path);
  if (b.size() < 10 || b.compare(0, 6, "\x93NUMPY") != 0) fail("{}: not a .npy file", m.source);
  int major = static_cast<unsigned char>(b[6]);
  size_t hlen = 0, hstart = 0;
  if (major == 1) {
    hlen = static_cast<unsigned char>(b[8]) | (static_cast<unsigned char>(b[9]) << 8);
    hstart = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) fail("{}: truncated header", m.source);
    for (int k = 0; k < 4; ++k) hlen |= static_cast<size_t>(static_cast<unsigned char>(b[8 + k])) << (8 * k);
    hstart = 12;
  } else {
    fail("{}: unsupported .npy version {}", m.source, major);
  }
  if (hstart + hlen > b.size()) fail("{}: truncated header", m.source);
  const NpyHeader h = parse_npy_header(std::string_view(b).substr(hstart, hlen), m.source);
  const std::string& descr = h.descr;
  const bool fortran = h.fortran_order;
  const std::vector<uint64_t>& shape = h.shape;
  if (shape.empty() || shape.size() > 2) fail("{}: only 1-D and 2-D arrays are supported, got {} dimensions", m.source, shape.size());
  for (uint64_t d : shape)
    if (d > static_cast<uint64_t>(std::numeric_limits<int>::max())) fail("{}: shape dimension {} is too large", m.source, d);
  m.rows = static_cast<int>(shape[0]);
  m.cols = shape.size() == 2 ? static_cast<int>(shape[1]) : 1;
  size_t n = static_cast<size_t>(m.rows) * static_cast<size_t>(m.cols);  // < 2^62
  size_t width = 0;
  char kind = 0;
  if (descr.size() == 3 && (descr[0] == '<' || descr[0] == '|' || descr[0] == '=') && descr[2] >= '1' && descr[2] <= '8') {
    kind = descr[1];
    width = static_cast<size_t>(descr[2] - '0');
  }
  bool ok = (kind == 'f' && (width == 4 || width == 8)) || (kind == 'i' && (width == 1 || width == 2 || width == 4 || width == 8));
  if (!ok) fail("{}: unsupported dtype '{}' (little-endian float32/64 or int8/16/32/64)", m.source, clip(descr));
  size_t data_at = hstart + hlen;
  if ((b.size() - data_at) / width < n) fail("{}: {} values expected, file is too short", m.source, n);
  const char* p = b.data() + data_at;
  std::vector<double> flat(n);
  for (size_t k = 0; k < n; ++k, p += width) {
    switch (kind == 'f' ? width : 100 + width) {
      case 4: { float v; std::memcpy(&v, p, 4); flat[k] = v; break; }
      case 8: { double v; std::memcpy(&v, p, 8); flat[k] = v; break; }
      case 101: { int8_t v; std::memcpy(&v, p, 1); flat[k] = v; break; }
      case 102: { int16_t v; std::memcpy(&v, p, 2); flat[k] = v; break; }
      case 104: { int32_t v; std::memcpy(&v, p, 4); flat[k] = v; break; }
      case 108: { int64_t v; std::memcpy(&v, p, 8); flat[k] = static_cast<double>(v); break; }
    }
  }
  m.data.resize(n);
  for (int r = 0; r < m.rows; ++r)
    for (int c = 0; c < m.cols; ++c) {
      const double v = fortran ? flat[static_cast<size_t>(c) * m.rows + r] : flat[static_cast<size_t>(r) * m.cols + c];
      // As in CSV files: NaN is kept (its user names the place), an infinite value is refused here.
      if (std::isinf(v)) fail("{}: not a finite number: {}", m.where(r, c), v);
      m.data[static_cast<size_t>(r) * m.cols + c] = v;
    }
  return m;
}

Matrix read_matrix(const fs::path& path) {
  std::string ext = path.extension().string();
  if (ext == ".npy") return read_npy(path);
  if (ext == ".csv" || ext == ".txt") return read_csv(path);
  fail("{}: unknown weight file type (use .csv or .npy)", path.string());
}

void write_csv(const fs::path& path, const Matrix& m) {
  std::string out;
  for (int r = 0; r < m.rows; ++r) {
    for (int c = 0; c < m.cols; ++c) out += (c ? "," : "") + devices::format_number(m.at(r, c));
    out += '\n';
  }
  write_file_atomic(path, out);
}

void write_npy(const fs::path& path, const Matrix& m) {
  std::string header = fmt::format("{{'descr': '<f8', 'fortran_order': False, 'shape': ({}, {}), }}", m.rows, m.cols);
  // Pad with spaces so that magic + version + length + header + '\n' is a multiple of 64 bytes.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  for (double v : m.data) out.append(reinterpret_cast<const char*>(&v), 8);
  write_file_atomic(path, out);
}

fs::path weight_file(const fs::path& dir, char kind, size_t layer, const std::string& format) {
  return dir / fmt::format("{}{}.{}", kind, layer, format);
}

NetworkWeights read_weights(const fs::path& dir, const std::vector<int>& sizes, const std::string& format) {
  if (format != "csv" && format != "npy") fail("network.weights_format: must be csv or npy, got '{}'", format);
  NetworkWeights nw;
  for (size_t k = 0; k + 1 < sizes.size(); ++k) {
    Matrix w = read_matrix(weight_file(dir, 'W', k + 1, format));
    if (w.rows != sizes[k] || w.cols != sizes[k + 1])
      fail("{}: expected {} x {} (inputs x outputs), got {} x {}", w.source, sizes[k], sizes[k + 1], w.rows, w.cols);
    Matrix b = read_matrix(weight_file(dir, 'B', k + 1, format));
    if (b.rows == 1 && b.cols == sizes[k + 1] && b.cols != 1) {  // a row: make it a column
      b.rows = b.cols;
      b.cols = 1;
    }
    if (b.rows != sizes[k + 1] || b.cols != 1)
      fail("{}: expected {} x 1 (one bias per output), got {} x {}", b.source, sizes[k + 1], b.rows, b.cols);
    nw.w.push_back(std::move(w));
    nw.b.push_back(std::move(b));
  }
  return nw;
}

std::vector<int> to_levels(const Matrix& m, const devices::SynapseMap& map) {
  std::vector<int> out(m.data.size());
  for (int r = 0; r < m.rows; ++r) {
    for (int c = 0; c < m.cols; ++c) {
      double v = m.at(r, c);
      if (std::isnan(v)) fail("{}: value is NaN", m.where(r, c));
      auto j = map.level_of(v);
      if (!j) {
        int half = map.half_levels();
        fail("{}: {} is not one of the {} weight levels (multiples of 1/{} in [-1, 1]{})", m.where(r, c), v,
             map.levels, half, map.levels == 2 ? ", not 0" : "");
      }
      out[static_cast<size_t>(r) * m.cols + c] = *j;
    }
  }
  return out;
}

}  // namespace spx::mlp
