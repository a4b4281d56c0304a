// libFuzzer harness of the weight readers: the input is written once as a .csv and once as a .npy
// file and read by read_csv() and read_npy(). A matrix that reads holds no infinite values (both
// formats follow read_csv's rule: NaN is kept, +-inf rejected), is mapped by to_levels() for every
// supported level count, and must survive its writers: write_csv() (unless it is empty) and
// write_npy() give files that read back into the same shape and values (NaN reads back as NaN).
#include <fmt/format.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "devices/error.hpp"
#include "devices/synapse.hpp"
#include "fuzz_support.hpp"
#include "mlp/weights.hpp"

namespace fs = std::filesystem;
using namespace spx::mlp;

namespace {

void check_same(const Matrix& a, const Matrix& b, const char* property) {
  if (a.rows != b.rows || a.cols != b.cols || a.data.size() != b.data.size())
    spx::fuzz::broken(property, fmt::format("{}x{} became {}x{}", a.rows, a.cols, b.rows, b.cols));
  for (size_t k = 0; k < a.data.size(); ++k) {
    const double x = a.data[k], y = b.data[k];
    const bool same = std::isnan(x) ? std::isnan(y) : x == y && std::signbit(x) == std::signbit(y);
    if (!same) spx::fuzz::broken(property, fmt::format("value {}: {} became {}", k, x, y));
  }
}

void exercise(const Matrix& m, const fs::path& dir) {
  if (m.rows < 0 || m.cols < 0 || m.data.size() != static_cast<size_t>(m.rows) * static_cast<size_t>(m.cols))
    spx::fuzz::broken("a matrix that reads has rows x cols values",
                      fmt::format("{}x{} with {} values", m.rows, m.cols, m.data.size()));
  for (size_t k = 0; k < m.data.size(); ++k)
    if (std::isinf(m.data[k]))
      spx::fuzz::broken("weight values are finite or NaN (as read_csv requires)",
                        fmt::format("value {} is {}", k, m.data[k]));
  for (int levels : {2, 3, 5, 11}) {
    spx::devices::SynapseMap map;
    map.levels = levels;
    map.r_low = 1e3;
    map.r_high = 2e3;
    try {
      const std::vector<int> j = to_levels(m, map);
      for (int level : j)
        if (level < -map.half_levels() || level > map.half_levels() || (levels == 2 && level == 0))
          spx::fuzz::broken("to_levels gives a level of the map", fmt::format("{} of {} levels", level, levels));
    } catch (const spx::InputError& e) {
      spx::fuzz::rejected(e);
    }
  }
  if (!m.data.empty()) {  // a CSV file cannot hold an empty matrix (read_csv: "no values")
    write_csv(dir / "out.csv", m);
    check_same(m, read_csv(dir / "out.csv"), "write_csv reads back");
  }
  write_npy(dir / "out.npy", m);
  check_same(m, read_npy(dir / "out.npy"), "write_npy reads back");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fs::path dir = spx::fuzz::scratch_dir("weights");
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (const char* name : {"in.csv", "in.npy"}) {
    const fs::path file = dir / name;
    spx::fuzz::write_bytes(file, bytes);
    Matrix m;
    try {
      m = name[3] == 'c' ? read_csv(file) : read_npy(file);
    } catch (const spx::InputError& e) {
      spx::fuzz::rejected(e);
      continue;
    }
    exercise(m, dir);
  }
  return 0;
}
