// Malformed and hostile netlists: every class of input that once crashed, hung or gave a silent wrong
// answer now ends in one InputError naming file:line, before any large work starts.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "devices/error.hpp"
#include "devices/limits.hpp"
#include "netlist/expr.hpp"
#include "netlist/spice_reader.hpp"
#include "netlist/spice_writer.hpp"

using namespace spx::netlist;
namespace fs = std::filesystem;

namespace {

std::string error_of(const std::string& text) {
  try {
    read_spice_text(text, "net.cir");
  } catch (const spx::InputError& e) {
    return e.what();
  }
  return "(no error)";
}

/// Sets a work limit for one scope.
struct LimitGuard {
  spx::WorkLimits saved = spx::work_limits();
  ~LimitGuard() { spx::work_limits() = saved; }
};

/// n levels of subcircuits, each holding ten of the level below; the bottom holds ten resistors.
std::string tower(int n) {
  std::string t = "t\n.subckt l0 p\n";
  for (int k = 0; k < 10; ++k) t += "r" + std::to_string(k) + " p 0 1k\n";
  t += ".ends\n";
  for (int level = 1; level <= n; ++level) {
    t += ".subckt l" + std::to_string(level) + " p\n";
    for (int k = 0; k < 10; ++k) t += "x" + std::to_string(k) + " p l" + std::to_string(level - 1) + "\n";
    t += ".ends\n";
  }
  return t + "x1 in l" + std::to_string(n) + "\nv1 in 0 1\n.op\n";
}

}  // namespace

TEST_CASE("cards without the fields they need are errors, not reads past the end") {
  CHECK(error_of("t\n,,,\n.op\n") == "net.cir:2: no element or control card on this line");
  CHECK(error_of("t\nx=1\n.op\n") == "net.cir:2: instance 'x' needs nodes and a subcircuit name");
  CHECK(error_of("t\nx1 = 2\n") == "net.cir:2: instance 'x1' needs nodes and a subcircuit name");
  CHECK(error_of("t\nb1 a 0\n") == "net.cir:2: 'b1' needs V=expression or I=expression");
  CHECK(error_of("t\nv1 a\n") == "net.cir:2: voltage source 'v1' needs 2 nodes");
}

TEST_CASE("expressions nest at most 500 levels; longer flat expressions are fine") {
  const std::string deep = std::string(200000, '(') + "1" + std::string(200000, ')');
  CHECK(error_of("t\n.param p={" + deep + "}\n").rfind("net.cir:2: nesting deeper than 500 levels in expression '(((", 0) == 0);
  CHECK(error_of("t\n.param p={" + std::string(300000, '-') + "1}\n").find("nesting deeper than 500 levels") !=
        std::string::npos);
  const std::string nested = std::string(400, '(') + "2" + std::string(400, ')');
  CHECK(read_spice_text("t\n.param p={" + nested + "}\nr1 a 0 p\n", "net.cir").elements[0].value == 2);
  // A sum of 100,000 terms parses and prints in linear time (the tree is 100,000 levels deep), as
  // one level of parentheses, so the written netlist reads back.
  std::string sum = "v(a)";
  for (int k = 0; k < 100000; ++k) sum += "+1";
  Circuit c = read_spice_text("t\nv1 a 0 1\nb1 b 0 v={" + sum + "}\n", "net.cir");
  auto text = [](const Circuit& k) { return to_string(k.elements[1].expr, [&](int32_t n) { return k.node_name(n); }); };
  CHECK(text(c) == "(" + sum + ")");
  CHECK(text(read_spice_text(write_spice(c, Dialect::ngspice).text, "again.cir")) == "(" + sum + ")");
  // What the reader accepts, the writer writes as text the reader accepts: signs nest 248 levels.
  const std::string signs = "t\nv1 a 0 1\nb1 b 0 v={" + std::string(248, '-') + "v(a)}\n";
  Circuit negs = read_spice_text(signs, "net.cir");
  CHECK(to_string(read_spice_text(write_spice(negs, Dialect::ngspice).text, "again.cir").elements[1].expr) ==
        to_string(negs.elements[1].expr));
  CHECK(error_of("t\nv1 a 0 1\nb1 b 0 v={" + std::string(249, '-') + "v(a)}\n") ==
        "net.cir:3: nesting deeper than 248 levels in expression '" + std::string(80, '-') + "...'");
  CHECK(to_string(parse_expr("((a+b)-c)*d/(e*f)-(g-h)", ExprContext::param, "x")) == "(((a+b-c)*d/(e*f))-(g-h))");
}

