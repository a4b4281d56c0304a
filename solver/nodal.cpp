// Native MNA assembly and Newton solve (nodal.hpp).
#include "solver/nodal.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>

#include "devices/error.hpp"
#include "solver/ordering.hpp"

namespace spx::solver {

using netlist::Circuit;
using netlist::Element;
using netlist::ElementId;
using netlist::ElementKind;
using netlist::NodeId;

namespace {

/// A compressed-column pattern built from recorded (row, col) stamp positions, and the value slot of
/// every recorded stamp (duplicates share a slot).
struct Pattern {
  std::vector<int32_t> colptr, rowidx, slot;
};

Pattern compress(const std::vector<std::pair<int32_t, int32_t>>& coords, int32_t n) {
  // Column-major order of the stamps by two counting sorts (rows, then stably columns): linear time.
  const size_t m = coords.size();
  std::vector<int32_t> count(static_cast<size_t>(n) + 1, 0), by_row(m), order(m);
  for (const auto& [r, c] : coords) ++count[static_cast<size_t>(r) + 1];
  for (int32_t i = 0; i < n; ++i) count[i + 1] += count[i];
  for (size_t k = 0; k < m; ++k) by_row[static_cast<size_t>(count[coords[k].first]++)] = static_cast<int32_t>(k);
  std::fill(count.begin(), count.end(), 0);
  for (const auto& [r, c] : coords) ++count[static_cast<size_t>(c) + 1];
  for (int32_t i = 0; i < n; ++i) count[i + 1] += count[i];
  for (int32_t k : by_row) order[static_cast<size_t>(count[coords[k].second]++)] = k;
  Pattern p;
  p.colptr.assign(n + 1, 0);
  p.slot.assign(coords.size(), -1);
  std::pair<int32_t, int32_t> last{-1, -1};
  for (size_t k : order) {
    if (coords[k] != last) {
      last = coords[k];
      p.rowidx.push_back(last.first);
      ++p.colptr[last.second + 1];
    }
    p.slot[k] = static_cast<int32_t>(p.rowidx.size()) - 1;
  }
  for (int32_t j = 0; j < n; ++j) p.colptr[j + 1] += p.colptr[j];
  return p;
}

/// The load that records stamp positions: transient mode, so that capacitors and inductors stamp too.
LoadContext pattern_probe() {
  LoadContext probe;
  probe.mode = LoadContext::Mode::tran;
  probe.h = 1;
  probe.a0 = 1;
  return probe;
}

/// Compresses recorded stamps: each stamp call's value index goes to `slot`, `values` becomes the
/// zeroed value array of the pattern, and the coordinates are freed.
Pattern take_pattern(std::vector<std::pair<int32_t, int32_t>>& coords, int32_t n, std::vector<int32_t>& slot,
                     std::vector<double>& values) {
  Pattern p = compress(coords, n);
  slot = std::move(p.slot);
  values.assign(p.rowidx.size(), 0);
  coords.clear();
  coords.shrink_to_fit();
  return p;
}

}  // namespace

NodalSystem::NodalSystem(const Circuit& circuit, SolverOptions options) : c_(circuit), opt_(options) {
  int32_t nodes = circuit.node_count() - 1;
  n_ = nodes;
  branch_.assign(circuit.elements.size(), -1);
  for (size_t i = 0; i < circuit.elements.size(); ++i) {
    const Element& e = circuit.elements[i];
    if (e.kind == ElementKind::mosfet)
      fail("{}: transistors run on the ngspice backend only (use --backend ngspice, or a characterized neuron)",
           circuit.describe(static_cast<ElementId>(i)));
    if (netlist::has_branch(e.kind)) {
      branch_[i] = n_++;
      branch_element_.push_back(static_cast<int32_t>(i));
    }
    if (e.kind == ElementKind::behavioral_v || e.kind == ElementKind::behavioral_i) {
      behavioral_.push_back(static_cast<int32_t>(i));
      Behavioral b{netlist::ExprEvaluator(e.expr), {}, {}, {}};
      for (const auto& v : b.eval.variables()) {
        if (v.kind == netlist::ExprOp::voltage) b.unknown.push_back(v.ref - 1);
        else if (v.kind == netlist::ExprOp::current) b.unknown.push_back(-3 - v.ref);  // resolved below
        else b.unknown.push_back(-2);
      }
      b.values.resize(b.unknown.size());
      b.grad.resize(b.unknown.size());
      beval_.push_back(std::move(b));
    }
  }
  for (auto& b : beval_)
    for (auto& u : b.unknown)
      if (u <= -3) u = branch_[-3 - u];
  for (const auto& b : beval_)
    for (int32_t u : b.unknown)
      if (u >= 0 && u < nodes && std::find(limited_.begin(), limited_.end(), u) == limited_.end()) limited_.push_back(u);
  cap_v_.assign(circuit.elements.size(), 0);
  ind_i_.assign(circuit.elements.size(), 0);
  cap_v2_.assign(circuit.elements.size(), 0);
  ind_i2_.assign(circuit.elements.size(), 0);
  for (size_t i = 0; i < circuit.elements.size(); ++i) {
    const Element& e = circuit.elements[i];
    if (e.kind == ElementKind::capacitor || e.kind == ElementKind::inductor)
      stateful_.push_back({e.kind, static_cast<int32_t>(i), e.a, e.b, e.value});
    if (e.kind == ElementKind::vsource || e.kind == ElementKind::isource) sources_.push_back(static_cast<int32_t>(i));
  }
  if (opt_.method != Method::lu && spd_eligible()) {
    setup_spd();
    return;
  }
  if (opt_.method == Method::cholesky)
    fail("solver method cholesky: the circuit has elements that need LU (controlled, behavioral or floating sources, inductors)");

  // Record the stamp positions once, then build the compressed-column pattern.
  recording_ = true;
  rhs_.assign(n_, 0);
  load(pattern_probe(), std::vector<double>(n_, 0.0));
  recording_ = false;
  Pattern p = take_pattern(coords_, n_, slot_, values_);
  colptr_ = p.colptr;
  rowidx_ = p.rowidx;
  lu_.analyze(n_, std::move(p.colptr), std::move(p.rowidx));
}

std::string NodalSystem::unknown_name(int32_t k) const {
  const int32_t nodes = c_.node_count() - 1;
  if (k < nodes) return "v(" + c_.node_name(k + 1) + ")";
  if (k - nodes < static_cast<int32_t>(branch_element_.size())) return "i(" + c_.elements[branch_element_[k - nodes]].name + ")";
  return fmt::format("unknown {}", k);
}

void NodalSystem::add(int32_t row, int32_t col, double v) {
  if (row < 0 || col < 0) return;
  if (recording_) {
    coords_.emplace_back(row, col);
    return;
  }
  values_[slot_[cursor_++]] += v;
}

double NodalSystem::source_value(const Element& e, ElementId id, const LoadContext& ctx) const {
  double v = ctx.swept == id ? ctx.swept_value
             : ctx.source_time ? e.wave.at(ctx.time, ctx.axis)
                               : e.wave.op_value();
  return v * ctx.source_scale;
}

void NodalSystem::load(const LoadContext& ctx, const std::vector<double>& x, bool same_context) {
  bad_element_ = -1;
  const bool tran = ctx.mode == LoadContext::Mode::tran;
  auto conductance = [&](int32_t a, int32_t b, double g) {
    add(a, a, g);
    add(b, b, g);
    add(a, b, -g);
    add(b, a, -g);
  };
  // The matrix of the linear elements depends on nothing but the capacitor and inductor multiplier
  // (a0) and gmin: it is stamped when those change and copied otherwise. The behavioral sources'
  // linearizations are stamped after it, then the right-hand side.
  const double a0 = tran ? ctx.a0 : 0.0;
  const bool restamp = recording_ || !(linear_ok_ && a0 == linear_a0_ && ctx.gmin == linear_gmin_);
  cursor_ = 0;
  if (restamp) {
    std::fill(values_.begin(), values_.end(), 0.0);
    if (!behavioral_.empty())  // gmin stepping needs a diagonal on every node
      for (int32_t k = 0; k < c_.node_count() - 1; ++k) add(k, k, ctx.gmin);
    for (size_t i = 0; i < c_.elements.size(); ++i) {
      const Element& e = c_.elements[i];
      int32_t a = e.a - 1, b = e.b - 1, k = branch_[i];
      switch (e.kind) {
        case ElementKind::resistor:
        case ElementKind::capacitor: conductance(a, b, companion({e.kind, static_cast<int32_t>(i), e.a, e.b, e.value}, ctx).g); break;
        case ElementKind::inductor:
          branch_kcl(a, b, k);
          add(k, k, -e.value * a0);
          break;
        case ElementKind::vsource: branch_kcl(a, b, k); break;
        case ElementKind::isource: break;
        case ElementKind::vcvs:
          branch_kcl(a, b, k);
          add(k, e.c - 1, -e.value);
          add(k, e.d - 1, e.value);
          break;
        case ElementKind::vccs:
          add(a, e.c - 1, e.value);
          add(a, e.d - 1, -e.value);
          add(b, e.c - 1, -e.value);
          add(b, e.d - 1, e.value);
          break;
        case ElementKind::cccs: {
          int32_t kc = branch_[e.control];
          add(a, kc, e.value);
          add(b, kc, -e.value);
          break;
        }
        case ElementKind::ccvs:
          branch_kcl(a, b, k);
          add(k, branch_[e.control], -e.value);
          break;
        case ElementKind::mosfet: break;  // rejected in the constructor
        case ElementKind::behavioral_v:
        case ElementKind::behavioral_i: break;  // below
      }
    }
    if (!recording_) {
      linear_values_ = values_;
      linear_a0_ = a0;
      linear_gmin_ = ctx.gmin;
      linear_ok_ = true;
      linear_changed_ = true;  // against the factored matrix
      behavioral_cursor_ = cursor_;
      if (b_slots_.empty() && behavioral_cursor_ < slot_.size()) {
        // The entries the behavioral sources stamp, and their columns.
        b_slots_.assign(slot_.begin() + static_cast<ptrdiff_t>(behavioral_cursor_), slot_.end());
        std::sort(b_slots_.begin(), b_slots_.end());
        b_slots_.erase(std::unique(b_slots_.begin(), b_slots_.end()), b_slots_.end());
        b_slot_col_.resize(b_slots_.size());
        for (size_t q = 0; q < b_slots_.size(); ++q)
          b_slot_col_[q] = static_cast<int32_t>(std::upper_bound(colptr_.begin(), colptr_.end(), b_slots_[q]) - colptr_.begin()) - 1;
      }
    }
  } else {
    // Only the behavioral sources' entries differ from the linear matrix: put those back.
    for (int32_t q : b_slots_) values_[q] = linear_values_[q];
    cursor_ = behavioral_cursor_;
  }
  // Right-hand side: independent sources, and the histories of capacitors and inductors; the same
  // for every Newton iteration of one solve, so kept from the first.
  if (same_context && !recording_ && linear_rhs_.size() == rhs_.size()) {
    std::copy(linear_rhs_.begin(), linear_rhs_.end(), rhs_.begin());
  } else {
    std::fill(rhs_.begin(), rhs_.end(), 0.0);
    linear_rhs(ctx);
    if (!recording_) linear_rhs_ = rhs_;
  }
  behavioral_load(ctx, x);
}

void NodalSystem::linear_rhs(const LoadContext& ctx) {
  const bool tran = ctx.mode == LoadContext::Mode::tran;
  for (int32_t i : sources_) {
    const Element& e = c_.elements[i];
    if (e.kind == ElementKind::vsource) {
      rhs(branch_[i], source_value(e, i, ctx));
    } else {
      const double j = companion({e.kind, i, e.a, e.b, e.value}, ctx).j;
      rhs(e.a - 1, -j);
      rhs(e.b - 1, j);
    }
  }
  if (tran)
    for (const Twig& t : stateful_) {
      if (t.kind == ElementKind::capacitor) {
        const double j = companion(t, ctx).j;
        rhs(t.a - 1, -j);
        rhs(t.b - 1, j);
      } else {
        rhs(branch_[t.id], t.value * (ctx.a1 * ind_i_[t.id] + ctx.a2 * ind_i2_[t.id]));
      }
    }
}

void NodalSystem::branch_kcl(int32_t a, int32_t b, int32_t k) {
  add(a, k, 1);
  add(b, k, -1);
  add(k, a, 1);
  add(k, b, -1);
}

void NodalSystem::behavioral_load(const LoadContext& ctx, const std::vector<double>& x) {
  // Behavioral sources: the Newton companion at x.
  for (size_t nb = 0; nb < behavioral_.size(); ++nb) {
    const auto id = static_cast<ElementId>(behavioral_[nb]);
    const Element& e = c_.elements[id];
    int32_t a = e.a - 1, b = e.b - 1, k = branch_[id];
    Behavioral& be = beval_[nb];
    for (size_t j = 0; j < be.unknown.size(); ++j) {
      int32_t u = be.unknown[j];
      be.values[j] = u >= 0 ? x[u] : (u == -2 ? ctx.time : 0.0);
    }
    double f = 0;
    if (behavioral_off_) std::fill(be.grad.begin(), be.grad.end(), 0.0);
    else f = be.eval.evaluate(be.values, be.grad);
    if (!std::isfinite(f) && bad_element_ < 0) bad_element_ = id;
    // An infinite slope (sqrt at 0) cannot be stamped: treat the source as constant this iteration.
    for (auto& g : be.grad)
      if (!std::isfinite(g)) g = 0;
    double lin = f;  // f(x0) - sum g_j x0_j: the constant of the linearization
    for (size_t j = 0; j < be.unknown.size(); ++j)
      if (be.unknown[j] >= 0) lin -= be.grad[j] * be.values[j];
    f = lin;
    if (e.kind == ElementKind::behavioral_i) {
      for (size_t j = 0; j < be.unknown.size(); ++j) {
        int32_t u = be.unknown[j];
        if (u < 0) continue;
        add(a, u, be.grad[j]);
        add(b, u, -be.grad[j]);
      }
      rhs(a, -f);
      rhs(b, f);
    } else {
      branch_kcl(a, b, k);
      for (size_t j = 0; j < be.unknown.size(); ++j) {
        int32_t u = be.unknown[j];
        if (u < 0) continue;
        add(k, u, -be.grad[j]);
      }
      rhs(k, f);
    }
  }
}

NodalSystem::Companion NodalSystem::companion(const Twig& e, const LoadContext& ctx) const {
  const bool tran = ctx.mode == LoadContext::Mode::tran;
  switch (e.kind) {
    case ElementKind::resistor: return {1 / e.value, 0};
    case ElementKind::capacitor:
      // g = C a0 and the history C (a1 v1 + a2 v2) (the file comment); open at DC.
      if (!tran) return {};
      return {e.value * ctx.a0, e.value * (ctx.a1 * cap_v_[e.id] + ctx.a2 * cap_v2_[e.id])};
    case ElementKind::isource: return {0, source_value(c_.elements[e.id], e.id, ctx)};
    default: return {};
  }
}

std::string NodalSystem::floating_detail() const {
  // Union-find over the connections that carry DC current (everything but current sources and
  // capacitors); a node outside ground's set has no DC path to ground.
  std::vector<int32_t> parent(c_.node_count());
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](int32_t v) {
    while (parent[v] != v) v = parent[v] = parent[parent[v]];
    return v;
  };
  for (const Element& e : c_.elements) {
    if (e.kind == ElementKind::isource || e.kind == ElementKind::capacitor) continue;
    parent[find(e.a)] = find(e.b);
  }
  for (NodeId v = 1; v < c_.node_count(); ++v)
    if (find(v) != find(netlist::ground))
      return fmt::format("singular matrix: floating node '{}' (no DC path to ground)", c_.node_name(v));
  return {};
}

