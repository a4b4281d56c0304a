// A program built against the installed spinxbar package: solves a netlist on the native solver,
// then generates the crossbar circuit of a configured network and runs one image through it.
//   embed CONFIG.toml   (e.g. examples/small/small.toml)
#include <spinxbar/spinxbar.hpp>

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
  try {
    // 1. A netlist: a 1 V divider of 1k and 3k.
    const auto divider = spx::netlist::read_spice_text("divider\nV1 in 0 1\nR1 in out 1k\nR2 out 0 3k\n.op\n.end\n");
    const auto op = spx::solver::simulate_native(divider);
    std::printf("divider v(out) = %.6f V\n", op.at(0).vectors.at("v(out)").at(0));
    if (argc < 2) return 0;
    // 2. A configured network: its circuit and one image at circuit level.
    auto cfg = spx::mlp::load_config(argv[1]);
    spx::mlp::load_network(cfg);
    const auto g = spx::mlp::generate(cfg, 1);
    std::printf("network circuit: %zu elements, %zu outputs\n", g.circuit.elements.size(), g.ports.outputs.size());
    const auto res = spx::solver::simulate_native(g.circuit);
    for (auto node : g.ports.outputs)
      std::printf("v(%s) = %.6f V\n", g.circuit.node_name(node).c_str(),
                  res.at(0).vectors.at("v(" + g.circuit.node_name(node) + ")").at(0));
    return 0;
  } catch (const spx::InputError& e) {
    std::fprintf(stderr, "embed: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "embed: %s\n", e.what());
    return 1;
  }
}
