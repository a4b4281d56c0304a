// Partial-sum conversion at the tile boundary: how the output a (V) of each h-partition's difference
// amplifier becomes a value that is accumulated, digitally, into its neuron's input.
// - analog: no conversion; the partitions merge in the analog domain (average or sum, netlist/mlp.hpp).
// - adc: an n-bit mid-rise quantizer over [-range, range): with lsb = 2 range / 2^n the code is
//   k = floor((a + e) / lsb) + 2^(n-1), clipped to [0, 2^n - 1], and its value (k - 2^(n-1) + 1/2) lsb
//   is what the accumulation adds. The error e is offset + noise + INL: offset (LSB) is static, noise
//   (LSB rms, input-referred) is drawn per conversion from the converter's seeded stream, and INL
//   (LSB peak) is the second-order bow inl lsb (1 - (a_c / range)^2) of the clipped input a_c: zero at
//   the ends of the range and largest mid-scale.
// - stochastic (the StoX-Net converter: E. Rogers, H. Mugdho, A. Gupte, C. Wang, "StoX-Net", arXiv 2407.12378,
//   2024): the partial sum,
//   clipped and normalized to x = a / range in [-1, 1], sets the write current of a spin-orbit-torque
//   MTJ; each of S samples switches it with probability p(x) (read as +1, else -1) and resets it. The
//   samples' sum is counted digitally and scaled so that the conversion's small-signal gain is 1:
//   value = range / (2 S p'(0)) * sum_s (+-1). Laws:
//   - sigmoid: p = 1 / (1 + exp(-k x)) (StoX-Net's p = sigmoid(4x): k = 4);
//   - thermal: thermally activated switching over a barrier the write current lowers (Neel-Brown;
//     Koch, Katine, Sun, PRL 92, 088302, 2004): a pulse of width t_p switches with probability
//     p = 1 - exp(-t_p / tau), tau = tau0 exp(Delta (1 - I / Ic0)). The write driver sets
//     I = I_mid + x I_half, with I_mid the 50 % current, so p(x) = 1 - 2^(-exp(c x)), c = Delta I_half / Ic0.
//     I_half = 0 takes the current swing that gives the sigmoid's slope k/4 at x = 0 (c = k / (2 ln 2)).
//   Sampling: sample s of a conversion compares x with the threshold x_s = p^-1(u_s), u_s uniform in
//   (0, 1] from the converter's stream: the bit is 1 when x >= x_s, which happens with probability
//   p(x). Thresholds are clamped to [-2, 2] (beyond the clipped range, so the outcome is unchanged).
// Streams: one per converter (layer, h-partition, neuron), keyed by the conversion seed (random.hpp);
// sample s of image i is draw i S + s, and an ADC's noise of image i is drawn from draw 2 i on, so
// every value depends on the image and converter only, never on threads or order.
// Cost per conversion (what the system report adds up):
// - ADC: energy fom 2^bits (Walden figure of merit), latency 1 / rate, area area_8 2^(alpha (bits - 8)).
//   One ADC serves `share` columns of a tile in turn (ISAAC multiplexes a crossbar's columns into one
//   ADC; share 0 takes the tile's columns), so a layer converts in share / rate.
//   Defaults from ISAAC's ADC (A. Shafiee et al., ISCA 2016: 8 bits, 1.2 GS/s, 16 mW and 0.0096 mm^2
//   for 8 ADCs, after Kull et al., ISSCC 2013), as Accelergy's ISAAC table gives it: 1.67 pJ per
//   conversion (fom = 1.67 pJ / 2^8 = 6.52 fJ/step, near the best ~1 GS/s designs of B. Murmann's
//   ADC survey, 5-10 fJ/step; the survey's median is ~34) and 1200 um^2; alpha = log2(1200 / 361) / 4
//   = 0.433 from the same table's 4-bit and 8-bit areas. Plus one 8-bit add per code for the digital
//   accumulation (0.03 pJ, M. Horowitz, ISSCC 2014, 45 nm).
// - SOT-MTJ device defaults: channel of beta-W class resistivity 200 uOhm cm, 55 x 55 x 4 nm (500 ohm),
//   switching at J = 0.5e12 A/m^2 (Ic0 = 110 uA), R_P 5 kOhm and TMR 150 % (the SOT compact-model
//   values used across the literature), Delta 40, tau0 1 ns (the usual attempt time), 1 ns pulses,
//   a 2 ns sense (J. Lee et al., IEEE Trans. Magn. 51(5), 2015) at 10 fJ.
// - SOT-MTJ: per sample a write pulse (v_write I_mid t_p), a read (v_read^2 / R t_read with R the mean
//   of the P and AP resistances, plus the sense amplifier's energy) and a reset pulse (v_write I_reset
//   t_reset, I_reset the current that switches back with probability 1 - 1e-9 in t_reset); latency
//   S (t_p + t_read + t_reset); plus one counter step per sample.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "devices/params.hpp"
#include "devices/random.hpp"

