// Partial-sum converters: the ADC against its ideal staircase (codes at every edge, clipping, offset,
// INL, noise), the stochastic converter's mean against 2 p(x) - 1 at the binomial rate for both
// laws, the threshold form of a sample against the probability form, and the cost formulas.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "devices/converter.hpp"

using namespace spx::devices;

namespace {

ConversionSpec adc(int bits, double range) {
  ConversionSpec s;
  s.mode = ConversionMode::adc;
  s.bits = bits;
  s.range = range;
  return s;
}

}  // namespace

TEST_CASE("ADC: the ideal mid-rise staircase, code by code, and clipping") {
  for (int bits : {1, 3, 8}) {
    const ConversionSpec s = adc(bits, 0.8);
    const double lsb = 2 * 0.8 / std::ldexp(1.0, bits);
    const int64_t top = (int64_t{1} << bits) - 1;
    for (int64_t k = 0; k <= top; ++k) {
      // Code k covers [-R + k lsb, -R + (k + 1) lsb); its value is the middle of that step.
      const double lo = -0.8 + static_cast<double>(k) * lsb;
      CHECK(adc_code(s, lo + 1e-9) == k);
      CHECK(adc_code(s, lo + lsb - 1e-9) == k);
      CHECK(adc_value(s, lo + 0.5 * lsb) == doctest::Approx(lo + 0.5 * lsb).epsilon(1e-12));
    }
    CHECK(adc_code(s, -5) == 0);
    CHECK(adc_code(s, 5) == top);
    CHECK(adc_value(s, 5) == doctest::Approx(0.8 - lsb / 2));
    CHECK(adc_value(s, -5) == doctest::Approx(-0.8 + lsb / 2));
    // Quantization error within half an LSB inside the range.
    for (double a = -0.79; a < 0.79; a += 0.0137) CHECK(std::fabs(adc_value(s, a) - a) <= lsb / 2 + 1e-12);
  }
  const ConversionSpec one = adc(1, 1.0);  // a comparator: +-R/2
  CHECK(adc_value(one, 0.3) == 0.5);
  CHECK(adc_value(one, -0.3) == -0.5);
}

TEST_CASE("ADC: offset shifts every edge, INL bows the middle only, noise is seeded per image") {
  ConversionSpec s = adc(4, 1.0);
  const double lsb = 2.0 / 16;
  CHECK(adc_code(s, -lsb * 0.24) == 7);
  s.offset = 0.25;  // LSB: every edge moves down by lsb / 4
  CHECK(adc_code(s, -lsb * 0.24) == 8);
  CHECK(adc_code(s, -lsb * 0.26) == 7);
  CHECK(adc_code(s, -0.5 + lsb * 0.76) == 5);
  CHECK(adc_code(s, -0.5 + lsb * 0.74) == 4);
  s.offset = 0;
  s.inl = 0.5;  // LSB peak at mid-scale, zero at the ends
  CHECK(adc_code(s, -lsb * 0.4) == 8);   // -0.4 + 0.5 lsb bow: above the mid edge
  CHECK(adc_code(s, -lsb * 0.6) == 7);
  CHECK(adc_code(s, 1 - lsb * 0.01) == 15);
  s.inl = 0;
  s.noise = 2.0;  // LSB rms
  double sum = 0, sq = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const double v = adc_noise(s, 7, 1, 2, 3, i);
    sum += v;
    sq += v * v;
  }
  const double mean = sum / n, rms = std::sqrt(sq / n - mean * mean);
  CHECK(std::fabs(mean) < 5 * 2 * lsb / std::sqrt(n));
  CHECK(rms == doctest::Approx(2 * lsb).epsilon(0.03));
  CHECK(adc_noise(s, 7, 1, 2, 3, 11) == adc_noise(s, 7, 1, 2, 3, 11));
  CHECK(adc_noise(s, 7, 1, 2, 3, 11) != adc_noise(s, 7, 1, 2, 3, 12));
  CHECK(adc_noise(s, 7, 1, 2, 3, 11) != adc_noise(s, 8, 1, 2, 3, 11));
}

TEST_CASE("SOT-MTJ laws: p(0) = 1/2, the slope k/4 at 0, slopes match differences, thermal from the device") {
  for (SwitchingLaw law : {SwitchingLaw::sigmoid, SwitchingLaw::thermal}) {
    SotConverterParams p;
    p.law = law;
    CHECK(switching_probability(p, 0) == doctest::Approx(0.5).epsilon(1e-12));
    CHECK(p.slope() == doctest::Approx(1.0));
    CHECK(switching_slope(p, 0) == doctest::Approx(p.slope()).epsilon(1e-12));
    for (double x : {-0.8, -0.2, 0.3, 0.9}) {
      const double h = 1e-6;
      const double fd = (switching_probability(p, x + h) - switching_probability(p, x - h)) / (2 * h);
      CHECK(switching_slope(p, x) == doctest::Approx(fd).epsilon(1e-6));
    }
  }
  // The thermal law is the device's: a write current I_mid + x I_half for t_p switches with
  // probability 1 - exp(-t_p / tau), tau = tau0 exp(Delta (1 - I / Ic0)).
  SotConverterParams p;
  for (double x : {-1.0, -0.4, 0.0, 0.5, 1.0}) {
    const double i = p.i_mid() + x * p.i_span();
    const double tau = p.tau0 * std::exp(p.delta * (1 - i / p.ic0));
    CHECK(switching_probability(p, x) == doctest::Approx(1 - std::exp(-p.pulse / tau)).epsilon(1e-9));
  }
  const double tau_reset = p.tau0 * std::exp(p.delta * (1 - p.i_reset() / p.ic0));
  CHECK(std::exp(-p.t_reset / tau_reset) == doctest::Approx(1e-9).epsilon(1e-6));
  CHECK(p.energy_per_sample() > p.v_write * p.i_mid() * p.pulse);
  CHECK(p.latency_per_sample() == doctest::Approx(p.pulse + p.t_read + p.t_reset));
}