double NodalSystem::residual(const std::vector<double>& x, std::vector<double>& r) const {
  r.assign(rhs_.begin(), rhs_.end());
  for (int32_t j = 0; j < n_; ++j)
    for (int32_t q = colptr_[j]; q < colptr_[j + 1]; ++q) r[rowidx_[q]] -= values_[q] * x[j];
  double worst = 0;
  for (double v : r) worst = std::max(worst, std::fabs(v));
  return worst;
}

void NodalSystem::refine(std::vector<double>& x) {
  // One step of iterative refinement: r = b - A x, A d = r, x + d kept when its residual is smaller.
  double before = residual(x, refine_r_);
  if (before == 0) return;
  lu_.solve(refine_r_);
  refine_x_.resize(n_);
  for (int32_t k = 0; k < n_; ++k) refine_x_[k] = x[k] + refine_r_[k];
  if (residual(refine_x_, refine_r_) < before) x.swap(refine_x_);
}

SolveReport NodalSystem::newton(const LoadContext& ctx, std::vector<double>& x) {
  SolveReport rep;
  std::vector<double> xn(n_), x_prev(n_);
  bool have_prev = false;
  int32_t backtracks = 0;
  const int32_t node_unknowns = c_.node_count() - 1;
  // Chord (modified Newton) in transients: the Jacobian of a behavioral source changes little from
  // one time point to the next, so the last factorization serves as long as every iteration shrinks
  // the update at least 4x; otherwise, and after 12 chord iterations, the matrix is factorized again
  // (plain Newton from then on).
  const bool may_chord = opt_.chord && ctx.mode == LoadContext::Mode::tran && nonlinear();
  bool chord_off = false;
  int32_t chord_its = 0;
  double last_worst = HUGE_VAL;
  for (int32_t it = 1; it <= opt_.max_newton; ++it) {
    rep.iterations = it;
    load(ctx, x, it > 1);
    if (bad_element_ >= 0 && have_prev && backtracks < 30) {
      // The last step left an expression's domain: go back halfway and try again.
      for (int32_t k = 0; k < n_; ++k) x[k] = 0.5 * (x[k] + x_prev[k]);
      ++backtracks;
      continue;
    }
    if (bad_element_ >= 0) {
      rep.status = SolveReport::Status::no_convergence;
      rep.detail = fmt::format("expression of {} is not finite (outside its domain?)", c_.elements[bad_element_].name);
      const Behavioral* be = nullptr;
      for (size_t j = 0; j < behavioral_.size(); ++j)
        if (behavioral_[j] == bad_element_) be = &beval_[j];
      for (size_t j = 0; be && j < be->unknown.size(); ++j)
        if (be->unknown[j] >= 0)
          rep.detail += fmt::format("{} {} = {:.6g}", j ? "," : " at", unknown_name(be->unknown[j]), x[be->unknown[j]]);
      return rep;
    }
    // Since the last factorization either the linear matrix was stamped again (compare it all) or
    // only the behavioral entries can differ.
    bool stale = !factored_;
    if (!stale && linear_changed_) stale = values_ != last_values_;
    for (size_t q = 0; !stale && q < b_slots_.size(); ++q) stale = values_[b_slots_[q]] != last_values_[b_slots_[q]];
    if (!stale) linear_changed_ = false;
    const bool chord = stale && factored_ && may_chord && !chord_off;
    if (stale && !chord) {
      FactorStatus st = lu_.factor(values_);
      if (!st.ok) {
        factored_ = false;
        rep.status = SolveReport::Status::singular;
        rep.detail = ctx.mode == LoadContext::Mode::dc ? floating_detail() : std::string();
        if (rep.detail.empty()) {
          std::string what = st.singular_col >= 0 ? unknown_name(st.singular_col) : "?";
          rep.detail = st.singular_col >= node_unknowns
                           ? fmt::format("singular matrix at {}: voltage sources or inductors form a loop", what)
                           : fmt::format("singular matrix at {}", what);
        }
        return rep;
      }
      factored_ = true;
      last_values_ = values_;
      linear_changed_ = false;
    }
    if (chord && !linear_changed_) {
      // A_old^-1 (b - (A - A_old) x), where A - A_old lives in the behavioral entries only: the same
      // as x + A_old^-1 (b - A x) without a product with the whole matrix.
      std::copy(rhs_.begin(), rhs_.end(), xn.begin());
      for (size_t q = 0; q < b_slots_.size(); ++q) {
        const int32_t sl = b_slots_[q];
        const double d = values_[sl] - last_values_[sl];
        if (d != 0) xn[rowidx_[sl]] -= d * x[b_slot_col_[q]];
      }
      lu_.solve(xn);
    } else if (chord) {
      // x + A_old^-1 (b - A x): the residual of the system loaded at x, solved with the old factors.
      residual(x, xn);
      lu_.solve(xn);
      for (int32_t k = 0; k < n_; ++k) xn[k] += x[k];
    } else {
      std::copy(rhs_.begin(), rhs_.end(), xn.begin());
      lu_.solve(xn);
      refine(xn);
    }
    for (int32_t k = 0; k < n_; ++k) {
      if (!std::isfinite(xn[k])) {
        rep.status = SolveReport::Status::no_convergence;
        rep.detail = fmt::format("non-finite value of {} (expression out of its domain?)", unknown_name(k));
        return rep;
      }
    }
    if (!nonlinear()) {
      x = xn;
      return rep;
    }
    // Damping: limit the change of the voltages that nonlinear expressions read (as SPICE limits
    // junction voltages); the rest of the circuit responds linearly and needs no limit.
    double biggest = 0;
    for (int32_t k : limited_) biggest = std::max(biggest, std::fabs(xn[k] - x[k]));
    double alpha = biggest > opt_.max_step_v ? opt_.max_step_v / biggest : 1.0;
    double worst = 0;
    x_prev = x;
    have_prev = true;
    for (int32_t k = 0; k < n_; ++k) {
      double dx = xn[k] - x[k];
      double tol = opt_.reltol * std::max(std::fabs(xn[k]), std::fabs(x[k])) +
                   (k < node_unknowns ? opt_.vntol : opt_.abstol);
      worst = std::max(worst, std::fabs(dx) / tol);
      x[k] += alpha * dx;
    }
    rep.residual = worst;
    // A chord iteration converges linearly with the ratio rho of successive updates, so the error
    // left after it is about worst rho / (1 - rho): it stops when that is a decade inside the
    // tolerance (as small as plain Newton's quadratic last step leaves), and only while it contracts
    // (an update that did not shrink 4x says nothing about the error left).
    const double rho = worst / last_worst;
    const bool contracting = rho <= 0.25;
    if (chord && (++chord_its >= 12 || !contracting)) chord_off = true;
    last_worst = worst;
    const bool done = chord ? contracting && worst <= 1.0 && worst * rho / (1 - rho) <= 0.1 : worst <= 1.0;
    if (alpha == 1.0 && done && it > 1) return rep;
  }
  rep.status = SolveReport::Status::no_convergence;
  rep.detail = fmt::format("Newton did not converge in {} iterations", opt_.max_newton);
  return rep;
}

