// SPICE reader: elements, subcircuits, parameters, includes, libraries, and errors with file:line.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "devices/error.hpp"
#include "netlist/spice_reader.hpp"

using namespace spx::netlist;
namespace fs = std::filesystem;

namespace {

Circuit read(const std::string& text) { return read_spice_text(text, "net.cir"); }

const Element& el(const Circuit& c, const std::string& name) {
  auto id = c.find_element(name);
  REQUIRE_MESSAGE(id, name);
  return c.elements[*id];
}

std::string error_of(const std::string& text) {
  try {
    read(text);
  } catch (const spx::InputError& e) {
    return e.what();
  }
  return "(no error)";
}

fs::path temp_dir() {
  auto p = fs::temp_directory_path() / "spx_reader_test";
  fs::create_directories(p / "sub");
  return p;
}

void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

}  // namespace

TEST_CASE("every element kind, suffixes, comments and continuation") {
  Circuit c = read(R"(Title line R1 is not an element
* comment
R1 in out 1k ; inline comment
C1 out 0 10p ic=0.5
L1 out n3 1u
V1 in 0 DC 1.5 PULSE(0 1 1n 1n
+ 1n 5n 10n)
I1 0 n3 2mA
E1 e 0 in out 2
G1 0 g in out 1m
Rg g 0 1k
F1 0 f v1 3
Rf f 0 1k
H1 h 0 v1 100
B1 b 0 V={v(in)*2+i(v1)}
B2 0 bi I=v(in)^2 $ dollar comment
Rb bi 0 1
R2 n3 GND 2meg
.tran 1n 20n
.op
.end
R3 after end 1
)");
  CHECK(c.title == "Title line R1 is not an element");
  CHECK(c.elements.size() == 15);
  CHECK(el(c, "r1").value == 1000);
  CHECK(el(c, "c1").value == doctest::Approx(10e-12));
  CHECK(el(c, "c1").ic == 0.5);
  CHECK(el(c, "l1").kind == ElementKind::inductor);
  const Element& v1 = el(c, "v1");
  CHECK(v1.wave.kind == spx::devices::WaveKind::pulse);
  CHECK(v1.wave.dc == 1.5);
  CHECK(v1.wave.args.size() == 7);
  CHECK(el(c, "i1").wave.dc == doctest::Approx(2e-3));
  CHECK(el(c, "e1").value == 2);
  CHECK(el(c, "g1").value == doctest::Approx(1e-3));
  CHECK(el(c, "f1").control == *c.find_element("v1"));
  CHECK(el(c, "h1").kind == ElementKind::ccvs);
  CHECK(el(c, "b1").kind == ElementKind::behavioral_v);
  CHECK(el(c, "b2").kind == ElementKind::behavioral_i);
  CHECK(el(c, "r2").b == ground);
  CHECK_FALSE(c.find_element("r3"));
  REQUIRE(c.analyses.size() == 2);
  CHECK(c.analyses[0].kind == AnalysisKind::tran);
  CHECK(c.analyses[0].tstop == doctest::Approx(20e-9));
}

TEST_CASE("subcircuits flatten with ngspice names and parameter scopes") {
  Circuit c = read(R"(hier
.param rr=2k scale=3
.subckt inner a b params: r=1k
R1 a mid {r}
R2 mid b {r*scale}
.ends
.subckt outer p q params: k=1
X1 p m inner r={k*10}
X2 m q inner
V1 m loc 0
.param local=7
Rl loc 0 {local}
.ends outer
XA in out outer k=5
Rin in 0 rr
)");
  CHECK(el(c, "r.xa.x1.r1").value == 50);
  CHECK(el(c, "r.xa.x1.r2").value == 150);
  CHECK(el(c, "r.xa.x2.r1").value == 1000);
  CHECK(el(c, "r.xa.rl").value == 7);
  CHECK(el(c, "rin").value == 2000);
  CHECK(c.find_node("xa.x1.mid"));
  CHECK(c.find_node("xa.m"));
  CHECK(el(c, "r.xa.x1.r1").a == *c.find_node("in"));
  CHECK(el(c, "r.xa.x2.r2").b == *c.find_node("out"));
  CHECK(el(c, "v.xa.v1").b == *c.find_node("xa.loc"));
}

TEST_CASE(".include is relative to the including file; .lib picks one section") {
  fs::path d = temp_dir();
  write(d / "sub" / "parts.inc", "* included\nR2 a b {rv}\n.include deeper.inc\n");
  write(d / "sub" / "deeper.inc", "R3 b 0 3\n");
  write(d / "models.lib", ".lib fast\nR4 b 0 4\n.endl\n.lib slow\nR5 b 0 5\n.endl slow\n");
  write(d / "top.cir", "top\n.param rv=2\nV1 a 0 1\n.include 'sub/parts.inc'\n.lib models.lib slow\n.op\n.end\n");
  Circuit c = read_spice_file(d / "top.cir");
  CHECK(el(c, "r2").value == 2);
  CHECK(el(c, "r3").value == 3);
  CHECK(el(c, "r5").value == 5);
  CHECK_FALSE(c.find_element("r4"));
  CHECK(el(c, "r3").origin.line == 1);
  CHECK(c.files[el(c, "r3").origin.file].find("deeper.inc") != std::string::npos);
}

TEST_CASE("a section defined in the main file is skipped unless called") {
  Circuit c = read("t\n.lib unused\nR9 a 0 1\n.endl\nR1 a 0 1\n");
  CHECK(c.elements.size() == 1);
}

