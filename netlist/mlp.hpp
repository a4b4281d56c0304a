// Crossbar MLP generator: MlpSpec -> Circuit. Layer topology (IMAC style), for a layer with n inputs
// and m neurons and tiles of [rows x cols]:
// - Lines: one vertical line per input plus a bias line driven from VDD (n + 1 lines); each neuron has
//   an I+ and an I- horizontal line. A synapse is a pair of MTJs from input line c at neuron r to
//   that neuron's I+ and I- lines (devices/synapse.hpp gives the resistances of each weight level).
// - Partitions: h = ceil((n+1)/rows) groups of lines and v = ceil(m/cols) groups of neurons, sizes
//   evened out (401 lines in 32-row tiles: 13 groups of 31 or 30, the larger first), or by IMAC-Sim's
//   rule (split = imac: 31 x 6, 30, 31 x 5, 30). The bias line is the last line of the last group.
// - IMAC-Sim's partitioned tiles (options): `pad_tiles` pads every h-partition to `rows` input cells
//   on grounded lines, the bias cell after them: the I+/I- lines run past every pad (one segment
//   each), whose two R_low cells go from the pad line to ground;
//   `tile_bias` gives every h-partition but the last a zero-weight bias pair on its own bias line
//   from VDD, after its cells. Extra lines are numbered after the layer's own (c = n + 1, ...).
// - Wires: every cell segment has its resistance (and capacitance to ground when enabled). An input
//   line is driven from its source afresh in every v-partition; in every h-partition each I+/I- line
//   runs through its cells and one more segment into its own difference amplifier.
// - Readout: `loaded` — the four-resistor difference amplifier loads the lines (voltage mode);
//   `virtual_ground` — each line ends in a 0 V sense source and the output is rt (I+ - I-) with
//   rt = gain * r_in (current mode). An ideal amplifier option is a single VCVS g (v+ - v-).
// - Merge of the h-partitions into the neuron input: `average` ties every partition output to it
//   through merge_r (IMAC-Sim), `sum` adds them with stacked unit-gain VCVSs.
// - Conversion (devices/converter.hpp), per layer: with `adc` or `stochastic-mtj` every partition
//   output a is converted and the results are accumulated digitally into the neuron input, which a
//   behavioral source (the accumulator, role converter) sets to K sum_h conv_h (K = 1/h for average,
//   1 for sum). An ADC's conversion is its quantizer written with floor(), min() and max(); a
//   stochastic conversion is range/(2 S p'(0)) sum_s sgn(clip(a, +-1.5 range) - v(t_s)), where the source
//   v_l<l>_cs_<h>_<r>_<s> holds sample s's switching threshold for the image in volts (an ADC's noise
//   source v_l<l>_cn_<h>_<r> its noise). These sources carry no current; their values change per image
//   (converter_values()), so the same circuit serves every image.
// - Neuron: the inverting sigmoid out = vdd / (1 + exp((z - offset)/slope)) (`ideal`), a
//   characterized transfer curve as pwl() of the input (`curve`), or the SOT-MRAM circuit itself
//   (`transistor`: level shift, P-state input MTJ, AP-state feedback MTJ, CMOS inverter; ngspice only,
//   devices/neuron.hpp). A behavioral neuron with an output resistance drives its output node through
//   it, with its own and its load's capacitance there (devices/periphery.hpp).
// - Drivers: every network input is a DAC source, behind driver.r_out when set. When the neurons
//   have dynamics (an output resistance, or the transistor circuit), a unit-gain buffer (E) copies each
//   neuron output onto the next layer's lines, behind driver.r_out, so the neuron sees only the
//   buffer's gate; otherwise the neuron drives the lines itself, as in IMAC-Sim.
// - Amplifier dynamics (op-amp stage, devices/amplifier.hpp): with amplifier.gbw > 0 the op-amp is a
//   transconductance stage into R_c || C_c and a unit-gain output stage behind r_out; `slew` makes the
//   stage's current saturate (a tanh B-source, for transients). c_load sits on every amplifier output.
// - MTJ capacitance (`mtj_c`): every synapse MTJ has its barrier capacitance in parallel.
// Names are deterministic and carry layer, line (c) and neuron (r): r_l1_sp_3_17 is the I+ synapse of
// input line 3, neuron 17 of layer 1; every element has an Origin{layer, tile, cell, role}.
#pragma once

#include <cstdint>
#include <vector>

