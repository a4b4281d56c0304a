// Crossbar MLP generator (mlp.hpp).
#include "netlist/mlp.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "devices/error.hpp"
#include "devices/limits.hpp"
#include "devices/random.hpp"
#include "devices/units.hpp"

namespace spx::netlist {

using devices::format_number;

std::vector<int> even_split(int n, int parts) {
  std::vector<int> out(parts, n / parts);
  for (int k = 0; k < n % parts; ++k) ++out[k];
  return out;
}

std::vector<int> imac_split(int n, int parts) {
  std::vector<int> sizes;
  int start = 0, k = 1;
  for (int end = 1; end < n && k < parts; ++end) {
    const double e = static_cast<double>(static_cast<int64_t>(n) * k) / parts +
                     std::min(static_cast<double>(n % parts) / k, 1.0);
    if (end != static_cast<int>(std::floor(e))) continue;
    sizes.push_back(end - start);
    start = end;
    ++k;
  }
  sizes.push_back(n - start);
  return sizes;
}

std::vector<LayerPlan> plan_partitions(const MlpSpec& spec) {
  std::vector<LayerPlan> plans;
  for (size_t li = 0; li < spec.layers.size(); ++li) {
    const auto& l = spec.layers[li];
    LayerPlan p;
    p.lines = l.inputs + 1;
    const int hp = (p.lines + spec.tile_rows - 1) / spec.tile_rows, vp = (l.outputs + spec.tile_cols - 1) / spec.tile_cols;
    if (spec.split == SplitRule::imac) {
      p.h_sizes = imac_split(p.lines, hp);
      p.v_sizes = imac_split(l.outputs, vp);
      for (int z : p.h_sizes)
        if (z > spec.tile_rows)
          fail("partition.split: IMAC-Sim's rule gives layer {} a partition of {} lines, more than the tile's {} rows",
               li + 1, z, spec.tile_rows);
      for (int z : p.v_sizes)
        if (z > spec.tile_cols)
          fail("partition.split: IMAC-Sim's rule gives layer {} a partition of {} neurons, more than the tile's {} "
               "columns", li + 1, z, spec.tile_cols);
    } else {
      p.h_sizes = even_split(p.lines, hp);
      p.v_sizes = even_split(l.outputs, vp);
    }
    plans.push_back(std::move(p));
  }
  return plans;
}

TileLines tile_lines(const MlpSpec& spec, const LayerPlan& plan) {
  TileLines t;
  const int hp = static_cast<int>(plan.h_sizes.size()), lines = plan.lines;
  t.cells.resize(hp);
  auto extra = [&](bool from_vdd) {
    t.extra_from_vdd.push_back(from_vdd);
    return lines + static_cast<int>(t.extra_from_vdd.size()) - 1;
  };
  for (int h = 0, first = 0; h < hp; first += plan.h_sizes[h], ++h) {
    const bool last = h + 1 == hp;
    const int own_inputs = plan.h_sizes[h] - (last ? 1 : 0);
    auto& along = t.cells[h];
    for (int c = first; c < first + own_inputs; ++c) along.push_back(c);
    if (spec.pad_tiles)
      for (int k = own_inputs; k < spec.tile_rows; ++k) along.push_back(extra(false));
    if (last) along.push_back(lines - 1);
    else if (spec.tile_bias) along.push_back(extra(true));
  }
  return t;
}

std::vector<int> line_cells(const MlpSpec& spec, const LayerPlan& plan) {
  std::vector<int> n;
  for (const auto& along : tile_lines(spec, plan).cells) n.push_back(static_cast<int>(along.size()));
  return n;
}

void validate(const MlpSpec& s) {
  if (s.layers.empty()) fail("network: needs at least one layer");
  if (s.tile_rows < 2) fail("partition.tile: must be >= 2 rows, got {}", s.tile_rows);
  if (s.tile_cols < 1) fail("partition.tile: must be >= 1 column, got {}", s.tile_cols);
  if (!devices::supported_levels(s.synapse.levels))
    fail("synapse.levels: must be 2, 3, 5 or 11, got {}", s.synapse.levels);
  if (!(s.synapse.r_low > 0) || !(s.synapse.r_high > s.synapse.r_low))
    fail("synapse: need 0 < r_low < r_high, got r_low = {} ohm, r_high = {} ohm", s.synapse.r_low, s.synapse.r_high);
  if (!(s.vdd > 0)) fail("network.vdd: must be > 0 V, got {}", s.vdd);
  if (s.neuron.kind == NeuronKind::curve) {
    const auto &x = s.neuron.curve_in, &y = s.neuron.curve_out;
    if (x.size() < 2 || x.size() != y.size()) fail("neuron.curve: needs two or more (input, output) points");
    for (size_t k = 1; k < x.size(); ++k)
      if (!(x[k] > x[k - 1])) fail("neuron.curve: inputs must increase, point {} is {} after {}", k, x[k], x[k - 1]);
  } else if (!(s.neuron.slope > 0)) {
    fail("neuron.slope: must be > 0 V, got {}", s.neuron.slope);
  }
  for (size_t l = 0; l < s.conversion.size(); ++l) {
    const auto& cv = s.conversion[l];
    if (!cv.converts()) continue;
    if (!(cv.range > 0)) fail("conversion.range: must be > 0 V for layer {} ({}), got {}", l + 1, to_string(cv.mode), cv.range);
    if (cv.mode == devices::ConversionMode::adc && (cv.bits < 1 || cv.bits > 16))
      fail("conversion.bits: must be in [1, 16] for layer {}, got {}", l + 1, cv.bits);
    if (cv.mode == devices::ConversionMode::stochastic && (cv.samples < 1 || cv.samples > 4096))
      fail("conversion.samples: must be in [1, 4096] for layer {}, got {}", l + 1, cv.samples);
    if (cv.mode == devices::ConversionMode::stochastic && s.readout == Readout::virtual_ground)
      fail("conversion.mode: stochastic-mtj needs partition.readout = \"loaded\" (its write path is the difference "
           "amplifier's output stage), got \"virtual-ground\"");
  }
  int m = s.synapse.half_levels();
  for (size_t li = 0; li < s.layers.size(); ++li) {
    const auto& l = s.layers[li];
    if (l.inputs < 1 || l.outputs < 1) fail("layer {}: needs inputs and outputs, got {} x {}", li + 1, l.inputs, l.outputs);
    if (li > 0 && l.inputs != s.layers[li - 1].outputs)
      fail("layer {}: has {} inputs but layer {} has {} neurons", li + 1, l.inputs, li, s.layers[li - 1].outputs);
    if (l.weights.size() != static_cast<size_t>(l.inputs) * l.outputs)
      fail("layer {}: weights must be {} x {}, got {} values", li + 1, l.inputs, l.outputs, l.weights.size());
    if (l.biases.size() != static_cast<size_t>(l.outputs))
      fail("layer {}: biases must have {} values, got {}", li + 1, l.outputs, l.biases.size());
    auto check = [&](int j, const char* what, size_t k) {
      if (j < -m || j > m || (s.synapse.levels == 2 && j == 0))
        fail("layer {}: {} {} has level {}, outside the {} levels", li + 1, what, k, j, s.synapse.levels);
    };
    for (size_t k = 0; k < l.weights.size(); ++k) check(l.weights[k], "weight", k);
    for (size_t k = 0; k < l.biases.size(); ++k) check(l.biases[k], "bias", k);
    if (!(l.gain > 0)) fail("layer {}: amplifier gain must be > 0, got {}", li + 1, l.gain);
  }
  // Work bound before anything is built: two MTJs per cell, plus a wire segment (R, C) on each line.
  double cells = 0;
  const auto plans = plan_partitions(s);
  for (size_t li = 0; li < plans.size(); ++li)
    for (int n : line_cells(s, plans[li])) cells += static_cast<double>(n) * s.layers[li].outputs;
  const double per_cell = 2 + (s.wire_r ? 2 : 0) + (s.wire_c ? 2 : 0);
  check_elements(cells * per_cell, "network.sizes", "circuit elements (estimated from the sizes)");
}

namespace {

class Builder {
 public:
  Builder(const MlpSpec& s, Circuit& c, int64_t image) : s_(s), c_(c), image_(image) {}