bool NodalSystem::spd_eligible() const {
  std::vector<bool> fixed(c_.node_count(), false);
  for (const Element& e : c_.elements) {
    switch (e.kind) {
      case ElementKind::resistor:
      case ElementKind::capacitor:
      case ElementKind::isource: break;
      case ElementKind::vsource: {
        if ((e.a == netlist::ground) == (e.b == netlist::ground)) return false;  // floating or shorted
        NodeId k = e.a == netlist::ground ? e.b : e.a;
        if (fixed[k]) return false;  // two sources on one node: a loop, let LU report it
        fixed[k] = true;
        break;
      }
      default: return false;
    }
  }
  return true;
}

void NodalSystem::setup_spd() {
  spd_ = true;
  const int32_t nodes = c_.node_count();
  free_.assign(nodes, -1);
  fixed_by_.assign(nodes, -1);
  node_v_.assign(nodes, 0.0);
  for (size_t i = 0; i < c_.elements.size(); ++i) {
    const Element& e = c_.elements[i];
    if (e.kind == ElementKind::vsource) fixed_by_[e.a == netlist::ground ? e.b : e.a] = static_cast<int32_t>(i);
  }
  for (NodeId k = 1; k < nodes; ++k)
    if (fixed_by_[k] < 0) free_[k] = nfree_++;
  spd_rhs_.assign(nfree_, 0.0);
  auto fixed = [&](NodeId k) { return k != netlist::ground && fixed_by_[k] >= 0; };
  for (size_t i = 0; i < c_.elements.size(); ++i) {
    const Element& e = c_.elements[i];
    if (e.kind == ElementKind::vsource) {
      spd_sources_.push_back(static_cast<int32_t>(i));
      continue;
    }
    bool touches = fixed(e.a) || fixed(e.b);
    Twig t{e.kind, static_cast<int32_t>(i), e.a, e.b, e.value};
    if (touches) spd_touching_.push_back(t);
    if (e.kind != ElementKind::resistor || touches) spd_rhs_elems_.push_back(t);
  }
  recording_ = true;
  load_spd(pattern_probe());
  recording_ = false;
  Pattern p = take_pattern(spd_coords_, nfree_, spd_slot_, spd_values_);
  // Geometric nested dissection where the generator placed the cells: every free node at the mean
  // position of the elements on it that have one (layer and tile offsets keep parts apart).
  std::vector<int32_t> perm;
  const bool geometric = opt_.ordering == Ordering::geometric || (opt_.ordering_automatic && nfree_ >= 4096);
  if (geometric) {
    Places pl;
    pl.x.assign(nfree_, 0.0);
    pl.y.assign(nfree_, 0.0);
    std::vector<int32_t> count(nfree_, 0);
    for (const Element& e : c_.elements) {
      const auto& o = e.origin;
      if (o.row < 0 || o.col < 0) continue;
      const double x = 1e6 * std::max<int>(o.layer, 0) + 1e4 * std::max<int>(o.tile_col, 0) + o.col;
      const double y = 1e4 * std::max<int>(o.tile_row, 0) + o.row;
      for (NodeId k : {e.a, e.b}) {
        if (k == netlist::ground || free_[k] < 0) continue;
        pl.x[free_[k]] += x;
        pl.y[free_[k]] += y;
        ++count[free_[k]];
      }
    }
    pl.placed.assign(nfree_, 0);
    int32_t placed = 0;
    for (int32_t i = 0; i < nfree_; ++i)
      if (count[i] > 0) {
        pl.x[i] /= count[i];
        pl.y[i] /= count[i];
        pl.placed[i] = 1;
        ++placed;
      }
    if (placed >= nfree_ - nfree_ / 100) perm = geometric_dissection(nfree_, p.colptr, p.rowidx, pl);
  }
  chol_.analyze(nfree_, p.colptr, p.rowidx, opt_.ordering == Ordering::geometric ? Ordering::amd : opt_.ordering,
                opt_.supernodal, perm);
  spd_perm_ = std::move(perm);
  spd_colptr_ = std::move(p.colptr);
  spd_rowidx_ = std::move(p.rowidx);
}

