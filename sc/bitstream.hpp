// Packed bitstreams for stochastic computing: bit t of a stream sits in word t / 64 at position
// t % 64, so counts are popcounts and products of independent unipolar streams are word-wise ANDs
// (P(a & b) = P(a) P(b)). A stream is drawn bit by bit from a two-state Markov chain with
// P(1) = p and lag-one correlation rho (the telegraph process of an s-MTJ read at a clock,
// devices/pbit.hpp): the next bit is 1 with probability p + (b - p) rho given the current bit b, and
// the first bit with p. rho = 0 gives independent Bernoulli bits. Probabilities are compared with
// 64-bit uniform integers: a bit is 1 when the draw is below round(p 2^64), so p = 0 and p = 1 give
// constant streams and no floating point enters the draw.
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

#include "devices/random.hpp"

namespace spx::sc {

/// The 64-bit threshold of probability p: a draw u gives 1 when u < threshold (p >= 1: always).
uint64_t threshold(double p);
/// One Bernoulli draw against a threshold from threshold().
inline bool draw(devices::CellRng& rng, uint64_t thr) { return thr == UINT64_MAX || rng.next() < thr; }

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

/// Draws a Markov stream of n bits with P(1) = p and lag-one correlation rho in [0, 1).
Bitstream markov_stream(double p, double rho, int n, devices::CellRng& rng);
/// Bit-wise AND of two equally long streams: the SC product of independent unipolar streams.
Bitstream and_streams(const Bitstream& a, const Bitstream& b);
/// Sample autocorrelation of the stream at a lag (0 for a constant stream).
double autocorrelation(const Bitstream& s, int lag);

}  // namespace spx::sc