  MlpPorts build(const std::vector<double>& inputs) {
    MlpPorts ports;
    const auto& first = s_.layers.front();
    if (inputs.size() != static_cast<size_t>(first.inputs))
      fail("inputs: network has {} inputs, got {} values", first.inputs, inputs.size());
    vdd_ = c_.node("vdd");
    ports.supply = source("v_vdd", vdd_, s_.vdd, Role::supply);
    if (s_.neuron.kind == NeuronKind::transistor) {  // the neurons' own supply, so its current is theirs
      vdd_neurons_ = c_.node("vdd_n");
      ports.neuron_supply = source("v_vdd_n", vdd_neurons_, s_.vdd, Role::supply);
    }
    std::vector<NodeId> in;
    for (int k = 0; k < first.inputs; ++k) {
      NodeId n = c_.node(fmt::format("in_{}", k));
      ports.input_sources.push_back(source(fmt::format("v_in_{}", k), n, inputs[k], Role::input));
      in.push_back(behind_driver(n, fmt::format("in_{}", k), Role::input));
    }
    auto plans = plan_partitions(s_);
    for (size_t l = 0; l < s_.layers.size(); ++l) {
      if (l > 0 && buffered(s_)) {
        // Buffers copy the neuron outputs onto this layer's lines.
        for (size_t k = 0; k < in.size(); ++k) {
          at_ = Origin{};
          at_.layer = static_cast<int16_t>(l + 1);
          at_.row = static_cast<int32_t>(k);
          at_.role = Role::driver;
          const std::string tag = fmt::format("l{}_b_{}", l + 1, k);
          NodeId b = c_.node(tag);
          ports.buffers.push_back(add(make_vcvs("e_" + tag, b, ground, in[k], ground, 1)));
          in[k] = behind_driver(b, tag, Role::driver);
        }
      }
      in = layer(static_cast<int>(l) + 1, s_.layers[l], plans[l], in, ports);
      ports.layer_outputs.push_back(in);
    }
    ports.outputs = in;
    set_converter_values(s_, ports, image_, c_);
    return ports;
  }

