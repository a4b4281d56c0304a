// System figures of a crossbar network (system.hpp).
#include "mlp/system.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace spx::mlp {

namespace {

/// Layer shapes of the config (the weights need not be loaded).
netlist::MlpSpec shape_of(const Config& cfg) {
  netlist::MlpSpec s = cfg.spec;
  s.layers.clear();
  for (size_t k = 0; k + 1 < cfg.sizes.size(); ++k) {
    netlist::LayerSpec l;
    l.inputs = cfg.sizes[k];
    l.outputs = cfg.sizes[k + 1];
    l.gain = cfg.gains[k];
    s.layers.push_back(l);
  }
  return s;
}

double cell_area(const Config& cfg) { return cfg.spec.wire.cell_width() * cfg.spec.wire.cell_length(); }

}  // namespace

int input_bits(const Config& cfg) {
  if (!cfg.cnn.enabled) return 1;
  return cfg.cnn.dac_bits > 0 ? cfg.cnn.dac_bits : 8;
}

std::vector<ConversionCost> conversion_cost(const Config& cfg) {
  const auto s = shape_of(cfg);
  const auto plans = netlist::plan_partitions(s);
  std::vector<ConversionCost> out;
  for (size_t k = 0; k < s.layers.size(); ++k) {
    ConversionCost c;
    const auto cv = netlist::conversion_of(cfg.spec, static_cast<int>(k) + 1);
    c.mode = cv.mode;
    if (cv.converts()) {
      c.conversions = static_cast<int>(plans[k].h_sizes.size()) * s.layers[k].outputs;
      c.accumulators = s.layers[k].outputs;
      if (cv.mode == devices::ConversionMode::adc) {
        const int share = cfg.adc.share > 0 ? static_cast<int>(cfg.adc.share) : s.tile_cols;
        int widest = 0;
        for (int v : plans[k].v_sizes) {
          c.converters += static_cast<int>(plans[k].h_sizes.size()) * ((v + share - 1) / share);
          widest = std::max(widest, std::min(v, share));
        }
        c.energy_per_conversion = cfg.adc.energy(cv.bits) + cfg.adc.e_add;
        c.latency = widest * cfg.adc.latency();
        c.area_per_converter = cfg.adc.area_at(cv.bits);
      } else {
        c.converters = c.conversions;
        // Per sample: the converter circuit's measurement (config load), else the device formulas.
        const auto& p = cfg.spec.sot_converter;
        const bool measured = cfg.sot_sample.latency > 0;
        c.energy_per_conversion = cv.samples * (measured ? cfg.sot_sample.energy : p.energy_per_sample());
        c.latency = cv.samples * (measured ? cfg.sot_sample.latency : p.latency_per_sample());
        c.area_per_converter = p.area;
      }
    }
    out.push_back(c);
  }
  return out;
}

AreaReport network_area(const Config& cfg) {
  const auto s = shape_of(cfg);
  const auto plans = netlist::plan_partitions(s);
  AreaReport r;
  r.cell = cell_area(cfg);
  r.feature = cfg.spec.wire.node;
  const auto& d = cfg.spec.driver;
  const auto costs = conversion_cost(cfg);
  for (size_t k = 0; k < s.layers.size(); ++k) {
    const auto& l = s.layers[k];
    Area a;
    double cells = 0;  // per neuron: its lines, or IMAC-Sim's padded tiles with their bias cells
    for (int n : netlist::line_cells(s, plans[k])) cells += n;
    a.synapses = 2.0 * cells * l.outputs * r.cell;
    a.amplifiers = static_cast<double>(plans[k].h_sizes.size()) * l.outputs * cfg.spec.amplifier.area;
    a.neurons = l.outputs * cfg.spec.neuron.dyn.area;
    a.drivers = l.inputs * d.area * devices::DriverParams::scale(k == 0 ? input_bits(cfg) : 1);
    a.converters = costs[k].area() + costs[k].accumulators * d.area;
    r.layers.push_back(a);
    r.network.converters += a.converters;
    r.network.synapses += a.synapses;
    r.network.amplifiers += a.amplifiers;
    r.network.neurons += a.neurons;
    r.network.drivers += a.drivers;
  }
  r.tile.synapses = 2.0 * s.tile_rows * s.tile_cols * r.cell;
  r.tile.amplifiers = s.tile_cols * cfg.spec.amplifier.area;
  return r;
}