TEST_CASE("stochastic conversion: threshold test = probability test; mean -> 2 p(x) - 1 at the binomial rate") {
  for (SwitchingLaw law : {SwitchingLaw::sigmoid, SwitchingLaw::thermal}) {
    SotConverterParams p;
    p.law = law;
    // The circuit's comparison with x_s = p^-1(u) decides as u <= p(x) does.
    CellRng rng(3, 0, 0, 0, Purpose::other);
    int differ = 0;
    for (int i = 0; i < 100000; ++i) {
      const double x = 2.4 * rng.uniform() - 1.2, u = rng.uniform_open();
      const bool by_threshold = std::clamp(x, -1.0, 1.0) >= switching_threshold(p, u);
      const bool by_probability = u <= switching_probability(p, x);
      differ += by_threshold != by_probability;
    }
    CHECK(differ <= 2);  // ties within rounding only
    // 10^4 .. 10^5 samples per point: the mean of the +-1 samples within 4.5 binomial sigmas, and the
    // error over many points shrinking as 1/sqrt(N).
    ConversionSpec s;
    s.mode = ConversionMode::stochastic;
    s.range = 0.5;
    s.samples = 1;
    double err_small = 0, err_large = 0;
    int points = 0;
    for (double x = -0.95; x < 1; x += 0.1, ++points) {
      const double expect = 2 * switching_probability(p, x) - 1;
      for (int n : {1000, 100000}) {
        double sum = 0;
        std::vector<double> t(1);
        for (int i = 0; i < n; ++i) {
          sample_thresholds(p, 11, 1, 0, points, i, 1, t.data());
          sum += stochastic_value(s, p, x * s.range, t.data()) / stochastic_scale(s, p);
        }
        const double mean = sum / n, sigma = std::sqrt((1 - expect * expect) / n);
        CHECK(std::fabs(mean - expect) <= 4.5 * sigma + 1e-12);
        (n == 1000 ? err_small : err_large) += (mean - expect) * (mean - expect) / (1 - expect * expect + 1e-12);
      }
    }
    // Normalized mean squared error: about 1/N per point.
    CHECK(err_small / points * 1000 == doctest::Approx(1.0).epsilon(0.6));
    CHECK(err_large / points * 100000 == doctest::Approx(1.0).epsilon(0.6));
  }
}

TEST_CASE("stochastic conversion: unit small-signal gain, saturation at range / (2 p'(0)), seeded draws") {
  SotConverterParams p;
  ConversionSpec s;
  s.mode = ConversionMode::stochastic;
  s.range = 0.4;
  s.samples = 8;
  std::vector<double> lowest(8, -2.0), highest(8, 2.0);
  CHECK(stochastic_value(s, p, 0.1, lowest.data()) == doctest::Approx(s.range / (2 * p.slope())));
  CHECK(stochastic_value(s, p, 0.1, highest.data()) == doctest::Approx(-s.range / (2 * p.slope())));
  // Mean over the law: E[value] ~ a for small a (unit gain), computed from the law itself.
  for (double a : {-0.02, 0.01, 0.03}) {
    const double mean = stochastic_scale(s, p) * s.samples * (2 * switching_probability(p, a / s.range) - 1);
    CHECK(mean == doctest::Approx(a).epsilon(0.02));
  }
  std::vector<double> t1(8), t2(8), t3(8);
  sample_thresholds(p, 5, 2, 1, 3, 42, 8, t1.data());
  sample_thresholds(p, 5, 2, 1, 3, 42, 8, t2.data());
  sample_thresholds(p, 5, 2, 1, 3, 43, 8, t3.data());
  CHECK(t1 == t2);
  CHECK(t1 != t3);
  for (double t : t1) CHECK(std::fabs(t) <= 2);
  CHECK(threshold_volts(0.4, 0.5) == doctest::Approx(0.2));
  CHECK(threshold_volts(0.4, 1.5) == doctest::Approx(0.8));
  CHECK(threshold_volts(0.4, -1.5) == doctest::Approx(-0.8));
}

TEST_CASE("ADC cost: Walden energy, ISAAC's point at 8 bits, area exponent") {
  AdcParams a;
  CHECK(a.energy(8) == doctest::Approx(1.67e-12).epsilon(0.01));
  CHECK(a.energy(4) == doctest::Approx(a.energy(8) / 16));
  CHECK(a.area_at(8) == doctest::Approx(1200e-12));
  CHECK(a.area_at(4) == doctest::Approx(361e-12).epsilon(0.01));
  CHECK(a.latency() == doctest::Approx(1 / 1.2e9));
}