 private:
  const MlpSpec& s_;
  Circuit& c_;
  int64_t image_ = 0;  // dataset image of the converter sources' values
  NodeId vdd_ = ground;
  NodeId vdd_neurons_ = ground;  // transistor neurons' supply
  Origin at_;  // origin of the elements being added

  ElementId add(Element e) {
    e.origin = at_;
    return c_.add(std::move(e));
  }
  /// The node a driver at `n` presents to its lines: n itself, or n behind driver.r_out.
  NodeId behind_driver(NodeId n, const std::string& tag, Role role) {
    if (!(s_.driver.r_out > 0)) return n;
    at_.role = role;
    NodeId d = c_.node(tag + "_d");
    add(make_resistor("r_" + tag + "_d", n, d, s_.driver.r_out));
    return d;
  }
  ElementId source(const std::string& name, NodeId n, double v, Role role) {
    at_ = Origin{};
    at_.role = role;
    return add(make_vsource(name, n, ground, v));
  }
  void resistor(const std::string& name, NodeId a, NodeId b, double r) { add(make_resistor(name, a, b, r)); }
  void capacitor(const std::string& name, NodeId a, NodeId b, double cap) { add(make_capacitor(name, a, b, cap)); }
  void vcvs(const std::string& name, NodeId a, NodeId b, NodeId cp, NodeId cn, double gain) {
    add(make_vcvs(name, a, b, cp, cn, gain));
  }
  void behavioral(const std::string& name, ElementKind kind, NodeId a, NodeId b, const std::string& expr) {
    add(make_behavioral(c_, name, kind, a, b, expr));
  }

  /// An MTJ of resistance r between a and b; AP-state devices follow TMR(V) when enabled.
  void mtj(const std::string& name, NodeId a, NodeId b, double r, bool antiparallel) {
    if (s_.mtj_bias_dependence && antiparallel) {
      std::string v = fmt::format("v({},{})", c_.node_name(a), c_.node_name(b));
      // Scale the law so that its zero-bias resistance equals r (variation included).
      devices::MtjParams p = s_.mtj;
      p.ra *= r / p.r_antiparallel(0);
      behavioral("b" + name.substr(1), ElementKind::behavioral_i, a, b, devices::ap_current_expression(p, v));
      return;
    }
    resistor(name, a, b, r);
  }

