// Disjoint sets of nodes (union by size, path halving): the solver's connectivity passes (islands of
// the port reduction, interconnect components) share it.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace spx::solver {

struct NodeSets {
  std::vector<int32_t> parent, size;
  explicit NodeSets(int32_t n) : parent(n), size(n, 1) {
    for (int32_t i = 0; i < n; ++i) parent[i] = i;
  }
  int32_t find(int32_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void unite(int32_t a, int32_t b) {
    a = find(a);
    b = find(b);
    if (a == b) return;
    if (size[a] < size[b]) std::swap(a, b);
    parent[b] = a;
    size[a] += size[b];
  }
};

}  // namespace spx::solver
