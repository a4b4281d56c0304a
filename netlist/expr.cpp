// Parsing, binding, folding, printing and reverse-mode differentiation of expressions (expr.hpp).
#include "netlist/expr.hpp"

#include <cctype>
#include <cmath>
#include <numbers>

#include "devices/error.hpp"
#include "devices/units.hpp"

namespace spx::netlist {
namespace {

struct FuncInfo {
  Func func;
  std::string_view name;
  int arity;  // -1: pwl (odd count >= 3)
};

constexpr FuncInfo kFuncs[] = {
    {Func::exp, "exp", 1},     {Func::ln, "ln", 1},       {Func::log10, "log10", 1},
    {Func::sqrt, "sqrt", 1},   {Func::sin, "sin", 1},     {Func::cos, "cos", 1},
    {Func::tan, "tan", 1},     {Func::asin, "asin", 1},   {Func::acos, "acos", 1},
    {Func::atan, "atan", 1},   {Func::sinh, "sinh", 1},   {Func::cosh, "cosh", 1},
    {Func::tanh, "tanh", 1},   {Func::abs, "abs", 1},     {Func::sgn, "sgn", 1},
    {Func::floor, "floor", 1}, {Func::ceil, "ceil", 1},   {Func::min, "min", 2},
    {Func::max, "max", 2},     {Func::pow, "pow", 2},     {Func::pwl, "pwl", -1},
};

const FuncInfo& info(Func f) {
  for (const auto& fi : kFuncs)
    if (fi.func == f) return fi;
  return kFuncs[0];
}

double sign(double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }

/// |x|^y and its partial derivatives.
double abs_pow(double x, double y) { return std::pow(std::fabs(x), y); }

double pwl_eval(std::span<const double> a, double* slope) {
  // a[0] = x, then pairs (x_k, y_k); linear inside, extended with the end segments outside.
  double x = a[0];
  size_t n = (a.size() - 1) / 2;
  auto px = [&](size_t k) { return a[1 + 2 * k]; };
  auto py = [&](size_t k) { return a[2 + 2 * k]; };
  size_t seg = 0;
  while (seg + 2 < n && x > px(seg + 1)) ++seg;
  double x0 = px(seg), x1 = px(seg + 1), y0 = py(seg), y1 = py(seg + 1);
  double s = x1 != x0 ? (y1 - y0) / (x1 - x0) : 0.0;
  if (slope) *slope = s;
  return y0 + s * (x - x0);
}

/// Value of a call; when d is non-null, fills d[k] = partial derivative by argument k.
double apply(Func f, std::span<const double> a, ExprContext ctx, double* d) {
  double x = a[0];
  switch (f) {
    case Func::exp: { double v = std::exp(x); if (d) d[0] = v; return v; }
    case Func::ln: if (d) d[0] = 1 / x; return std::log(x);
    case Func::log10: if (d) d[0] = 1 / (x * std::numbers::ln10); return std::log10(x);
    case Func::sqrt: { double v = std::sqrt(x); if (d) d[0] = 0.5 / v; return v; }
    case Func::sin: if (d) d[0] = std::cos(x); return std::sin(x);
    case Func::cos: if (d) d[0] = -std::sin(x); return std::cos(x);
    case Func::tan: { double c = std::cos(x); if (d) d[0] = 1 / (c * c); return std::tan(x); }
    case Func::asin: if (d) d[0] = 1 / std::sqrt(1 - x * x); return std::asin(x);
    case Func::acos: if (d) d[0] = -1 / std::sqrt(1 - x * x); return std::acos(x);
    case Func::atan: if (d) d[0] = 1 / (1 + x * x); return std::atan(x);
    case Func::sinh: if (d) d[0] = std::cosh(x); return std::sinh(x);
    case Func::cosh: if (d) d[0] = std::sinh(x); return std::cosh(x);
    case Func::tanh: { double t = std::tanh(x); if (d) d[0] = 1 - t * t; return t; }
    case Func::abs: if (d) d[0] = sign(x); return std::fabs(x);
    case Func::sgn: if (d) d[0] = 0; return sign(x);
    case Func::floor: if (d) d[0] = 0; return std::floor(x);
    case Func::ceil: if (d) d[0] = 0; return std::ceil(x);
    case Func::min: if (d) { d[0] = x <= a[1]; d[1] = x > a[1]; } return std::min(x, a[1]);
    case Func::max: if (d) { d[0] = x >= a[1]; d[1] = x < a[1]; } return std::max(x, a[1]);
    case Func::pow: {
      double y = a[1];
      if (ctx == ExprContext::param) {
        double v = std::pow(x, y);
        if (d) { d[0] = y * std::pow(x, y - 1); d[1] = x > 0 ? v * std::log(x) : 0; }
        return v;
      }
      double v = abs_pow(x, y);
      if (d) { d[0] = y * abs_pow(x, y - 1) * sign(x); d[1] = x != 0 ? v * std::log(std::fabs(x)) : 0; }
      return v;
    }
    case Func::pwl: {
      double s = 0;
      double v = pwl_eval(a, &s);
      if (d) { d[0] = s; for (size_t k = 1; k < a.size(); ++k) d[k] = 0; }
      return v;
    }
  }
  return 0;
}

/// The left operand of a left-associative chain of one precedence is written without its own
/// parentheses: ((a+b)-c) as (a+b-c), which reads back as the same tree. A sum of a million terms
/// thus nests one level deep in text, not a million.
bool bare_left(const ExprNode& parent, const ExprNode& left) {
  auto additive = [](ExprOp o) { return o == ExprOp::add || o == ExprOp::sub; };
  auto multiplicative = [](ExprOp o) { return o == ExprOp::mul || o == ExprOp::div; };
  return (additive(parent.op) && additive(left.op)) || (multiplicative(parent.op) && multiplicative(left.op));
}

/// Value of a non-call operation given its operand values; fills partials when d is non-null.
double apply_op(ExprOp op, double x, double y, double* d) {
  switch (op) {
    case ExprOp::neg: if (d) d[0] = -1; return -x;
    case ExprOp::add: if (d) { d[0] = 1; d[1] = 1; } return x + y;
    case ExprOp::sub: if (d) { d[0] = 1; d[1] = -1; } return x - y;
    case ExprOp::mul: if (d) { d[0] = y; d[1] = x; } return x * y;
    case ExprOp::div: if (d) { d[0] = 1 / y; d[1] = -x / (y * y); } return x / y;
    case ExprOp::pow: {
      double v = abs_pow(x, y);
      if (d) { d[0] = y * abs_pow(x, y - 1) * sign(x); d[1] = x != 0 ? v * std::log(std::fabs(x)) : 0; }
      return v;
    }
    default: return 0;
  }
}

class Parser {
 public:
  Parser(std::string_view text, ExprContext ctx, std::string_view where)
      : s_(text), where_(where) { out_.context = ctx; }

