// The SOT-MTJ converter at circuit level (converter_circuit.hpp).
#include "mlp/converter_circuit.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

#include "netlist/sot_converter.hpp"
#include "solver/native.hpp"

namespace spx::mlp {

namespace {

double trapezoid(const std::vector<double>& t, const std::vector<double>& y) {
  double s = 0;
  for (size_t k = 1; k < t.size(); ++k) s += 0.5 * (y[k] + y[k - 1]) * (t[k] - t[k - 1]);
  return s;
}

}  // namespace

SotSample simulate_sot_sample(const devices::SotConverterParams& p, double range, double a, bool switched) {
  netlist::Circuit c;
  const auto ports = netlist::build_sot_converter(p, range, a, switched, c);
  auto res = solver::simulate_native(c);
  if (res.empty() || !res[0].report.ok())
    throw std::runtime_error(fmt::format("SOT-MTJ converter cycle: native transient: {}", res.empty() ? "no result" : res[0].report.detail));
  const auto& r = res[0];
  const auto& t = r.scale;
  auto vec = [&](const std::string& name) -> const std::vector<double>& { return r.vectors.at(name); };
  const auto& ch = vec("v(ch)");
  const auto& iw = vec("i(v_vw)");
  const auto& ir = vec("i(v_vr)");
  const auto& ird = vec("i(v_read)");
  const auto& vrd = vec("v(rd)");
  SotSample s;
  std::vector<double> pw(t.size()), pr(t.size()), prd(t.size()), rate(t.size()), current(t.size());
  for (size_t k = 0; k < t.size(); ++k) {
    pw[k] = -p.v_write * iw[k];
    pr[k] = p.v_write * ir[k];  // the supply sits at -v_write: -V i = v_write i
    prd[k] = -vrd[k] * ird[k];
    const bool writing = t[k] <= ports.write_end;
    const double i = writing ? ch[k] / p.r_channel : 0.0;
    current[k] = i;
    rate[k] = writing && i > 0 ? std::exp(-p.delta * (1 - i / p.ic0)) / p.tau0 : 0.0;
  }
  s.e_write = trapezoid(t, pw);
  s.e_reset = trapezoid(t, pr);
  s.e_read = trapezoid(t, prd) + p.e_sense;
  // The pulse at full level lasts t_p, each edge adds half of its width.
  const double pulse = p.pulse + (ports.write_end - ports.write_start - p.pulse) / 2;
  s.i_write = trapezoid(t, current) / pulse;
  if (p.law == devices::SwitchingLaw::thermal) {
    s.probability = 1 - std::exp(-trapezoid(t, rate));
  } else {
    const double x = (s.i_write - p.i_mid()) / p.i_span();
    s.probability = 1 / (1 + std::exp(-p.k * x));
  }
  s.latency = ports.stop;
  return s;
}

SotSampleCost sot_sample_cost(const devices::SotConverterParams& p, double range) {
  const SotSample off = simulate_sot_sample(p, range, 0, false), on = simulate_sot_sample(p, range, 0, true);
  SotSampleCost c;
  c.energy = off.e_write + 0.5 * (off.e_read + on.e_read) + off.e_reset + p.e_count;
  c.latency = off.latency;
  c.probability_at_zero = off.probability;
  return c;
}

}  // namespace spx::mlp
