// Port reduction (port_reduction.hpp).
#include "solver/port_reduction.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <map>
#include <mutex>
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

/// Writes source e's unit right-hand side into b (zero on entry), the vector unit_response reads.
void unit_rhs(const NodalSystem& sys, const Element& e, ElementId id, double* b) {
  if (e.kind == ElementKind::vsource) {
    b[sys.branch_unknown(id)] = 1;
    return;
  }
  if (e.a != netlist::ground) b[sys.node_unknown(e.a)] -= 1;
  if (e.b != netlist::ground) b[sys.node_unknown(e.b)] += 1;
}

}  // namespace

void PortReducedNetwork::Map::set(Eigen::MatrixXd d) {
  const Eigen::Index nnz = (d.array() != 0).count();
  is_sparse = d.size() > 0 && nnz * 4 <= d.size();
  if (is_sparse) {
    sparse = d.sparseView(0.0, 0.0);
    sparse.makeCompressed();
    dense.resize(0, 0);
  } else {
    dense = std::move(d);
  }
}

void PortReducedNetwork::Map::add_product(int32_t rows, const Eigen::VectorXd& x, Eigen::VectorXd& y) const {
  if (is_sparse) y.head(rows) += sparse.topRows(rows) * x;
  else y.head(rows) += dense.topRows(rows) * x;
}

void PortReducedNetwork::Map::index_columns(int32_t rows) {
  if (is_sparse) cols = sparse.topRows(rows);
  else cols = dense.topRows(rows).sparseView(0.0, 0.0);
  cols.makeCompressed();
}

void PortReducedNetwork::Map::subtract_row(int32_t r, double g, Eigen::Ref<Eigen::RowVectorXd, 0, Eigen::InnerStride<>> target) const {
  if (!is_sparse) {
    target -= g * dense.row(r);
    return;
  }
  for (Eigen::SparseMatrix<double, Eigen::RowMajor>::InnerIterator it(sparse, r); it; ++it) target(it.col()) -= g * it.value();
}

