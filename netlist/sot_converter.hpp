// One sample cycle of the stochastic SOT-MTJ partial-sum converter (devices/converter.hpp) as a
// circuit, in three phases of a transient (edges of `edge` between them):
// - write: the partial-sum amplifier's output a (an ideal source here) sets the write driver's current
//   I = en(t) (I_mid + I_half clip(a / range, -1, 1)), a behavioral current source from the write
//   supply v_write into the heavy-metal channel (r_channel, with c_channel to ground), for the pulse;
// - read: v_read across the MTJ (R_P, or R_AP when the write switched it) into the sense node, whose
//   resistor r_sense stands for the sense amplifier's input;
// - reset: the same channel driven the other way, I_reset from a -v_write supply, for t_reset.
// The MTJ's state during the read is the sample's outcome, drawn outside the circuit from the
// converter's seeded stream with the probability the write current gives (mlp/converter_circuit.hpp).
#pragma once

#include "devices/converter.hpp"
#include "netlist/circuit.hpp"

namespace spx::netlist {

/// Timing and nodes of a built sample cycle.
struct SotCellPorts {
  ElementId write_supply = -1, reset_supply = -1, read_source = -1;
  NodeId channel = 0, read = 0, sense = 0;
  double write_start = 0, write_end = 0;  ///< s, from the rising edge's start to the falling edge's end
  double read_start = 0, read_end = 0;
  double reset_start = 0, reset_end = 0;
  double stop = 0;                        ///< s, end of the cycle
};

/// Sense resistor and channel capacitance of the cell, and the edges of its phases.
struct SotCellOptions {
  double edge = 10e-12;      ///< s, rise and fall of every phase
  double c_channel = 1e-15;  ///< F, channel, driver drains and local wire
  double r_sense = 1e3;      ///< ohm, the sense amplifier's input
};

/// Builds one sample cycle for partial-sum output a (V) with clipping range `range` (V); `switched`:
/// the MTJ reads as antiparallel. Adds a .tran analysis over the cycle.
SotCellPorts build_sot_converter(const devices::SotConverterParams& p, double range, double a, bool switched,
                                 Circuit& c, const SotCellOptions& o = {});

}  // namespace spx::netlist