#include "devices/amplifier.hpp"
#include "devices/converter.hpp"
#include "devices/mtj.hpp"
#include "devices/neuron.hpp"
#include "devices/periphery.hpp"
#include "devices/synapse.hpp"
#include "devices/wire.hpp"
#include "netlist/circuit.hpp"

namespace spx::netlist {

/// How partition outputs combine into a neuron input.
enum class MergeMode : uint8_t { average, sum };
/// How the I+/I- lines are read.
enum class Readout : uint8_t { loaded, virtual_ground };
/// Neuron model.
enum class NeuronKind : uint8_t { ideal, curve, transistor };
/// How a layer's lines and neurons are split into partitions.
enum class SplitRule : uint8_t { even, imac };

/// Neuron transfer function.
struct NeuronSpec {
  NeuronKind kind = NeuronKind::ideal;
  double slope = 0.1;                 ///< V, input change per e-fold of the ideal sigmoid
  double offset = 0;                  ///< V, input at which the ideal output is vdd/2
  std::vector<double> curve_in;       ///< V, transfer-curve inputs (increasing), kind == curve
  std::vector<double> curve_out;      ///< V, transfer-curve outputs
  std::vector<double> curve_supply;   ///< A, supply current at each curve input (characterized curves)
  devices::SotNeuronParams sot;       ///< transistor-level neuron (kind == transistor; ngspice only)
  devices::NeuronDynamics dyn;        ///< output resistance and capacitances, supply current, area
};

/// One crossbar layer.
struct LayerSpec {
  int inputs = 0;             ///< input lines (without the bias line)
  int outputs = 0;            ///< neurons
  std::vector<int> weights;   ///< weight levels j, [input * outputs + neuron]
  std::vector<int> biases;    ///< bias levels j, [neuron]
  double gain = 30;           ///< difference-amplifier gain
};

/// A whole network.
struct MlpSpec {
  std::vector<LayerSpec> layers;
  int tile_rows = 32;                    ///< input lines per tile
  int tile_cols = 32;                    ///< neurons per tile
  SplitRule split = SplitRule::even;     ///< partition sizes: even, or IMAC-Sim's rule
  bool pad_tiles = false;                ///< pad every h-partition to tile_rows input cells (grounded lines)
  bool tile_bias = false;                ///< a zero-weight bias pair in every h-partition but the last
  devices::WireTech wire;
  bool wire_r = true;                    ///< wire segment resistances
  bool wire_c = false;                   ///< wire segment capacitances
  bool explicit_coupling = false;        ///< coupling as capacitors between neighbours (else to ground)
  devices::SynapseMap synapse;           ///< levels, R_low/R_high and variation
  devices::MtjParams mtj;                ///< for the bias dependence of AP devices
  bool mtj_bias_dependence = false;      ///< AP devices as behavioral sources with TMR(V)
  bool mtj_c = false;                    ///< junction capacitance across every synapse MTJ
  devices::DriverParams driver;          ///< input DACs and inter-layer buffers
  bool slew = false;                     ///< slew-limited op-amp input stages (transient circuits)
  uint64_t seed = 1;                     ///< variation streams
  devices::AmplifierParams amplifier;    ///< gain comes from each layer
  bool ideal_amplifier = false;          ///< one VCVS per partition instead of the op-amp stage
  MergeMode merge = MergeMode::average;
  std::vector<devices::ConversionSpec> conversion;  ///< per layer; empty or analog: analog merge
  devices::SotConverterParams sot_converter;       ///< the stochastic converters' device
  uint64_t conversion_seed = 1;                     ///< the converters' streams
  Readout readout = Readout::loaded;
  double vdd = 1.0;                      ///< V, supply of the bias lines and neurons
  NeuronSpec neuron;
};

/// Partition plan of one layer.
struct LayerPlan {
  int lines = 0;                ///< inputs + 1
  std::vector<int> h_sizes;     ///< lines per h-partition
  std::vector<int> v_sizes;     ///< neurons per v-partition
};

/// Splits n into `parts` sizes differing by at most one, larger first.
std::vector<int> even_split(int n, int parts);
/// IMAC-Sim's partition rule (mapLayer.py): partition k (1-based, k < parts) ends at item
/// floor(n k / parts + min((n mod parts) / k, 1)), in double arithmetic; a boundary that does not
/// fall after the previous one ends the cutting (as its generator's single pass does). May return
/// fewer than `parts` sizes.
std::vector<int> imac_split(int n, int parts);
/// Partition plan of every layer.
std::vector<LayerPlan> plan_partitions(const MlpSpec& spec);
/// The cells along a neuron's I+/I- lines in every h-partition of a layer, in order, as line ids: the
/// layer's own (0 .. lines - 1, the bias line last) and, with IMAC-Sim's tiles (pad_tiles,
/// tile_bias), extra zero-weight lines numbered from `lines` on: pads on grounded lines, bias pairs
/// from VDD.
struct TileLines {
  std::vector<std::vector<int>> cells;  ///< [h] -> line ids along the lines
  std::vector<bool> extra_from_vdd;     ///< [c - lines]: a bias pair (VDD) or a pad (ground)
};
TileLines tile_lines(const MlpSpec& spec, const LayerPlan& plan);
/// Cells along one neuron's I+/I- line in each h-partition of a layer (tile_lines' sizes).
std::vector<int> line_cells(const MlpSpec& spec, const LayerPlan& plan);

/// Whether a network's neurons drive the next layer through buffers (see the header comment).
inline bool buffered(const MlpSpec& s) { return s.neuron.kind == NeuronKind::transistor || s.neuron.dyn.r_out > 0; }

/// The conversion of layer l (1-based): analog when the spec gives none.
inline devices::ConversionSpec conversion_of(const MlpSpec& s, int l) {
  return l >= 1 && l <= static_cast<int>(s.conversion.size()) ? s.conversion[l - 1] : devices::ConversionSpec{};
}

/// Whether any layer converts its partial sums (any: adc or stochastic; else only stochastic ones).
inline bool converts_any(const MlpSpec& s, bool stochastic_only = false) {
  for (const auto& c : s.conversion)
    if (stochastic_only ? c.mode == devices::ConversionMode::stochastic : c.converts()) return true;
  return false;
}

/// A source that holds one converter's per-image value: a sample's threshold or an ADC's noise.
struct ConverterSource {
  ElementId source = -1;
  int16_t layer = 0, h = 0;   ///< layer (1-based) and h-partition
  int32_t neuron = 0;
  int16_t sample = -1;        ///< sample index; -1: the ADC's noise
};

/// Nodes and sources of a built network.
struct MlpPorts {
  std::vector<ElementId> input_sources;   ///< one V source per network input
  ElementId supply = -1;                   ///< VDD source (bias lines)
  ElementId neuron_supply = -1;            ///< the transistor neurons' own VDD source (-1: none)
  std::vector<ElementId> buffers;          ///< inter-layer line buffers (E), layer 2 on, in line order
  std::vector<ElementId> amplifiers;       ///< op-amp output stages (E) of every partition amplifier
  std::vector<NodeId> outputs;             ///< last-layer neuron outputs
  std::vector<std::vector<NodeId>> layer_outputs;  ///< neuron outputs of every layer
  std::vector<std::vector<NodeId>> layer_z;        ///< neuron inputs of every layer
  std::vector<ConverterSource> converter_sources;  ///< per-image converter values, in build order
  std::vector<std::vector<std::vector<NodeId>>> partition_out;  ///< [layer][neuron][h]: amplifier outputs
};

/// The values of the converter sources for dataset image `image`, in ports.converter_sources order.
void converter_values(const MlpSpec& spec, const MlpPorts& ports, int64_t image, double* out);
/// Sets the converter sources of a built circuit to their DC values for dataset image `image`.
void set_converter_values(const MlpSpec& spec, const MlpPorts& ports, int64_t image, Circuit& circuit);

/// Checks the spec (shapes, levels, tiles); throws InputError naming the field.
void validate(const MlpSpec& spec);

/// Adds one SOT-MRAM neuron circuit (devices/neuron.hpp) from input z to output out, supplied from
/// vdd; element names carry `tag` (e.g. "l1_3"); the transistor models are added once.
void add_sot_neuron(Circuit& c, const std::string& tag, NodeId z, NodeId out, NodeId vdd,
                    const devices::SotNeuronParams& p, const devices::MtjParams& mtj, const Origin& origin);

/// Adds the network to a circuit, with DC input sources at the given values (V) and the converter
/// sources at their values for dataset image `image`.
MlpPorts build_mlp(const MlpSpec& spec, const std::vector<double>& inputs, Circuit& circuit, int64_t image = 0);

}  // namespace spx::netlist
