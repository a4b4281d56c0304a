// Packed bitstreams (bitstream.hpp).
#include "sc/bitstream.hpp"

#include <cmath>
#include <stdexcept>

namespace spx::sc {

uint32_t threshold(double p) {
  if (!(p > 0)) return 0;
  const double t = std::ldexp(p, 32);
  return t >= 0x1p32 - 1 ? UINT32_MAX : static_cast<uint32_t>(std::lround(t));
}

Bitstream markov_stream(double p, double rho, int n, LaneKey key) {
  Bitstream s(n);
  const uint32_t t0 = threshold(p * (1 - rho)), t1 = threshold(p + (1 - p) * rho), tp = threshold(p);
  bool b = false;
  for (int t = 0; t < n; ++t) {
    const uint32_t thr = t == 0 ? tp : b ? t1 : t0;
    b = lane_uniform(key.lo, key.hi, static_cast<uint32_t>(t)) < thr;
    if (b) s.set(t);
  }
  return s;
}

Bitstream and_streams(const Bitstream& a, const Bitstream& b) {
  if (a.length != b.length) throw std::invalid_argument("and_streams: streams of different lengths");
  Bitstream out(a.length);
  for (size_t k = 0; k < out.words.size(); ++k) out.words[k] = a.words[k] & b.words[k];
  return out;
}

double autocorrelation(const Bitstream& s, int lag) {
  const int n = s.length - lag;
  if (n <= 1) return 0;
  double m = s.value(), var = m * (1 - m);
  if (var <= 0) return 0;
  double c = 0;
  for (int t = 0; t < n; ++t) c += (s.bit(t) - m) * (s.bit(t + lag) - m);
  return c / n / var;
}

}  // namespace spx::sc