TEST_CASE("parameters and values must be finite") {
  CHECK(error_of("t\n.param p={1/0}\nr1 a 0 p\n") == "net.cir:2: expression '1/0' gives inf, not a finite number");
  CHECK(error_of("t\n.param p={1e308*10}\n") == "net.cir:2: expression '1e308*10' gives inf, not a finite number");
  CHECK(error_of("t\n.param p={-1e308*10}\n") == "net.cir:2: expression '-1e308*10' gives -inf, not a finite number");
  CHECK(error_of("t\n.param p={log(-1)}\n") == "net.cir:2: expression 'log(-1)' gives NaN, not a finite number");
  CHECK(error_of("t\nv1 a 0 pulse(0 {0/0} 0 1n 1n 1n 4n)\n") ==
        "net.cir:2: expression '0/0' gives NaN, not a finite number");
  CHECK(error_of("t\nr1 a 0 1e308k\n") == "net.cir:2: bad number '1e308k' for value");
  CHECK(error_of("t\nr1 a 0 1e999\n") == "net.cir:2: bad number '1e999' for value");
  CHECK(error_of("t\nr1 a 0 1k\n.tran 1n {1e308*10}\n") == "net.cir:3: expression '1e308*10' gives inf, not a finite number");
}

TEST_CASE("work is bounded before it starts: time points, sweep points, expanded elements") {
  CHECK(error_of("t\nr1 a 0 1k\nv1 a 0 1\n.tran 1f 10\n") ==
        "net.cir:4: 1e+16 time points, above the limit of 1e+07 (raise it with --max-points)");
  CHECK(error_of("t\nr1 a 0 1k\nv1 a 0 1\n.tran 1n 1 0 1f\n") ==
        "net.cir:4: 1e+15 time points, above the limit of 1e+07 (raise it with --max-points)");
  CHECK(error_of("t\nr1 a 0 1k\nv1 a 0 1\n.dc v1 0 1 1e-9\n") ==
        "net.cir:4: 1e+09 sweep points, above the limit of 1e+07 (raise it with --max-points)");
  // 10^10 elements from ten nested levels: refused from the definitions alone, at once.
  // tower(n) puts its top instance on line 14 + 12 n.
  CHECK(error_of(tower(9)) == "net.cir:122: 1e+10 elements in 'x1' after expansion, above the limit of 2e+07 "
                              "(raise it with --max-elements)");
  LimitGuard guard;
  spx::work_limits().elements = 1e3;
  CHECK(error_of(tower(2)) == "net.cir: 1001 elements after expansion, above the limit of 1000 (raise it with --max-elements)");
  spx::work_limits().elements = 1001;  // exactly at the limit: allowed
  CHECK(read_spice_text(tower(2), "net.cir").elements.size() == 1001);
  spx::work_limits().elements = 999;
  CHECK(error_of(tower(2)) == "net.cir:38: 1000 elements in 'x1' after expansion, above the limit of 999 (raise it with --max-elements)");
  spx::work_limits().points = 1e20;
  CHECK(error_of("t\nr1 a 0 1k\nv1 a 0 1\n.tran 1f 10\n") == "(no error)");
}

