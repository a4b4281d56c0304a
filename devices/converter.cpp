// Partial-sum converters (converter.hpp).
#include "devices/converter.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace spx::devices {

std::string to_string(ConversionMode m) {
  switch (m) {
    case ConversionMode::analog: return "analog";
    case ConversionMode::adc: return "adc";
    case ConversionMode::stochastic: return "stochastic-mtj";
  }
  return "?";
}

std::optional<ConversionMode> parse_conversion(const std::string& s) {
  if (s == "analog") return ConversionMode::analog;
  if (s == "adc") return ConversionMode::adc;
  if (s == "stochastic-mtj") return ConversionMode::stochastic;
  return std::nullopt;
}

double AdcParams::energy(int bits) const { return fom * std::ldexp(1.0, bits); }
double AdcParams::area_at(int bits) const { return area * std::exp2(area_exponent * (bits - 8)); }

const std::vector<ParamSpec<AdcParams>>& adc_table() {
  static const std::vector<ParamSpec<AdcParams>> t = {
      {"fom", &AdcParams::fom, "J", "Walden figure of merit, energy per conversion step", 0, 1e-9, true},
      {"rate", &AdcParams::rate, "1/s", "conversions per second", 0, 1e12, true},
      {"area", &AdcParams::area, "m^2", "area of an 8-bit converter", 0, 1},
      {"area_exponent", &AdcParams::area_exponent, "", "area x 2^(area_exponent (bits - 8))", 0, 2},
      {"e_add", &AdcParams::e_add, "J", "digital accumulation of one code", 0, 1e-9},
      {"share", &AdcParams::share, "", "columns one ADC converts in turn (0: a tile's columns)", 0, 1e6},
  };
  return t;
}

double SotConverterParams::c() const {
  return i_half > 0 ? delta * i_half / ic0 : k / (2 * std::numbers::ln2);
}
double SotConverterParams::slope() const { return law == SwitchingLaw::sigmoid ? k / 4 : c() * std::numbers::ln2 / 2; }
double SotConverterParams::i_mid() const {
  // tau(I) = t_p / ln 2 at p = 1/2: I = Ic0 (1 + ln(ln2 tau0 / t_p) / Delta).
  return ic0 * (1 + std::log(std::numbers::ln2 * tau0 / pulse) / delta);
}
double SotConverterParams::i_span() const { return c() * ic0 / delta; }
double SotConverterParams::i_reset() const {
  // 1 - exp(-t / tau) = 1 - 1e-9: tau = t / (9 ln 10).
  return ic0 * (1 + std::log(9 * std::numbers::ln10 * tau0 / t_reset) / delta);
}
double SotConverterParams::energy_per_sample() const {
  const double r_mean = 0.5 * (r_p + r_p * (1 + tmr));
  return v_write * i_mid() * pulse + v_read * v_read / r_mean * t_read + e_sense + v_write * i_reset() * t_reset + e_count;
}
double SotConverterParams::latency_per_sample() const { return pulse + t_read + t_reset; }

const std::vector<ParamSpec<SotConverterParams>>& sot_converter_table() {
  static const std::vector<ParamSpec<SotConverterParams>> t = {
      {"k", &SotConverterParams::k, "", "law slope at x = 0 is k/4 (sigmoid 1/(1+exp(-k x)))", 0, 100, true},
      {"delta", &SotConverterParams::delta, "", "thermal stability factor", 1, 200},
      {"tau0", &SotConverterParams::tau0, "s", "attempt time", 0, 1e-6, true},
      {"ic0", &SotConverterParams::ic0, "A", "critical switching current at 0 K", 0, 1, true},
      {"pulse", &SotConverterParams::pulse, "s", "write pulse", 0, 1e-3, true},
      {"i_half", &SotConverterParams::i_half, "A", "write current change from x = 0 to 1 (0: matching k)", 0, 1},
      {"r_channel", &SotConverterParams::r_channel, "ohm", "SOT channel resistance", 0, 1e9},
      {"v_write", &SotConverterParams::v_write, "V", "write driver supply", 0, 10, true},
      {"r_p", &SotConverterParams::r_p, "ohm", "MTJ parallel resistance", 0, 1e12, true},
      {"tmr", &SotConverterParams::tmr, "", "TMR ratio", 0, 100},
      {"v_read", &SotConverterParams::v_read, "V", "read bias", 0, 10},
      {"t_read", &SotConverterParams::t_read, "s", "read time", 0, 1e-3},
      {"e_sense", &SotConverterParams::e_sense, "J", "sense amplifier energy per read", 0, 1e-9},
      {"t_reset", &SotConverterParams::t_reset, "s", "reset pulse", 0, 1e-3, true},
      {"e_count", &SotConverterParams::e_count, "J", "counter step per sample", 0, 1e-9},
      {"area", &SotConverterParams::area, "m^2", "converter area (MTJ, driver, sense amplifier, counter)", 0, 1},
  };
  return t;
}