  Expr parse() {
    skip();
    if (pos_ >= s_.size()) error("empty expression");
    sum();
    skip();
    if (pos_ < s_.size()) error(fmt::format("unexpected '{}'", s_.substr(pos_, 12)));
    // Each level of the written text costs the parser at most two levels (a sign inside parentheses),
    // so a tree nesting at most max_written levels is written as text that reads back.
    if (written_nesting(out_) > max_written)
      error(fmt::format("nesting deeper than {} levels", max_written));
    return std::move(out_);
  }

 private:
  static constexpr int max_depth = 500;  ///< parentheses, signs, powers and calls inside each other
  static constexpr int max_written = (max_depth - 4) / 2;  ///< levels of the tree as written
  std::string_view s_;
  std::string_view where_;
  size_t pos_ = 0;
  int depth_ = 0;
  Expr out_;

  [[noreturn]] void error(const std::string& msg) const {
    fail("{}: {} in expression '{}'", where_, msg, clip(s_, 80));
  }
  void skip() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool eat(char c) {
    skip();
    if (pos_ < s_.size() && s_[pos_] == c) { ++pos_; return true; }
    return false;
  }
  int32_t push(ExprNode n) {
    out_.nodes.push_back(std::move(n));
    return out_.root();
  }
  int32_t push_op(ExprOp op, std::vector<int32_t> kids) {
    ExprNode n;
    n.op = op;
    n.kids = std::move(kids);
    return push(std::move(n));
  }

