// Quasi-static reduction of RC interconnect (see interconnect.hpp).
#include "solver/interconnect.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include <Eigen/Dense>
#include <Eigen/SparseCholesky>
#include <Eigen/SparseCore>

#include "devices/interrupt.hpp"
#include "solver/node_sets.hpp"

namespace spx::solver {

using netlist::Circuit;
using netlist::Element;
using netlist::ElementId;
using netlist::ElementKind;
using netlist::NodeId;

namespace {

bool rc(ElementKind k) { return k == ElementKind::resistor || k == ElementKind::capacitor; }

/// One component's port model, or nothing when it stays whole.
struct Model {
  bool reduce = false;
  std::vector<NodeId> ports;  // original node ids
  Eigen::MatrixXd y0, y1;
  bool has_c = false;
  double tau = 0;
  netlist::Origin origin;
};

/// `local`: per node, -1 on entry and on return (scratch shared by every component).
Model reduce_component(const Circuit& c, const std::vector<ElementId>& members, const std::vector<NodeId>& internal,
                       const std::vector<char>& is_port, double step, double bound, std::vector<int32_t>& local) {
  Model m;
  // Local numbering: internal nodes, then ports.
  std::vector<NodeId> touched;  // ports numbered here (m may be moved from when `reset` runs)
  struct Reset {
    std::vector<int32_t>& local;
    const std::vector<NodeId>& internal;
    const std::vector<NodeId>& touched;
    ~Reset() {
      for (NodeId n : internal) local[n] = -1;
      for (NodeId n : touched) local[n] = -1;
    }
  } reset{local, internal, touched};
  for (size_t k = 0; k < internal.size(); ++k) local[internal[k]] = static_cast<int32_t>(k);
  for (ElementId id : members) {
    const Element& e = c.elements[id];
    for (NodeId n : {e.a, e.b})
      if (n != netlist::ground && is_port[n] && local[n] < 0) {
        local[n] = static_cast<int32_t>(m.ports.size());
        m.ports.push_back(n);
        touched.push_back(n);
      }
  }
  const auto ni = static_cast<Eigen::Index>(internal.size()), np = static_cast<Eigen::Index>(m.ports.size());
  m.origin = c.elements[members.front()].origin;
  // The dense model may hold up to twice the component's elements (it has far fewer nodes, and its
  // factor no fill), and its dense work (five internal x port blocks) must fit in memory comfortably.
  // Capacitors with initial conditions (uic) keep their part whole.
  bool any_c = false;
  for (ElementId id : members) {
    any_c |= c.elements[id].kind == ElementKind::capacitor;
    if (c.elements[id].kind == ElementKind::capacitor && !std::isnan(c.elements[id].ic)) return m;
  }
  const double model_size = static_cast<double>(np) * static_cast<double>(np + 1) / 2 * (any_c ? 2 : 1);
  if (np == 0 || model_size > 2.0 * static_cast<double>(members.size()) || static_cast<double>(ni) * static_cast<double>(np) > 5e6)
    return m;
  std::vector<Eigen::Triplet<double>> gt, ct;
  Eigen::MatrixXd gip = Eigen::MatrixXd::Zero(ni, np), cip = Eigen::MatrixXd::Zero(ni, np);
  Eigen::MatrixXd gpp = Eigen::MatrixXd::Zero(np, np), cpp = Eigen::MatrixXd::Zero(np, np);
  for (ElementId id : members) {
    const Element& e = c.elements[id];
    const bool cap = e.kind == ElementKind::capacitor;
    const double v = cap ? e.value : 1 / e.value;
    auto& tri = cap ? ct : gt;
    auto& ip = cap ? cip : gip;
    auto& pp = cap ? cpp : gpp;
    // Terminal: internal (k >= 0, port false), port, or ground (k < 0).
    const NodeId ends[2] = {e.a, e.b};
    int32_t k[2];
    bool port[2];
    for (int s = 0; s < 2; ++s) {
      k[s] = ends[s] == netlist::ground ? -1 : local[ends[s]];
      port[s] = ends[s] != netlist::ground && is_port[ends[s]];
    }
    auto stamp = [&](int s, int t, double val) {  // entry (row of terminal s, column of terminal t)
      if (k[s] < 0 || k[t] < 0) return;
      if (!port[s] && !port[t]) tri.emplace_back(k[s], k[t], val);
      else if (!port[s] && port[t]) ip(k[s], k[t]) += val;
      else if (port[s] && port[t]) pp(k[s], k[t]) += val;
      // (port row, internal column) is the transpose of ip
    };
    stamp(0, 0, v);
    stamp(1, 1, v);
    stamp(0, 1, -v);
    stamp(1, 0, -v);
  }
  Eigen::SparseMatrix<double> gii(ni, ni), cii(ni, ni);
  gii.setFromTriplets(gt.begin(), gt.end());
  cii.setFromTriplets(ct.begin(), ct.end());
  Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>> ldlt(gii);
  // No DC path from some internal node to a port: a zero pivot, or one lost in rounding.
  if (ldlt.info() != Eigen::Success || !(ldlt.vectorD().array() > 1e-12 * ldlt.vectorD().cwiseAbs().maxCoeff()).all())
    return m;
  const Eigen::MatrixXd x = ldlt.solve(gip);
  m.y0 = gpp - gip.transpose() * x;
  m.has_c = any_c;
  if (any_c) {
    const Eigen::MatrixXd z = cip - cii * x;
    m.y1 = cpp - cip.transpose() * x - x.transpose() * z;
    const Eigen::MatrixXd x1 = ldlt.solve(z);
    const Eigen::MatrixXd y2 = -(z.transpose() * x1);
    for (Eigen::Index i = 0; i < np; ++i)
      if (m.y1(i, i) > 0) m.tau = std::max(m.tau, -y2(i, i) / m.y1(i, i));
    m.y1 = 0.5 * (m.y1 + m.y1.transpose());
    if (step > 0 && m.tau > bound * step) return m;
  }
  m.y0 = 0.5 * (m.y0 + m.y0.transpose());
  m.reduce = true;
  return m;
}

}  // namespace

InterconnectReduction reduce_interconnect(const Circuit& c, std::span<const NodeId> keep, double step, double bound) {
  const auto ne = static_cast<int32_t>(c.elements.size());
  const int32_t nn = c.node_count();
  std::vector<char> is_port(static_cast<size_t>(nn), 0);
  auto mark = [&](NodeId n) {
    if (n > netlist::ground && n < nn) is_port[n] = 1;
  };
  for (const Element& e : c.elements) {
    if (rc(e.kind)) continue;
    mark(e.a);
    mark(e.b);
    mark(e.c);
    mark(e.d);
    for (const auto& x : e.expr.nodes)
      if (x.op == netlist::ExprOp::voltage) {
        mark(x.ref);
        mark(x.ref2);
      }
  }
  for (const auto& meas : c.measures) mark(meas.node);
  for (const auto& s : c.saves)
    if (auto n = c.vector_node(s)) mark(*n);
  for (NodeId n : keep) mark(n);
  auto internal = [&](NodeId n) { return n != netlist::ground && !is_port[n]; };

  // Components: internal nodes joined by resistors and capacitors.
  NodeSets sets(nn);
  for (const Element& e : c.elements)
    if (rc(e.kind) && internal(e.a) && internal(e.b)) sets.unite(e.a, e.b);
  std::vector<int32_t> comp_of_root(static_cast<size_t>(nn), -1);
  std::vector<std::vector<NodeId>> nodes_of;
  for (NodeId n = 1; n < nn; ++n)
    if (internal(n)) {
      int32_t& k = comp_of_root[sets.find(n)];
      if (k < 0) {
        k = static_cast<int32_t>(nodes_of.size());
        nodes_of.emplace_back();
      }
      nodes_of[k].push_back(n);
    }
  std::vector<std::vector<ElementId>> members(nodes_of.size());
  std::vector<int32_t> element_comp(static_cast<size_t>(ne), -1);
  for (ElementId i = 0; i < ne; ++i) {
    const Element& e = c.elements[i];
    if (!rc(e.kind)) continue;
    const NodeId n = internal(e.a) ? e.a : internal(e.b) ? e.b : -1;
    if (n < 0) continue;
    element_comp[i] = comp_of_root[sets.find(n)];
    members[element_comp[i]].push_back(i);
  }
  // A node touched only by elements of nothing (a dangling internal node) has no members: such a
  // component has none and stays as it is.
  InterconnectReduction out;
  std::vector<Model> models(nodes_of.size());
  std::vector<int32_t> local(static_cast<size_t>(nn), -1);
  for (size_t k = 0; k < nodes_of.size(); ++k) {
    check_interrupt();
    if (!members[k].empty()) models[k] = reduce_component(c, members[k], nodes_of[k], is_port, step, bound, local);
    if (models[k].reduce) {
      ++out.reduced;
      out.nodes_eliminated += static_cast<int64_t>(nodes_of[k].size());
      out.tau = std::max(out.tau, models[k].tau);
    } else {
      ++out.kept;
    }
  }

  // The reduced circuit: kept nodes and elements in their order, then the port models.
  Circuit& r = out.circuit;
  r.title = c.title;
  r.analyses = c.analyses;
  r.options = c.options;
  r.models = c.models;
  r.files = c.files;
  r.saves = c.saves;
  std::vector<char> gone(static_cast<size_t>(nn), 0);
  for (size_t k = 0; k < nodes_of.size(); ++k)
    if (models[k].reduce)
      for (NodeId n : nodes_of[k]) gone[n] = 1;
  out.node.assign(static_cast<size_t>(nn), -1);
  out.node[netlist::ground] = netlist::ground;
  size_t model_elements = 0;
  for (const auto& m : models)
    if (m.reduce) model_elements += m.ports.size() * (m.ports.size() + 1) / 2 * (m.has_c ? 2 : 1);
  r.reserve(c.elements.size() + model_elements, static_cast<size_t>(nn));
  for (NodeId n = 1; n < nn; ++n)
    if (!gone[n]) out.node[n] = r.node(c.node_name(n));
  out.element.assign(static_cast<size_t>(ne), -1);
  ElementId next = 0;
  for (ElementId i = 0; i < ne; ++i)
    if (!(element_comp[i] >= 0 && models[element_comp[i]].reduce)) out.element[i] = next++;
  auto node = [&](NodeId n) { return n < 0 ? n : out.node[n]; };
  for (ElementId i = 0; i < ne; ++i) {
    if (out.element[i] < 0) continue;
    Element e = c.elements[i];
    e.a = node(e.a);
    e.b = node(e.b);
    e.c = node(e.c);
    e.d = node(e.d);
    if (e.control >= 0) e.control = out.element[e.control];
    for (auto& x : e.expr.nodes) {
      if (x.op == netlist::ExprOp::voltage) {
        x.ref = node(x.ref);
        x.ref2 = node(x.ref2);
      } else if (x.op == netlist::ExprOp::current && x.ref >= 0) {
        x.ref = out.element[x.ref];
      }
    }
    r.add(std::move(e));
  }
  for (const auto& meas : c.measures) r.measures.push_back(netlist::Measure{meas.name, node(meas.node), meas.time});
  for (size_t k = 0; k < models.size(); ++k) {
    const Model& m = models[k];
    if (!m.reduce) continue;
    const auto np = static_cast<Eigen::Index>(m.ports.size());
    auto realize = [&](const Eigen::MatrixXd& y, bool cap) {
      const char kind = cap ? 'c' : 'r';
      for (Eigen::Index i = 0; i < np; ++i) {
        double sum = 0, scale = 0;
        for (Eigen::Index j = 0; j < np; ++j) {
          sum += y(i, j);
          scale += std::fabs(y(i, j));
        }
        auto add = [&](NodeId a, NodeId b, double v, Eigen::Index j) {  // v: S or F between a and b
          Element e = cap ? netlist::make_capacitor(fmt::format("{}.rq{}.{}.{}", kind, k, i, j), a, b, v)
                          : netlist::make_resistor(fmt::format("{}.rq{}.{}.{}", kind, k, i, j), a, b, 1 / v);
          e.origin = m.origin;
          e.origin.row = e.origin.col = -1;
          e.origin.role = netlist::Role::other;
          r.add(std::move(e));
        };
        // To ground: the row sum, unless it is rounding of a row with no path to ground.
        if (std::fabs(sum) > 1e-12 * scale) add(node(m.ports[i]), netlist::ground, sum, i);
        for (Eigen::Index j = i + 1; j < np; ++j)
          if (y(i, j) != 0) add(node(m.ports[i]), node(m.ports[j]), -y(i, j), j);
      }
    };
    realize(m.y0, false);
    if (m.has_c) realize(m.y1, true);
  }
  return out;
}

}  // namespace spx::solver
