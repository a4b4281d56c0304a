// Netlist generation and its sidecar files (generate.hpp).
#include "mlp/generate.hpp"

#include <fmt/format.h>

#include <fstream>
#include <map>

#include "devices/error.hpp"
#include "devices/limits.hpp"
#include "mlp/weights.hpp"

namespace spx::mlp {
namespace fs = std::filesystem;

namespace {

using netlist::role_name;

}  // namespace

Generated generate(const Config& cfg, int images) {
  return generate(cfg, load_inputs(cfg, images), false, cfg.input.values.empty() ? cfg.input.first : 0);
}

Generated generate(const Config& cfg, const std::vector<std::vector<double>>& inputs, bool transient, int64_t first_image) {
  Generated g;
  const int images = static_cast<int>(inputs.size());
  g.images = images;
  g.circuit.title = fmt::format("spinxbar network {} from {}", fmt::join(cfg.sizes, "-"), cfg.file.filename().string());
  netlist::MlpSpec spec = cfg.spec;
  spec.slew = images > 1 || transient;  // transients see the op-amps' slew limit
  g.ports = netlist::build_mlp(spec, inputs.front(), g.circuit, first_image);
  g.plans = netlist::plan_partitions(cfg.spec);
  netlist::Analysis a;
  if (images == 1) {
    a.kind = netlist::AnalysisKind::op;
  } else {
    const double w = cfg.input.window, edge = cfg.input.edge;
    check_points(images * w / (edge / 4), fmt::format("{}: input.images", cfg.file.string()),
                 "time points in the netlist's transient (images x input.window / (input.edge / 4))");
    for (size_t k = 0; k < g.ports.input_sources.size(); ++k) {
      auto& wave = g.circuit.elements[g.ports.input_sources[k]].wave;
      wave.kind = devices::WaveKind::pwl;
      wave.dc_given = false;
      wave.args = {0, inputs[0][k]};
      for (int j = 1; j < images; ++j) {
        wave.args.insert(wave.args.end(), {j * w, inputs[j - 1][k], j * w + edge, inputs[j][k]});
      }
    }
    const auto& conv = g.ports.converter_sources;
    if (!conv.empty()) {
      std::vector<std::vector<double>> v(images, std::vector<double>(conv.size()));
      for (int j = 0; j < images; ++j) netlist::converter_values(spec, g.ports, first_image + j, v[j].data());
      for (size_t k = 0; k < conv.size(); ++k) {
        auto& wave = g.circuit.elements[conv[k].source].wave;
        wave.kind = devices::WaveKind::pwl;
        wave.dc_given = false;
        wave.args = {0, v[0][k]};
        for (int j = 1; j < images; ++j) wave.args.insert(wave.args.end(), {j * w, v[j - 1][k], j * w + edge, v[j][k]});
      }
    }
    a.kind = netlist::AnalysisKind::tran;
    a.tstep = edge / 4;
    a.tstop = images * w;
    for (int j = 0; j < images; ++j)
      for (size_t k = 0; k < g.ports.outputs.size(); ++k)
        g.circuit.measures.push_back({fmt::format("out_{}_{}", j, k), g.ports.outputs[k], (j + 1) * w - edge / 2});
  }
  g.circuit.analyses.push_back(a);
  return g;
}

nlohmann::json summary(const Generated& g) {
  nlohmann::json j;
  std::map<std::string, int> kinds;
  std::map<int, std::map<std::string, int>> roles;
  for (const auto& e : g.circuit.elements) {
    ++kinds[std::string(netlist::kind_name(e.kind))];
    ++roles[e.origin.layer][std::string(role_name(e.origin.role))];
  }
  j["nodes"] = g.circuit.node_count() - 1;
  j["elements"] = g.circuit.elements.size();
  j["elements_by_kind"] = kinds;
  nlohmann::json layers = nlohmann::json::array();
  for (size_t l = 0; l < g.plans.size(); ++l) {
    nlohmann::json lj;
    lj["layer"] = l + 1;
    lj["lines"] = g.plans[l].lines;
    lj["h_partitions"] = g.plans[l].h_sizes.size();
    lj["v_partitions"] = g.plans[l].v_sizes.size();
    lj["h_sizes"] = g.plans[l].h_sizes;
    lj["v_sizes"] = g.plans[l].v_sizes;
    lj["elements_by_role"] = roles[static_cast<int>(l) + 1];
    layers.push_back(lj);
  }
  j["layers"] = layers;
  std::vector<size_t> hpar, vpar;
  for (const auto& p : g.plans) {
    hpar.push_back(p.h_sizes.size());
    vpar.push_back(p.v_sizes.size());
  }
  j["hpar"] = hpar;
  j["vpar"] = vpar;
  j["images"] = g.images;
  j["measures"] = g.circuit.measures.size();
  return j;
}

std::vector<netlist::NodeId> visible_nodes(const Generated& g) {
  std::vector<netlist::NodeId> v;
  for (const auto& l : g.ports.layer_z) v.insert(v.end(), l.begin(), l.end());
  for (const auto& l : g.ports.layer_outputs) v.insert(v.end(), l.begin(), l.end());
  return v;
}

void write_netlist(const fs::path& file, const Generated& g, netlist::Dialect dialect, bool hierarchical) {
  netlist::SpiceText text =
      hierarchical ? netlist::write_spice_hierarchical(g.circuit, dialect, visible_nodes(g)) : netlist::write_spice(g.circuit, dialect);
  std::string lines = "line\telement\tlayer\ttile_row\ttile_col\trow\tcol\trole\n";
  for (size_t k = 0; k < text.line_element.size(); ++k) {
    if (text.line_element[k] < 0) continue;
    const auto& e = g.circuit.elements[text.line_element[k]];
    const auto& o = e.origin;
    lines += fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n", k + 1, e.name, o.layer, o.tile_row, o.tile_col, o.row, o.col,
                         role_name(o.role));
  }
  nlohmann::json j = summary(g);
  j["dialect"] = dialect == netlist::Dialect::hspice ? "hspice" : "ngspice";
  j["hierarchical"] = hierarchical;
  j["netlist"] = file.filename().string();
  j["line_map"] = file.filename().string() + ".lines.tsv";
  // The netlist is renamed into place last, so a complete netlist always has complete sidecars.
  write_files_atomic({{fs::path(file.string() + ".lines.tsv"), lines},
                      {fs::path(file.string() + ".json"), j.dump(1) + "\n"},
                      {file, text.text}});
}

}  // namespace spx::mlp
