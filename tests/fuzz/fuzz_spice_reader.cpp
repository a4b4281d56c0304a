// libFuzzer harness of the SPICE reader: the input is netlist text. Includes resolve against an empty
// directory, so a relative .include or .lib file is missing and must be rejected cleanly. A netlist
// that reads must also survive the writer's promises: the ngspice text reads back into an equal
// circuit and writing that again gives the same text; the HSPICE text either writes or is an
// InputError; every written line can be described.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "devices/error.hpp"
#include "fuzz_support.hpp"
#include "netlist/spice_reader.hpp"
#include "netlist/spice_writer.hpp"

using namespace spx::netlist;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::filesystem::path base = spx::fuzz::scratch_dir("spice_reader");
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  Circuit circuit;
  try {
    circuit = read_spice_text(text, "fuzz.cir", base);
  } catch (const spx::InputError& e) {
    spx::fuzz::rejected(e);
    return 0;
  }

  const SpiceText written = write_spice(circuit);
  Circuit back;
  try {
    back = read_spice_text(written.text, "written.cir", base);
  } catch (const spx::InputError& e) {
    spx::fuzz::broken("written netlist reads back", e.what());
  }
  if (!(back == circuit)) spx::fuzz::broken("written netlist reads back into an equal circuit", written.text);
  if (write_spice(back).text != written.text) spx::fuzz::broken("writing is a fixed point", written.text);
  for (int line = 1; line <= static_cast<int>(written.line_element.size()); ++line)
    (void)written.describe_line(circuit, line);

  try {
    (void)write_spice(circuit, Dialect::hspice);
  } catch (const spx::InputError& e) {
    spx::fuzz::rejected(e);
  }
  return 0;
}