  int32_t sum() {
    int32_t lhs = term();
    for (;;) {
      if (eat('+')) lhs = push_op(ExprOp::add, {lhs, term()});
      else if (eat('-')) lhs = push_op(ExprOp::sub, {lhs, term()});
      else return lhs;
    }
  }
  int32_t term() {
    int32_t lhs = unary();
    for (;;) {
      skip();
      if (pos_ + 1 < s_.size() && s_[pos_] == '*' && s_[pos_ + 1] == '*') return lhs;
      if (eat('*')) lhs = push_op(ExprOp::mul, {lhs, unary()});
      else if (eat('/')) lhs = push_op(ExprOp::div, {lhs, unary()});
      else return lhs;
    }
  }
  /// Every recursion of the grammar passes through unary(), so its depth bounds the stack.
  int32_t unary() {
    if (++depth_ > max_depth) error(fmt::format("nesting deeper than {} levels", max_depth));
    int32_t r;
    if (eat('-')) r = push_op(ExprOp::neg, {unary()});
    else if (eat('+')) r = unary();
    else r = power();
    --depth_;
    return r;
  }
  int32_t power() {
    int32_t base = atom();
    skip();
    if (pos_ + 1 < s_.size() && s_[pos_] == '*' && s_[pos_ + 1] == '*') {
      pos_ += 2;
      return push_op(ExprOp::pow, {base, unary()});
    }
    if (eat('^')) return push_op(ExprOp::pow, {base, unary()});
    return base;
  }
  std::string raw_name() {
    // A node or source name inside v(...) / i(...): anything up to ',' or ')'.
    skip();
    size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != ',' && s_[pos_] != ')' &&
           !std::isspace(static_cast<unsigned char>(s_[pos_])))
      ++pos_;
    if (pos_ == start) error("missing name");
    return std::string(s_.substr(start, pos_ - start));
  }
  int32_t atom() {
    skip();
    if (pos_ >= s_.size()) error("unexpected end");
    char c = s_[pos_];
    if (c == '(') {
      ++pos_;
      int32_t e = sum();
      if (!eat(')')) error("missing ')'");
      return e;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      size_t start = pos_;
      while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.'))
        ++pos_;
      // Exponent sign: 1e-3, 2.5E+6
      while (pos_ < s_.size() && (s_[pos_] == '-' || s_[pos_] == '+') && pos_ > start &&
             (s_[pos_ - 1] == 'e' || s_[pos_ - 1] == 'E') && pos_ + 1 < s_.size() &&
             std::isdigit(static_cast<unsigned char>(s_[pos_ + 1]))) {
        ++pos_;
        while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.'))
          ++pos_;
      }
      std::string_view tok = s_.substr(start, pos_ - start);
      auto v = devices::parse_spice_number(tok);
      if (!v) error(fmt::format("bad number '{}'", tok));
      ExprNode n;
      n.number = *v;
      return push(std::move(n));
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t start = pos_;
      while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_'))
        ++pos_;
      std::string name(s_.substr(start, pos_ - start));
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      skip();
      bool call = pos_ < s_.size() && s_[pos_] == '(';
      if (call && (name == "v" || name == "i")) {
        ++pos_;
        ExprNode n;
        n.op = name == "v" ? ExprOp::voltage : ExprOp::current;
        n.name = raw_name();
        if (n.op == ExprOp::voltage && eat(',')) n.name2 = raw_name();
        if (!eat(')')) error("missing ')'");
        return push(std::move(n));
      }
      if (call) {
        ++pos_;
        auto f = func_from_name(name);
        if (!f) error(fmt::format("unknown function '{}'", name));
        std::vector<int32_t> args;
        if (!eat(')')) {
          do args.push_back(sum());
          while (eat(','));
          if (!eat(')')) error("missing ')'");
        }
        int arity = info(*f).arity;
        int n_args = static_cast<int>(args.size());
        bool ok = arity >= 0 ? n_args == arity : (n_args >= 5 && n_args % 2 == 1);
        if (!ok)
          error(arity >= 0 ? fmt::format("{}() takes {} argument(s), got {}", name, arity, n_args)
                           : fmt::format("pwl() takes x and at least two x,y pairs, got {} arguments", n_args));
        ExprNode n;
        n.op = ExprOp::call;
        n.func = *f;
        n.kids = std::move(args);
        return push(std::move(n));
      }
      ExprNode n;
      if (name == "time" && out_.context == ExprContext::behavioral) {
        n.op = ExprOp::time;
      } else {
        n.op = ExprOp::param;
        n.name = std::move(name);
      }
      return push(std::move(n));
    }
    error(fmt::format("unexpected '{}'", c));
  }
};

/// Value of node i given its operands' values.
double node_value(const ExprNode& n, const std::vector<double>& val, ExprContext ctx, double* d) {
  switch (n.op) {
    case ExprOp::number: return n.number;
    case ExprOp::call: {
      double args[64];
      double* heap = nullptr;
      std::vector<double> big;
      if (n.kids.size() > 64) { big.resize(n.kids.size()); heap = big.data(); }
      double* a = heap ? heap : args;
      for (size_t k = 0; k < n.kids.size(); ++k) a[k] = val[n.kids[k]];
      return apply(n.func, std::span<const double>(a, n.kids.size()), ctx, d);
    }
    case ExprOp::neg: return apply_op(n.op, val[n.kids[0]], 0, d);
    default: return apply_op(n.op, val[n.kids[0]], val[n.kids[1]], d);
  }
}

}  // namespace

