// Fill-reducing orderings that know where the unknowns sit. A crossbar's nodal matrix is a grid of
// row-line and column-line nodes: nested dissection along the cells' rows and columns (a separator is
// one line's nodes across the array) leaves far less fill than minimum degree, which cannot see the
// grid (George, "Nested dissection of a regular finite element mesh", SIAM J. Numer. Anal. 10, 1973:
// O(N^2 log N) fill and O(N^3) work for an N x N grid).
#pragma once

#include <cstdint>
#include <vector>

namespace spx::solver {

/// A point per unknown (x, y); `placed` false where the position is unknown.
struct Places {
  std::vector<double> x, y;
  std::vector<char> placed;
};

/// Nested dissection of the symmetric graph of an n x n lower-triangular pattern (compressed
/// columns) by recursive coordinate bisection: each part is cut at the median of its wider
/// coordinate, the separator is the smaller side's nodes adjacent to the other side, and the
/// separator is ordered after both halves; parts of at most `leaf` nodes keep their order. Unplaced
/// unknowns go last. Returns the permutation (new position -> unknown).
std::vector<int32_t> geometric_dissection(int32_t n, const std::vector<int32_t>& colptr, const std::vector<int32_t>& rowidx,
                                          const Places& places, int32_t leaf = 64);

}  // namespace spx::solver
