// KLU wrapper (sparse_lu.hpp). A factorization whose reciprocal pivot growth estimate (klu_rcond:
// min|U_kk| / max|U_kk|) is below 1e-15 is treated as singular: for a floating sub-network rounding
// leaves a tiny pivot instead of an exact zero, and a solve would return garbage.
#include "solver/sparse_lu.hpp"

#include <klu.h>

#include <cmath>
#include <stdexcept>
#include <thread>

namespace spx::solver {

/// A numeric factorization of its own (with its own workspace) for concurrent solves.
struct LuWorker {
  klu_common common{};
  klu_numeric* numeric = nullptr;
  bool owned = true;  // false: the main factorization, lent to worker 0
  LuWorker() { klu_defaults(&common); }
  ~LuWorker() {
    if (numeric && owned) klu_free_numeric(&numeric, &common);
  }
  LuWorker(const LuWorker&) = delete;
  LuWorker& operator=(const LuWorker&) = delete;
};

struct SparseLu::Impl {
  klu_common common{};
  klu_symbolic* symbolic = nullptr;
  klu_numeric* numeric = nullptr;
  int32_t n = 0;
  std::vector<int32_t> colptr, rowidx;
  std::vector<std::unique_ptr<LuWorker>> workers;
  bool fresh = false;  // the numeric factorization is a full one of `values` (not a refactorization)
  mutable std::vector<double> work;

  Impl() { klu_defaults(&common); }
  ~Impl() { release(); }
  void release_numeric() {
    workers.clear();
    fresh = false;
    if (numeric) klu_free_numeric(&numeric, &common);
  }
  void release() {
    release_numeric();
    if (symbolic) klu_free_symbolic(&symbolic, &common);
  }
  /// Column of the smallest |U_kk|, mapped back to the original column numbering.
  int32_t weakest_column() {
    if (!numeric) return common.singular_col >= 0 && common.singular_col < n ? common.singular_col : -1;
    double best = INFINITY;
    int32_t col = -1;
    // U diagonal is stored in Udiag in the permuted order; Q maps it to original columns.
    const double* ud = static_cast<const double*>(numeric->Udiag);
    for (int32_t k = 0; k < n; ++k) {
      double v = std::fabs(ud[k]);
      if (v < best) {
        best = v;
        col = symbolic->Q ? symbolic->Q[k] : k;
      }
    }
    return col;
  }
};

SparseLu::SparseLu() : impl_(std::make_unique<Impl>()) {}
SparseLu::~SparseLu() = default;

void SparseLu::analyze(int32_t n, std::vector<int32_t> colptr, std::vector<int32_t> rowidx) {
  impl_->release();
  impl_->n = n;
  impl_->colptr = std::move(colptr);
  impl_->rowidx = std::move(rowidx);
  impl_->work.resize(n);
  if (n == 0) return;
  impl_->symbolic = klu_analyze(n, impl_->colptr.data(), impl_->rowidx.data(), &impl_->common);
  if (!impl_->symbolic) throw std::runtime_error("klu_analyze failed");
}

FactorStatus SparseLu::factor(std::span<const double> values) {
  Impl& m = *impl_;
  if (m.n == 0) return {};
  auto* ap = m.colptr.data();
  auto* ai = m.rowidx.data();
  auto* ax = const_cast<double*>(values.data());
  m.workers.clear();
  m.fresh = false;
  bool done = false;
  if (m.numeric) {
    if (klu_refactor(ap, ai, ax, m.symbolic, m.numeric, &m.common) && m.common.status == KLU_OK) {
      klu_rcond(m.symbolic, m.numeric, &m.common);
      // Refactoring keeps the old pivot order; when it degrades, pivot afresh.
      done = m.common.rcond > 1e-12;
      if (done) ++refactors_;
    }
    if (!done) m.release_numeric();
  }
  if (!done) {
    m.common.halt_if_singular = 0;
    m.numeric = klu_factor(ap, ai, ax, m.symbolic, &m.common);
    if (!m.numeric) return {false, m.common.singular_col >= 0 && m.common.singular_col < m.n ? m.common.singular_col : 0};
    ++full_;
    m.fresh = true;
    klu_rcond(m.symbolic, m.numeric, &m.common);
  }
  if (m.common.status == KLU_SINGULAR || !(m.common.rcond > 1e-15)) {
    int32_t col = m.common.status == KLU_SINGULAR && m.common.singular_col >= 0 && m.common.singular_col < m.n
                      ? m.common.singular_col
                      : m.weakest_column();
    m.release_numeric();
    return {false, col};
  }
  return {};
}

void SparseLu::solve(std::span<double> rhs) const {
  Impl& m = *impl_;
  if (m.n == 0) return;
  klu_solve(m.symbolic, m.numeric, m.n, 1, rhs.data(), &m.common);
}

void SparseLu::solve(std::span<double> rhs, int32_t nrhs) const {
  Impl& m = *impl_;
  if (m.n == 0) return;
  klu_solve(m.symbolic, m.numeric, m.n, nrhs, rhs.data(), &m.common);
}

void SparseLu::solve_transposed(std::span<double> rhs, int32_t nrhs) const {
  Impl& m = *impl_;
  if (m.n == 0) return;
  klu_tsolve(m.symbolic, m.numeric, m.n, nrhs, rhs.data(), &m.common);
}

}  // namespace spx::solver

namespace spx::solver {

void SparseLu::drop_numeric() { impl_->release_numeric(); }

void SparseLu::prepare_workers(int32_t count, std::span<const double> values) {
  Impl& m = *impl_;
  if (m.n == 0 || static_cast<int32_t>(m.workers.size()) >= count) return;
  if (!m.numeric) throw std::logic_error("SparseLu::prepare_workers: no factorization");
  const size_t first = m.workers.size();
  for (size_t k = first; k < static_cast<size_t>(count); ++k) m.workers.push_back(std::make_unique<LuWorker>());
  // The symbolic analysis is only read: every worker factors on its own thread.
  auto make = [&](size_t k) {
    LuWorker& w = *m.workers[k];
    if (k == 0 && m.fresh) {
      // A full factorization of these values already: the same bits a worker would make.
      w.numeric = m.numeric;
      w.owned = false;
      return;
    }
    w.numeric = klu_factor(m.colptr.data(), m.rowidx.data(), const_cast<double*>(values.data()), m.symbolic, &w.common);
  };
  std::vector<std::thread> threads;
  for (size_t k = first + 1; k < m.workers.size(); ++k) threads.emplace_back(make, k);
  make(first);
  for (auto& t : threads) t.join();
  for (const auto& w : m.workers)
    if (!w->numeric) {
      m.workers.clear();
      throw std::runtime_error("SparseLu::prepare_workers: klu_factor failed");
    }
}

void SparseLu::solve_on(int32_t worker, std::span<double> rhs, int32_t nrhs, bool transposed) const {
  Impl& m = *impl_;
  if (m.n == 0) return;
  LuWorker& w = *m.workers.at(static_cast<size_t>(worker));
  if (transposed) klu_tsolve(m.symbolic, w.numeric, m.n, nrhs, rhs.data(), &w.common);
  else klu_solve(m.symbolic, w.numeric, m.n, nrhs, rhs.data(), &w.common);
}

}  // namespace spx::solver