double switching_probability(const SotConverterParams& p, double x) {
  x = std::clamp(x, -1.0, 1.0);
  if (p.law == SwitchingLaw::sigmoid) return 1 / (1 + std::exp(-p.k * x));
  return 1 - std::exp2(-std::exp(p.c() * x));
}

double switching_slope(const SotConverterParams& p, double x) {
  x = std::clamp(x, -1.0, 1.0);
  if (p.law == SwitchingLaw::sigmoid) {
    const double s = 1 / (1 + std::exp(-p.k * x));
    return p.k * s * (1 - s);
  }
  const double e = std::exp(p.c() * x);
  return std::numbers::ln2 * p.c() * e * std::exp2(-e);
}

double switching_threshold(const SotConverterParams& p, double u) {
  double x;
  if (u >= 1) return 2;
  if (p.law == SwitchingLaw::sigmoid) {
    x = std::log(u / (1 - u)) / p.k;
  } else {
    // 1 - 2^(-e^(c x)) = u  =>  e^(c x) = -log2(1 - u).
    x = std::log(-std::log2(1 - u)) / p.c();
  }
  return std::clamp(x, -2.0, 2.0);
}

namespace {
double adc_input(const ConversionSpec& s, double a, double noise_v, double& lsb) {
  lsb = 2 * s.range / std::ldexp(1.0, s.bits);
  const double ac = std::clamp(a, -s.range, s.range);
  const double bow = 1 - (ac / s.range) * (ac / s.range);
  return a + (s.offset + s.inl * bow) * lsb + noise_v;
}
}  // namespace

int64_t adc_code(const ConversionSpec& s, double a, double noise_v) {
  double lsb = 0;
  const double v = adc_input(s, a, noise_v, lsb);
  const double half = std::ldexp(1.0, s.bits - 1);
  const double k = std::clamp(std::floor(v / lsb) + half, 0.0, 2 * half - 1);
  return static_cast<int64_t>(k);
}

double adc_value(const ConversionSpec& s, double a, double noise_v) {
  const double lsb = 2 * s.range / std::ldexp(1.0, s.bits);
  return (static_cast<double>(adc_code(s, a, noise_v)) - std::ldexp(1.0, s.bits - 1) + 0.5) * lsb;
}

double stochastic_scale(const ConversionSpec& s, const SotConverterParams& p) {
  return s.range / (2 * s.samples * p.slope());
}

void sample_thresholds(const SotConverterParams& p, uint64_t seed, int layer, int h, int neuron,
                       int64_t image, int samples, double* out) {
  CellRng rng = converter_stream(seed, layer, h, neuron, Purpose::conversion);
  rng.skip(static_cast<uint64_t>(image) * static_cast<uint64_t>(samples));
  for (int s = 0; s < samples; ++s) out[s] = switching_threshold(p, rng.uniform_open());
}

int count_switches(double p, uint64_t seed, int layer, int h, int neuron, int64_t image, int n) {
  CellRng rng = converter_stream(seed, layer, h, neuron, Purpose::conversion);
  rng.skip(static_cast<uint64_t>(image) * static_cast<uint64_t>(n));
  int k = 0;
  for (int s = 0; s < n; ++s) k += rng.uniform_open() <= p;
  return k;
}

double adc_noise(const ConversionSpec& s, uint64_t seed, int layer, int h, int neuron, int64_t image) {
  if (s.noise == 0) return 0;
  CellRng rng = converter_stream(seed, layer, h, neuron, Purpose::conversion_noise);
  rng.skip(2 * static_cast<uint64_t>(image));
  return s.noise * (2 * s.range / std::ldexp(1.0, s.bits)) * rng.normal();
}

double stochastic_value(const ConversionSpec& s, const SotConverterParams& p, double a, const double* thresholds) {
  const double x = std::clamp(a / s.range, -1.0, 1.0);
  double sum = 0;
  for (int k = 0; k < s.samples; ++k) sum += (x > thresholds[k]) - (x < thresholds[k]);
  return stochastic_scale(s, p) * sum;
}

}  // namespace spx::devices
