// Clock-by-clock SC inference (network.hpp).
#include "sc/network.hpp"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>

#include "devices/error.hpp"
#include "devices/interrupt.hpp"
#include "sc/bitstream.hpp"

namespace spx::sc {

void validate(const ScSettings& s, const char* section) {
  if (s.length < 1 || s.length > 1000000) fail("{}.length: must be in [1, 1000000] clocks, got {}", section, s.length);
  if (s.states != 0 && s.states != 2 && s.states != 3 && s.states != 5 && s.states != 11)
    fail("{}.states: must be 0 (not quantized), 2, 3, 5 or 11, got {}", section, s.states);
  devices::validate(s.pbit, "smtj");
}

namespace {

/// Per layer: the neuron's transition thresholds for every reachable column sum.
struct NeuronTable {
  int32_t offset = 0;                 // index = s + offset
  std::vector<uint64_t> start, from0, from1;
  std::vector<double> energy;         // J per clock of a neuron p-bit at that sum
};

NeuronTable neuron_table(const ScLayer& l, const ScSettings& st) {
  NeuronTable t;
  t.offset = (l.inputs + 1) * l.half;
  const size_t n = 2 * static_cast<size_t>(t.offset) + 1;
  t.start.resize(n);
  t.from0.resize(n);
  t.from1.resize(n);
  t.energy.resize(n);
  const auto& pb = st.pbit;
  const double i_half = pb.current_for(0.5), per_logit = pb.current_per_logit();
  for (size_t k = 0; k < n; ++k) {
    const double logit = l.beta * static_cast<double>(static_cast<int64_t>(k) - t.offset) / l.half;
    const double current = i_half + per_logit * logit;
    const double p = pb.p_one(current);
    const double rho = st.stream == StreamKind::telegraph ? pb.rho(current) : 0.0;
    t.start[k] = threshold(p);
    t.from0[k] = threshold(p * (1 - rho));
    t.from1[k] = threshold(p + (1 - p) * rho);
    t.energy[k] = pb.energy_per_bit(current);
  }
  return t;
}

/// Lag-one correlation of an input line's p-bit biased to probability a.
double line_rho(const ScSettings& st, double a) {
  return st.stream == StreamKind::telegraph ? st.pbit.rho(st.pbit.current_for(a)) : 0.0;
}

double quantize(double a, int states) {
  if (states == 0) return a;
  const double k = states - 1;
  return std::round(a * k) / k;
}

/// Scratch space of one thread.
struct Work {
  std::vector<int32_t> s;              // current column sums
  std::vector<int64_t> acc;            // integrated column sums (integrate readout)
  std::vector<int32_t> count;          // neuron ones
  std::vector<uint8_t> y;              // neuron bits
  std::vector<devices::CellRng> rng;   // neuron streams
  std::vector<int32_t> ev_start;       // events per clock (prefix sums)
  std::vector<int32_t> ev_line;        // events: line index, negative (~i) for a 1 -> 0 flip
  std::vector<std::pair<int32_t, int32_t>> raw;
};

/// One layer for one image: inputs a (values in [0, 1]) -> outputs (hidden: quantized activations;
/// last: readout values).
void layer_pass(const ScLayer& l, const NeuronTable& tab, const ScSettings& st, bool last, int layer, int64_t image,
                const std::vector<double>& a, std::vector<double>& out, ScActivity& act, Work& w) {
  const int n = l.inputs, m = l.outputs, L = st.length;
  const bool integrate = last && st.readout == ScReadout::integrate;
  w.s.assign(static_cast<size_t>(m), 0);
  auto add_row = [&](int i, int sign) {
    const int32_t* row = l.w.data() + static_cast<size_t>(i) * m;
    int32_t* s = w.s.data();
    if (sign > 0)
      for (int j = 0; j < m; ++j) s[j] += row[j];
    else
      for (int j = 0; j < m; ++j) s[j] -= row[j];
  };
  const bool have_g = !l.row_conductance.empty();
  // Constant lines and the bias; p-bit lines become flip events.
  add_row(n, 1);
  act.clocks = L;
  act.line_ones += L;
  auto g_of = [&](int i) { return have_g ? l.row_conductance[static_cast<size_t>(i)] : 0.0; };
  act.conductance_clocks += g_of(n) * L;
  act.analog_conductance += g_of(n);
  w.raw.clear();
  for (int i = 0; i < n; ++i) {
    const double v = a[static_cast<size_t>(i)];
    if (v <= 0) continue;
    act.analog_conductance += v * v * g_of(i);
    if (v >= 1) {
      add_row(i, 1);
      act.line_ones += L;
      act.conductance_clocks += g_of(i) * L;
      continue;
    }
    ++act.pbit_lines;
    act.line_energy += st.pbit.energy_per_bit(st.pbit.current_for(v)) * L;
    devices::CellRng rng(st.seed, layer, image, i, devices::Purpose::bitstream);
    Bitstream b = markov_stream(v, line_rho(st, v), L, rng);
    const int ones = b.count();
    act.line_ones += ones;
    act.conductance_clocks += g_of(i) * ones;
    bool prev = false;
    for (size_t k = 0; k < b.words.size(); ++k) {
      const uint64_t word = b.words[k];
      uint64_t flips = word ^ ((word << 1) | (prev ? 1u : 0u));
      if (k + 1 == b.words.size() && (L & 63)) flips &= (uint64_t{1} << (L & 63)) - 1;
      while (flips) {
        const int bit = std::countr_zero(flips);
        flips &= flips - 1;
        const int t = static_cast<int>(k) * 64 + bit;
        w.raw.emplace_back(t, ((word >> bit) & 1) ? i : ~i);
      }
      prev = (word >> 63) & 1;
    }
  }
  act.flips += static_cast<int64_t>(w.raw.size());
  // Counting sort of the events by clock.
  w.ev_start.assign(static_cast<size_t>(L) + 1, 0);
  for (const auto& e : w.raw) ++w.ev_start[static_cast<size_t>(e.first) + 1];
  for (int t = 0; t < L; ++t) w.ev_start[static_cast<size_t>(t) + 1] += w.ev_start[static_cast<size_t>(t)];
  w.ev_line.resize(w.raw.size());
  {
    std::vector<int32_t> pos(w.ev_start.begin(), w.ev_start.end() - 1);
    for (const auto& e : w.raw) w.ev_line[static_cast<size_t>(pos[static_cast<size_t>(e.first)]++)] = e.second;
  }
  // Clock by clock.
  if (integrate) {
    w.acc.assign(static_cast<size_t>(m), 0);
  } else {
    w.count.assign(static_cast<size_t>(m), 0);
    w.y.assign(static_cast<size_t>(m), 0);
    w.rng.clear();
    w.rng.reserve(static_cast<size_t>(m));
    for (int j = 0; j < m; ++j) w.rng.emplace_back(st.seed, layer, image, j, devices::Purpose::telegraph);
  }
  for (int t = 0; t < L; ++t) {
    for (int e = w.ev_start[static_cast<size_t>(t)]; e < w.ev_start[static_cast<size_t>(t) + 1]; ++e) {
      const int32_t code = w.ev_line[static_cast<size_t>(e)];
      if (code >= 0)
        add_row(code, 1);
      else
        add_row(~code, -1);
    }
    if (integrate) {
      for (int j = 0; j < m; ++j) w.acc[static_cast<size_t>(j)] += w.s[static_cast<size_t>(j)];
      continue;
    }
    const uint64_t* th = t == 0 ? tab.start.data() : nullptr;
    double e = 0;
    for (int j = 0; j < m; ++j) {
      const size_t idx = static_cast<size_t>(w.s[static_cast<size_t>(j)] + tab.offset);
      e += tab.energy[idx];
      const uint64_t thr = th ? th[idx] : (w.y[static_cast<size_t>(j)] ? tab.from1[idx] : tab.from0[idx]);
      const bool bit = draw(w.rng[static_cast<size_t>(j)], thr);
      w.y[static_cast<size_t>(j)] = bit;
      w.count[static_cast<size_t>(j)] += bit;
    }
    act.neuron_energy += e;
  }
  out.resize(static_cast<size_t>(m));
  if (integrate) {
    for (int j = 0; j < m; ++j)
      out[static_cast<size_t>(j)] = l.beta * static_cast<double>(w.acc[static_cast<size_t>(j)]) / (static_cast<double>(L) * l.half);
    return;
  }
  for (int j = 0; j < m; ++j) {
    act.neuron_ones += w.count[static_cast<size_t>(j)];
    const double frac = static_cast<double>(w.count[static_cast<size_t>(j)]) / L;
    out[static_cast<size_t>(j)] = last ? frac : quantize(frac, st.states);
  }
}

int argmax_or_tie(const std::vector<double>& v) {
  int best = 0;
  bool tie = false;
  for (int j = 1; j < static_cast<int>(v.size()); ++j) {
    if (v[static_cast<size_t>(j)] > v[static_cast<size_t>(best)]) {
      best = j;
      tie = false;
    } else if (v[static_cast<size_t>(j)] == v[static_cast<size_t>(best)]) {
      tie = true;
    }
  }
  return tie ? -1 : best;
}

}  // namespace

std::vector<ScImage> run_sc(const ScModel& model, const ScSettings& st, const float* x, int count, int first,
                            int threads) {
  validate(st);
  if (model.layers.empty()) fail("sc: the network has no layers");
  std::vector<NeuronTable> tables;
  for (const auto& l : model.layers) tables.push_back(neuron_table(l, st));
  const int inputs = model.layers.front().inputs;
  std::vector<ScImage> results(static_cast<size_t>(std::max(count, 0)));
  std::atomic<bool> stop{false};
#pragma omp parallel num_threads(std::max(threads, 1))
  {
    Work w;
    std::vector<double> a, b;
#pragma omp for schedule(dynamic, 16)
    for (int k = 0; k < count; ++k) {
      if (stop.load(std::memory_order_relaxed)) continue;
      if (interrupt_flag().load(std::memory_order_relaxed)) {
        stop = true;
        continue;
      }
      a.assign(x + static_cast<size_t>(k) * inputs, x + static_cast<size_t>(k + 1) * inputs);
      for (double& v : a) v = std::clamp(v, 0.0, 1.0);
      ScImage& r = results[static_cast<size_t>(k)];
      r.activity.resize(model.layers.size());
      for (size_t li = 0; li < model.layers.size(); ++li) {
        const bool last = li + 1 == model.layers.size();
        layer_pass(model.layers[li], tables[li], st, last, static_cast<int>(li), static_cast<int64_t>(first) + k, a, b,
                   r.activity[li], w);
        std::swap(a, b);
      }
      r.outputs = a;
      r.predicted = argmax_or_tie(r.outputs);
    }
  }
  check_interrupt();
  return results;
}

}  // namespace spx::sc
