// The SOT-MTJ converter's sample cycle as a circuit (sot_converter.hpp).
#include "netlist/sot_converter.hpp"

#include <fmt/format.h>

#include "devices/units.hpp"

namespace spx::netlist {

using devices::format_number;

namespace {

/// A PWL source from 0 to `level` over [start, start + edge], back to 0 over [end, end + edge].
Element window(const std::string& name, NodeId n, double start, double end, double edge, double level) {
  Element e = make_vsource(name, n, ground, 0);
  e.wave = devices::Waveform{};
  e.wave.kind = devices::WaveKind::pwl;
  e.wave.args = {0, 0, start, 0, start + edge, level, end, level, end + edge, 0};
  return e;
}

}  // namespace

SotCellPorts build_sot_converter(const devices::SotConverterParams& p, double range, double a, bool switched,
                                 Circuit& c, const SotCellOptions& o) {
  SotCellPorts s;
  // Each phase: a rising edge, the phase's time at full level, a falling edge.
  const double e = o.edge;
  s.write_start = e;
  s.write_end = s.write_start + 2 * e + p.pulse;
  s.read_start = s.write_end;
  s.read_end = s.read_start + 2 * e + p.t_read;
  s.reset_start = s.read_end;
  s.reset_end = s.reset_start + 2 * e + p.t_reset;
  s.stop = s.reset_end + e;
  c.title = fmt::format("SOT-MTJ converter sample cycle, a = {} V, range {} V, MTJ {}", a, range, switched ? "AP" : "P");
  const NodeId na = c.node("a"), vw = c.node("vw"), vr = c.node("vr"), en = c.node("en"), rn = c.node("rn");
  s.channel = c.node("ch");
  s.read = c.node("rd");
  s.sense = c.node("sn");
  c.add(make_vsource("v_a", na, ground, a));
  s.write_supply = c.add(make_vsource("v_vw", vw, ground, p.v_write));
  s.reset_supply = c.add(make_vsource("v_vr", vr, ground, -p.v_write));
  // Enables: the enable's value scales the driver's current (0 .. 1).
  c.add(window("v_en", en, s.write_start, s.write_end - e, e, 1));
  c.add(window("v_rn", rn, s.reset_start, s.reset_end - e, e, 1));
  // Write driver: I = en (I_mid + I_half clip(a / range)), from the write supply into the channel.
  c.add(make_behavioral(c, "b_write", ElementKind::behavioral_i, vw, s.channel,
                        fmt::format("v(en)*({}+{}*min(max(v(a)/{},-1),1))", format_number(p.i_mid()),
                                    format_number(p.i_span()), format_number(range))));
  // Reset driver: I_reset the other way through the channel, into the -v_write supply.
  c.add(make_behavioral(c, "b_reset", ElementKind::behavioral_i, s.channel, vr,
                        fmt::format("v(rn)*{}", format_number(p.i_reset()))));
  c.add(make_resistor("r_channel", s.channel, ground, p.r_channel));
  c.add(make_capacitor("c_channel", s.channel, ground, o.c_channel));
  // Read: v_read across the MTJ into the sense amplifier's input.
  Element rd = window("v_read", s.read, s.read_start, s.read_end - e, e, p.v_read);
  s.read_source = c.add(std::move(rd));
  c.add(make_resistor("r_mtj", s.read, s.sense, switched ? p.r_p * (1 + p.tmr) : p.r_p));
  c.add(make_resistor("r_sense", s.sense, ground, o.r_sense));
  Analysis t;
  t.kind = AnalysisKind::tran;
  t.tstep = e / 10;
  t.tmax = e / 10;
  t.tstop = s.stop;
  c.analyses = {t};
  return s;
}

}  // namespace spx::netlist
