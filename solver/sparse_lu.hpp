// Sparse LU for general modified-nodal matrices, on KLU (SuiteSparse), the factorization made for
// circuit matrices. Life cycle: analyze(pattern) once per topology (BTF + AMD ordering, symbolic
// analysis); factor(values) at each change of values — the first call does a full pivoting
// factorization, later calls refactor with the same pivot order and fall back to a full one when the
// pivots degrade; solve(rhs) any number of times per factorization.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace spx::solver {

/// Outcome of a factorization.
struct FactorStatus {
  bool ok = true;
  int32_t singular_col = -1;  ///< original column of a zero or negligible pivot when !ok
};

/// KLU-based sparse LU of a fixed pattern in compressed-column form.
class SparseLu {
 public:
  SparseLu();
  ~SparseLu();
  SparseLu(const SparseLu&) = delete;
  SparseLu& operator=(const SparseLu&) = delete;

  /// Symbolic analysis of an n x n pattern (column pointers, row indices).
  void analyze(int32_t n, std::vector<int32_t> colptr, std::vector<int32_t> rowidx);
  /// Numeric factorization of values laid out as the pattern; refactors when possible.
  FactorStatus factor(std::span<const double> values);
  /// Solves A x = b in place (b on entry, x on exit).
  void solve(std::span<double> rhs) const;
  /// Solves A x = b in place for `nrhs` right-hand sides stored one after another.
  void solve(std::span<double> rhs, int32_t nrhs) const;
  /// Solves A^T x = b in place for `nrhs` right-hand sides stored one after another.
  void solve_transposed(std::span<double> rhs, int32_t nrhs) const;
  /// Drops the numeric factorization (the symbolic analysis stays): the next factor() pivots afresh,
  /// exactly as on a new object.
  void drop_numeric();
  /// Makes `count` workers ready for concurrent solves of the current factorization (0 <= worker <
  /// count); `values` are the ones last factored. Each worker holds a full numeric factorization of
  /// them (worker 0 the current one when it is full, the others their own, made on their own
  /// threads), so every worker gives the same bits whichever solves a right-hand side. Dropped when
  /// the values or the pattern change.
  void prepare_workers(int32_t count, std::span<const double> values);
  /// Solves A x = b (or A^T x = b) in place for `nrhs` right-hand sides on worker `worker`; distinct
  /// workers may be used from distinct threads at once.
  void solve_on(int32_t worker, std::span<double> rhs, int32_t nrhs, bool transposed) const;
  /// Number of full factorizations and refactorizations done so far.
  int64_t factorizations() const { return full_ + refactors_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int64_t full_ = 0, refactors_ = 0;
};

}  // namespace spx::solver
