// Port reduction (port_reduction.hpp).
#include "solver/port_reduction.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <thread>

#include "devices/error.hpp"
#include "devices/interrupt.hpp"

namespace spx::solver {

using netlist::Circuit;
using netlist::Element;
using netlist::ElementId;
using netlist::ElementKind;

namespace {

bool is_source(ElementKind k) { return k == ElementKind::vsource || k == ElementKind::isource; }

/// Adds y^T (unit right-hand side of source e) : V source -> y[branch]; I source a->b -> -y[a] + y[b].
double unit_response(const NodalSystem& sys, const Element& e, ElementId id, const double* y) {
  if (e.kind == ElementKind::vsource) return y[sys.branch_unknown(id)];
  double r = 0;
  if (e.a != netlist::ground) r -= y[sys.node_unknown(e.a)];
  if (e.b != netlist::ground) r += y[sys.node_unknown(e.b)];
  return r;
}

}  // namespace

PortReducedNetwork::PortReducedNetwork(const Circuit& circuit, std::vector<ElementId> inputs,
                                       std::vector<netlist::NodeId> outputs, const std::vector<ElementId>& currents) {
  auto t0 = std::chrono::steady_clock::now();
  n_inputs_ = static_cast<int32_t>(inputs.size());
  for (ElementId id : inputs)
    if (!is_source(circuit.elements.at(id).kind))
      fail("port reduction: input '{}' is not an independent source", circuit.elements[id].name);

  // The linear circuit: behavioral sources become independent sources; inputs and ports are zero.
  Circuit lin = circuit;
  lin.analyses.clear();
  std::vector<ElementId> port_ids;
  for (size_t i = 0; i < lin.elements.size(); ++i) {
    Element& e = lin.elements[i];
    if (e.kind != ElementKind::behavioral_v && e.kind != ElementKind::behavioral_i) continue;
    port_ids.push_back(static_cast<ElementId>(i));
    e.kind = e.kind == ElementKind::behavioral_v ? ElementKind::vsource : ElementKind::isource;
    e.expr = {};
    e.wave = devices::Waveform{};
    e.wave.dc_given = true;
  }
  for (ElementId id : inputs) {
    lin.elements[id].wave = devices::Waveform{};
    lin.elements[id].wave.dc_given = true;
  }
  SolverOptions lu;
  lu.method = Method::lu;
  NodalSystem sys(lin, lu);
  std::vector<double> xc;
  SolveReport rep = sys.solve(LoadContext{}, xc);
  if (!rep.ok()) fail("port reduction: the linear part cannot be solved: {}", rep.detail);

  // Quantities: every variable of every expression, then the outputs.
  std::map<int32_t, int32_t> row_of;  // MNA unknown -> row
  auto row = [&](int32_t unknown) {
    auto [it, inserted] = row_of.emplace(unknown, static_cast<int32_t>(quantity_.size()));
    if (inserted) quantity_.push_back(unknown);
    return it->second;
  };
  for (ElementId id : port_ids) {
    const Element& e = circuit.elements[id];
    Port p{id, netlist::ExprEvaluator(e.expr), {}};
    for (const auto& v : p.eval.variables()) {
      if (v.kind == netlist::ExprOp::time) fail("port reduction: '{}' depends on time", e.name);
      int32_t unknown = v.kind == netlist::ExprOp::voltage ? sys.node_unknown(v.ref) : sys.branch_unknown(v.ref);
      p.var_row.push_back(row(unknown));
    }
    ports_.push_back(std::move(p));
  }
  n_read_ = static_cast<int32_t>(quantity_.size());
  for (netlist::NodeId n : outputs) out_row_.push_back(n == netlist::ground ? -1 : row(sys.node_unknown(n)));
  for (ElementId id : currents) {
    int32_t unknown = sys.branch_unknown(id);
    if (unknown < 0) fail("port reduction: '{}' has no branch current", circuit.elements.at(id).name);
    out_row_.push_back(row(unknown));
  }

  // Rows of [P M] by transposed solves, in batches.
  const int32_t nq = quantities(), np = ports(), size = sys.size();
  wc_.resize(nq);
  p_.resize(nq, n_inputs_);
  m_.resize(nq, np);
  const int32_t batch = 32;
  std::vector<double> y;
  for (int32_t r0 = 0; r0 < nq; r0 += batch) {
    check_interrupt();
    int32_t nb = std::min(batch, nq - r0);
    y.assign(static_cast<size_t>(nb) * size, 0.0);
    for (int32_t k = 0; k < nb; ++k) y[static_cast<size_t>(k) * size + quantity_[r0 + k]] = 1;
    sys.solve_transposed(y, nb);
    for (int32_t k = 0; k < nb; ++k) {
      const double* yk = y.data() + static_cast<size_t>(k) * size;
      for (int32_t j = 0; j < n_inputs_; ++j) p_(r0 + k, j) = unit_response(sys, lin.elements[inputs[j]], inputs[j], yk);
      for (int32_t j = 0; j < np; ++j) m_(r0 + k, j) = unit_response(sys, lin.elements[port_ids[j]], port_ids[j], yk);
    }
  }
  for (int32_t i = 0; i < nq; ++i) wc_(i) = xc[quantity_[i]];
  max_sweeps_ = np + 1;
  setup_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

PortReport PortReducedNetwork::solve(std::span<const double> inputs, std::span<double> outputs) const {
  PortReport rep;
  const int32_t np = ports();
  Eigen::Map<const Eigen::VectorXd> x(inputs.data(), n_inputs_);
  // The sweeps and Newton need only the rows the expressions read (the first n_read_); the outputs
  // follow once u is known.
  const Eigen::VectorXd w0 = wc_.head(n_read_) + p_.topRows(n_read_) * x;
  Eigen::VectorXd u = Eigen::VectorXd::Zero(np), w = w0, g(np);
  std::vector<double> vals, grad;
  auto evaluate = [&](bool with_grad, Eigen::MatrixXd* jac) {
    for (int32_t j = 0; j < np; ++j) {
      Port& p = ports_[j];
      vals.resize(p.var_row.size());
      grad.resize(p.var_row.size());
      for (size_t k = 0; k < p.var_row.size(); ++k) vals[k] = w(p.var_row[k]);
      g(j) = with_grad ? p.eval.evaluate(vals, grad) : p.eval.evaluate(vals);
      if (jac)
        for (size_t k = 0; k < p.var_row.size(); ++k) jac->row(j) -= grad[k] * m_.row(p.var_row[k]);
    }
  };
  auto converged = [&](double& worst) {
    worst = 0;
    for (int32_t j = 0; j < np; ++j) worst = std::max(worst, std::fabs(u(j) - g(j)) / (1e-12 + 1e-10 * std::fabs(g(j))));
    return worst <= 1;
  };
  double worst = 0;
  // Fixed-point sweeps: exact after "depth" sweeps for feed-forward networks.
  for (int32_t s = 0; s < max_sweeps_; ++s) {
    evaluate(false, nullptr);
    ++rep.iterations;
    if (s > 0 && converged(worst)) break;
    u = g;
    w = w0 + m_.topRows(n_read_) * u;
    if (!u.allFinite()) break;
  }
  evaluate(false, nullptr);
  if (!converged(worst)) {
    // Newton on F(u) = u - g(w0 + M u): J = I - dg/dw M.
    for (int32_t it = 0; it < 50; ++it) {
      Eigen::MatrixXd jac = Eigen::MatrixXd::Identity(np, np);
      evaluate(true, &jac);
      ++rep.iterations;
      if (converged(worst)) break;
      Eigen::VectorXd du = jac.partialPivLu().solve(g - u);
      u += du;
      w = w0 + m_.topRows(n_read_) * u;
      evaluate(false, nullptr);
      if (converged(worst)) break;
    }
  }
  rep.residual = worst;
  if (!(worst <= 1) || !u.allFinite()) {
    rep.ok = false;
    rep.detail = fmt::format("port system did not converge (scaled residual {:.3g})", worst);
  }
  const Eigen::VectorXd all = wc_ + p_ * x + m_ * u;
  for (size_t k = 0; k < out_row_.size(); ++k) outputs[k] = out_row_[k] < 0 ? 0.0 : all(out_row_[k]);
  return rep;
}

std::vector<PortReport> PortReducedNetwork::solve_many(std::span<const double> inputs, std::span<double> outputs,
                                                      int count, int threads) const {
  std::vector<PortReport> reps(count);
  const size_t ni = n_inputs_, no = out_row_.size();
  // Each thread works on its own copy (the expression evaluators keep scratch space).
  auto work = [&](int first, int step) {
    PortReducedNetwork local = *this;
    for (int k = first; k < count; k += step)
      reps[k] = local.solve(inputs.subspan(k * ni, ni), outputs.subspan(k * no, no));
  };
  threads = std::max(1, std::min(threads, count));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work, t, threads);
  work(0, threads);
  for (auto& th : pool) th.join();
  return reps;
}

}  // namespace spx::solver
