// Deterministic random streams, one per cell: a stream is keyed by (global seed, layer, row, col,
// purpose), so a cell's draws never depend on the order in which cells are visited or on threads.
// Key mixing and the generator are SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom
// number generators", OOPSLA 2014); uniforms take the top 53 bits; normals use the Box-Muller
// transform written here, so results are identical on every platform and standard library.
#pragma once

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <numbers>

namespace spx::devices {

/// SplitMix64 finalizer: a bijective 64-bit mix.
constexpr uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// What a stream is used for, so that two uses of one cell draw independent numbers.
enum class Purpose : uint64_t {
  variation_plus = 1, variation_minus = 2, telegraph = 3, bitstream = 4, other = 5,
  conversion = 6,        ///< partial-sum converters' switching thresholds
  conversion_noise = 7,  ///< ADC input-referred noise
};

/// A random stream of one cell.
class CellRng {
 public:
  CellRng(uint64_t seed, int64_t layer, int64_t row, int64_t col, Purpose purpose) {
    uint64_t s = mix64(seed ^ 0x5851f42d4c957f2dULL);
    for (uint64_t k : {static_cast<uint64_t>(layer), static_cast<uint64_t>(row), static_cast<uint64_t>(col),
                       static_cast<uint64_t>(purpose)})
      s = mix64(s ^ (k + 0x9e3779b97f4a7c15ULL));
    state_ = s;
  }
  /// Jumps n draws ahead (SplitMix64's state advances by a constant per draw), so draw k of a stream
  /// is reached in one step; a pending normal spare is dropped.
  void skip(uint64_t n) {
    state_ += n * 0x9e3779b97f4a7c15ULL;
    has_spare_ = false;
  }
  /// Next 64 random bits.
  uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return mix64(state_);
  }
  /// Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Uniform in (0, 1], safe for logarithms.
  double uniform_open() { return (static_cast<double>(next() >> 11) + 1.0) * 0x1.0p-53; }
  /// Standard normal (Box-Muller; the second value of each pair is kept for the next call).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double r = std::sqrt(-2.0 * std::log(uniform_open()));
    double t = 2.0 * std::numbers::pi * uniform();
    spare_ = r * std::sin(t);
    has_spare_ = true;
    return r * std::cos(t);
  }
  /// Exponential with the given mean.
  double exponential(double mean) { return -mean * std::log(uniform_open()); }

 private:
  uint64_t state_ = 0;
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace spx::devices
