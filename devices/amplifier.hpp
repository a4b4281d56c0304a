// Difference amplifier that turns an I+/I- line pair into a neuron input: the four-resistor op-amp
// stage R1 (in- to n1), R2 (in+ to n2), R3 (n1 to out), R4 (n2 to ground) with R3/R1 = R4/R2 = g, and
// an op-amp of finite open-loop gain A modelled as a VCVS out = A (v(n2) - v(n1)). Solving the two
// node equations gives
//   out = g (v+ - v-) * A / (A + 1 + g),
// which tends to g (v+ - v-) as A grows. The ideal alternative is one VCVS out = g (v+ - v-), which
// does not load the lines.
// Dynamics (op-amp macro-model, the classic two-stage reduction: a transconductance input stage
// charging a compensation capacitor, then a unity-gain output stage; P. R. Gray et al., Analysis and
// Design of Analog Integrated Circuits, 5th ed., sec. 9.4 and 9.6):
//   i = gm (v+ - v-) into node c, R_c = A / gm and C_c from c to ground, out = v(c) through r_out.
// DC gain A, one pole at f_p = 1 / (2 pi R_c C_c) = GBW / A, unity-gain frequency GBW = gm / (2 pi C_c).
// Slew: the input stage's current saturates at I_max = SR C_c, so dv(c)/dt <= SR; transient circuits
// use i = I_max tanh(gm (v+ - v-) / I_max) (small-signal gm exactly) from the first time step on,
// operating points the linear gm (the same solution unless the stage is driven into saturation at
// DC, which needs |out| > A SR / (2 pi GBW)). C_c is an internal normalization (1 pF); only A, GBW and SR are physical.
// Static power: the quiescent current between the rails +-supply, plus the output current drawn from
// the rail on its side (class-AB output stage).
#pragma once

#include <vector>

#include "devices/params.hpp"

namespace spx::devices {

/// Difference amplifier parameters.
struct AmplifierParams {
  double gain = 30;             ///< closed-loop gain g = R3/R1
  double r_in = 1e3;            ///< ohm, R1 = R2
  double open_loop_gain = 1e6;  ///< A of the op-amp VCVS
  double merge_r = 10e3;        ///< ohm, resistor tying partition outputs together (average merge);
                                ///< IMAC-Sim ties ideal op-amps through 1 milliohm, which makes the
                                ///< amplifiers drive amperes into each other; any equal value averages
                                ///< exactly into an unloaded neuron input
  // Dynamics and cost. No crossbar-periphery op-amp is specified in IMAC-Sim (an ideal HSPICE op-amp),
  // NeuroSim, ISAAC or PRIME; these are the figures of a two-stage op-amp in a 14-22 nm process sized
  // for the job: GBW = gm / (2 pi C) with gm ~ 0.6 mS (50 uA at gm/I_D ~ 12) into 30-100 fF gives
  // 1-3 GHz; SR = I_tail / C_c = 100 uA / 100 fF = 1 V/ns; the compensation capacitor (~100 fF of MOM
  // at 2-5 fF/um^2) sets an area of 20-100 um^2. Rails +-1 V as IMAC-Sim's testIMAC.py.
  double gbw = 2e9;             ///< Hz, gain-bandwidth product (0: no pole, the static op-amp)
  double slew_rate = 1e9;       ///< V/s, output slew limit (0: none)
  double r_out = 0;             ///< ohm, open-loop output resistance (0: IMAC-Sim's ideal output, which
                                ///< its 1 milliohm average merge needs; a real output stage of 10-50 kohm
                                ///< needs merge_r well above r_out / loop gain, e.g. 10 kohm)
  double c_load = 2e-15;        ///< F, load capacitance on the amplifier output (wiring to the merge)
  double i_quiescent = 100e-6;  ///< A, quiescent supply current
  double supply = 1.0;          ///< V, rails at +-supply
  double area = 50e-12;         ///< m^2, layout area of one amplifier (op-amp and its four resistors)

  static constexpr double c_comp = 1e-12;  ///< F, internal compensation capacitance (normalization)
  double gm() const { return 2 * 3.14159265358979323846 * gbw * c_comp; }  ///< S, input stage
  double r_comp() const { return open_loop_gain / gm(); }                   ///< ohm, R_c
  double i_max() const { return slew_rate * c_comp; }                       ///< A, slew current

  /// Closed-loop differential gain with the finite op-amp: g A / (A + 1 + g).
  double effective_gain() const { return gain * open_loop_gain / (open_loop_gain + 1 + gain); }
};

/// Parameter table of AmplifierParams (config section "amplifier").
const std::vector<ParamSpec<AmplifierParams>>& amplifier_table();

}  // namespace spx::devices