PortReducedNetwork::PortReducedNetwork(const Circuit& circuit, std::vector<ElementId> inputs,
                                       std::vector<netlist::NodeId> outputs, const std::vector<ElementId>& currents,
                                       int threads) {
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

  // Direct inputs: grounded V sources whose node nothing else touches.
  std::vector<int32_t> touches(circuit.node_count(), 0);
  for (const Element& e : circuit.elements)
    for (netlist::NodeId n : {e.a, e.b, e.c, e.d})
      if (n != netlist::ground) ++touches[n];
  std::map<netlist::NodeId, int32_t> direct_of;  // node -> input position
  for (int32_t j = 0; j < n_inputs_; ++j) {
    const Element& e = circuit.elements[inputs[j]];
    if (e.kind == ElementKind::vsource && e.b == netlist::ground && e.a != netlist::ground && touches[e.a] == 1)
      direct_of[e.a] = j;
    else
      regular_.push_back(j);
  }

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
      if (v.kind == netlist::ExprOp::voltage)
        if (auto it = direct_of.find(v.ref); it != direct_of.end()) {
          p.var_row.push_back(-1 - it->second);
          continue;
        }
      int32_t unknown = v.kind == netlist::ExprOp::voltage ? sys.node_unknown(v.ref) : sys.branch_unknown(v.ref);
      p.var_row.push_back(row(unknown));
    }
    ports_.push_back(std::move(p));
  }
  n_read_ = static_cast<int32_t>(quantity_.size());
  readers_.assign(n_read_, {});
  for (size_t j = 0; j < ports_.size(); ++j)
    for (int32_t r : ports_[j].var_row)
      if (r >= 0 && (readers_[r].empty() || readers_[r].back() != static_cast<int32_t>(j))) readers_[r].push_back(static_cast<int32_t>(j));
  for (netlist::NodeId n : outputs) {
    if (auto it = direct_of.find(n); it != direct_of.end()) out_row_.push_back(-2 - it->second);
    else out_row_.push_back(n == netlist::ground ? -1 : row(sys.node_unknown(n)));
  }
  for (ElementId id : currents) {
    int32_t unknown = sys.branch_unknown(id);
    if (unknown < 0) fail("port reduction: '{}' has no branch current", circuit.elements.at(id).name);
    out_row_.push_back(row(unknown));
  }

  const int32_t nq = quantities(), np = ports(), size = sys.size(), nr = static_cast<int32_t>(regular_.size());
  wc_.resize(nq);
  Eigen::MatrixXd p = Eigen::MatrixXd::Zero(nq, nr), m = Eigen::MatrixXd::Zero(nq, np);
  // Blocks of 32 right-hand sides, dealt to the threads in turn; each thread solves on its own copy
  // of the factorization (identical bits), and writes its own rows or columns of [P M].
  const int32_t batch = 32;
  const bool by_rows = nq <= nr + np;
  const int32_t items = by_rows ? nq : nr + np;
  const int32_t blocks = (items + batch - 1) / batch;
  const int32_t workers = std::max(1, std::min(threads, blocks));
  sys.prepare_workers(workers);
  auto work = [&](int32_t worker) {
    std::vector<double> y;
    for (int32_t b = worker; b < blocks; b += workers) {
      if (worker == 0) check_interrupt();
      const int32_t i0 = b * batch, nb = std::min(batch, items - i0);
      y.assign(static_cast<size_t>(nb) * size, 0.0);
      if (by_rows) {
        // Rows of [P M] by transposed solves.
        for (int32_t k = 0; k < nb; ++k) y[static_cast<size_t>(k) * size + quantity_[i0 + k]] = 1;
        sys.solve_on(worker, y, nb, true);
        for (int32_t k = 0; k < nb; ++k) {
          const double* yk = y.data() + static_cast<size_t>(k) * size;
          for (int32_t j = 0; j < nr; ++j) p(i0 + k, j) = unit_response(sys, lin.elements[inputs[regular_[j]]], inputs[regular_[j]], yk);
          for (int32_t j = 0; j < np; ++j) m(i0 + k, j) = unit_response(sys, lin.elements[port_ids[j]], port_ids[j], yk);
        }
      } else {
        // Columns of [P M] by forward solves: A^-1 applied to each source's unit right-hand side.
        for (int32_t k = 0; k < nb; ++k) {
          const int32_t c = i0 + k;
          const ElementId id = c < nr ? inputs[regular_[c]] : port_ids[c - nr];
          unit_rhs(sys, lin.elements[id], id, y.data() + static_cast<size_t>(k) * size);
        }
        sys.solve_on(worker, y, nb, false);
        for (int32_t k = 0; k < nb; ++k) {
          const int32_t c = i0 + k;
          const double* yk = y.data() + static_cast<size_t>(k) * size;
          for (int32_t i = 0; i < nq; ++i) (c < nr ? p(i, c) : m(i, c - nr)) = yk[quantity_[i]];
        }
      }
    }
  };
  {
    std::vector<std::thread> pool;
    std::exception_ptr failure;
    std::mutex failure_mutex;
    for (int32_t w = 1; w < workers; ++w)
      pool.emplace_back([&, w] {
        try {
          work(w);
        } catch (...) {
          std::lock_guard<std::mutex> lock(failure_mutex);
          if (!failure) failure = std::current_exception();
        }
      });
    try {
      work(0);
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
    }
    for (auto& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);
  }
  p_.set(std::move(p));
  m_.set(std::move(m));
  for (int32_t i = 0; i < nq; ++i) wc_(i) = xc[quantity_[i]];
  m_.index_columns(n_read_);
  max_sweeps_ = np + 1;
  setup_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