  std::vector<NodeId> layer(int l, const LayerSpec& spec, const LayerPlan& plan, const std::vector<NodeId>& in,
                            MlpPorts& ports) {
    const int lines = plan.lines, outs = spec.outputs;
    const double r_in_seg = s_.wire.input_segment_r(), r_out_seg = s_.wire.output_segment_r();
    const bool couple = s_.explicit_coupling;
    const double c_in_seg = couple ? s_.wire.input_ground_c() : s_.wire.input_segment_c();
    const double c_out_seg = couple ? s_.wire.output_ground_c() : s_.wire.output_segment_c();
    const int hp = static_cast<int>(plan.h_sizes.size());
    // The cells of every h-partition's I+/I- lines, in order along them (IMAC-Sim's pads and bias
    // pairs are extra lines from `lines` on).
    const TileLines layout = tile_lines(s_, plan);
    const auto& cells = layout.cells;
    const auto& extra_from_vdd = layout.extra_from_vdd;
    std::vector<int> h_of(lines + extra_from_vdd.size());
    for (int h = 0; h < hp; ++h)
      for (int c : cells[h]) h_of[c] = h;
    const int all_lines = lines + static_cast<int>(extra_from_vdd.size());
    std::vector<int> v_of(outs), first_neuron(plan.v_sizes.size() + 1, 0);
    for (size_t v = 0; v < plan.v_sizes.size(); ++v) {
      first_neuron[v + 1] = first_neuron[v] + plan.v_sizes[v];
      for (int r = first_neuron[v]; r < first_neuron[v + 1]; ++r) v_of[r] = static_cast<int>(v);
    }
    auto cell = [&](int c, int r, Role role) {
      at_ = Origin{};
      at_.layer = static_cast<int16_t>(l);
      at_.tile_row = static_cast<int16_t>(h_of[c]);
      at_.tile_col = static_cast<int16_t>(v_of[r]);
      at_.row = c;
      at_.col = r;
      at_.role = role;
    };
    auto line_source = [&](int c) {
      return c < spec.inputs ? in[c] : c < lines || extra_from_vdd[c - lines] ? vdd_ : ground;
    };

    // Input lines: node x(c, r) where line c crosses neuron r, driven afresh in every v-partition.
    std::vector<NodeId> x(static_cast<size_t>(all_lines) * outs);
    for (int c = 0; c < all_lines; ++c) {
      for (size_t v = 0; v < plan.v_sizes.size(); ++v) {
        NodeId prev = line_source(c);
        for (int r = first_neuron[v]; r < first_neuron[v + 1]; ++r) {
          NodeId node = prev;
          if (s_.wire_r) {
            cell(c, r, Role::wire);
            node = c_.node(fmt::format("l{}_x_{}_{}", l, c, r));
            resistor(fmt::format("r_l{}_wx_{}_{}", l, c, r), prev, node, r_in_seg);
            if (s_.wire_c) capacitor(fmt::format("c_l{}_x_{}_{}", l, c, r), node, ground, c_in_seg);
          }
          x[static_cast<size_t>(c) * outs + r] = node;
          prev = node;
        }
      }
    }

    // Explicit coupling between neighbouring input lines (in their order along the I+/I- lines, pads
    // and bias pairs included), at every crossing.
    if (s_.wire_r && s_.wire_c && couple) {
      std::vector<int> order;
      for (const auto& along : cells) order.insert(order.end(), along.begin(), along.end());
      for (size_t k = 0; k + 1 < order.size(); ++k) {
        const int c = order[k], next = order[k + 1];
        for (int r = 0; r < outs; ++r) {
          cell(c, r, Role::wire);
          capacitor(fmt::format("c_l{}_kx_{}_{}", l, c, r), x[static_cast<size_t>(c) * outs + r],
                     x[static_cast<size_t>(next) * outs + r], s_.wire.input_coupling_c());
        }
      }
    }

    // I+/I- lines: node p(c, r) at the crossing; each h-partition ends in amplifier input pa(h, r).
    auto amp_in = [&](char sign, int h, int r) { return c_.node(fmt::format("l{}_{}a_{}_{}", l, sign, h, r)); };
    for (int r = 0; r < outs; ++r) {
      for (int h = 0; h < hp; ++h) {
        for (char sign : {'p', 'n'}) {
          NodeId end = amp_in(sign, h, r);
          const std::vector<int>& along = cells[h];
          for (size_t k = 0; k < along.size(); ++k) {
            const int c = along[k];
            bool last = k + 1 == along.size();
            NodeId here = s_.wire_r ? c_.node(fmt::format("l{}_{}_{}_{}", l, sign, c, r)) : end;
            // Synapse from the input line onto this line; extra lines hold weight 0 (R_low on both).
            double nominal = s_.synapse.r_low;
            if (c < lines) {
              int level = c < spec.inputs ? spec.weights[static_cast<size_t>(c) * outs + r] : spec.biases[r];
              auto [rp, rn] = s_.synapse.resistances(level);
              nominal = sign == 'p' ? rp : rn;
            }
            devices::CellRng rng(s_.seed, l, c, r,
                                 sign == 'p' ? devices::Purpose::variation_plus : devices::Purpose::variation_minus);
            double res = s_.synapse.vary(nominal, rng);
            const bool pad = c >= lines && !extra_from_vdd[c - lines];
            cell(c, r, c < spec.inputs || pad ? Role::synapse : Role::bias);
            // A pad's cells hang from its grounded line to ground, off the I+/I- lines (IMAC-Sim's
            // partitioned tiles): the lines only run past them. Without wire resistance they are gone.
            const NodeId xin = x[static_cast<size_t>(c) * outs + r], to = pad ? ground : here;
            if (xin != to) {
              mtj(fmt::format("r_l{}_s{}_{}_{}", l, sign, c, r), xin, to, res,
                  nominal > 0.5 * (s_.synapse.r_low + s_.synapse.r_high));
              if (s_.mtj_c) capacitor(fmt::format("c_l{}_s{}_{}_{}", l, sign, c, r), xin, to, s_.mtj.capacitance());
            }
            if (s_.wire_r) {
              cell(c, r, Role::wire);
              NodeId next = last ? end : c_.node(fmt::format("l{}_{}_{}_{}", l, sign, along[k + 1], r));
              resistor(fmt::format("r_l{}_w{}_{}_{}", l, sign, c, r), here, next, r_out_seg);
              if (s_.wire_c) capacitor(fmt::format("c_l{}_{}_{}_{}", l, sign, c, r), next, ground, c_out_seg);
              if (s_.wire_c && couple && sign == 'n') {
                NodeId partner = last ? amp_in('p', h, r) : c_.node(fmt::format("l{}_p_{}_{}", l, along[k + 1], r));
                capacitor(fmt::format("c_l{}_kp_{}_{}", l, c, r), next, partner, s_.wire.output_coupling_c());
              }
            }
          }
        }
      }
    }

    // Amplifiers, merge and neurons.
    std::vector<NodeId> out(outs);
    const double g = spec.gain, rin = s_.amplifier.r_in;
    ports.layer_z.emplace_back();
    ports.partition_out.emplace_back();
    const devices::ConversionSpec conv = conversion_of(s_, l);
    for (int r = 0; r < outs; ++r) {
      NodeId z = c_.node(fmt::format("l{}_z_{}", l, r));
      ports.layer_z.back().push_back(z);
      std::vector<NodeId> amp_out(hp);
      for (int h = 0; h < hp; ++h) {
        at_ = Origin{};
        at_.layer = static_cast<int16_t>(l);
        at_.tile_row = static_cast<int16_t>(h);
        at_.tile_col = static_cast<int16_t>(v_of[r]);
        at_.col = r;
        at_.role = Role::amplifier;
        NodeId p = amp_in('p', h, r), n = amp_in('n', h, r);
        NodeId a = hp == 1 && !conv.converts() ? z : c_.node(fmt::format("l{}_a_{}_{}", l, h, r));
        amp_out[h] = a;
        if (s_.readout == Readout::virtual_ground) {
          // 0 V sense sources hold the line ends at ground; a = rt (i(vp) - i(vn)).
          std::string vp = fmt::format("v_l{}_sp_{}_{}", l, h, r), vn = fmt::format("v_l{}_sn_{}_{}", l, h, r);
          const ElementId vp_id = add(make_vsource(vp, p, ground, 0));
          const ElementId vn_id = add(make_vsource(vn, n, ground, 0));
          NodeId mid = c_.node(fmt::format("l{}_t_{}_{}", l, h, r));
          double rt = g * rin;
          for (auto [name, hi, lo, ctrl, gain] : {std::tuple{fmt::format("h_l{}_tp_{}_{}", l, h, r), mid, ground, vp_id, rt},
                                                  std::tuple{fmt::format("h_l{}_tn_{}_{}", l, h, r), a, mid, vn_id, -rt}}) {
            Element e;
            e.kind = ElementKind::ccvs;
            e.name = name;
            e.a = hi;
            e.b = lo;
            e.control = ctrl;
            e.value = gain;
            add(std::move(e));
          }
        } else if (s_.ideal_amplifier) {
          vcvs(fmt::format("e_l{}_amp_{}_{}", l, h, r), a, ground, p, n, g);
        } else {
          NodeId n1 = c_.node(fmt::format("l{}_a1_{}_{}", l, h, r)), n2 = c_.node(fmt::format("l{}_a2_{}_{}", l, h, r));
          resistor(fmt::format("r_l{}_a1_{}_{}", l, h, r), n, n1, rin);
          resistor(fmt::format("r_l{}_a2_{}_{}", l, h, r), p, n2, rin);
          resistor(fmt::format("r_l{}_a3_{}_{}", l, h, r), n1, a, g * rin);
          resistor(fmt::format("r_l{}_a4_{}_{}", l, h, r), n2, ground, g * rin);
          op_amp(l, h, r, n2, n1, a, ports);
        }
        if (s_.amplifier.c_load > 0) capacitor(fmt::format("c_l{}_al_{}_{}", l, h, r), a, ground, s_.amplifier.c_load);
      }
      ports.partition_out.back().push_back(amp_out);
      if (conv.converts()) {
        converter(l, r, conv, amp_out, z, ports);
      } else if (hp > 1) {
        at_ = Origin{};
        at_.layer = static_cast<int16_t>(l);
        at_.col = r;
        at_.role = Role::merge;
        if (s_.merge == MergeMode::average) {
          for (int h = 0; h < hp; ++h) resistor(fmt::format("r_l{}_m_{}_{}", l, h, r), amp_out[h], z, s_.amplifier.merge_r);
        } else {
          NodeId below = ground;
          for (int h = 0; h < hp; ++h) {
            NodeId top = h + 1 == hp ? z : c_.node(fmt::format("l{}_s_{}_{}", l, h, r));
            vcvs(fmt::format("e_l{}_sum_{}_{}", l, h, r), top, below, amp_out[h], ground, 1);
            below = top;
          }
        }
      }
      at_ = Origin{};
      at_.layer = static_cast<int16_t>(l);
      at_.col = r;
      at_.role = Role::neuron;
      out[r] = c_.node(fmt::format("l{}_o_{}", l, r));
      if (s_.neuron.kind == NeuronKind::transistor) {
        transistor_neuron(l, r, z, out[r]);
        if (s_.neuron.dyn.c_load > 0) capacitor(fmt::format("c_l{}_no_{}", l, r), out[r], ground, s_.neuron.dyn.c_load);
        continue;
      }
      std::string zin = fmt::format("v({})", c_.node_name(z));
      std::string law;
      if (s_.neuron.kind == NeuronKind::ideal) {
        law = fmt::format("{}/(1+exp(({}-{})/{}))", format_number(s_.vdd), zin, format_number(s_.neuron.offset),
                          format_number(s_.neuron.slope));
      } else {
        law = "pwl(" + zin;
        for (size_t k = 0; k < s_.neuron.curve_in.size(); ++k)
          law += "," + format_number(s_.neuron.curve_in[k]) + "," + format_number(s_.neuron.curve_out[k]);
        law += ")";
      }
      const auto& dyn = s_.neuron.dyn;
      NodeId drive = out[r];
      if (dyn.r_out > 0) {
        drive = c_.node(fmt::format("l{}_oi_{}", l, r));
        resistor(fmt::format("r_l{}_no_{}", l, r), drive, out[r], dyn.r_out);
      }
      behavioral(fmt::format("b_l{}_n_{}", l, r), ElementKind::behavioral_v, drive, ground, law);
      if (dyn.c_out + dyn.c_load > 0) capacitor(fmt::format("c_l{}_no_{}", l, r), out[r], ground, dyn.c_out + dyn.c_load);
    }
    return out;
  }