std::string_view func_name(Func f) { return info(f).name; }

std::optional<Func> func_from_name(std::string_view name) {
  if (name == "log") return Func::ln;
  for (const auto& fi : kFuncs)
    if (fi.name == name) return fi.func;
  return std::nullopt;
}

Expr parse_expr(std::string_view text, ExprContext context, std::string_view where) {
  return Parser(text, context, where).parse();
}

Expr bind_expr(const Expr& raw, const ExprScope& scope, std::string_view where) {
  Expr out;
  out.context = raw.context;
  std::vector<double> val;  // value of each output node when it is a number
  auto text = [&] { return clip(to_string(raw), 80); };
  // Rebuild in post-order; a node whose operands are all numbers becomes a number.
  std::vector<int32_t> map(raw.nodes.size(), -1);
  std::vector<size_t> start(raw.nodes.size(), 0);  // first output index of each subtree
  for (size_t i = 0; i < raw.nodes.size(); ++i) {
    const ExprNode& n = raw.nodes[i];
    ExprNode m = n;
    size_t first = out.nodes.size();
    for (auto& k : m.kids) {
      first = std::min(first, start[k]);
      k = map[k];
    }
    start[i] = first;
    switch (n.op) {
      case ExprOp::number: break;
      case ExprOp::param: {
        std::optional<double> v;
        if (scope.param) v = scope.param(n.name);
        if (!v && n.name == "pi") v = std::numbers::pi;
        if (!v) fail("{}: unknown parameter '{}' in expression '{}'", where, n.name, text());
        m = ExprNode{};
        m.number = *v;
        break;
      }
      case ExprOp::voltage:
        if (!scope.node) fail("{}: v({}) is not allowed here, in expression '{}'", where, n.name, text());
        m.ref = scope.node(n.name);
        m.ref2 = n.name2.empty() ? -1 : scope.node(n.name2);
        m.name.clear();
        m.name2.clear();
        break;
      case ExprOp::current: {
        if (!scope.source) fail("{}: i({}) is not allowed here, in expression '{}'", where, n.name, text());
        auto e = scope.source(n.name);
        if (!e) fail("{}: unknown voltage source '{}' in i() of expression '{}'", where, n.name, text());
        m.ref = *e;
        m.name.clear();
        break;
      }
      case ExprOp::time:
        if (!scope.allow_time) fail("{}: 'time' is not allowed here, in expression '{}'", where, text());
        break;
      default: {
        bool constant = true;
        for (auto k : m.kids) constant = constant && out.nodes[k].op == ExprOp::number;
        if (constant) {
          ExprNode local = m;  // operands renumbered 0..k-1, so folding costs O(k), not O(size)
          std::vector<double> v(local.kids.size());
          for (size_t k = 0; k < local.kids.size(); ++k) {
            v[k] = out.nodes[local.kids[k]].number;
            local.kids[k] = static_cast<int32_t>(k);
          }
          double x = node_value(local, v, raw.context, nullptr);
          out.nodes.resize(first);
          m = ExprNode{};
          m.number = x;
        }
      }
    }
    if (m.op == ExprOp::number) {
      out.nodes.resize(first);
      start[i] = first;
    }
    out.nodes.push_back(std::move(m));
    map[i] = out.root();
  }
  return out;
}

double evaluate_constant(const Expr& bound, std::string_view where) {
  if (!bound.is_number()) fail("{}: expression '{}' must be a constant", where, to_string(bound));
  return bound.nodes[0].number;
}

