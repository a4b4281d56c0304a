// RC crossbar transient: native BDF2 (fixed step, one factorization) vs embedded ngspice 39 with
// method=gear. An N x N crossbar (benches/crossbar_circuit.hpp) with 1 fF from every wire node to
// ground; rows step at 1 ns; .tran 0.1n 10n. One row per size and backend: nodes, time points,
// factorizations, wall time, and the largest column-current difference from ngspice relative to the
// peak column current (ngspice's points, native interpolated). ngspice 39.3 refactors at every Newton
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

double interpolate(const std::vector<double>& t, const std::vector<double>& y, double at) {
  auto it = std::lower_bound(t.begin(), t.end(), at);
  if (it == t.begin()) return y.front();
  if (it == t.end()) return y.back();
  size_t k = static_cast<size_t>(it - t.begin());
  return y[k - 1] + (y[k] - y[k - 1]) * (at - t[k - 1]) / (t[k] - t[k - 1]);
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  int ngspice_max = 32;
  for (int k = 1; k < argc; ++k) {
    if (std::strcmp(argv[k], "--quick") == 0) quick = true;
    else if (std::strcmp(argv[k], "--ngspice-max") == 0 && k + 1 < argc) ngspice_max = std::atoi(argv[++k]);
    else {
      fmt::print(stderr, "usage: bench_rc_transient [--quick] [--ngspice-max N]\n");
      return 2;
    }
  }
  std::vector<int> sizes = quick ? std::vector<int>{16, 32} : std::vector<int>{32, 64, 128};
  fmt::print("{:>5} {:>8} {:>9} {:>8} {:>8} {:>10} {:>9} {:>14}\n", "n", "nodes", "backend", "points", "factor.",
             "time ms", "vs ngsp", "col. diff/peak");
  for (int n : sizes) {
    auto c = bench::crossbar(n, 2.5, 1e-15, true);
    netlist::Analysis a;
    a.kind = netlist::AnalysisKind::tran;
    a.tstep = 0.1e-9;
    a.tstop = 10e-9;
    c.analyses = {a};
    solver::AnalysisResult native;
    double t_native = bench::best_of(n >= 128 ? 2 : 3, [&] { native = solver::simulate_native(c).at(0); });
    if (!native.report.ok()) {
      fmt::print("native failed: {}\n", native.report.detail);
      return 1;
    }
    fmt::print("{:>5} {:>8} {:>9} {:>8} {:>8} {:>10.1f} {:>9} {:>14}\n", n, c.node_count() - 1, "native",
               native.scale.size(), native.factorizations, t_native * 1e3, "", "");
    if (n > ngspice_max) continue;
    c.options = {".options method=gear"};
    double t0 = bench::now();
    auto run = solver::ngspice_session().run(c);
    double t_ng = bench::now() - t0;
    if (!run.ok) {
      fmt::print("ngspice failed: {}\n", run.error);
      return 1;
    }
    const auto& ref = run.analyses[0];
    double worst = 0, peak = 0;
    for (int col = 0; col < n; ++col) {
      auto name = fmt::format("i(vout{})", col);
      const auto& r = ref.vectors.at(name);
      const auto& v = native.vectors.at(name);
      for (size_t k = 0; k < r.size(); ++k) {
        peak = std::max(peak, std::fabs(r[k]));
        worst = std::max(worst, std::fabs(r[k] - interpolate(native.scale, v, ref.scale[k])));
      }
    }
    fmt::print("{:>5} {:>8} {:>9} {:>8} {:>8} {:>10.1f} {:>8.0f}x {:>14.2e}\n", n, c.node_count() - 1, "ngspice",
               ref.scale.size(), "", t_ng * 1e3, t_ng / t_native, worst / peak);
  }
  return 0;
}