void NodalSystem::add_lower(int32_t row, int32_t col, double v) {
  if (row < col) std::swap(row, col);
  if (recording_) {
    spd_coords_.emplace_back(row, col);
    return;
  }
  spd_values_[spd_slot_[spd_cursor_++]] += v;
}

void NodalSystem::load_spd(const LoadContext& ctx) {
  const bool tran = ctx.mode == LoadContext::Mode::tran;
  // With R, C, I and grounded V only, the matrix depends on nothing but the capacitor multiplier:
  // when that did not change, only the right-hand side is rebuilt.
  const double key = tran ? ctx.a0 : 0.0;
  const bool stamp = recording_ || key != spd_key_;
  if (stamp) std::fill(spd_values_.begin(), spd_values_.end(), 0.0);
  std::fill(spd_rhs_.begin(), spd_rhs_.end(), 0.0);
  spd_cursor_ = 0;
  if (!recording_) spd_key_ = key;
  for (int32_t i : spd_sources_) {
    const Element& e = c_.elements[i];
    double v = source_value(e, i, ctx);
    if (e.a == netlist::ground) node_v_[e.b] = -v;
    else node_v_[e.a] = v;
  }
  auto rhs = [&](NodeId k, double v) {
    if (free_[k] >= 0 && !recording_) spd_rhs_[free_[k]] += v;
  };
  auto conductance = [&](NodeId a, NodeId b, double g) {
    if (a == b) return;  // a self-loop carries no current (its lower-triangle stamp would not cancel)
    int32_t fa = free_[a], fb = free_[b];
    if (stamp) {
      if (fa >= 0) add_lower(fa, fa, g);
      if (fb >= 0) add_lower(fb, fb, g);
      if (fa >= 0 && fb >= 0) add_lower(fa, fb, -g);
    }
    if (fa >= 0 && fb >= 0) return;
    if (fa >= 0) rhs(a, g * node_v_[b]);
    else if (fb >= 0) rhs(b, g * node_v_[a]);
  };
  // Every free node keeps a diagonal entry, even one touched only by a current source (which then
  // fails the factorization as a floating node instead of leaving an empty column).
  if (stamp)
    for (int32_t k = 0; k < nfree_; ++k) add_lower(k, k, 0);
  auto visit = [&](const Twig& e) {
    if (!two_terminal(e.kind)) return;
    const Companion k = companion(e, ctx);
    if (e.kind != ElementKind::isource) conductance(e.a, e.b, k.g);
    rhs(e.a, -k.j);
    rhs(e.b, k.j);
  };
  if (stamp) {
    for (size_t i = 0; i < c_.elements.size(); ++i) {
      const Element& e = c_.elements[i];
      visit({e.kind, static_cast<int32_t>(i), e.a, e.b, e.value});
    }
  } else {
    for (const Twig& e : spd_rhs_elems_) visit(e);
  }
}