  /// The converters of neuron r's partition outputs and the accumulator that sets its input z.
  void converter(int l, int r, const devices::ConversionSpec& cv, const std::vector<NodeId>& amp_out, NodeId z,
                 MlpPorts& ports) {
    const int hp = static_cast<int>(amp_out.size());
    const std::string R = format_number(cv.range);
    std::string sum;
    for (int h = 0; h < hp; ++h) {
      at_ = Origin{};
      at_.layer = static_cast<int16_t>(l);
      at_.tile_row = static_cast<int16_t>(h);
      at_.col = r;
      at_.role = Role::converter;
      const std::string a = fmt::format("v({})", c_.node_name(amp_out[h]));
      auto value_source = [&](const std::string& tag, int16_t sample) {
        NodeId n = c_.node(tag);
        ElementId id = add(make_vsource("v_" + tag, n, ground, 0));
        ports.converter_sources.push_back({id, static_cast<int16_t>(l), static_cast<int16_t>(h), r, sample});
        return fmt::format("v({})", tag);
      };
      std::string term;
      if (cv.mode == devices::ConversionMode::adc) {
        // Mid-rise quantizer over [-R, R): code = clamp(floor((a + e) / lsb) + 2^(n-1)), value (code -
        // 2^(n-1) + 1/2) lsb, e = offset + INL bow + noise (devices/converter.hpp).
        const double lsb = 2 * cv.range / std::ldexp(1.0, cv.bits), half = std::ldexp(1.0, cv.bits - 1);
        std::string in = a;
        if (cv.offset != 0) in += fmt::format("+{}", format_number(cv.offset * lsb));
        if (cv.inl != 0)
          in += fmt::format("+{}*(1-(min(max({},-{}),{})/{})^2)", format_number(cv.inl * lsb), a, R, R, R);
        if (cv.noise != 0) in += "+" + value_source(fmt::format("l{}_cn_{}_{}", l, h, r), -1);
        term = fmt::format("(min(max(floor(({})/{})+{},0),{})-{})", in, format_number(lsb), format_number(half),
                           format_number(2 * half - 1), format_number(half - 0.5));
        term = fmt::format("{}*{}", format_number(lsb), term);
      } else {
        // Samples: +1 when the partition output, clipped to +-1.5 range, exceeds the sample's switching
        // threshold (in volts, within +-2 range: devices::threshold_volts).
        const std::string clip = fmt::format("min(max({},{}),{})", a, format_number(-1.5 * cv.range), format_number(1.5 * cv.range));
        term = format_number(devices::stochastic_scale(cv, s_.sot_converter)) + "*(";
        for (int k = 0; k < cv.samples; ++k)
          term += fmt::format("{}sgn({}-{})", k ? "+" : "", clip,
                              value_source(fmt::format("l{}_cs_{}_{}_{}", l, h, r, k), static_cast<int16_t>(k)));
        term += ")";
      }
      sum += (h ? "+" : "") + term;
    }
    at_ = Origin{};
    at_.layer = static_cast<int16_t>(l);
    at_.col = r;
    at_.role = Role::converter;
    const std::string expr =
        s_.merge == MergeMode::average && hp > 1 ? fmt::format("({})/{}", sum, hp) : sum;
    behavioral(fmt::format("b_l{}_acc_{}", l, r), ElementKind::behavioral_v, z, ground, expr);
  }

