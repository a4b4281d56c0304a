// Writer: deterministic ngspice text that reads back into an equal circuit; line -> origin map.
#include <doctest/doctest.h>

#include "netlist/spice_reader.hpp"
#include "netlist/spice_writer.hpp"

using namespace spx::netlist;

TEST_CASE("read -> write -> read gives the same circuit") {
  const char* text = R"(round trip
.options reltol=1e-4
.param a=1.5 b={a/3}
.subckt cell i o params: r=1k
R1 i m {r}
C1 m o 3.3f ic=0.1
.ends
X1 in out cell r={a*1k}
X2 out 0 cell
V1 in 0 DC 0.7 SIN(0 1 1meg 1n 1e5 30)
V2 p 0 PWL(0 0 1n 1 2n 0.5)
I1 0 out PULSE(0 1m 1n 1n 1n 5n 10n)
L1 p q 1u
Rq q 0 {b}
E1 e 0 in out -2
G1 0 e in 0 1m
F1 0 f v1 3
Rf f 0 1k
H1 h 0 v2 1.7
B1 b 0 V={-v(in)^2+max(v(x1.m),-0.5)*i(v1)}
B2 0 bi I={pwl(v(in), -1,0, 1,1e-3)+time}
Rb bi 0 1
.op
.tran 0.1n 10n 1n 0.05n uic
.dc v1 0 1 0.25
.save v(in) i(v1) bi
.end
)";
  Circuit c1 = read_spice_text(text, "rt.cir");
  REQUIRE(c1.saves.size() == 3);
  SpiceText t1 = write_spice(c1);
  Circuit c2 = read_spice_text(t1.text, "rt2.cir");
  CHECK(c1 == c2);
  SpiceText t2 = write_spice(c2);
  CHECK(t1.text == t2.text);  // deterministic and a fixed point
}

TEST_CASE("line map points at the element and its source line") {
  Circuit c = read_spice_text("t\nV1 a 0 1\nR1 a b 1k\nR2 b 0 1k\n.op\n", "m.cir");
  SpiceText t = write_spice(c);
  // Line 1 is the title, then the elements in order.
  CHECK(t.describe_line(c, 3) == "line 3: element r1 (m.cir:3)");
  CHECK(t.describe_line(c, 1) == "line 1");
  CHECK(t.text.rfind("t\nv1 a 0 dc 1\nr1 a b 1000\nr2 b 0 1000\n.op\n.end\n", 0) == 0);
}

TEST_CASE("the example crossbar round-trips") {
  Circuit c1 = read_spice_file(SPX_SOURCE_DIR "/examples/crossbar_32x32.cir");
  CHECK(c1.elements.size() == 32 * 32 * 3 + 32 + 32);
  Circuit c2 = read_spice_text(write_spice(c1).text, "x.cir");
  CHECK(c1 == c2);
}
