// Bitstreams for stochastic computing.
// Random numbers: counter-based 32-bit lanes. A lane (one p-bit: an input line or a neuron) has a key
// (lo, hi) drawn from its cell stream (devices/random.hpp), and its number at clock t is
//   u(t) = fmix32(fmix32(lo + t * 0x9e3779b9) ^ hi),
// fmix32 being MurmurHash3's 32-bit finalizer (Appleby), a bijection: for a fixed key the numbers of
// a lane never repeat within 2^32 clocks, and any clock of any lane is computed directly, so many
// lanes advance together in vector registers and results do not depend on the vector width.
// A bit is 1 when u < round(p 2^32) (probabilities resolved to 2^-32; p = 0 never, p = 1 always
// except with probability 2^-32).
// Streams: a two-state Markov chain with P(1) = p and lag-one correlation rho (the telegraph process
// of an s-MTJ read at a clock, devices/pbit.hpp): the next bit is 1 with probability p + (b - p) rho
// given the current bit b, the first with p; rho = 0 gives independent Bernoulli bits. Packed: bit t
// in word t / 64 at position t % 64, so counts are popcounts and the product of two independent
// unipolar streams is their AND (P(a & b) = P(a) P(b)).
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

#include "devices/random.hpp"

namespace spx::sc {

/// MurmurHash3's 32-bit finalizer.
constexpr uint32_t fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

/// The key of one random lane.
struct LaneKey {
  uint32_t lo = 0, hi = 0;
};
/// A lane's key from its cell stream.
inline LaneKey lane_key(devices::CellRng rng) {
  const uint64_t v = rng.next();
  return {static_cast<uint32_t>(v), static_cast<uint32_t>(v >> 32)};
}
/// The lane's random number at clock t.
constexpr uint32_t lane_uniform(uint32_t lo, uint32_t hi, uint32_t t) { return fmix32(fmix32(lo + t * 0x9e3779b9u) ^ hi); }

/// The 32-bit threshold of probability p: u < threshold is a 1.
uint32_t threshold(double p);

/// A packed stream of `length` bits.
struct Bitstream {
  int length = 0;
  std::vector<uint64_t> words;

  explicit Bitstream(int n = 0) : length(n), words(static_cast<size_t>((n + 63) / 64), 0) {}
  bool bit(int t) const { return (words[static_cast<size_t>(t) >> 6] >> (t & 63)) & 1; }
  void set(int t) { words[static_cast<size_t>(t) >> 6] |= uint64_t{1} << (t & 63); }
  /// Number of ones.
  int count() const {
    int c = 0;
    for (uint64_t w : words) c += std::popcount(w);
    return c;
  }
  /// Fraction of ones.
  double value() const { return length == 0 ? 0.0 : static_cast<double>(count()) / length; }
};

/// Draws a Markov stream of n bits with P(1) = p and lag-one correlation rho in [0, 1) from a lane.
Bitstream markov_stream(double p, double rho, int n, LaneKey key);
/// Bit-wise AND of two equally long streams: the SC product of independent unipolar streams.
Bitstream and_streams(const Bitstream& a, const Bitstream& b);
/// Sample autocorrelation of the stream at a lag (0 for a constant stream).
double autocorrelation(const Bitstream& s, int lag);

}  // namespace spx::sc
