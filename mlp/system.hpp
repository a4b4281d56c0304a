// System figures of a crossbar network: area, latency and the energy of one inference, by component.
// Area (parameter table, every entry a config key with its source):
//   synapse cells   2 MTJ cells per weight and bias (the I+ and I- devices), each cell_width x
//                   cell_length of the interconnect geometry (12F x 15F = 180 F^2: 0.0146 um^2 at
//                   F = 9 nm, IMAC-Sim's cell)
//   amplifiers      one per neuron per h-partition, amplifier.area
//   neurons         one per neuron, neuron.area
//   drivers         one per input line of every layer: an n-bit DAC at the network inputs (n = 1 for
//                   direct inputs, cnn.dac_bits behind a CNN), a buffer (1-bit) between layers;
//                   driver.area x 2^(n-1)
// A tile is tile_rows x tile_cols cells pairs with its tile_cols amplifiers.
// Latency of a layer from its peripheral dynamics (operating-point runs; transients measure it):
//   lines      ln(1/e) x Elmore delay of the longest input line: driver.r_out and the line's n
//              segments of R_s, C_s (plus the MTJ capacitances on it): r_out C_line + R_s C_s n (n+1)/2
//   amplifier  a step of supply volts through one pole at w = 2 pi GBW / G, slewing at SR first when
//              supply w > SR, with G the noise gain: 1 + g for the four-resistor stage (g its
//              closed-loop gain); 1 + g r_in / R_line for the virtual-ground transimpedance stage
//              (R_line: the h-partition's cells in parallel at the mean of R_low and R_high):
//              t = ln(supply / e_v) / w, or (supply - SR/w) / SR + ln(SR / (w e_v)) / w
//   conversion the layer's converters (ConversionCost below)
//   neuron     ln(1/e) r_out (c_out + c_load)
// with e = run.tolerance and e_v = e vdd; the layers add up (an upper bound on the cascade's
// settling). Ideal amplifiers (amplifier.ideal) are instantaneous in the circuit and here; the
// virtual-ground readout's stage is an ideal CCVS in the circuit (its transients do not show the
// op-amp) but its op-amp's settling is counted here.
// Energy of one inference, E = P_static T + E_dynamic, with T the latency:
//   arrays      P = the power the drivers deliver into the crossbars (input DACs, the bias supply,
//               buffers or neurons driving lines), from the circuit's currents
//   amplifiers  P = N_amp I_q 2 supply (quiescent, between the rails); E_dyn = c_load supply |dz| per
//               amplifier (its output swing taken as the neuron input's)
//   neurons     P = vdd I_supply(z) per neuron (the characterized curve at each neuron's input, or
//               neuron.i_supply); E_dyn = (c_out + c_load) vdd |dy|
//   conversion  E_dyn = the converters' energy per inference; P = the accumulators' drivers
//   drivers     P = p_static 2^(n-1) per driver; E_dyn = C_line vdd |dV| + e_transition per line whose
//               value changes (C_line: wire segments and MTJ capacitances of the line)
// where d is the change from the previous inference (the previous image; zero inputs before the
// first). T for the static terms excludes the conversion time: a sample-and-hold at every partition
// output (as in ISAAC) holds the partial sums while the converters work, so the arrays, amplifiers,
// drivers and neurons are not kept on for it; the latency includes it.
// Transient runs take T as the measured settling time and integrate the circuit's driver
// and amplifier-output powers over [0, T] instead of the static x T terms.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "mlp/config.hpp"