TEST_CASE("pulse periods and include trees are bounded too") {
  CHECK(error_of("t\nv1 1 0 pulse(0 1 0.5 1n 1n 1n 1e-20)\nr1 1 0 1k\n.tran 1u 1\n") ==
        "net.cir:2: 2e+20 pulse corners (4 per period), above the limit of 1e+07 (raise it with --max-points)");
  CHECK(error_of("t\nv1 1 0 pulse(0 1 0 1n 1n 1n 2n)\nr1 1 0 1k\n.tran 1n 1u\n") == "(no error)");
  // Each file includes the next one twice: 2^30 reads if nothing counted them.
  const fs::path dir = fs::temp_directory_path() / "spx_hardening_fan";
  fs::create_directories(dir);
  for (int k = 0; k < 30; ++k)
    std::ofstream(dir / ("f" + std::to_string(k) + ".inc"))
        << ".include f" << k + 1 << ".inc\n.include f" << k + 1 << ".inc\n";
  std::ofstream(dir / "f30.inc") << "* leaf\n";
  const std::string e = [&] {
    try {
      read_spice_text("t\n.include f0.inc\n", "net.cir", dir);
    } catch (const spx::InputError& x) {
      return std::string(x.what());
    }
    return std::string("(no error)");
  }();
  CHECK(e.find(": more than 10000 .include/.lib files read (files that include each other repeatedly?)") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("subcircuit sizes are counted per definition, nested ones included") {
  // Two subcircuits with nested definitions of different sizes: 5 + 1 elements, plus the source and
  // the resistor at the top, make 8.
  const std::string text =
      "t\n.subckt a p\n.subckt n1 q\nr1 q 0 1\nr2 q 0 1\nr3 q 0 1\nr4 q 0 1\nr5 q 0 1\n.ends\nx1 p n1\n.ends\n"
      ".subckt b p\n.subckt n2 q\nr1 q 0 1\n.ends\nx1 p n2\n.ends\nxa 1 a\nxb 1 b\nv1 1 0 1\nr9 1 0 1\n";
  LimitGuard guard;
  spx::work_limits().elements = 8;
  CHECK(read_spice_text(text, "net.cir").elements.size() == 8);
}

TEST_CASE("recursive subcircuits are named with the instance's file:line") {
  CHECK(error_of("t\n.subckt a p\nx1 p a\n.ends\nx1 n a\n") ==
        "net.cir:3: 'x1' makes subcircuit 'a' contain itself (a recursive .subckt)");
  CHECK(error_of("t\n.subckt a p\nx1 p b\n.ends\n.subckt b p\nx2 p a\n.ends\nx9 n a\n") ==
        "net.cir:6: 'x2' makes subcircuit 'a' contain itself (a recursive .subckt)");
}

TEST_CASE("only regular files of bounded size are read") {
  CHECK(error_of("t\n.include /dev/zero\n") == "net.cir:2: cannot open include file '/dev/zero' (not a regular file)");
  const fs::path dir = fs::temp_directory_path() / "spx_hardening_dir";
  fs::create_directories(dir);
  CHECK(error_of("t\n.include " + dir.string() + "\n") ==
        "net.cir:2: cannot open include file '" + dir.string() + "' (a directory)");
  const fs::path big = dir / "big.inc";
  std::ofstream(big) << std::string(2000, '*') << "\n";
  LimitGuard guard;
  spx::work_limits().bytes = 1000;
  CHECK(error_of("t\n.include " + big.string() + "\n") ==
        "net.cir:2: cannot open include file '" + big.string() +
            "' (2001 bytes, above the limit of 1000 (raise it with --max-bytes))");
  const std::string whole = big.string() + ": cannot open netlist (2001 bytes, above the limit of 1000 (raise it with --max-bytes))";
  CHECK_THROWS_WITH_AS(read_spice_file(big), whole.c_str(), spx::InputError);
  fs::remove_all(dir);
}

TEST_CASE("messages are one line of bounded length, whatever the input echoes") {
  const std::string token(100000, 'x');
  const std::string e = error_of("t\nr1 a 0 " + token + "\n");
  CHECK(e == "net.cir:2: bad value '" + std::string(60, 'x') + "...' (not a number or parameter)");
  const std::string cut = spx::InputError("f.cir:1: " + std::string(1000, 'z')).what();
  CHECK(cut == "f.cir:1: " + std::string(spx::max_message_bytes - 9, 'z') + "... (609 more bytes)");
  CHECK(spx::one_line("a\nb\rc\x01") == "a?b?c?");
  CHECK(spx::clip(std::string(100, 'y'), 10) == "yyyyyyyyyy...");
}
