// Netlist generation from a configuration: the network's Circuit with its inputs, either DC sources
// and an operating point (one image), or time-multiplexed PWL inputs, one window per image: image j
// holds from j*window + edge to (j+1)*window, a transient runs over all windows and every output is
// measured half an edge before the end of every window (".meas tran out_j_k find v(...) at=...").
// Converter sources (netlist/mlp.hpp) step to each image's draws with its inputs.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

#include "mlp/config.hpp"
#include "netlist/spice_writer.hpp"

namespace spx::mlp {

/// A generated network circuit.
struct Generated {
  netlist::Circuit circuit;
  netlist::MlpPorts ports;
  std::vector<netlist::LayerPlan> plans;
  int images = 1;
};

/// Builds the circuit of a loaded configuration (weights read) for `images` images of its input.
Generated generate(const Config& config, int images);
/// The same for given input vectors (V), one per image, the first being dataset image `first_image`
/// (whose converter draws the converter sources hold); `transient`: the circuit is for a transient
/// (as every netlist of more than one image is), so the op-amps' input stages slew.
Generated generate(const Config& config, const std::vector<std::vector<double>>& inputs, bool transient = false,
                   int64_t first_image = 0);

/// Element counts per kind and per layer and role, node count and the partition plan.
nlohmann::json summary(const Generated& g);

/// Writes FILE (the netlist), FILE.json (summary, dialect, files) and FILE.lines.tsv (line -> element
/// and origin), each through a temporary file and a rename.
/// Every layer's neuron inputs and outputs: what a hierarchical netlist keeps at its top level.
std::vector<netlist::NodeId> visible_nodes(const Generated& g);
/// With `hierarchical`, the netlist has a subcircuit per tile, amplifier and neuron
/// (netlist::write_spice_hierarchical); lines inside a shared definition map to its first instance.
void write_netlist(const std::filesystem::path& file, const Generated& g, netlist::Dialect dialect,
                   bool hierarchical = false);

}  // namespace spx::mlp