double line_capacitance(const Config& cfg, int layer) {
  const int outs = cfg.sizes.at(static_cast<size_t>(layer));
  return outs * (cfg.spec.wire.input_segment_c() + 2 * cfg.spec.mtj.capacitance());
}

std::vector<LayerLatency> design_latency(const Config& cfg) {
  const auto s = shape_of(cfg);
  const auto plans = netlist::plan_partitions(s);
  const double e = cfg.run.tolerance, ev = e * cfg.spec.vdd, lne = std::log(1 / e);
  const auto& w = cfg.spec.wire;
  const auto& a = cfg.spec.amplifier;
  const auto& n = cfg.spec.neuron.dyn;
  const auto costs = conversion_cost(cfg);
  std::vector<LayerLatency> out;
  for (size_t k = 0; k < s.layers.size(); ++k) {
    LayerLatency t;
    // Input line: the driver and the longest branch (one v-partition); the I+/I- line of the largest
    // h-partition into its amplifier.
    const int nv = *std::max_element(plans[k].v_sizes.begin(), plans[k].v_sizes.end());
    const int nh = *std::max_element(plans[k].h_sizes.begin(), plans[k].h_sizes.end());
    const auto along = netlist::line_cells(s, plans[k]);
    const int nl = *std::max_element(along.begin(), along.end());  // segments on the longest I+/I- line
    const double cs = w.input_segment_c() + 2 * cfg.spec.mtj.capacitance();
    const double rs = cfg.spec.wire_r ? w.input_segment_r() : 0.0;
    const double ro = cfg.spec.wire_r ? w.output_segment_r() : 0.0;
    const double elmore = cfg.spec.driver.r_out * line_capacitance(cfg, static_cast<int>(k) + 1) +
                          rs * cs * nv * (nv + 1) / 2 + ro * w.output_segment_c() * nl * (nl + 1.0) / 2;
    t.lines = lne * elmore;
    // The op-amp of either readout (unless amplifier.ideal): the difference amplifier's noise gain is
    // 1 + gain; the virtual-ground readout's transimpedance stage (feedback gain * r_in, drawn as an
    // ideal CCVS in the circuit) has 1 + R_f / R_line, R_line the h-partition's cells in parallel at
    // the mean of R_low and R_high (its source resistance).
    if (!cfg.spec.ideal_amplifier && a.gbw > 0) {
      double noise_gain = 1 + s.layers[k].gain;
      if (cfg.spec.readout == netlist::Readout::virtual_ground) {
        const double r_line = 0.5 * (cfg.spec.synapse.r_low + cfg.spec.synapse.r_high) / nh;
        noise_gain = 1 + s.layers[k].gain * a.r_in / r_line;
      }
      const double omega = 2 * std::numbers::pi * a.gbw / noise_gain;
      const double step = a.supply;
      if (a.slew_rate > 0 && step * omega > a.slew_rate) {
        const double linear = a.slew_rate / omega;  // the swing left when slewing ends
        t.amplifier = (step - linear) / a.slew_rate + std::log(std::max(linear / ev, 1.0)) / omega;
      } else {
        t.amplifier = std::log(std::max(step / ev, 1.0)) / omega;
      }
    }
    t.conversion = costs[k].latency;
    t.neuron = lne * n.r_out * (n.c_out + n.c_load);
    out.push_back(t);
  }
  return out;
}

PeripheralPower peripheral_power(const Config& cfg) {
  const auto s = shape_of(cfg);
  const auto plans = netlist::plan_partitions(s);
  PeripheralPower p;
  const auto& d = cfg.spec.driver;
  int neurons = 0;
  for (size_t k = 0; k < s.layers.size(); ++k) {
    const auto& l = s.layers[k];
    p.amplifiers += static_cast<double>(plans[k].h_sizes.size()) * l.outputs * cfg.spec.amplifier.i_quiescent * 2 *
                    cfg.spec.amplifier.supply;
    p.drivers += l.inputs * d.p_static * devices::DriverParams::scale(k == 0 ? input_bits(cfg) : 1);
    neurons += l.outputs;
  }
  for (const auto& c : conversion_cost(cfg)) p.conversion += c.accumulators * d.p_static;
  // Per image: the characterized supply curve at each neuron's input, or the transistor neurons' own
  // supply current from the circuit.
  p.neurons_per_image = !cfg.spec.neuron.curve_supply.empty() || cfg.spec.neuron.kind == netlist::NeuronKind::transistor;
  if (!p.neurons_per_image) p.neurons = neurons * cfg.spec.vdd * cfg.spec.neuron.dyn.i_supply;
  return p;
}

