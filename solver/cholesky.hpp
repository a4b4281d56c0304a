// Sparse Cholesky for symmetric positive definite nodal matrices, on CHOLMOD (SuiteSparse). Life
// cycle: analyze(pattern of the lower triangle) once per topology — fill-reducing ordering (CHOLMOD's
// default choice among AMD and nested dissection) and the supernodal symbolic factorization;
// factor(values) whenever the values change; solve(rhs) any number of times.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "solver/sparse_lu.hpp"

namespace spx::solver {

/// CHOLMOD-based supernodal Cholesky of a fixed lower-triangular pattern (compressed columns).
class SparseCholesky {
 public:
  SparseCholesky();
  ~SparseCholesky();
  SparseCholesky(const SparseCholesky&) = delete;
  SparseCholesky& operator=(const SparseCholesky&) = delete;

  /// Symbolic analysis of an n x n lower-triangular pattern.
  void analyze(int32_t n, const std::vector<int32_t>& colptr, const std::vector<int32_t>& rowidx);
  /// Numeric factorization; not positive definite -> !ok with the failing column (original numbering).
  FactorStatus factor(std::span<const double> values);
  /// Solves A x = b in place.
  void solve(std::span<double> rhs);
  /// Numeric factorizations done.
  int64_t factorizations() const { return factorizations_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int64_t factorizations_ = 0;
};

}  // namespace spx::solver
