// Evaluation of SPICE source time functions; see waveform.hpp for the definitions.
#include "devices/waveform.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "devices/limits.hpp"

namespace spx::devices {
namespace {

double arg(const std::vector<double>& a, size_t i, double fallback) {
  return i < a.size() && !std::isnan(a[i]) ? a[i] : fallback;
}

/// PULSE timing with defaults resolved; zero rise/fall/width/period also take the defaults, as in SPICE.
struct Pulse {
  double v1, v2, td, tr, tf, pw, per;
  Pulse(const std::vector<double>& a, const TimeAxis& axis) {
    v1 = arg(a, 0, 0);
    v2 = arg(a, 1, 0);
    td = arg(a, 2, 0);
    tr = arg(a, 3, 0);
    tf = arg(a, 4, 0);
    pw = arg(a, 5, 0);
    per = arg(a, 6, 0);
    if (tr <= 0) tr = axis.tstep;
    if (tf <= 0) tf = axis.tstep;
    if (pw <= 0) pw = axis.tstop;
    if (per <= 0) per = axis.tstop;
  }
  double at(double t) const {
    if (t <= td) return v1;
    double u = t - td;
    if (per > 0 && u > per) u = std::fmod(u, per);  // ngspice wraps only strictly after a period
    if (u < tr) return tr > 0 ? v1 + (v2 - v1) * u / tr : v2;
    if (u <= tr + pw) return v2;
    if (u < tr + pw + tf) return v2 + (v1 - v2) * (u - tr - pw) / tf;
    return v1;
  }
};

}  // namespace

int max_args(WaveKind kind) {
  switch (kind) {
    case WaveKind::pulse: return 7;
    case WaveKind::sin: return 6;
    case WaveKind::pwl: return 1 << 30;
    case WaveKind::dc: return 0;
  }
  return 0;
}

std::string_view keyword(WaveKind kind) {
  switch (kind) {
    case WaveKind::pulse: return "pulse";
    case WaveKind::sin: return "sin";
    case WaveKind::pwl: return "pwl";
    case WaveKind::dc: return "dc";
  }
  return "dc";
}

double Waveform::at(double t, const TimeAxis& axis) const {
  switch (kind) {
    case WaveKind::dc: return dc;
    case WaveKind::pulse: return Pulse(args, axis).at(t);
    case WaveKind::sin: {
      double vo = arg(args, 0, 0), va = arg(args, 1, 0);
      double freq = arg(args, 2, axis.tstop > 0 ? 1 / axis.tstop : 0);
      double td = arg(args, 3, 0), theta = arg(args, 4, 0);
      double phase = arg(args, 5, 0) * std::numbers::pi / 180;
      if (t <= td) return vo + va * std::sin(phase);
      double u = t - td;
      return vo + va * std::exp(-u * theta) * std::sin(2 * std::numbers::pi * freq * u + phase);
    }
    case WaveKind::pwl: {
      size_t n = args.size() / 2;
      if (n == 0) return 0;
      if (t <= args[0]) return args[1];
      for (size_t k = 1; k < n; ++k) {
        double t1 = args[2 * k];
        if (t <= t1) {
          double t0 = args[2 * k - 2], v0 = args[2 * k - 1], v1 = args[2 * k + 1];
          return t1 > t0 ? v0 + (v1 - v0) * (t - t0) / (t1 - t0) : v1;
        }
      }
      return args[2 * n - 1];
    }
  }
  return dc;
}

double Waveform::op_value() const {
  if (dc_given || kind == WaveKind::dc) return dc;
  return at(0, TimeAxis{});
}

std::vector<double> Waveform::breakpoints(const TimeAxis& axis) const {
  std::vector<double> out;
  auto push = [&](double t) {
    if (t > 0 && t <= axis.tstop) out.push_back(t);
  };
  switch (kind) {
    case WaveKind::dc: break;
    case WaveKind::pulse: {
      Pulse p(args, axis);
      // Four corners a period: bounded like any time axis (a period of 1e-20 s over 1 s would be 4e20).
      check_points(4 * (axis.tstop - p.td) / p.per, "pulse", "breakpoints (four corners per period)");
      for (double start = p.td; start < axis.tstop; start += p.per) {
        push(start);
        push(start + p.tr);
        push(start + p.tr + p.pw);
        push(start + p.tr + p.pw + p.tf);
        if (p.per <= 0 || start + p.per == start) break;
      }
      break;
    }
    case WaveKind::sin: push(arg(args, 3, 0)); break;
    case WaveKind::pwl:
      for (size_t k = 0; k + 1 < args.size(); k += 2) push(args[k]);
      break;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace spx::devices