namespace spx::mlp {

/// Area by component, m^2.
struct Area {
  double synapses = 0, amplifiers = 0, neurons = 0, drivers = 0, converters = 0;
  double total() const { return synapses + amplifiers + neurons + drivers + converters; }
};

/// One layer's partial-sum conversion per inference (devices/converter.hpp): one conversion per
/// partition output (h-partitions x neurons).
///   adc             energy fom 2^bits + e_add per conversion; one ADC per `share` columns of a tile
///                   (adc.share, 0: tile_cols), each converting its columns in turn: latency
///                   min(share, columns) / rate; area adc.area_at(bits) per ADC
///   stochastic-mtj  one SOT-MTJ converter per partition output, all at once: energy S e_sample per
///                   conversion, latency S t_sample, area sot_converter.area each
///   analog          nothing (the merge is part of the amplifiers)
/// The accumulated value drives the neuron input through a line driver priced as an inter-layer
/// buffer (driver.p_static and driver.area at 1 bit), counted with the converters.
struct ConversionCost {
  devices::ConversionMode mode = devices::ConversionMode::analog;
  int conversions = 0;                ///< per inference
  double energy_per_conversion = 0;   ///< J
  double latency = 0;                 ///< s, the layer's conversion time
  double area_per_converter = 0;      ///< m^2
  int converters = 0;                 ///< ADCs or SOT-MTJ converters
  int accumulators = 0;               ///< neuron-input drivers
  double area() const { return converters * area_per_converter; }
  double energy() const { return conversions * energy_per_conversion; }
};
std::vector<ConversionCost> conversion_cost(const Config& config);

/// Area of the network, per layer and of one full tile.
struct AreaReport {
  Area network;
  std::vector<Area> layers;
  Area tile;            ///< one tile_rows x tile_cols tile with its amplifiers
  double cell = 0;      ///< m^2, one MTJ cell
  double feature = 0;   ///< m, the node F
};
AreaReport network_area(const Config& config);

/// Settling time of one layer by stage, s.
struct LayerLatency {
  double lines = 0, amplifier = 0, conversion = 0, neuron = 0;
  double total() const { return lines + amplifier + conversion + neuron; }
};
/// Design latency of every layer (see above).
std::vector<LayerLatency> design_latency(const Config& config);

/// Resolution of the drivers at the network inputs: cnn.dac_bits behind a CNN (8 when unquantized),
/// else 1.
int input_bits(const Config& config);

/// Capacitance of one input line of layer l (1-based): wire segments to ground and the MTJs on it, F.
double line_capacitance(const Config& config, int layer);

/// Network-wide static powers that do not come from the circuit solve, W: amplifier quiescent power,
/// driver power, and the neurons' when their supply current is constant (else 0: per image).
struct PeripheralPower {
  double amplifiers = 0, drivers = 0, neurons = 0;
  double conversion = 0;           ///< the accumulators' neuron-input drivers
  bool neurons_per_image = false;  ///< the neurons' supply follows the characterized curve at z, or
                                   ///< (transistor neurons) their own supply source's current
};
PeripheralPower peripheral_power(const Config& config);

/// Supply current of a neuron at input z: the characterized curve's, or the constant.
double neuron_supply(const netlist::NeuronSpec& neuron, double z);

/// IMAC's figures for FC layers of other sizes with this config's devices and peripherals (gains: the
/// config's first): design latency, and energy = (arrays power per MTJ cell x cells + peripheral
/// static power) x latency, the arrays' power per cell taken from a measured run.
struct ImacEstimate {
  double energy = 0, latency = 0;  ///< J, s
};
ImacEstimate imac_estimate(const Config& config, const std::vector<int>& sizes, double arrays_power_per_cell);
/// MTJ cells of FC layers of these sizes (two per weight and bias).
double mtj_cells(const std::vector<int>& sizes);

/// The CPU-only versus CPU-IMAC table (arch/cpu.hpp) of a CNN config: its own network with IMAC's FC
/// energy and latency as measured, and VGG-16 on CIFAR-10 shapes with two classifiers (IMAC
/// estimated as above).
nlohmann::json cpu_imac_report(const Config& config, double fc_energy, double fc_latency, double arrays_power);

/// Energy of a power waveform p(t) from t.front() to T (trapezoid rule, the last interval cut at T):
/// the one integration every transient energy goes through.
double integrate_until(const std::vector<double>& t, const std::vector<double>& p, double T);

/// The parameter table behind the figures, with units and sources, for summary.json.
nlohmann::json system_parameters(const Config& config);
nlohmann::json to_json(const AreaReport& a);

}  // namespace spx::mlp
