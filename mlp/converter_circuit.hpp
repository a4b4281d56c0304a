// The stochastic SOT-MTJ converter at circuit level (netlist/sot_converter.hpp): one sample cycle
// (write, read, reset) simulated on the native transient, and what the system model takes from it.
// - Switching probability from the circuit: the channel current I(t) = v(ch) / r_channel over the write
//   phase, through the device law: thermal, p = 1 - exp(-integral dt / tau(I(t))) with tau(I) =
//   tau0 exp(Delta (1 - I / Ic0)) (edges included, where the rate is negligible); sigmoid, p =
//   1 / (1 + exp(-k x)) with x = (mean I over the pulse - I_mid) / I_half.
// - Sampling: sample s of a conversion switches when the converter's seeded uniform u_s <= p
//   (devices::count_switches), and the read phase then sees R_AP.
// - Energy per phase from the supplies: write and reset, -V i of the +-v_write supplies; read, -V i of
//   the read source plus sense_converter.e_sense; plus e_count for the counter. Latency: the cycle.
// - Cost per sample for the system model: at a = 0 (p = 1/2), the read energy the mean of the two
//   states'.
#pragma once

#include <cstdint>

#include "devices/converter.hpp"

namespace spx::mlp {

/// One simulated sample cycle.
struct SotSample {
  double probability = 0;  ///< switching probability from the circuit's write current
  double i_write = 0;      ///< A, mean channel current over the pulse at full enable
  double e_write = 0;      ///< J, from the write supply
  double e_read = 0;       ///< J, from the read source, plus e_sense
  double e_reset = 0;      ///< J, from the reset supply
  double latency = 0;      ///< s, the whole cycle
};

/// Simulates one cycle for partial-sum output a (V) with range `range` (V); `switched`: the MTJ state
/// the read sees. Throws std::runtime_error if the transient fails.
SotSample simulate_sot_sample(const devices::SotConverterParams& p, double range, double a, bool switched);

/// Energy and latency per sample for the system model.
struct SotSampleCost {
  double energy = 0;   ///< J: write + mean read + reset + count
  double latency = 0;  ///< s
  double probability_at_zero = 0;
};
SotSampleCost sot_sample_cost(const devices::SotConverterParams& p, double range = 1.0);

}  // namespace spx::mlp