SolveReport NodalSystem::solve_spd(const LoadContext& ctx, std::vector<double>& x) {
  SolveReport rep;
  rep.iterations = 1;
  if (ctx.mode == LoadContext::Mode::dc && !spd_dc_checked_) {
    // Exact for this element set: rounding can leave a floating group with a tiny positive pivot.
    rep.detail = floating_detail();
    if (!rep.detail.empty()) {
      rep.status = SolveReport::Status::singular;
      return rep;
    }
    spd_dc_checked_ = true;
  }
  const double key_before = spd_key_;
  load_spd(ctx);
  if (!spd_factored_ || spd_key_ != key_before) {
    FactorStatus st = chol_.factor(spd_values_);  // reuses a kept factorization of equal values
    if (!st.ok) {
      spd_factored_ = false;
      rep.status = SolveReport::Status::singular;
      rep.detail = ctx.mode == LoadContext::Mode::dc ? floating_detail() : std::string();
      if (rep.detail.empty()) {
        NodeId k = 1;
        while (k < c_.node_count() && free_[k] != st.singular_col) ++k;
        rep.detail = fmt::format("singular matrix at v({})", k < c_.node_count() ? c_.node_name(k) : "?");
      }
      return rep;
    }
    spd_factored_ = true;
  }
  std::vector<double>& v = spd_x_;
  v = spd_rhs_;
  chol_.solve(v);
  // Full solution in MNA numbering: node voltages, then source currents by KCL at their nodes.
  for (NodeId k = 1; k < c_.node_count(); ++k) node_v_[k] = free_[k] >= 0 ? v[free_[k]] : node_v_[k];
  for (NodeId k = 1; k < c_.node_count(); ++k) x[k - 1] = node_v_[k];
  std::vector<double>& leaving = spd_leaving_;  // current leaving each node through R, C, I
  leaving.assign(c_.node_count(), 0.0);
  for (const Twig& e : spd_touching_) {
    if (!two_terminal(e.kind)) continue;
    const Companion k = companion(e, ctx);
    const double iab = k.g * (node_v_[e.a] - node_v_[e.b]) + k.j;
    leaving[e.a] += iab;
    leaving[e.b] -= iab;
  }
  for (int32_t i : spd_sources_) {
    const Element& e = c_.elements[i];
    // Positive from the first terminal through the source to the second (ngspice's i(vname)).
    x[branch_[i]] = e.a == netlist::ground ? leaving[e.b] : -leaving[e.a];
  }
  for (int32_t k = 0; k < n_; ++k) {
    if (!std::isfinite(x[k])) {
      rep.status = SolveReport::Status::no_convergence;
      rep.detail = fmt::format("non-finite value of {}", unknown_name(k));
      return rep;
    }
  }
  return rep;
}

