// Backend agreement (compare.hpp).
#include "solver/compare.hpp"

#include <algorithm>
#include <cmath>

namespace spx::solver {
double interpolate(const std::vector<double>& t, const std::vector<double>& y, double at) {
  if (t.empty()) return NAN;
  if (at <= t.front()) return y.front();
  if (at >= t.back()) return y.back();
  auto it = std::upper_bound(t.begin(), t.end(), at);
  size_t k = static_cast<size_t>(it - t.begin());
  double t0 = t[k - 1], t1 = t[k];
  return t1 > t0 ? y[k - 1] + (y[k] - y[k - 1]) * (at - t0) / (t1 - t0) : y[k];
}


Agreement compare(const AnalysisResult& ref, const AnalysisResult& cand) {
  Agreement out;
  double vscale = 0, iscale = 0;
  for (const auto& [name, v] : ref.vectors)
    for (double x : v) (name[0] == 'v' ? vscale : iscale) = std::max(name[0] == 'v' ? vscale : iscale, std::fabs(x));
  if (vscale == 0) vscale = 1;
  if (iscale == 0) iscale = 1;
  const bool tran = ref.kind == netlist::AnalysisKind::tran;
  for (const auto& [name, rv] : ref.vectors) {
    auto it = cand.vectors.find(name);
    if (it == cand.vectors.end()) {
      ++out.missing;
      continue;
    }
    const auto& cv = it->second;
    double diff = 0;
    if (tran) {
      for (size_t k = 0; k < rv.size() && k < ref.scale.size(); ++k)
        diff = std::max(diff, std::fabs(rv[k] - interpolate(cand.scale, cv, ref.scale[k])));
    } else {
      if (rv.size() != cv.size()) diff = INFINITY;
      for (size_t k = 0; k < rv.size() && k < cv.size(); ++k) diff = std::max(diff, std::fabs(cv[k] - rv[k]));
    }
    if (std::isnan(diff)) diff = INFINITY;
    double rel = diff / (name[0] == 'v' ? vscale : iscale);
    ++out.compared;
    if (rel > out.max_rel || out.worst.empty()) {
      if (rel >= out.max_rel) {
        out.max_rel = rel;
        out.worst = name;
      }
    }
  }
  return out;
}

}  // namespace spx::solver
