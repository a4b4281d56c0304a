// Stochastic-computing inference of a crossbar MLP with s-MTJ p-bits, clock by clock.
// Encoding (unipolar activations, signed weights in conductance):
// - Every activation a in [0, 1] travels as a unipolar bitstream of L clocks, P(1) = a. Inputs are
//   pixel intensities; hidden activations are the neurons' counts quantized to k states. A line at
//   0 or 1 is driven constant (no p-bit can reach those probabilities); any other line by its own
//   p-bit biased to P(1) = a (devices/pbit.hpp, current_for).
// - A weight is an integer level w in [-m, m] on a differential MTJ pair (devices/synapse.hpp), so
//   in clock t the differential column current of output j is proportional to
//     s_j(t) = sum_i b_i(t) w_ij + w_bias,j      (the bias line is always on)
//   computed exactly in integers, with the current column sums updated by the lines that flip.
// - A hidden neuron is a p-bit driven by beta s_j(t) / m through its amplifier: its bit in clock t is
//   1 with probability sigmoid(beta s_j(t) / m) (the device law, p_one(current)), and for telegraph
//   streams it keeps the correlation rho(current) with its previous bit (a two-state Markov chain
//   whose transition probabilities follow the clock's current). The neuron's count over L clocks,
//   divided by L, is quantized to k states: round(count (k - 1) / L) / (k - 1) (k = 0: not
//   quantized).
// - The last layer reads out by integrating the column current over the L clocks (mean of beta s / m
//   per output, a charge integrator and a winner-take-all), or by counting its p-bits' ones.
// - The prediction is the largest output; a tie is no prediction (-1).
// Randomness: each p-bit is a counter-based lane (sc/bitstream.hpp) keyed by its cell stream (seed,
// layer, image, line) for an input line or (seed, layer, image, neuron) for a neuron, so results do
// not depend on threads, vector width or which images run together; an input line's bits are exactly
// markov_stream(a, rho, L, key) of its lane.
#pragma once

#include <cstdint>
#include <vector>

#include "devices/pbit.hpp"

namespace spx::sc {

/// How bitstreams are drawn.
enum class StreamKind : uint8_t { telegraph, bernoulli };
/// How the last layer is read.
enum class ScReadout : uint8_t { integrate, count };

/// SC inference settings.
struct ScSettings {
  int length = 100;                               ///< clocks per layer (bitstream length L)
  int states = 5;                                 ///< hidden activation states k (0: not quantized)
  StreamKind stream = StreamKind::telegraph;      ///< telegraph-correlated or independent bits
  ScReadout readout = ScReadout::integrate;
  uint64_t seed = 1;
  devices::PbitParams pbit;                       ///< neurons' and input lines' p-bits
};

/// One layer: integer weight levels and the neuron gain.
struct ScLayer {
  int inputs = 0, outputs = 0;
  int half = 1;                              ///< m: levels are integers in [-m, m]
  std::vector<int32_t> w;                    ///< (inputs + 1) x outputs, row-major, bias row last
  double beta = 1;                           ///< neuron logit per unit of weight sum (levels / m)
  std::vector<double> row_conductance;       ///< S, per input line incl. bias: sum of its cells' G+ + G-
};

/// A network of SC layers.
struct ScModel {
  std::vector<ScLayer> layers;
};

/// Activity of one layer for one image (what the cost model prices).
struct ScActivity {
  double conductance_clocks = 0;  ///< S x clocks: sum over clocks of the conductance of the lines at 1
  int64_t line_ones = 0;          ///< line-clocks at 1 (inputs and bias)
  int64_t pbit_lines = 0;         ///< input lines driven by a p-bit (0 < a < 1)
  int64_t neuron_ones = 0;        ///< ones of the neurons' p-bits
  int64_t flips = 0;              ///< input line transitions between clocks
  double analog_conductance = 0;  ///< S: sum over lines of a^2 G (the same activations as analog voltages)
  double neuron_energy = 0;       ///< J: the neurons' p-bits, every clock at its current (pbit.energy_per_bit)
  double line_energy = 0;         ///< J: the input lines' p-bits over the L clocks
  int64_t clocks = 0;             ///< clocks of the layer
};

/// One image's result.
struct ScImage {
  int predicted = -1;
  std::vector<double> outputs;        ///< integrate: mean logit; count: fraction of ones
  std::vector<ScActivity> activity;   ///< per layer
};

/// Checks the settings (length, states, p-bit); throws InputError naming "section.key".
void validate(const ScSettings& s, const char* section = "sc");

/// Runs images [0, count) of x (count x inputs, values in [0, 1]); image k uses the random streams
/// of dataset index first + k. Threads only split images.
std::vector<ScImage> run_sc(const ScModel& model, const ScSettings& settings, const float* x, int count, int first,
                            int threads);

}  // namespace spx::sc