  /// The op-amp of a difference amplifier: out = A (p - n), statically or with its dynamics.
  void op_amp(int l, int h, int r, NodeId p, NodeId n, NodeId out, MlpPorts& ports) {
    const auto& a = s_.amplifier;
    NodeId o = out;
    if (a.r_out > 0) o = c_.node(fmt::format("l{}_ao_{}_{}", l, h, r));
    if (a.gbw > 0) {
      NodeId cn = c_.node(fmt::format("l{}_ac_{}_{}", l, h, r));
      const std::string stage = fmt::format("l{}_agm_{}_{}", l, h, r);
      if (s_.slew && a.slew_rate > 0) {
        // Current into cn (from ground through the sources): gm vd (G), and from the first time step
        // on the B-source's I_max tanh(gm vd / I_max) - gm vd, so the stage saturates at I_max. The
        // operating point has the small-signal stage only: the same solution unless the stage
        // saturates at DC, and no saturated slope for Newton to start from.
        add(make_vccs("g_" + stage, ground, cn, p, n, a.gm()));
        const std::string vd = fmt::format("(v({})-v({}))", c_.node_name(p), c_.node_name(n));
        behavioral("b_" + stage, ElementKind::behavioral_i, ground, cn,
                   fmt::format("min(time*1e30,1)*({}*tanh({}*{})-{}*{})", format_number(a.i_max()),
                               format_number(a.gm() / a.i_max()), vd, format_number(a.gm()), vd));
      } else {
        add(make_vccs("g_" + stage, ground, cn, p, n, a.gm()));
      }
      resistor(fmt::format("r_l{}_ac_{}_{}", l, h, r), cn, ground, a.r_comp());
      capacitor(fmt::format("c_l{}_ac_{}_{}", l, h, r), cn, ground, a.c_comp);
      ports.amplifiers.push_back(add(make_vcvs(fmt::format("e_l{}_amp_{}_{}", l, h, r), o, ground, cn, ground, 1)));
    } else {
      ports.amplifiers.push_back(add(make_vcvs(fmt::format("e_l{}_amp_{}_{}", l, h, r), o, ground, p, n, a.open_loop_gain)));
    }
    if (o != out) resistor(fmt::format("r_l{}_ao_{}_{}", l, h, r), o, out, a.r_out);
  }

