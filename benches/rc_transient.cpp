// RC crossbar transient: native BDF2 with fixed 0.1 ns steps (one factorization after the first BE
// step; every vector recorded, and only the column currents as a .save would) and with adaptive
// steps, vs embedded ngspice 39 with method=gear. An N x N crossbar
// (benches/crossbar_circuit.hpp) with 1 fF from every wire node to ground; rows step at 1 ns in
// 0.1 ns; .tran 0.1n 10n. Per size and backend: nodes, time points, factorizations, wall time, and
// the error of the column currents at the backend's own time points against a converged reference
// (native BDF2 with fixed 1 ps steps, interpolated), as a fraction of the peak column current; the
// reference is computed up to --reference-max (default 32). ngspice 39.3 refactors at every Newton
// iteration of every step and needs minutes from 64 x 64 up, so it runs up to --ngspice-max (default
// 32); --quick runs 16 and 32 under CTest.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "benches/bench_util.hpp"
#include "benches/crossbar_circuit.hpp"
#include "solver/compare.hpp"
#include "solver/native.hpp"
#include "solver/ngspice.hpp"

using namespace spx;

namespace {


}  // namespace

/// Largest column-current error at the candidate's own points against the reference, over the peak.
double error_vs(const solver::AnalysisResult& ref, const solver::AnalysisResult& cand, int n) {
  double worst = 0, peak = 0;
  for (int col = 0; col < n; ++col) {
    auto name = fmt::format("i(vout{})", col);
    const auto& v = cand.vectors.at(name);
    for (size_t k = 0; k < v.size(); ++k) {
      double r = solver::interpolate(ref.scale, ref.vectors.at(name), cand.scale[k]);
      peak = std::max(peak, std::fabs(r));
      worst = std::max(worst, std::fabs(v[k] - r));
    }
  }
  return worst / peak;
}

int main(int argc, char** argv) {
  bool quick = false;
  int ngspice_max = 32, reference_max = 32;
  for (int k = 1; k < argc; ++k) {
    if (std::strcmp(argv[k], "--quick") == 0) quick = true;
    else if (std::strcmp(argv[k], "--ngspice-max") == 0 && k + 1 < argc) ngspice_max = std::atoi(argv[++k]);
    else if (std::strcmp(argv[k], "--reference-max") == 0 && k + 1 < argc) reference_max = std::atoi(argv[++k]);
    else {
      fmt::print(stderr, "usage: bench_rc_transient [--quick] [--ngspice-max N] [--reference-max N]\n");
      return 2;
    }
  }
  std::vector<int> sizes = quick ? std::vector<int>{16, 32} : std::vector<int>{32, 64, 128};
  fmt::print("{:>5} {:>8} {:>18} {:>8} {:>8} {:>10} {:>16}\n", "n", "nodes", "backend", "points", "factor.", "time ms",
             "error/peak");
  for (int n : sizes) {
    auto c = bench::crossbar(n, 2.5, 1e-15, true);
    netlist::Analysis a;
    a.kind = netlist::AnalysisKind::tran;
    a.tstep = 0.1e-9;
    a.tstop = 10e-9;
    c.analyses = {a};
    solver::AnalysisResult reference;
    if (n <= reference_max) {
      auto fine = c;
      fine.analyses[0].tstep = 1e-12;
      solver::SolverOptions o;
      o.adaptive = false;
      reference = solver::simulate_native(fine, o).at(0);
    }
    auto err = [&](const solver::AnalysisResult& r) {
      return reference.scale.empty() ? std::string("-") : fmt::format("{:.2e}", error_vs(reference, r, n));
    };
    std::vector<std::string> columns;
    for (int col = 0; col < n; ++col) columns.push_back(fmt::format("i(vout{})", col));
    for (int mode = 0; mode < 3; ++mode) {
      const bool adaptive = mode == 2;
      solver::SolverOptions o;
      o.adaptive = adaptive;
      if (mode == 1) o.save = columns;  // what a user asks for: the column currents
      solver::AnalysisResult r;
      double t = bench::best_of(adaptive && n >= 128 ? 2 : 5, [&] { r = solver::simulate_native(c, o).at(0); });
      if (!r.report.ok()) {
        fmt::print("native failed: {}\n", r.report.detail);
        return 1;
      }
      fmt::print("{:>5} {:>8} {:>18} {:>8} {:>8} {:>10.1f} {:>16}\n", n, c.node_count() - 1,
                 adaptive ? "native adaptive" : mode == 1 ? "fixed, .save cols" : "native fixed", r.scale.size(),
                 r.factorizations, t * 1e3, err(r));
    }
    if (n > ngspice_max) continue;
    c.options = {".options method=gear"};
    double t_ng = 0;
    auto run = bench::ngspice_timed(c, t_ng);
    fmt::print("{:>5} {:>8} {:>18} {:>8} {:>8} {:>10.1f} {:>16}\n", n, c.node_count() - 1, "ngspice gear",
               run.analyses[0].scale.size(), "", t_ng * 1e3, err(run.analyses[0]));
  }
  return 0;
}
