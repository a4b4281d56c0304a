// Sparse Cholesky for symmetric positive definite nodal matrices, on CHOLMOD (SuiteSparse). Life
// cycle: analyze(pattern of the lower triangle) once per topology — fill-reducing ordering (AMD or
// METIS nested dissection) and the symbolic factorization; factor(values) whenever the values change;
// solve(rhs) any number of times. Simplicial by default: with Debian's reference BLAS the supernodal
// kernels were slower on crossbars from 32 x 32 to 512 x 512 (benches/crossbar_op).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "solver/sparse_lu.hpp"

namespace spx::solver {

/// Fill-reducing ordering of the analysis.
/// geometric: nested dissection from the cells' positions (ordering.hpp), amd where they are unknown.
enum class Ordering : uint8_t { amd, metis, geometric };

/// CHOLMOD-based supernodal Cholesky of a fixed lower-triangular pattern (compressed columns). Keeps up
/// to four numeric factorizations of the same pattern (e.g. the backward-Euler and the BDF2 matrix of a
/// transient), so alternating between them costs no refactorization.
class SparseCholesky {
 public:
  SparseCholesky();
  ~SparseCholesky();
  SparseCholesky(const SparseCholesky&) = delete;
  SparseCholesky& operator=(const SparseCholesky&) = delete;

  /// Symbolic analysis of an n x n lower-triangular pattern with the given ordering; simplicial
  /// (left-looking, no BLAS) or supernodal (dense BLAS kernels on supernodes).
  /// A non-empty `perm` (new position -> unknown, e.g. geometric_dissection's) replaces the ordering.
  void analyze(int32_t n, const std::vector<int32_t>& colptr, const std::vector<int32_t>& rowidx,
               Ordering ordering = Ordering::amd, bool supernodal = false, const std::vector<int32_t>& perm = {});
  /// Makes the factorization of these values current: reuses a kept one with equal values, else
  /// factorizes (replacing the least recently used). Not positive definite -> !ok with the failing
  /// column (original numbering).
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
