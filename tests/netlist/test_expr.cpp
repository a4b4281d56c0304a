// Expression parsing, ngspice semantics, folding, printing and gradients.
#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "devices/error.hpp"
#include "netlist/expr.hpp"

using namespace spx::netlist;

namespace {

double param_value(const std::string& text, std::map<std::string, double> params = {}) {
  ExprScope s;
  s.param = [&](std::string_view n) -> std::optional<double> {
    auto it = params.find(std::string(n));
    if (it == params.end()) return std::nullopt;
    return it->second;
  };
  return evaluate_constant(bind_expr(parse_expr(text, ExprContext::param, "t:1"), s, "t:1"), "t:1");
}

/// Binds a behavioral expression with nodes named "1".."9" as ids 1..9.
Expr behavioral(const std::string& text) {
  ExprScope s;
  s.node = [](std::string_view n) { return n == "0" ? 0 : std::stoi(std::string(n)); };
  s.allow_time = true;
  return bind_expr(parse_expr(text, ExprContext::behavioral, "t:1"), s, "t:1");
}

}  // namespace

TEST_CASE("precedence: unary minus binds looser than power, power is right-associative") {
  CHECK(param_value("-2^2") == -4);
  CHECK(param_value("2^3^2") == 512);
  CHECK(param_value("1+2*3-4/2") == 5);
  CHECK(param_value("(1+2)*3") == 9);
  CHECK(param_value("2**3") == 8);
  CHECK(param_value("2k*3") == 6000);
  CHECK(param_value("1e-3*2") == doctest::Approx(2e-3));
}

TEST_CASE("functions and parameters") {
  CHECK(param_value("log(100)") == doctest::Approx(std::log(100)));
  CHECK(param_value("ln(100)") == doctest::Approx(std::log(100)));
  CHECK(param_value("log10(100)") == doctest::Approx(2));
  CHECK(param_value("sqrt(16)+abs(-3)+max(1,5)+min(1,5)") == 13);
  CHECK(param_value("tanh(0)+exp(0)") == 1);
  CHECK(param_value("a*b+pi", {{"a", 2}, {"b", 3}}) == doctest::Approx(6 + M_PI));
  CHECK(param_value("pwl(0.5, 0,0, 1,2)") == 1);
}

TEST_CASE("pow semantics match ngspice 39: |x|^y for '^', signed pow() in parameters") {
  CHECK(param_value("a^3", {{"a", -2}}) == 8);
  CHECK(param_value("pow(-2,3)") == -8);
  ExprEvaluator e(behavioral("pow(v(1),3)"));
  double x[] = {-2};
  CHECK(e.evaluate(x) == 8);
}

TEST_CASE("pwl() extrapolates with its end segments") {
  ExprEvaluator e(behavioral("pwl(v(1), -1,0, 1,1)"));
  double lo[] = {-2}, hi[] = {2}, mid[] = {0};
  CHECK(e.evaluate(lo) == doctest::Approx(-0.5));
  CHECK(e.evaluate(hi) == doctest::Approx(1.5));
  CHECK(e.evaluate(mid) == doctest::Approx(0.5));
}

TEST_CASE("binding folds constant subtrees and keeps variables") {
  Expr e = behavioral("v(1)*(2+3)+v(2,3)-time");
  ExprEvaluator ev(e);
  REQUIRE(ev.variables().size() == 4);
  double x[] = {1, 5, 2, 0.5};
  CHECK(ev.evaluate(x) == doctest::Approx(1 * 5 + 3 - 0.5));
  int numbers = 0;
  for (auto& n : e.nodes) numbers += n.op == ExprOp::number;
  CHECK(numbers == 1);
}

TEST_CASE("gradients agree with finite differences") {
  const char* exprs[] = {"v(1)^2*exp(-v(2))+tanh(v(1)*v(2))", "sqrt(v(1)+3)/(1+v(2)^2)",
                         "max(v(1),v(2))*log(2+v(1))", "pwl(v(1)*2, -1,0, 0,1, 2,1.5)+sin(v(2))",
                         "pow(v(1),2.5)+atan(v(2))-v(1,2)"};
  for (const char* text : exprs) {
    CAPTURE(text);
    ExprEvaluator ev(behavioral(text));
    std::vector<double> x = {0.7, 0.3}, g(2), gfd(2);
    double f = ev.evaluate(x, g);
    for (int k = 0; k < 2; ++k) {
      auto xp = x, xm = x;
      double h = 1e-6;
      xp[k] += h;
      xm[k] -= h;
      gfd[k] = (ev.evaluate(xp) - ev.evaluate(xm)) / (2 * h);
      CHECK(g[k] == doctest::Approx(gfd[k]).epsilon(1e-6));
    }
    CHECK(std::isfinite(f));
  }
}

TEST_CASE("printing reads back to the same tree") {
  for (const char* text : {"-v(1)^2+3*(v(2)-1)", "pwl(v(1), -1,0, 1,1)", "max(v(1),-2.5e-3)/time",
                           "1/(1+exp(-(v(2)-0.5)*10))"}) {
    Expr e = behavioral(text);
    std::string printed = to_string(e, [](int32_t id) { return std::to_string(id); });
    CAPTURE(printed);
    CHECK(behavioral(printed) == e);
  }
}

TEST_CASE("errors name the place and the problem") {
  CHECK_THROWS_WITH_AS(param_value("1+"), "t:1: unexpected end in expression '1+'", spx::InputError);
  CHECK_THROWS_WITH_AS(param_value("foo(1)"), "t:1: unknown function 'foo' in expression 'foo(1)'", spx::InputError);
  CHECK_THROWS_WITH_AS(param_value("2*zz"), "t:1: unknown parameter 'zz' in expression '(2*zz)'", spx::InputError);
  CHECK_THROWS_WITH_AS(param_value("(1+2"), "t:1: missing ')' in expression '(1+2'", spx::InputError);
  CHECK_THROWS_WITH_AS(param_value("max(1)"), "t:1: max() takes 2 argument(s), got 1 in expression 'max(1)'", spx::InputError);
  CHECK_THROWS_WITH_AS(param_value("v(1)"), "t:1: v(1) is not allowed here, in expression 'v(1)'", spx::InputError);
}