  void transistor_neuron(int l, int r, NodeId z, NodeId o) {
    add_sot_neuron(c_, fmt::format("l{}_{}", l, r), z, o, vdd_neurons_, s_.neuron.sot, s_.mtj, at_);
  }

};

}  // namespace

void add_sot_neuron(Circuit& c, const std::string& tag, NodeId z, NodeId out, NodeId vdd,
                    const devices::SotNeuronParams& p, const devices::MtjParams& mtj, const Origin& origin) {
  for (const auto& card : p.model_cards())
    if (std::find(c.models.begin(), c.models.end(), card) == c.models.end()) c.models.push_back(card);
  NodeId shifted = c.node(fmt::format("{}_ns", tag)), gate = c.node(fmt::format("{}_ng", tag));
  auto add = [&](Element e) {
    e.origin = origin;
    c.add(std::move(e));
  };
  add(make_vsource(fmt::format("v_{}_ns", tag), shifted, z, p.v_shift));
  add(make_resistor(fmt::format("r_{}_ni", tag), shifted, gate, p.r_in > 0 ? p.r_in : mtj.r_parallel()));
  add(make_resistor(fmt::format("r_{}_nf", tag), gate, out, p.r_feedback > 0 ? p.r_feedback : mtj.r_antiparallel(0)));
  for (bool n : {true, false}) {
    Element m;
    m.kind = ElementKind::mosfet;
    m.name = fmt::format("m_{}_{}", tag, n ? "nn" : "np");
    m.a = out;
    m.b = gate;
    m.c = n ? ground : vdd;
    m.d = n ? ground : vdd;
    m.model = n ? "spx_nmos" : "spx_pmos";
    m.w = n ? p.nmos_width : p.pmos_width;
    m.l = p.length;
    add(std::move(m));
  }
}

MlpPorts build_mlp(const MlpSpec& spec, const std::vector<double>& inputs, Circuit& circuit, int64_t image) {
  validate(spec);
  // About 5.4 elements and 3.2 nodes per synapse with wire resistance (the 400-120-84-10 network):
  // room for 6 and 4, and the periphery.
  size_t synapses = 0, neurons = 0;
  for (const auto& l : spec.layers) {
    synapses += static_cast<size_t>(l.inputs + 1) * static_cast<size_t>(l.outputs);
    neurons += static_cast<size_t>(l.outputs);
  }
  circuit.reserve(circuit.elements.size() + 6 * synapses + 64 * neurons, static_cast<size_t>(circuit.node_count()) + 4 * synapses + 64 * neurons);
  return Builder(spec, circuit, image).build(inputs);
}

void set_converter_values(const MlpSpec& spec, const MlpPorts& ports, int64_t image, Circuit& circuit) {
  if (ports.converter_sources.empty()) return;
  std::vector<double> v(ports.converter_sources.size());
  converter_values(spec, ports, image, v.data());
  for (size_t k = 0; k < v.size(); ++k) {
    auto& w = circuit.elements[ports.converter_sources[k].source].wave;
    w = devices::Waveform{};
    w.dc = v[k];
    w.dc_given = true;
  }
}

void converter_values(const MlpSpec& spec, const MlpPorts& ports, int64_t image, double* out) {
  const auto& srcs = ports.converter_sources;
  for (size_t k = 0; k < srcs.size();) {
    const ConverterSource& c = srcs[k];
    const devices::ConversionSpec cv = conversion_of(spec, c.layer);
    if (c.sample < 0) {
      out[k++] = devices::adc_noise(cv, spec.conversion_seed, c.layer, c.h, c.neuron, image);
      continue;
    }
    // The samples of one conversion are consecutive.
    devices::sample_thresholds(spec.sot_converter, spec.conversion_seed, c.layer, c.h, c.neuron, image, cv.samples,
                               out + k);
    for (int s = 0; s < cv.samples; ++s) out[k + s] = devices::threshold_volts(cv.range, out[k + s]);
    k += static_cast<size_t>(cv.samples);
  }
}

}  // namespace spx::netlist
