// Native analyses (native.hpp).
#include "solver/native.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>

#include "devices/error.hpp"
#include "devices/interrupt.hpp"

namespace spx::solver {

using netlist::AnalysisKind;
using netlist::Circuit;

const char* analysis_name(AnalysisKind kind) {
  switch (kind) {
    case AnalysisKind::op: return "op";
    case AnalysisKind::tran: return "tran";
    case AnalysisKind::dc: return "dc";
  }
  return "op";
}

namespace {

/// Output vector names, parallel to the unknowns.
/// Unknowns to record: all, or those named in `save` (an unknown name is an InputError).
std::vector<int32_t> recorded_unknowns(const NodalSystem& sys, const std::vector<std::string>& save) {
  std::vector<int32_t> out;
  if (save.empty()) {
    for (int32_t k = 0; k < sys.size(); ++k) out.push_back(k);
    return out;
  }
  // Names are looked up as the results spell them: v(node) by node, i(element) by element.
  const Circuit& c = sys.circuit();
  for (const auto& name : save) {
    int32_t k = -1;
    if (auto n = c.vector_node(name)) k = sys.node_unknown(*n);
    else if (auto e = c.vector_element(name)) k = sys.branch_unknown(*e);
    if (k < 0) fail("save: no vector '{}' in the circuit", name);
    out.push_back(k);
  }
  return out;
}

/// Collects solutions point by point in one flat buffer and hands them to the result's vectors (one
/// per unknown) at finish(): appending to thousands of growing vectors per point is slow.
class Recorder {
 public:
  Recorder(AnalysisResult& r, const NodalSystem& sys, std::vector<int32_t> unknowns) : r_(r), unknowns_(std::move(unknowns)) {
    for (int32_t k : unknowns_) names_.push_back(sys.unknown_name(k));
  }
  /// Fills the result's vectors with what was recorded.
  void finish() {
    const size_t n = names_.size(), points = n == 0 ? 0 : rows_.size() / n;
    // Inserted in name order (each at the map's end), then filled 64 vectors at a time so that every
    // point's row is read in runs.
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return names_[a] < names_[b]; });
    std::vector<double*> dest(n);
    for (size_t k : order) {
      auto it = r_.vectors.find(names_[k]);
      if (it == r_.vectors.end()) it = r_.vectors.emplace_hint(r_.vectors.end(), names_[k], std::vector<double>());
      it->second.resize(points);
      dest[k] = it->second.data();
    }
    constexpr size_t block = 64;
    for (size_t k0 = 0; k0 < n; k0 += block) {
      const size_t k1 = std::min(n, k0 + block);
      for (size_t p = 0; p < points; ++p) {
        const double* row = rows_.data() + p * n;
        for (size_t k = k0; k < k1; ++k) dest[k][p] = row[k];
      }
    }
  }
  /// Room for this many points (a hint).
  void reserve(size_t points) { rows_.reserve(points * names_.size()); }
  void operator()(const std::vector<double>& x) {
    const size_t at = rows_.size();
    rows_.resize(at + unknowns_.size());
    double* row = rows_.data() + at;
    for (size_t j = 0; j < unknowns_.size(); ++j) row[j] = x[unknowns_[j]];
  }

 private:
  AnalysisResult& r_;
  std::vector<int32_t> unknowns_;
  std::vector<std::string> names_;
  std::vector<double> rows_;
};

}  // namespace