SolveReport NodalSystem::solve(const LoadContext& ctx, std::vector<double>& x) {
  x.resize(n_, 0.0);
  if (spd_) return solve_spd(ctx, x);
  if (nonlinear() && std::all_of(x.begin(), x.end(), [](double v) { return v == 0; })) {
    // No starting point: solve the linear part with the behavioral sources off and start there,
    // so that expressions such as log(v(in)) are first evaluated at the driven voltages, not at 0.
    behavioral_off_ = true;
    SolveReport pre = newton(ctx, x);
    behavioral_off_ = false;
    if (!pre.ok()) std::fill(x.begin(), x.end(), 0.0);
  }
  SolveReport rep = newton(ctx, x);
  if (rep.ok() || rep.status == SolveReport::Status::singular || !nonlinear()) return rep;
  // Gmin stepping: solve with a conductance from every node to ground and lower it to zero, each
  // solution starting the next; a failed step is retried from the last good one with a smaller
  // reduction (the factor shrinks to its square root).
  {
    LoadContext g = ctx;
    std::vector<double> xg(n_, 0.0);  // from zero: the large first gmin keeps every node near ground
    g.gmin = 1e-3;
    bool ok = newton(g, xg).ok();
    double factor = 10;
    while (ok && g.gmin > 0) {
      double next = g.gmin / factor < 1e-13 ? 0.0 : g.gmin / factor;
      LoadContext trial_ctx = g;
      trial_ctx.gmin = next;
      std::vector<double> trial = xg;
      if (newton(trial_ctx, trial).ok()) {
        xg = std::move(trial);
        g.gmin = next;
        factor = std::min(factor * factor, 10.0);
      } else {
        factor = std::sqrt(factor);
        ok = factor > 1.001;
      }
    }
    if (ok) {
      x = xg;
      SolveReport done = newton(ctx, x);
      if (done.ok()) {
        done.fallback = "gmin stepping";
        return done;
      }
    }
  }
  // Source stepping: ramp the independent sources from 0 and follow the solution.
  LoadContext step = ctx;
  std::vector<double> xs(n_, 0.0);
  double scale = 0, ds = 0.1;
  step.source_scale = 0;
  if (!newton(step, xs).ok()) return rep;
  while (scale < 1) {
    double next = std::min(1.0, scale + ds);
    step.source_scale = next * ctx.source_scale;
    std::vector<double> trial = xs;
    SolveReport r = newton(step, trial);
    if (r.ok()) {
      xs = std::move(trial);
      scale = next;
      ds = std::min(ds * 2, 0.5);
    } else {
      ds /= 4;
      if (ds < 1e-6) {
        rep.detail += "; source stepping failed too";
        return rep;
      }
    }
  }
  x = xs;
  rep = newton(ctx, x);
  rep.fallback = "source stepping";
  return rep;
}

void NodalSystem::accept(const std::vector<double>& x) {
  auto v = [&](NodeId id) { return id == netlist::ground ? 0.0 : x[id - 1]; };
  for (const Twig& e : stateful_) {
    const int32_t i = e.id;
    if (e.kind == ElementKind::capacitor) {
      cap_v2_[i] = cap_v_[i];
      cap_v_[i] = v(e.a) - v(e.b);
    } else if (e.kind == ElementKind::inductor) {
      ind_i2_[i] = ind_i_[i];
      ind_i_[i] = x[branch_[i]];
    }
  }
}

void NodalSystem::initial_conditions() {
  for (size_t i = 0; i < c_.elements.size(); ++i) {
    double ic = c_.elements[i].ic;
    cap_v_[i] = ind_i_[i] = cap_v2_[i] = ind_i2_[i] = std::isnan(ic) ? 0.0 : ic;
  }
}

}  // namespace spx::solver