namespace spx::devices {

/// How a layer's partition outputs reach its neurons.
enum class ConversionMode : uint8_t { analog, adc, stochastic };
/// Switching law of the SOT-MTJ converter.
enum class SwitchingLaw : uint8_t { sigmoid, thermal };

/// "analog", "adc", "stochastic-mtj".
std::string to_string(ConversionMode m);
std::optional<ConversionMode> parse_conversion(const std::string& s);

/// One layer's conversion ([conversion], per layer).
struct ConversionSpec {
  ConversionMode mode = ConversionMode::analog;
  int bits = 8;          ///< adc: resolution, 1..16
  double range = 0;      ///< V, partition outputs are clipped to [-range, range] (adc, stochastic; > 0)
  double offset = 0;     ///< adc: static offset, LSB
  double noise = 0;      ///< adc: input-referred noise, LSB rms per conversion
  double inl = 0;        ///< adc: integral nonlinearity, LSB peak (bow)
  int samples = 4;       ///< stochastic: samples per conversion, >= 1
  bool converts() const { return mode != ConversionMode::analog; }
};

/// ADC cost model ([adc]).
struct AdcParams {
  double fom = 6.52e-15;         ///< J per conversion step (Walden: energy = fom 2^bits)
  double rate = 1.2e9;           ///< conversions per second
  double area = 1200e-12;        ///< m^2, area of an 8-bit converter
  double area_exponent = 0.433;  ///< area doubles every 1/area_exponent bits
  double e_add = 0.03e-12;       ///< J, digital accumulation of one code (8-bit add, Horowitz ISSCC 2014)
  double share = 0;              ///< partition outputs (columns) one ADC converts in turn (0: a tile's
                                 ///< columns, ISAAC's one ADC per crossbar)
  double energy(int bits) const;  ///< J per conversion
  double latency() const { return 1 / rate; }
  double area_at(int bits) const;  ///< m^2
};
const std::vector<ParamSpec<AdcParams>>& adc_table();

/// The SOT-MTJ converter device and its write, read and reset circuit ([sot_converter]).
struct SotConverterParams {
  SwitchingLaw law = SwitchingLaw::thermal;  ///< sot_converter.law = thermal | sigmoid
  double k = 4;              ///< slope of the law at x = 0 is k/4 (sigmoid: p = 1/(1+exp(-k x)))
  double delta = 40;         ///< thermal stability factor of the free layer (thermal law)
  double tau0 = 1e-9;        ///< s, attempt time
  double ic0 = 110e-6;       ///< A, critical SOT switching current at 0 K
  double pulse = 1e-9;       ///< s, write pulse t_p
  double i_half = 0;         ///< A, write current change from x = 0 to x = 1 (0: the value matching k)
  double r_channel = 500;    ///< ohm, heavy-metal SOT channel
  double v_write = 0.2;      ///< V, supply of the write driver
  double r_p = 5e3;          ///< ohm, MTJ parallel resistance (read path)
  double tmr = 1.5;          ///< TMR ratio, R_AP = R_P (1 + tmr)
  double v_read = 0.1;       ///< V, read bias
  double t_read = 2e-9;      ///< s, read time
  double e_sense = 10e-15;   ///< J, sense amplifier per read
  double t_reset = 1e-9;     ///< s, reset pulse
  double e_count = 0.03e-12; ///< J, digital counter step per sample
  double area = 0.5e-12;     ///< m^2, MTJ with its write driver, sense amplifier and counter

  double c() const;          ///< c of the thermal law
  double slope() const;      ///< p'(0) of the law (1/x units)
  double i_mid() const;      ///< A, write current at x = 0 (thermal: p = 1/2)
  double i_span() const;     ///< A, I_half in use
  double i_reset() const;    ///< A, reset current
  double energy_per_sample() const;   ///< J, write + read + reset + count
  double latency_per_sample() const;  ///< s
};
const std::vector<ParamSpec<SotConverterParams>>& sot_converter_table();

/// Switching probability at normalized input x (clipped to [-1, 1]).
double switching_probability(const SotConverterParams& p, double x);
/// dp/dx of the law at x (inside [-1, 1]).
double switching_slope(const SotConverterParams& p, double x);
/// The threshold x_s = p^-1(u) of a uniform u in (0, 1], clamped to [-2, 2].
double switching_threshold(const SotConverterParams& p, double u);

/// Value (V) of an ADC conversion of a (V) with input-referred noise `noise_v` (V).
double adc_value(const ConversionSpec& s, double a, double noise_v = 0);
/// Code 0 .. 2^bits - 1 of that conversion.
int64_t adc_code(const ConversionSpec& s, double a, double noise_v = 0);
/// Volts per +-1 sample of a stochastic conversion: range / (2 S p'(0)).
double stochastic_scale(const ConversionSpec& s, const SotConverterParams& p);

/// A threshold x_s (units of range, within [-2, 2]) as the voltage the circuit compares a, clipped
/// to +-1.5 range, with: range x_s. Inside [-1, 1] the comparison decides as clip(a / range, +-1)
/// against x_s does (but for a tie of probability zero); beyond, |x_s| = 2 is out of reach, so the
/// sample is decided as the clipped input decides it.
inline double threshold_volts(double range, double x) { return range * (std::fabs(x) <= 1 ? x : (x > 0 ? 2.0 : -2.0)); }

/// The stream of the converter of (layer, h-partition, neuron) (layers from 1).
inline CellRng converter_stream(uint64_t seed, int layer, int h, int neuron, Purpose purpose) {
  return CellRng(seed, layer, h, neuron, purpose);
}
/// Thresholds of the S samples of one conversion, for image `image`.
void sample_thresholds(const SotConverterParams& p, uint64_t seed, int layer, int h, int neuron,
                       int64_t image, int samples, double* out);
/// Samples among n of one conversion (image `image`) that switch with probability p: draw u_s <= p from
/// the converter's stream (draws image n .. image n + n - 1), the event x >= p^-1(u_s) the circuit tests.
int count_switches(double p, uint64_t seed, int layer, int h, int neuron, int64_t image, int n);
/// Input-referred noise (V) of one ADC conversion for image `image`: noise LSB rms x lsb x N(0, 1).
double adc_noise(const ConversionSpec& s, uint64_t seed, int layer, int h, int neuron, int64_t image);

/// A stochastic conversion from its thresholds: range / (2 S p'(0)) sum_s sgn(x_c - x_s).
double stochastic_value(const ConversionSpec& s, const SotConverterParams& p, double a, const double* thresholds);

}  // namespace spx::devices