TEST_CASE("reader errors name file:line and the token") {
  CHECK(error_of("t\nR1 a b 1k\nQ1 c b e mod\n") == "net.cir:3: unknown element 'q1'");
  CHECK(error_of("t\nR1 a b\n") == "net.cir:2: resistor 'r1' has no value");
  CHECK(error_of("t\nR1 a b {undefined_p*2}\n") ==
        "net.cir:2: unknown parameter 'undefined_p' in expression '(undefined_p*2)'");
  CHECK(error_of("t\nR1 a b 1x2\n") == "net.cir:2: bad number '1x2' for value");
  CHECK(error_of("t\n.include nothere.inc\n").rfind("net.cir:2: cannot open include file", 0) == 0);
  CHECK(error_of("t\nX1 a b nosuch\n") == "net.cir:2: unknown subcircuit 'nosuch' in 'x1'");
  CHECK(error_of("t\n.subckt s a b\nR1 a b 1\n.ends\nX1 a s\n") ==
        "net.cir:5: 'x1' connects 1 nodes but subcircuit 's' has 2 ports");
  CHECK(error_of("t\n.subckt s a b\nR1 a b 1\n") == "net.cir:2: .subckt 's' has no .ends");
  // Instance names prefix the names inside them: they must read back as one word.
  CHECK(error_of("t\n.subckt s a b\nR1 a b 1\n.ends\nX(1 a b s\n") ==
        "net.cir:5: 'x(1' is not an instance name (one word without '(', ')', '=' or '{')");
  CHECK(error_of("t\n.subckt s a b\nR1 a b 1\n.ends\nX1 a{1} b s\n") == "net.cir:5: 'a{1}' is not a node name on instance 'x1'");
  CHECK(error_of("t\nR1 a b 1\nR1 b 0 1\n") == "net.cir:3: duplicate element name 'r1'");
  CHECK(error_of("t\nF1 a 0 vx 2\n") == "net.cir:2: controlling source 'vx' of 'f1' is not a voltage source");
  CHECK(error_of("t\nB1 a 0 V={v(a)*i(vq)}\n") == "net.cir:2: i(vq) in 'b1' does not name a voltage source");
  CHECK(error_of("t\nV1 a 0 PULSE(0 1 2 3 4 5 6 7 8)\n") == "net.cir:2: pulse takes at most 7 arguments, got 9");
  CHECK(error_of("t\nV1 a 0 PWL(0 0 1n)\n") == "net.cir:2: pwl needs time,value pairs on 'v1'");
  CHECK(error_of("t\n.tran 1n\n") == "net.cir:2: .tran needs tstep and tstop");
  CHECK(error_of("t\n.ic v(1)=0\n") == "net.cir:2: unsupported control card '.ic'");
  CHECK(error_of("t\nM1 d g 0 0 nch\n") == "net.cir:2: mosfet 'm1' uses model 'nch', which no .model card defines");
  CHECK(error_of("t\n+ R1 a b 1\n") == "net.cir:2: continuation line with nothing to continue");
  CHECK(error_of("t\nR1 a b {1+}\n") == "net.cir:2: unexpected end in expression '1+'");
  CHECK(error_of("t\n.subckt s a\nR1 a 0 1\n.ends\nX1 n s q=1\n") == "net.cir:5: subcircuit 's' has no parameter 'q'");
  CHECK(error_of("t\nV1 a 0 1\n.dc v2 0 1 0.1\n") == "net.cir:3: .dc source 'v2' is not an independent source");
}

TEST_CASE(".save names the vectors to record; written back, read again") {
  auto c = read("t\nV1 In 0 1\nR1 in Mid 1k\nX1 mid sub\n.subckt sub a\nR2 a b 1k\nL1 b 0 1u\n.ends\n"
                ".save V(mid) i(v1) x1.b\n+ i(l.x1.l1) v(mid)\n.op\n.end\n");
  CHECK(c.saves == std::vector<std::string>{"v(mid)", "i(v1)", "v(x1.b)", "i(l.x1.l1)"});
  CHECK(read("t\nV1 in 0 1\nR1 in 0 1k\n.save v(in)\n.save all\n.op\n").saves.empty());
  CHECK(read("t\nV1 in 0 1\nR1 in 0 1k\n.op\n").saves.empty());
  CHECK(error_of("t\nV1 in 0 1\nR1 in 0 1k\n.save v(out)\n") == "net.cir:4: .save v(out): no such node");
  // A node no element uses (the port of an empty subcircuit) does not exist in the circuit.
  CHECK(error_of("t\n.subckt e a b\n.ends\nX1 mid 0 e\nR1 n 0 1\n.save v(mid)\n") == "net.cir:6: .save v(mid): no such node");
  CHECK(error_of("t\nV1 in 0 1\nR1 in 0 1k\n.save i(r1)\n") ==
        "net.cir:4: .save i(r1): only V sources, inductors and E, H, B-voltage sources have a branch current");
  CHECK(error_of("t\nV1 in 0 1\nR1 in 0 1k\n.save i(vx)\n") == "net.cir:4: .save i(vx): no such element");
  CHECK(error_of("t\nV1 in 0 1\nR1 in 0 1k\n.save v(in, 0)\n") == "net.cir:4: .save: expected v(name)");
  CHECK(error_of("t\nV1 in 0 1\nR1 in 0 1k\n.save p(in)\n") ==
        "net.cir:4: .save: unsupported vector 'p(...)' (v(node), i(source) or a node name)");
  CHECK(error_of("t\nV1 in 0 1\nR1 in 0 1k\n.save 0\n") == "net.cir:4: .save 0: the ground node is 0 V");
  CHECK(error_of("t\n.subckt s a\n.save v(a)\nR1 a 0 1\n.ends\nX1 n s\nV1 n 0 1\n") ==
        "net.cir:3: .save is not allowed inside a subcircuit");
}
