// Crossbar operating point: native solver vs embedded ngspice 39 on the same Circuit.
// An N x N pure-resistor crossbar: each row driven by a voltage source at its left end, 2.5 ohm wire
// segments along rows and columns, an MTJ (R_P or R_AP, seeded) at every crossing, and every column
// ending in a 0 V source whose current is the column current. One row per size and backend: nodes,
// matrix nonzeros, build (pattern + symbolic analysis), first solve (load + factor + solve), repeat
// solve (load + solve, no refactorization), and the largest column-current difference from ngspice.
// A third row per size runs raw CHOLMOD (default ordering; the faster of simplicial and supernodal)
// on the very matrix the native solver factorizes — analyze, factor, solve; a fourth gives CHOLMOD
// the native solver's own ordering (geometric nested dissection from the cells' positions), whose
// factor + solve is the floor the native total is compared with.
// ngspice runs up to 128 x 128 (--ngspice-max; its 39.3 build has no KLU and takes minutes beyond); --quick runs the
// small sizes only and is registered with CTest so the bench keeps building and running.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "benches/bench_util.hpp"
#include "benches/crossbar_circuit.hpp"
#include "devices/mtj.hpp"
#include "devices/random.hpp"
#include "solver/compare.hpp"
#include "solver/native.hpp"
#include "solver/ngspice.hpp"

#include <cholmod.h>

using namespace spx;

