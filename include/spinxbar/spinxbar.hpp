// spinxbar's public interface in one include: the library folders' headers, installed under
// <prefix>/include/spinxbar (find_package(spinxbar) puts both <prefix>/include and
// <prefix>/include/spinxbar on the include path, so "mlp/run.hpp" and <spinxbar/spinxbar.hpp> both work).
// The targets: spinxbar::spinxbar (all of it), or one folder with what it needs below it:
// spinxbar::devices, ::netlist, ::solver, ::nn, ::arch, ::mlp, ::sc, ::study.
#pragma once

#include "devices/error.hpp"       // InputError: bad input, one line naming the place
#include "devices/mtj.hpp"         // device laws
#include "devices/wire.hpp"
#include "netlist/circuit.hpp"     // Circuit IR
#include "netlist/spice_reader.hpp"
#include "netlist/spice_writer.hpp"
#include "netlist/mlp.hpp"         // crossbar MLP generator
#include "solver/native.hpp"       // the native solver: .op, .tran, .dc
#include "solver/ngspice.hpp"      // embedded ngspice (loaded at run time when installed)
#include "solver/port_reduction.hpp"
#include "mlp/config.hpp"          // configurations (TOML), datasets, weights
#include "mlp/generate.hpp"        // netlists of configured networks
#include "mlp/run.hpp"             // circuit-level inference runs
#include "mlp/train.hpp"           // training (crossbar and software models)
#include "mlp/parasitic.hpp"       // parasitic-aware training
#include "sc/run.hpp"              // stochastic computing on s-MTJ p-bits
#include "study/sweep.hpp"         // studies (sweeps, Monte Carlo)
#include "study/figures.hpp"
