// Expressions of .param values, {braced} element values and behavioral (B) sources.
// Grammar (lowest to highest precedence): sum := term (('+'|'-') term)*; term := unary (('*'|'/')
// unary)*; unary := ('-'|'+') unary | power; power := atom (('^'|'**') unary)?; atom := number |
// name | name '(' args ')' | v(n[,m]) | i(vsrc) | time | '(' sum ')'. So -2^2 = -4, as in ngspice.
// Semantics follow ngspice 39 as observed: x^y is |x|^y everywhere; pow(x,y) is |x|^y inside B
// sources and the signed power in .param context; log is the natural logarithm; pwl(x, x0,y0, ...)
// interpolates and extrapolates linearly with the end segments.
// An Expr is a vector of nodes in post-order (children before parents, root last). Reading gives a
// raw tree that names parameters, nodes and sources; binding replaces parameters by numbers and
// names by ids, then folds every variable-free subtree into one number.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace spx::netlist {

/// Operation of an expression node.
enum class ExprOp : uint8_t { number, param, voltage, current, time, neg, add, sub, mul, div, pow, call };

/// Built-in functions.
enum class Func : uint8_t {
  exp, ln, log10, sqrt, sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, abs, sgn, floor, ceil,
  min, max, pow, pwl
};

/// Where an expression is evaluated; decides the meaning of pow().
enum class ExprContext : uint8_t { param, behavioral };

/// One node of an expression tree.
struct ExprNode {
  ExprOp op = ExprOp::number;
  Func func = Func::exp;       ///< for call
  double number = 0;           ///< for number
  std::string name;            ///< param name; node of v(); source of i()
  std::string name2;           ///< second node of v(a,b)
  int32_t ref = -1;            ///< bound: node id (voltage) or element index (current)
  int32_t ref2 = -1;           ///< bound: second node id of v(a,b), or -1
  std::vector<int32_t> kids;   ///< operand node indices
  bool operator==(const ExprNode&) const = default;
};

/// An expression tree in post-order.
struct Expr {
  std::vector<ExprNode> nodes;
  ExprContext context = ExprContext::param;
  bool empty() const { return nodes.empty(); }
  int32_t root() const { return static_cast<int32_t>(nodes.size()) - 1; }
  /// True when the expression is a single number.
  bool is_number() const { return nodes.size() == 1 && nodes[0].op == ExprOp::number; }
  bool operator==(const Expr&) const = default;
};

/// Parses expression text; errors are InputError prefixed with `where` ("net.cir:3").
Expr parse_expr(std::string_view text, ExprContext context, std::string_view where);

/// Name resolution used by bind_expr(). Any callback may be empty, which makes that kind an error.
struct ExprScope {
  std::function<std::optional<double>(std::string_view)> param;    ///< parameter value by name
  std::function<int32_t(std::string_view)> node;                   ///< node id by name (may create)
  std::function<std::optional<int32_t>(std::string_view)> source;  ///< element index by name
  bool allow_time = false;                                          ///< 'time' is a variable
};

/// Resolves names and folds constants. Throws InputError naming `where` and the unknown name.
Expr bind_expr(const Expr& raw, const ExprScope& scope, std::string_view where);

/// Evaluates an expression without variables (after bind), throwing InputError if it has any.
double evaluate_constant(const Expr& bound, std::string_view where);

/// Prints an expression so that parse_expr gives the same tree back. Names of bound references come
/// from the callbacks (node id -> name, element index -> name). With `hspice` the text is HSPICE's:
/// |x|^y as pwr(abs(x),y), ln as log; pwl() has no HSPICE expression form and throws InputError.
std::string to_string(const Expr& expr, const std::function<std::string(int32_t)>& node_name = {},
                      const std::function<std::string(int32_t)>& source_name = {}, bool hspice = false);

/// Levels of parentheses and calls that to_string(expr) nests. parse_expr refuses trees deeper than
/// it can read back, so everything it accepts is written as text that parses again.
int32_t written_nesting(const Expr& expr);

/// A variable a bound expression depends on.
struct ExprVar {
  ExprOp kind = ExprOp::voltage;  ///< voltage, current or time
  int32_t ref = -1;               ///< node id or element index (-1 for time)
  bool operator==(const ExprVar&) const = default;
};

/// Fast repeated evaluation of a bound expression with its gradient (reverse mode).
class ExprEvaluator {
 public:
  explicit ExprEvaluator(const Expr& bound);
  /// Distinct variables, in order of first appearance; ground voltages are not variables.
  const std::vector<ExprVar>& variables() const { return vars_; }
  /// Value at the given variable values (same order as variables()); fills grad if non-empty.
  double evaluate(std::span<const double> values, std::span<double> grad = {});

 private:
  /// One node in compact form, for the value pass.
  struct Step {
    ExprOp op = ExprOp::number;
    Func func = Func::exp;
    int32_t a = -1, b = -1;        // first two operands
    int32_t first = 0, count = 0;  // operands in kids_ (calls)
    int32_t slot = -1, slot2 = -1;
    double number = 0;
  };
  Expr expr_;
  std::vector<ExprVar> vars_;
  std::vector<int32_t> slot_;   // per node: variable slot (voltage/current/time), -1 otherwise
  std::vector<int32_t> slot2_;  // per node: second slot of v(a,b), -1 otherwise
  std::vector<Step> prog_;
  std::vector<int32_t> kids_;
  std::vector<double> val_, adj_;
};

/// Name of a function as written ("exp", "pwl"); nullopt-equivalent lookup is func_from_name.
std::string_view func_name(Func f);
/// Function by lower-case name (ln and log are the same function).
std::optional<Func> func_from_name(std::string_view name);

}  // namespace spx::netlist