namespace {

/// Raw CHOLMOD analyze, factor and solve times (s) of a lower-triangular matrix.
struct RawTimes {
  double analyze = 0, factor = 0, solve = 0;
};
RawTimes raw_cholmod(const solver::NodalSystem::Csc& m, int mode, const std::vector<int32_t>& perm = {}) {
  RawTimes t;
  cholmod_common cc;
  cholmod_start(&cc);
  cc.print = 0;
  cc.supernodal = mode;
  cholmod_sparse* a = cholmod_allocate_sparse(m.n, m.n, m.rowidx.size(), 1, 1, -1, CHOLMOD_REAL, &cc);
  std::memcpy(a->p, m.colptr.data(), m.colptr.size() * sizeof(int32_t));
  std::memcpy(a->i, m.rowidx.data(), m.rowidx.size() * sizeof(int32_t));
  std::memcpy(a->x, m.values.data(), m.values.size() * sizeof(double));
  double t0 = bench::now();
  if (!perm.empty()) {
    cc.nmethods = 1;
    cc.method[0].ordering = CHOLMOD_GIVEN;
  }
  cholmod_factor* l = perm.empty() ? cholmod_analyze(a, &cc) : cholmod_analyze_p(a, const_cast<int32_t*>(perm.data()), nullptr, 0, &cc);
  double t1 = bench::now();
  cholmod_factorize(a, l, &cc);
  double t2 = bench::now();
  cholmod_dense* b = cholmod_ones(m.n, 1, CHOLMOD_REAL, &cc);
  cholmod_dense* x = cholmod_solve(CHOLMOD_A, l, b, &cc);
  double t3 = bench::now();
  t = {t1 - t0, t2 - t1, t3 - t2};
  cholmod_free_dense(&x, &cc);
  cholmod_free_dense(&b, &cc);
  cholmod_free_factor(&l, &cc);
  cholmod_free_sparse(&a, &cc);
  cholmod_finish(&cc);
  return t;
}

/// Largest column-current difference relative to the largest column current.
double column_difference(const solver::AnalysisResult& ref, const solver::AnalysisResult& cand, int n) {
  double worst = 0, scale = 0;
  for (int col = 0; col < n; ++col) {
    auto name = fmt::format("i(vout{})", col);
    double a = ref.vectors.at(name)[0], b = cand.vectors.at(name)[0];
    worst = std::max(worst, std::fabs(a - b));
    scale = std::max(scale, std::fabs(a));
  }
  return worst / scale;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  int ngspice_max = 128;
  for (int k = 1; k < argc; ++k) {
    if (std::strcmp(argv[k], "--quick") == 0) quick = true;
    else if (std::strcmp(argv[k], "--ngspice-max") == 0 && k + 1 < argc) ngspice_max = std::atoi(argv[++k]);
    else {
      fmt::print(stderr, "usage: bench_crossbar_op [--quick] [--ngspice-max N]\n");
      return 2;
    }
  }
  std::vector<int> sizes = quick ? std::vector<int>{16, 32} : std::vector<int>{32, 64, 128, 256, 512};
  fmt::print("{:>5} {:>8} {:>9} {:>9} {:>10} {:>11} {:>10} {:>11} {:>9} {:>11}\n", "n", "nodes", "nnz", "backend",
             "build ms", "1st solve", "re-solve", "total ms", "vs ngsp", "col. diff");
  for (int n : sizes) {
    auto c = bench::crossbar(n, 2.5, 0);
    // Native: construction (stamp pattern, KLU symbolic analysis), first solve, repeat solve.
    double t_build = 0, t_first = 0, t_again = 0;
    int64_t nnz = 0;
    solver::AnalysisResult native;
    solver::NodalSystem::Csc matrix;
    std::vector<int32_t> perm;
    int repeats = n >= 256 ? 2 : 5;
    t_build = bench::best_of(repeats, [&] { solver::NodalSystem sys(c); });
    {
      t_first = bench::best_of(repeats, [&] {
        solver::NodalSystem sys(c);
        std::vector<double> x;
        sys.solve({}, x);
      }) - t_build;
      solver::NodalSystem sys(c);
      std::vector<double> x;
      sys.solve({}, x);
      t_again = bench::best_of(repeats, [&] { sys.solve({}, x); });
      nnz = sys.nonzeros();
      native = solver::run_analysis(c, sys, c.analyses[0]);
      matrix = sys.spd_matrix();
      perm = sys.spd_permutation();
    }
    double native_total = t_build + t_first;
    fmt::print("{:>5} {:>8} {:>9} {:>9} {:>10.3f} {:>11.3f} {:>10.3f} {:>11.3f} {:>9} {:>11}\n", n, c.node_count() - 1,
               nnz, "native", t_build * 1e3, t_first * 1e3, t_again * 1e3, native_total * 1e3, "", "");
    if (matrix.n > 0) {
      RawTimes best{1e9, 1e9, 1e9};
      // The floor: the faster of CHOLMOD's simplicial and supernodal modes, default ordering.
      for (int mode : {CHOLMOD_SIMPLICIAL, CHOLMOD_SUPERNODAL})
        for (int k = 0; k < (n >= 256 ? 1 : 4); ++k) {
          RawTimes r = raw_cholmod(matrix, mode);
          if (r.analyze + r.factor + r.solve < best.analyze + best.factor + best.solve) best = r;
        }
      double raw = best.analyze + best.factor + best.solve;
      fmt::print("{:>5} {:>8} {:>9} {:>9} {:>10.3f} {:>11.3f} {:>10.3f} {:>11.3f}  native/raw {:.2f}x\n", n, "", "",
                 "cholmod", best.analyze * 1e3, best.factor * 1e3, best.solve * 1e3, raw * 1e3, native_total / raw);
      if (!perm.empty()) {
        // The floor with the native solver's ordering (geometric nested dissection) given to CHOLMOD.
        RawTimes nd{1e9, 1e9, 1e9};
        for (int mode : {CHOLMOD_SIMPLICIAL, CHOLMOD_SUPERNODAL})
          for (int k = 0; k < (n >= 256 ? 1 : 4); ++k) {
            RawTimes r = raw_cholmod(matrix, mode, perm);
            if (r.analyze + r.factor + r.solve < nd.analyze + nd.factor + nd.solve) nd = r;
          }
        const double floor = nd.factor + nd.solve;
        fmt::print("{:>5} {:>8} {:>9} {:>9} {:>10.3f} {:>11.3f} {:>10.3f} {:>11.3f}  native/(factor+solve) {:.2f}x\n", n, "", "",
                   "chol-nd", nd.analyze * 1e3, nd.factor * 1e3, nd.solve * 1e3, (nd.analyze + floor) * 1e3, native_total / floor);
      }
    }
    if (n <= ngspice_max) {
      double t_ng = 0;
      auto run = bench::ngspice_timed(c, t_ng);
      double diff = column_difference(run.analyses[0], native, n);
      fmt::print("{:>5} {:>8} {:>9} {:>9} {:>10} {:>11} {:>10} {:>11.3f} {:>8.0f}x {:>11.2e}\n", n, c.node_count() - 1, "",
                 "ngspice", "", "", "", t_ng * 1e3, t_ng / native_total, diff);
      if (!(diff <= 1e-9)) {
        fmt::print("column currents disagree beyond 1e-9\n");
        return 1;
      }
    }
  }
  return 0;
}
