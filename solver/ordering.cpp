// Geometric nested dissection (ordering.hpp).
#include "solver/ordering.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace spx::solver {

std::vector<int32_t> geometric_dissection(int32_t n, const std::vector<int32_t>& colptr, const std::vector<int32_t>& rowidx,
                                          const Places& places, int32_t leaf) {
  if (static_cast<int32_t>(places.placed.size()) != n || static_cast<int32_t>(colptr.size()) != n + 1)
    throw std::invalid_argument("geometric_dissection: sizes do not match");
  leaf = std::max(leaf, 1);
  // Symmetric adjacency without the diagonal.
  std::vector<int32_t> deg(n + 1, 0);
  for (int32_t j = 0; j < n; ++j)
    for (int32_t p = colptr[j]; p < colptr[j + 1]; ++p)
      if (const int32_t i = rowidx[p]; i != j) {
        ++deg[i + 1];
        ++deg[j + 1];
      }
  for (int32_t i = 0; i < n; ++i) deg[i + 1] += deg[i];
  std::vector<int32_t> adj(deg[n]), fill(deg.begin(), deg.end() - 1);
  for (int32_t j = 0; j < n; ++j)
    for (int32_t p = colptr[j]; p < colptr[j + 1]; ++p)
      if (const int32_t i = rowidx[p]; i != j) {
        adj[fill[i]++] = j;
        adj[fill[j]++] = i;
      }

  std::vector<int32_t> perm;
  perm.reserve(n);
  std::vector<int32_t> side(n, 0);  // per node: which half of the current cut (1 or 2), 0 elsewhere
  std::vector<int32_t> unplaced, all;
  for (int32_t i = 0; i < n; ++i) (places.placed[i] ? all : unplaced).push_back(i);

  // Explicit stack of tasks: a part to cut, or a separator to emit after its halves.
  struct Task {
    std::vector<int32_t> nodes;
    bool emit;
  };
  std::vector<Task> stack;
  stack.push_back({std::move(all), false});
  while (!stack.empty()) {
    Task t = std::move(stack.back());
    stack.pop_back();
    std::vector<int32_t>& part = t.nodes;
    if (t.emit || static_cast<int32_t>(part.size()) <= leaf) {
      perm.insert(perm.end(), part.begin(), part.end());
      continue;
    }
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int32_t i : part) {
      x0 = std::min(x0, places.x[i]);
      x1 = std::max(x1, places.x[i]);
      y0 = std::min(y0, places.y[i]);
      y1 = std::max(y1, places.y[i]);
    }
    // Cut across the wider extent at the median; if every node shares that coordinate, the other.
    const std::vector<double>* coord = x1 - x0 >= y1 - y0 ? &places.x : &places.y;
    auto cut_at = [&](const std::vector<double>& c) {
      std::vector<double> v;
      v.reserve(part.size());
      for (int32_t i : part) v.push_back(c[i]);
      auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
      std::nth_element(v.begin(), mid, v.end());
      double m = *mid;
      // Nodes below m go left; if none are below, cut just above the smallest value.
      if (*std::min_element(v.begin(), v.end()) == m) {
        double next = INFINITY;
        for (double a : v)
          if (a > m) next = std::min(next, a);
        m = next;
      }
      return m;
    };
    double m = cut_at(*coord);
    if (!std::isfinite(m)) {
      coord = coord == &places.x ? &places.y : &places.x;
      m = cut_at(*coord);
    }
    if (!std::isfinite(m)) {  // all nodes at one point: nothing to cut
      perm.insert(perm.end(), part.begin(), part.end());
      continue;
    }
    std::vector<int32_t> lo, hi, sep_lo, sep_hi;
    for (int32_t i : part) {
      side[i] = (*coord)[i] < m ? 1 : 2;
      (side[i] == 1 ? lo : hi).push_back(i);
    }
    // Boundaries: nodes of one side with a neighbour on the other; the smaller one separates.
    for (int32_t i : part)
      for (int32_t p = deg[i]; p < deg[i + 1]; ++p)
        if (const int32_t k = adj[p]; side[k] != 0 && side[k] != side[i]) {
          (side[i] == 1 ? sep_lo : sep_hi).push_back(i);
          break;
        }
    const bool take_hi = sep_hi.size() <= sep_lo.size();
    std::vector<int32_t>& sep = take_hi ? sep_hi : sep_lo;
    for (int32_t i : sep) side[i] = 3;
    std::vector<int32_t> a, b;
    for (int32_t i : part) {
      if (side[i] == 1) a.push_back(i);
      else if (side[i] == 2) b.push_back(i);
    }
    for (int32_t i : part) side[i] = 0;
    if (a.empty() || b.empty()) {  // no progress: order the part as it is
      perm.insert(perm.end(), part.begin(), part.end());
      continue;
    }
    // Order: a, then b, then the separator (a stack: pushed in reverse).
    stack.push_back({std::move(sep), true});
    stack.push_back({std::move(b), false});
    stack.push_back({std::move(a), false});
  }
  perm.insert(perm.end(), unplaced.begin(), unplaced.end());
  return perm;
}

}  // namespace spx::solver