std::string to_string(const Expr& e, const std::function<std::string(int32_t)>& node_name,
                      const std::function<std::string(int32_t)>& source_name, bool hspice) {
  if (e.nodes.empty()) return {};
  // Depth-first from the root with an explicit stack: linear in the text written, whatever the
  // depth of the tree (a chain a+b+c+... of a million terms is a million levels deep).
  std::string out;
  auto leaf = [&](const ExprNode& n) {
    switch (n.op) {
      case ExprOp::number: {
        std::string t = devices::format_number(n.number);
        out += n.number < 0 ? "(" + t + ")" : t;
        return true;
      }
      case ExprOp::param: out += n.name; return true;
      case ExprOp::voltage: {
        std::string a = n.ref >= 0 && node_name ? node_name(n.ref) : n.name;
        std::string b = n.ref2 >= 0 && node_name ? node_name(n.ref2) : n.name2;
        out += b.empty() ? "v(" + a + ")" : "v(" + a + "," + b + ")";
        return true;
      }
      case ExprOp::current:
        out += "i(" + (n.ref >= 0 && source_name ? source_name(n.ref) : n.name) + ")";
        return true;
      case ExprOp::time: out += hspice ? "TIME" : "time"; return true;
      default: return false;
    }
  };
  // Text before the first operand, between operands and after the last.
  struct Affixes {
    std::string open;
    const char* between;
    const char* close;
  };
  auto affixes = [&](const ExprNode& n) -> Affixes {
    switch (n.op) {
      case ExprOp::neg: return {"(-", "", ")"};
      case ExprOp::add: return {"(", "+", ")"};
      case ExprOp::sub: return {"(", "-", ")"};
      case ExprOp::mul: return {"(", "*", ")"};
      case ExprOp::div: return {"(", "/", ")"};
      case ExprOp::pow: return hspice ? Affixes{"pwr(abs(", "),", ")"} : Affixes{"(", "^", ")"};
      default: break;
    }
    if (hspice && n.func == Func::pwl) fail("pwl() inside an expression has no HSPICE form");
    if (hspice && n.func == Func::pow && e.context == ExprContext::behavioral) return {"pwr(abs(", "),", ")"};
    std::string name(hspice && n.func == Func::ln ? std::string_view("log") : func_name(n.func));
    return {name + "(", ",", ")"};
  };
  struct Frame {
    int32_t node;
    size_t next;  // next operand to write
    bool bare;    // the left operand of a chain: written without its own parentheses
  };
  std::vector<Frame> stack{{e.root(), 0, false}};
  while (!stack.empty()) {
    const Frame f = stack.back();
    const ExprNode& n = e.nodes[f.node];
    if (f.next == 0 && leaf(n)) {
      stack.pop_back();
      continue;
    }
    const Affixes a = affixes(n);
    if (f.next == n.kids.size()) {
      if (f.next == 0) out += a.open;
      if (!f.bare) out += a.close;
      stack.pop_back();
      continue;
    }
    if (f.next > 0) out += a.between;
    else if (!f.bare) out += a.open;
    stack.back().next = f.next + 1;
    const int32_t kid = n.kids[f.next];
    stack.push_back({kid, 0, f.next == 0 && bare_left(n, e.nodes[kid])});
  }
  return out;
}

int32_t written_nesting(const Expr& e) {
  // Levels of parentheses (or calls) the text of each subtree opens, bottom up.
  std::vector<int32_t> level(e.nodes.size(), 0);
  int32_t deepest = 0;
  for (size_t i = 0; i < e.nodes.size(); ++i) {
    const ExprNode& n = e.nodes[i];
    if (n.kids.empty()) {
      level[i] = n.op == ExprOp::number && n.number < 0 ? 1 : 0;  // "(-1)"
    } else {
      int32_t inner = 0;
      for (size_t k = 0; k < n.kids.size(); ++k)
        inner = std::max(inner, level[n.kids[k]] - (k == 0 && bare_left(n, e.nodes[n.kids[k]]) ? 1 : 0));
      level[i] = inner + 1;
    }
    deepest = std::max(deepest, level[i]);
  }
  return deepest;
}