PortReport PortReducedNetwork::solve(std::span<const double> inputs, std::span<double> outputs) const {
  PortReport rep;
  const int32_t np = ports();
  const int32_t nr = static_cast<int32_t>(regular_.size());
  Eigen::VectorXd x(nr);
  for (int32_t j = 0; j < nr; ++j) x(j) = inputs[regular_[j]];
  // The sweeps and Newton need only the rows the expressions read (the first n_read_); the outputs
  // follow once u is known.
  Eigen::VectorXd w0 = wc_.head(n_read_);
  p_.add_product(n_read_, x, w0);
  Eigen::VectorXd u = Eigen::VectorXd::Zero(np), w = w0, g(np);
  std::vector<double> vals, grad;
  std::vector<char> dirty(np, 1);  // ports whose read quantities changed since their last evaluation
  // A port's variables: quantities from w, direct inputs from the input vector.
  auto read = [&](const Port& p) {
    vals.resize(p.var_row.size());
    for (size_t k = 0; k < p.var_row.size(); ++k) {
      const int32_t r = p.var_row[k];
      vals[k] = r >= 0 ? w(r) : inputs[-1 - r];
    }
  };
  auto evaluate = [&](bool with_grad, Eigen::MatrixXd* jac) {
    for (int32_t j = 0; j < np; ++j) {
      if (!with_grad && !dirty[j]) continue;
      dirty[j] = 0;
      Port& p = ports_[j];
      read(p);
      grad.resize(p.var_row.size());
      g(j) = with_grad ? p.eval.evaluate(vals, grad) : p.eval.evaluate(vals);
      if (jac)
        for (size_t k = 0; k < p.var_row.size(); ++k)
          if (p.var_row[k] >= 0) m_.subtract_row(p.var_row[k], grad[k], jac->row(j));
    }
  };
  auto converged = [&](double& worst) {
    worst = 0;
    for (int32_t j = 0; j < np; ++j) worst = std::max(worst, std::fabs(u(j) - g(j)) / (1e-12 + 1e-10 * std::fabs(g(j))));
    return worst <= 1;
  };
  double worst = 0;
  // Gauss-Seidel sweeps in port order: a changed port value updates the quantities that read it at
  // once (w += M(:, j) du) and marks their readers for evaluation. A sweep with no change beyond the
  // tolerance has u = g(w).
  bool settled = false;
  for (int32_t s = 0; s < max_sweeps_ && !settled; ++s) {
    ++rep.iterations;
    settled = true;
    for (int32_t j = 0; j < np; ++j) {
      if (!dirty[j]) continue;
      dirty[j] = 0;
      Port& p = ports_[j];
      read(p);
      const double gj = p.eval.evaluate(vals);
      g(j) = gj;
      const double du = gj - u(j);
      if (!(std::fabs(du) <= 1e-12 + 1e-10 * std::fabs(gj))) settled = false;
      if (du == 0) continue;
      u(j) = gj;
      for (Eigen::SparseMatrix<double, Eigen::ColMajor>::InnerIterator it(m_.cols, j); it; ++it) {
        w(it.row()) += it.value() * du;
        for (int32_t q : readers_[it.row()]) dirty[q] = 1;
      }
    }
    if (!std::isfinite(u.sum())) break;
  }
  if (settled) {
    converged(worst);
  } else {
    // Not settled: from here on w = w0 + M u afresh, and Newton.
    w = w0;
    m_.add_product(n_read_, u, w);
    std::fill(dirty.begin(), dirty.end(), 1);
    evaluate(false, nullptr);
  }
  if (!converged(worst)) {
    // Newton on F(u) = u - g(w0 + M u): J = I - dg/dw M.
    for (int32_t it = 0; it < 50; ++it) {
      Eigen::MatrixXd jac = Eigen::MatrixXd::Identity(np, np);
      evaluate(true, &jac);
      ++rep.iterations;
      if (converged(worst)) break;
      Eigen::VectorXd du = jac.partialPivLu().solve(g - u);
      u += du;
      w = w0;
      m_.add_product(n_read_, u, w);
      std::fill(dirty.begin(), dirty.end(), 1);
      evaluate(false, nullptr);
      if (converged(worst)) break;
    }
  }
  rep.residual = worst;
  if (!(worst <= 1) || !u.allFinite()) {
    rep.ok = false;
    rep.detail = fmt::format("port system did not converge (scaled residual {:.3g})", worst);
  }
  Eigen::VectorXd all = wc_;
  p_.add_product(quantities(), x, all);
  m_.add_product(quantities(), u, all);
  for (size_t k = 0; k < out_row_.size(); ++k) {
    const int32_t r = out_row_[k];
    outputs[k] = r >= 0 ? all(r) : r == -1 ? 0.0 : inputs[-2 - r];
  }
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
