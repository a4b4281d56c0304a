// Stochastic MTJ telegraph sampling (smtj.hpp).
#include "devices/smtj.hpp"

#include <algorithm>
#include <cmath>

namespace spx::devices {

double SmtjParams::dwell_ap(double i) const { return tau0 * std::exp(delta * (1 + i / ic0)); }
double SmtjParams::dwell_p(double i) const { return tau0 * std::exp(delta * (1 - i / ic0)); }
double SmtjParams::p_ap(double i) const { return 1 / (1 + std::exp(-2 * delta * i / ic0)); }

const std::vector<ParamSpec<SmtjParams>>& smtj_table() {
  static const std::vector<ParamSpec<SmtjParams>> t = {
      {"delta", &SmtjParams::delta, "", "thermal stability factor Eb/kT", 0, 100},
      {"tau0", &SmtjParams::tau0, "s", "attempt time", 0, 1, true},
      {"ic0", &SmtjParams::ic0, "A", "critical current scale", 0, 1, true},
  };
  return t;
}

bool Telegraph::state_at(double t) const {
  auto n = std::upper_bound(switches.begin(), switches.end(), t) - switches.begin();
  return initial_ap != (n % 2 == 1);
}

double Telegraph::fraction_ap() const {
  if (duration <= 0) return initial_ap ? 1.0 : 0.0;
  double ap = 0, t = 0;
  bool s = initial_ap;
  for (double sw : switches) {
    if (s) ap += sw - t;
    t = sw;
    s = !s;
  }
  if (s) ap += duration - t;
  return ap / duration;
}

Telegraph sample_telegraph(const SmtjParams& p, double i, double duration, CellRng& rng) {
  return sample_telegraph_dwells(p.dwell_ap(i), p.dwell_p(i), duration, rng);
}

Telegraph sample_telegraph_dwells(double mean_ap, double mean_p, double duration, CellRng& rng) {
  Telegraph out;
  out.duration = duration;
  out.initial_ap = rng.uniform() < mean_ap / (mean_ap + mean_p);
  // The first dwell is also exponential: the exponential is memoryless, so starting in the
  // stationary state at t = 0 needs no special first interval.
  double t = 0;
  bool s = out.initial_ap;
  for (;;) {
    t += rng.exponential(s ? mean_ap : mean_p);
    if (t >= duration) break;
    out.switches.push_back(t);
    s = !s;
  }
  return out;
}

std::vector<uint8_t> sample_bits(const SmtjParams& p, double i, int n, double period, CellRng& rng) {
  Telegraph t = sample_telegraph(p, i, period * n, rng);
  std::vector<uint8_t> bits(n);
  for (int k = 0; k < n; ++k) bits[k] = t.state_at((k + 1) * period - 1e-3 * period) ? 1 : 0;
  return bits;
}

std::vector<double> telegraph_pwl(const Telegraph& t, double low, double high, double edge) {
  std::vector<double> pts;
  bool s = t.initial_ap;
  pts.insert(pts.end(), {0.0, s ? high : low});
  for (double sw : t.switches) {
    // Hold until the switch, then ramp. A switch within one edge of the previous ramp's end starts
    // right after it, so the times strictly increase.
    double last = pts[pts.size() - 2];
    if (sw > last) pts.insert(pts.end(), {sw, s ? high : low});
    s = !s;
    pts.insert(pts.end(), {std::max(sw, last) + edge, s ? high : low});
  }
  if (t.duration > pts[pts.size() - 2]) pts.insert(pts.end(), {t.duration, s ? high : low});
  return pts;
}

}  // namespace spx::devices