double neuron_supply(const netlist::NeuronSpec& n, double z) {
  const auto& x = n.curve_in;
  const auto& y = n.curve_supply;
  if (y.empty() || y.size() != x.size()) return n.dyn.i_supply;
  if (z <= x.front()) return y.front();
  if (z >= x.back()) return y.back();
  const size_t k = static_cast<size_t>(std::upper_bound(x.begin(), x.end(), z) - x.begin());
  const double f = (z - x[k - 1]) / (x[k] - x[k - 1]);
  return y[k - 1] + f * (y[k] - y[k - 1]);
}

double integrate_until(const std::vector<double>& t, const std::vector<double>& p, double T) {
  double e = 0;
  for (size_t k = 1; k < t.size() && t[k - 1] < T; ++k) {
    const double t1 = std::min(t[k], T);
    const double end = p[k - 1] + (t1 - t[k - 1]) / (t[k] - t[k - 1]) * (p[k] - p[k - 1]);
    e += 0.5 * (t1 - t[k - 1]) * (p[k - 1] + end);
  }
  return e;
}

double mtj_cells(const std::vector<int>& sizes) {
  double cells = 0;
  for (size_t k = 0; k + 1 < sizes.size(); ++k) cells += 2.0 * (sizes[k] + 1.0) * sizes[k + 1];
  return cells;
}

ImacEstimate imac_estimate(const Config& cfg, const std::vector<int>& sizes, double per_cell) {
  Config c = cfg;
  c.sizes = sizes;
  c.gains.assign(sizes.size() - 1, cfg.gains.front());
  ImacEstimate e;
  for (const auto& t : design_latency(c)) e.latency += t.total();
  const PeripheralPower pp = peripheral_power(c);
  double neurons = pp.neurons;
  if (pp.neurons_per_image) {  // the curve's mean supply current
    int n = 0;
    for (size_t k = 1; k < sizes.size(); ++k) n += sizes[k];
    neurons = n * cfg.spec.vdd * cfg.spec.neuron.dyn.i_supply;
  }
  e.energy = (per_cell * mtj_cells(sizes) + pp.amplifiers + pp.drivers + neurons) * e.latency;
  return e;
}

nlohmann::json cpu_imac_report(const Config& cfg, double fc_energy, double fc_latency, double arrays_power) {
  const double per_cell = arrays_power / mtj_cells(cfg.sizes);
  nlohmann::json rows = nlohmann::json::array();
  auto add = [&](const std::string& name, const std::string& basis, const nn::Shape& in,
                 const std::vector<nn::FeatureLayer>& features, const std::vector<int>& fc, double e, double t) {
    const auto split = arch::cpu_imac(cfg.cpu, name, arch::feature_shapes(in, features), arch::fc_shapes(fc), e, t);
    nlohmann::json j = arch::to_json(split);
    j["fc_sizes"] = fc;
    j["imac_basis"] = basis;
    rows.push_back(std::move(j));
  };
  add("this network", "measured: this run's mean energy and latency per inference", cfg.cnn.input, cfg.cnn.layers,
      cfg.sizes, fc_energy, fc_latency);
  const auto vgg = arch::vgg16_features();
  for (const std::vector<int>& fc : {std::vector<int>{512, 512, 512, 10}, std::vector<int>{512, 4096, 4096, 10}}) {
    const ImacEstimate e = imac_estimate(cfg, fc, per_cell);
    add(fmt::format("VGG-16 (CIFAR-10 shapes), FC {}", fmt::join(fc, "-")),
        "estimated: design latency, arrays power per MTJ cell from this run, peripherals as configured", {3, 32, 32},
        vgg, fc, e.energy, e.latency);
  }
  return {{"rows", rows},
          {"note", "CIFAR-10 is not available here: VGG-16 rows use layer shapes only (no accuracy)"},
          {"cpu", "arch/cpu.hpp: Horowitz ISSCC 2014 energies (45 nm), ARM Cortex-A72 throughput"}};
}

