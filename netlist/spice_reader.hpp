// SPICE reader: netlist text -> Circuit. Accepts the ngspice subset spinxbar simulates (R C L V I E G
// F H B, .subckt/X with params, .param, {expr} and 'expr' values, .include, .lib sections, .options,
// .op/.tran/.dc, .end) and flattens subcircuits with ngspice's names. Every error is an InputError
// whose message starts with file:line.
#pragma once

#include <filesystem>
#include <string_view>

#include "netlist/circuit.hpp"

namespace spx::netlist {

/// Reads and flattens a netlist file; .include paths are relative to the including file.
Circuit read_spice_file(const std::filesystem::path& path);

/// Reads netlist text; `name` is used in messages, includes are relative to `base_dir`.
Circuit read_spice_text(std::string_view text, std::string_view name = "<text>",
                        const std::filesystem::path& base_dir = ".");

}  // namespace spx::netlist