ExprEvaluator::ExprEvaluator(const Expr& bound) : expr_(bound) {
  size_t n = expr_.nodes.size();
  slot_.assign(n, -1);
  slot2_.assign(n, -1);
  auto slot_of = [&](ExprVar v) {
    for (size_t k = 0; k < vars_.size(); ++k)
      if (vars_[k] == v) return static_cast<int32_t>(k);
    vars_.push_back(v);
    return static_cast<int32_t>(vars_.size() - 1);
  };
  for (size_t i = 0; i < n; ++i) {
    const ExprNode& node = expr_.nodes[i];
    if (node.op == ExprOp::voltage) {
      if (node.ref > 0) slot_[i] = slot_of({ExprOp::voltage, node.ref});
      if (node.ref2 > 0) slot2_[i] = slot_of({ExprOp::voltage, node.ref2});
    } else if (node.op == ExprOp::current) {
      slot_[i] = slot_of({ExprOp::current, node.ref});
    } else if (node.op == ExprOp::time) {
      slot_[i] = slot_of({ExprOp::time, -1});
    }
  }
  val_.resize(n);
  adj_.resize(n);
  prog_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const ExprNode& node = expr_.nodes[i];
    Step& st = prog_[i];
    st.op = node.op;
    st.func = node.func;
    st.number = node.number;
    st.slot = slot_[i];
    st.slot2 = slot2_[i];
    st.first = static_cast<int32_t>(kids_.size());
    st.count = static_cast<int32_t>(node.kids.size());
    if (!node.kids.empty()) st.a = node.kids[0];
    if (node.kids.size() > 1) st.b = node.kids[1];
    kids_.insert(kids_.end(), node.kids.begin(), node.kids.end());
  }
}

double ExprEvaluator::evaluate(std::span<const double> x, std::span<double> grad) {
  const auto& nodes = expr_.nodes;
  size_t n = nodes.size();
  double* val = val_.data();
  for (size_t i = 0; i < n; ++i) {
    const Step& st = prog_[i];
    switch (st.op) {
      case ExprOp::number: val[i] = st.number; break;
      case ExprOp::voltage: val[i] = (st.slot >= 0 ? x[st.slot] : 0.0) - (st.slot2 >= 0 ? x[st.slot2] : 0.0); break;
      case ExprOp::current:
      case ExprOp::time: val[i] = x[st.slot]; break;
      case ExprOp::call: {
        // The common functions inline (the same results as apply()).
        if (st.func == Func::sgn) {
          val[i] = sign(val[st.a]);
        } else if (st.func == Func::min) {
          val[i] = std::min(val[st.a], val[st.b]);
        } else if (st.func == Func::max) {
          val[i] = std::max(val[st.a], val[st.b]);
        } else if (st.func == Func::floor) {
          val[i] = std::floor(val[st.a]);
        } else if (st.func == Func::exp) {
          val[i] = std::exp(val[st.a]);
        } else if (st.count <= 8) {
          double args[8];
          for (int32_t k = 0; k < st.count; ++k) args[k] = val[kids_[st.first + k]];
          val[i] = apply(st.func, std::span<const double>(args, st.count), expr_.context, nullptr);
        } else {
          val[i] = node_value(nodes[i], val_, expr_.context, nullptr);
        }
        break;
      }
      case ExprOp::neg: val[i] = apply_op(st.op, val[st.a], 0, nullptr); break;
      default: val[i] = apply_op(st.op, val[st.a], val[st.b], nullptr);
    }
  }
  if (!grad.empty()) {
    std::fill(grad.begin(), grad.end(), 0.0);
    std::fill(adj_.begin(), adj_.end(), 0.0);
    adj_[n - 1] = 1;
    double d[64];
    std::vector<double> big;
    for (size_t i = n; i-- > 0;) {
      const ExprNode& node = nodes[i];
      double a = adj_[i];
      if (a == 0) continue;
      switch (node.op) {
        case ExprOp::number: break;
        case ExprOp::voltage:
          if (slot_[i] >= 0) grad[slot_[i]] += a;
          if (slot2_[i] >= 0) grad[slot2_[i]] -= a;
          break;
        case ExprOp::current:
        case ExprOp::time: grad[slot_[i]] += a; break;
        default: {
          double* dp = d;
          if (node.kids.size() > 64) { big.resize(node.kids.size()); dp = big.data(); }
          node_value(node, val_, expr_.context, dp);
          for (size_t k = 0; k < node.kids.size(); ++k) adj_[node.kids[k]] += a * dp[k];
        }
      }
    }
  }
  return val_[n - 1];
}

}  // namespace spx::netlist