nlohmann::json to_json(const AreaReport& a) {
  auto part = [](const Area& x) {
    return nlohmann::json{{"synapses", x.synapses}, {"amplifiers", x.amplifiers}, {"neurons", x.neurons},
                          {"drivers", x.drivers}, {"converters", x.converters}, {"total", x.total()}};
  };
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : a.layers) layers.push_back(part(l));
  return {{"unit", "m^2"}, {"network", part(a.network)}, {"layers", layers}, {"tile", part(a.tile)},
          {"cell_m2", a.cell}, {"cell_f2", a.cell / (a.feature * a.feature)}, {"feature_m", a.feature}};
}

nlohmann::json system_parameters(const Config& cfg) {
  const auto& a = cfg.spec.amplifier;
  const auto& d = cfg.spec.driver;
  const auto& n = cfg.spec.neuron.dyn;
  // A value that differs from the default is the configuration's own.
  const devices::AmplifierParams a0;
  const devices::DriverParams d0;
  const devices::NeuronDynamics n0 = devices::default_neuron_dynamics();
  auto row = [](double v, const char* unit, const char* source, double standard = NAN) {
    const bool given = !std::isnan(standard) && v != standard;
    return nlohmann::json{{"value", v}, {"unit", unit}, {"source", given ? "set in the configuration" : source}};
  };
  const char* sized = "two-stage op-amp sized for 14-22 nm (no crossbar op-amp is specified by IMAC-Sim, NeuroSim, ISAAC or PRIME)";
  nlohmann::json j;
  j["amplifier.gbw"] = row(a.gbw, "Hz", sized, a0.gbw);
  j["amplifier.slew_rate"] = row(a.slew_rate, "V/s", sized, a0.slew_rate);
  j["amplifier.r_out"] = row(a.r_out, "ohm", "0: IMAC-Sim's ideal op-amp output", a0.r_out);
  j["amplifier.c_load"] = row(a.c_load, "F", "wiring from the amplifier to the merge node", a0.c_load);
  j["amplifier.i_quiescent"] = row(a.i_quiescent, "A", sized, a0.i_quiescent);
  j["amplifier.supply"] = row(a.supply, "V", "IMAC-Sim testIMAC.py rails +-1 V", a0.supply);
  j["amplifier.area"] = row(a.area, "m^2", sized, a0.area);
  const bool sot = !cfg.spec.neuron.curve_supply.empty();
  const char* measured = sot ? "measured now from the transistor neuron (ngspice)" : "measured from the default SOT-MRAM neuron circuit";
  j["neuron.r_out"] = row(n.r_out, "ohm", measured, sot ? NAN : n0.r_out);
  j["neuron.c_out"] = row(n.c_out, "F", measured, sot ? NAN : n0.c_out);
  j["neuron.c_load"] = row(n.c_load, "F", "a minimum buffer gate and its local wire", n0.c_load);
  j["neuron.i_supply"] = row(n.i_supply, "A", sot ? "mean of the characterized supply curve (per image: the curve at z)" : measured,
                             sot ? NAN : n0.i_supply);
  j["neuron.area"] = row(n.area, "m^2", "an inverter of the 14-22 nm class with two MTJs above it", n0.area);
  j["driver.r_out"] = row(d.r_out, "ohm", "0: IMAC-Sim's ideal sources", d0.r_out);
  j["driver.p_static"] = row(d.p_static, "W", "ISAAC 1-bit DAC (Shafiee et al., ISCA 2016): 4 mW / (8 x 128)", d0.p_static);
  j["driver.area"] = row(d.area, "m^2", "ISAAC 1-bit DAC: 0.00017 mm^2 / (8 x 128); x 2^(bits-1) per MNSIM 2.0", d0.area);
  j["driver.e_transition"] = row(d.e_transition, "J", "beyond the line's C V dV", d0.e_transition);
  j["driver.input_bits"] = row(input_bits(cfg), "bit",
                              cfg.cnn.enabled ? (cfg.cnn.dac_bits > 0 ? "cnn.dac_bits" : "cnn.dac_bits = 0 (unquantized): priced as 8 bits")
                                              : "binary network inputs");
  j["mtj.capacitance"] = row(cfg.spec.mtj.capacitance(), "F", "eps0 eps_r A / t, MgO eps_r 9.8, 1 nm barrier");
  j["cell"] = row(cell_area(cfg), "m^2", "interconnect cell_width x cell_length (IMAC-Sim 12F x 15F)");
  if (netlist::converts_any(cfg.spec)) {
    const devices::AdcParams c0;
    const devices::SotConverterParams s0;
    const auto& ad = cfg.adc;
    const auto& so = cfg.spec.sot_converter;
    const char* isaac = "ISAAC's 8-bit ADC (Shafiee et al., ISCA 2016; Kull et al., ISSCC 2013) as Accelergy tabulates it";
    j["adc.fom"] = row(ad.fom, "J", "1.67 pJ / 2^8: ISAAC's ADC; Murmann survey best ~1 GS/s designs 5-10 fJ/step", c0.fom);
    j["adc.rate"] = row(ad.rate, "1/s", isaac, c0.rate);
    j["adc.area"] = row(ad.area, "m^2", isaac, c0.area);
    j["adc.area_exponent"] = row(ad.area_exponent, "", "log2(1200/361)/4: Accelergy's ISAAC ADC areas at 8 and 4 bits", c0.area_exponent);
    j["adc.e_add"] = row(ad.e_add, "J", "8-bit add, Horowitz ISSCC 2014 (45 nm)", c0.e_add);
    j["adc.share"] = row(ad.share > 0 ? ad.share : cfg.spec.tile_cols, "columns", "a tile's columns: ISAAC's one ADC per crossbar", c0.share);
    const char* sotsrc = "SOT compact-model values common in the literature (beta-W 200 uOhm cm, 55x55x4 nm channel, J 0.5e12 A/m^2)";
    j["sot_converter.law"] = {{"value", so.law == devices::SwitchingLaw::thermal ? "thermal" : "sigmoid"},
                              {"source", "thermal: Neel-Brown (Koch, Katine, Sun, PRL 2004); sigmoid: StoX-Net p = sigmoid(4x)"}};
    j["sot_converter.k"] = row(so.k, "", "StoX-Net p = sigmoid(4x): slope 1 at x = 0", s0.k);
    j["sot_converter.delta"] = row(so.delta, "", "a retention-class free layer (40 kT)", s0.delta);
    j["sot_converter.tau0"] = row(so.tau0, "s", "the usual attempt time", s0.tau0);
    j["sot_converter.ic0"] = row(so.ic0, "A", sotsrc, s0.ic0);
    j["sot_converter.pulse"] = row(so.pulse, "s", "1 ns write pulse", s0.pulse);
    j["sot_converter.r_channel"] = row(so.r_channel, "ohm", sotsrc, s0.r_channel);
    j["sot_converter.v_write"] = row(so.v_write, "V", "write driver supply above I R_channel", s0.v_write);
    j["sot_converter.r_p"] = row(so.r_p, "ohm", "R_P 5 kOhm, TMR 150 % (SOT-MTJ literature defaults)", s0.r_p);
    j["sot_converter.t_read"] = row(so.t_read, "s", "2 ns sense (J. Lee et al., IEEE Trans. Magn. 51(5), 2015)", s0.t_read);
    j["sot_converter.e_sense"] = row(so.e_sense, "J", "a latch sense amplifier, ~10 fJ", s0.e_sense);
    j["sot_converter.e_count"] = row(so.e_count, "J", "8-bit add, Horowitz ISSCC 2014", s0.e_count);
    j["sot_converter.area"] = row(so.area, "m^2", "MTJ, write driver, sense amplifier and counter", s0.area);
    const bool measured = cfg.sot_sample.latency > 0;
    j["sot_converter.energy_per_sample"] =
        row(measured ? cfg.sot_sample.energy : so.energy_per_sample(), "J",
            measured ? "measured: the converter's write, read and reset cycle (native transient) plus the counter step"
                     : "write + read + reset + count (devices/converter.hpp formulas)");
    j["sot_converter.latency_per_sample"] =
        row(measured ? cfg.sot_sample.latency : so.latency_per_sample(), "s",
            measured ? "measured: the cycle with its 10 ps edges" : "pulse + read + reset");
  }
  return j;
}

}  // namespace spx::mlp