AnalysisResult run_analysis(const Circuit& c, NodalSystem& sys, const netlist::Analysis& a, const SolverOptions& options) {
  const Integration integration = options.integration;
  const bool adaptive = options.adaptive;
  AnalysisResult r;
  r.kind = a.kind;
  Recorder record(r, sys, recorded_unknowns(sys, options.save));
  const int64_t f0 = sys.factorizations();
  std::vector<double> x(sys.size(), 0.0);
  switch (a.kind) {
    case AnalysisKind::op: {
      r.report = sys.solve(LoadContext{}, x);
      if (r.report.ok()) record(x);
      break;
    }
    case AnalysisKind::dc: {
      LoadContext ctx;
      ctx.swept = *c.find_element(a.source);
      double span = a.stop - a.start;
      auto count = static_cast<int64_t>(std::floor(span / a.step + 1e-9)) + 1;
      for (int64_t k = 0; k < count; ++k) {
        check_interrupt();
        ctx.swept_value = a.start + static_cast<double>(k) * a.step;
        r.report = sys.solve(ctx, x);
        if (!r.report.ok()) {
          r.report.detail += " at " + a.source + " = " + std::to_string(ctx.swept_value);
          break;
        }
        r.scale.push_back(ctx.swept_value);
        record(x);
      }
      break;
    }
    case AnalysisKind::tran: {
      devices::TimeAxis axis{a.tstep, a.tstop};
      if (a.tstep > 0) record.reserve(static_cast<size_t>(std::min(1e6, (a.tstop - a.tstart) / a.tstep)) + 8);
      LoadContext op;
      op.source_time = true;
      op.axis = axis;
      if (a.uic) {
        sys.initial_conditions();
      } else {
        r.report = sys.solve(op, x);
        if (!r.report.ok()) {
          r.report.detail = "transient operating point: " + r.report.detail;
          break;
        }
        sys.accept(x);
      }
      if (a.tstart <= 0) {
        r.scale.push_back(0);
        record(x);
      }
      std::vector<double> bps{a.tstop};
      for (const auto& e : c.elements)
        if (e.kind == netlist::ElementKind::vsource || e.kind == netlist::ElementKind::isource) {
          auto b = e.wave.breakpoints(axis);
          bps.insert(bps.end(), b.begin(), b.end());
        }
      std::sort(bps.begin(), bps.end());
      bps.erase(std::unique(bps.begin(), bps.end()), bps.end());
      double h_nom = a.tmax > 0 ? std::min(a.tstep, a.tmax) : a.tstep;
      const double eps = 1e-9 * h_nom;
      LoadContext step = op;
      step.mode = LoadContext::Mode::tran;
      double t = 0, h_prev = 0;
      size_t next = 0;
      bool restart = true;  // the next step has no smooth history: backward Euler
      const int32_t nodes = c.node_count() - 1;
      // History for the truncation-error predictor: the last three accepted points since a restart.
      std::vector<std::vector<double>> past;
      std::vector<double> past_t;
      const double h_start = adaptive ? h_nom * 1e-2 : h_nom;
      double h_try = h_start;
      int rejections = 0;
      while (t < a.tstop - eps) {
        check_interrupt();
        while (next < bps.size() && bps[next] <= t + eps) ++next;
        double target = next < bps.size() ? bps[next] : a.tstop;
        // Full steps keep exactly their size so a linear circuit's matrix does not change; a step that
        // would reach or nearly reach the next corner lands on it.
        double h = std::min(h_try, h_nom);
        double t_new = t + h;
        bool lands = false;
        if (t_new >= target - 1e-3 * h) {
          t_new = target;
          h = target - t;
          if (std::fabs(h - h_nom) <= 1e-9 * h_nom) h = h_nom;  // rounding of t, not a real short step
          lands = true;
        }
        step.time = t_new;
        step.h = h;
        bool bdf2 = integration == Integration::bdf2 && !restart;
        if (bdf2) {
          double w = h / h_prev;
          step.a0 = (1 + 2 * w) / ((1 + w) * h);
          step.a1 = -(1 + w) / h;
          step.a2 = w * w / ((1 + w) * h);
        } else {
          step.a0 = 1 / h;
          step.a1 = -1 / h;
          step.a2 = 0;
        }
        std::vector<double> x_new = x;
        const bool predicted = sys.nonlinear() && !restart && past.size() >= 2;
        if (predicted) {
          // Newton starts from the line through the last two points (fewer iterations than from the last).
          const std::vector<double>& x1 = past[past.size() - 2];
          const double w = h / h_prev;
          for (size_t k = 0; k < x_new.size(); ++k) x_new[k] += w * (x[k] - x1[k]);
        }
        r.report = sys.solve(step, x_new);
        if (!r.report.ok() && predicted) {
          x_new = x;  // the prediction overshot (a sharp switch): from the last point, as without it
          r.report = sys.solve(step, x_new);
        }
        if (!r.report.ok()) {
          if (adaptive && h > h_nom * 1e-9 && r.report.status == SolveReport::Status::no_convergence) {
            h_try = h / 8;
            continue;
          }
          r.report.detail += " at t = " + std::to_string(t_new) + " s";
          break;
        }
        double ratio = 0;
        if (adaptive && bdf2 && past.size() == 3) {
          // Quadratic extrapolation through the last three points (Lagrange form) at t_new.
          double t0 = past_t[0], t1 = past_t[1], t2 = past_t[2];
          double l0 = (t_new - t1) * (t_new - t2) / ((t0 - t1) * (t0 - t2));
          double l1 = (t_new - t0) * (t_new - t2) / ((t1 - t0) * (t1 - t2));
          double l2 = (t_new - t0) * (t_new - t1) / ((t2 - t0) * (t2 - t1));
          for (int32_t k = 0; k < nodes; ++k) {
            double pred = l0 * past[0][k] + l1 * past[1][k] + l2 * past[2][k];
            double lte = 2.0 / 11.0 * std::fabs(x_new[k] - pred);
            double tol = options.lte_reltol * std::max(std::fabs(x_new[k]), std::fabs(x[k])) + options.lte_abstol;
            ratio = std::max(ratio, lte / tol);
          }
          if (ratio > 1 && h > h_nom * 1e-9) {
            h_try = h * std::max(0.2, 0.9 * std::pow(ratio, -1.0 / 3.0));
            ++rejections;
            continue;
          }
        }
        x = std::move(x_new);
        sys.accept(x);
        past.push_back(x);
        past_t.push_back(t_new);
        if (past.size() > 3) {
          past.erase(past.begin());
          past_t.erase(past_t.begin());
        }
        h_prev = h;
        t = t_new;
        restart = lands && target != a.tstop;  // a source corner: start afresh
        if (restart) {
          past.clear();
          past_t.clear();
          h_try = h_start;
        } else if (adaptive) {
          h_try = past.size() < 3 ? std::min(2 * h, h_nom)
                                  : h * std::min(2.0, ratio > 0 ? 0.9 * std::pow(ratio, -1.0 / 3.0) : 2.0);
        }
        if (t >= a.tstart - eps) {
          r.scale.push_back(t);
          record(x);
        }
      }
      r.rejected_steps = rejections;
      break;
    }
  }
  record.finish();
  r.factorizations = sys.factorizations() - f0;
  return r;
}

std::vector<AnalysisResult> simulate_native(const Circuit& c, const SolverOptions& options) {
  std::vector<AnalysisResult> out;
  // An adaptive transient refactorizes at most steps: there the costlier, lower-fill ordering pays
  // off. Fixed steps factorize three times (operating point, BE, BDF2), where AMD is cheaper overall
  // (128 x 128 crossbar: AMD 7 ms analysis + 38 ms per factorization, METIS 105 + 20 ms; solves
  // 0.70 vs 0.65 ms).
  SolverOptions o = options;
  if (o.save.empty()) o.save = c.saves;  // the netlist's .save, unless the caller names vectors
  for (const auto& a : c.analyses)
    if (a.kind == AnalysisKind::tran && o.ordering_automatic && o.adaptive) o.ordering = Ordering::metis;
  NodalSystem sys(c, o);
  for (const auto& a : c.analyses) {
    out.push_back(run_analysis(c, sys, a, o));
    if (!out.back().report.ok()) break;
  }
  return out;
}

}  // namespace spx::solver
