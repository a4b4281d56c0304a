// The Python module `spinxbar` (pybind11): configs, netlists, simulation and circuit-level runs over
// numpy arrays. A thin face over the library: every call goes to the same C++ the command uses, so a
// run here writes the same images.csv, bit for bit, as `spinxbar run`.
// - Bad input raises ValueError with the library's one-line message (naming the file:line, the config
//   key or the argument); a simulation that fails raises RuntimeError.
// - The GIL is released while generating, simulating and running.
#include <dlfcn.h>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <fmt/format.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "devices/error.hpp"
#include "devices/hash.hpp"
#include "devices/interrupt.hpp"
#include "mlp/config.hpp"
#include "mlp/generate.hpp"
#include "mlp/run.hpp"
#include "mlp/weights.hpp"
#include "netlist/spice_reader.hpp"
#include "netlist/spice_writer.hpp"
#include "sc/run.hpp"
#include "solver/native.hpp"
#include "solver/ngspice.hpp"

namespace py = pybind11;
namespace fs = std::filesystem;
using namespace spx;

namespace {

/// A float64 C-contiguous view of a numeric numpy array, or ValueError naming the argument.
py::array_t<double, py::array::c_style> numeric(const py::handle& obj, const std::string& name) {
  if (!py::isinstance<py::array>(obj)) fail("{}: must be a numpy array, got {}", name, std::string(py::str(py::type::of(obj).attr("__name__"))));
  const auto a = py::reinterpret_borrow<py::array>(obj);
  const char kind = a.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b')
    fail("{}: must be a numeric array, got dtype {}", name, std::string(py::str(a.dtype())));
  auto d = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(a);
  if (!d) fail("{}: cannot be read as float64", name);
  const double* p = d.data();
  for (py::ssize_t k = 0; k < d.size(); ++k)
    if (!std::isfinite(p[k])) fail("{}: element {} is {}", name, k, p[k]);
  return d;
}

/// A matrix (rows x cols) from a 2-D array, or a column (rows x 1) from a 1-D one.
mlp::Matrix matrix(const py::handle& obj, const std::string& name, int rows, int cols) {
  const auto a = numeric(obj, name);
  const bool column = cols == 1 && a.ndim() == 1;
  if (!column && a.ndim() != 2) fail("{}: must be a {}-D array of shape ({}, {}), got {} dimensions", name, 2, rows, cols, a.ndim());
  const py::ssize_t r = a.shape(0), c = column ? 1 : a.shape(1);
  if (r != rows || c != cols) fail("{}: shape must be ({}, {}), got ({}, {})", name, rows, cols, r, c);
  mlp::Matrix m;
  m.rows = rows;
  m.cols = cols;
  m.data.assign(a.data(), a.data() + a.size());
  m.source = name;
  return m;
}

/// Runs `f` without the GIL (other Python threads go on meanwhile).
template <typename F>
auto without_gil(F&& f) {
  py::gil_scoped_release release;
  return f();
}

/// The results of one analysis as a dict of numpy arrays.
py::dict analysis_dict(const solver::AnalysisResult& r) {
  py::dict d;
  d["type"] = solver::analysis_name(r.kind);
  d["scale"] = py::array_t<double>(static_cast<py::ssize_t>(r.scale.size()), r.scale.data());
  py::dict v;
  for (const auto& [name, data] : r.vectors) v[py::str(name)] = py::array_t<double>(static_cast<py::ssize_t>(data.size()), data.data());
  d["vectors"] = v;
  return d;
}

/// A run's images.csv as numpy arrays (the numbers as written: shortest round trip).
py::dict read_images(const fs::path& csv, int classes) {
  const mlp::ImagesTable t = mlp::read_images_table(csv);
  py::dict out;
  const auto n = static_cast<py::ssize_t>(t.rows);
  py::array_t<double> outputs({n, static_cast<py::ssize_t>(classes)});
  auto o = outputs.mutable_unchecked<2>();
  for (size_t k = 0; k < t.names.size(); ++k) {
    const std::string& name = t.names[k];
    const auto& col = t.columns[k];
    if (name.rfind("out_", 0) == 0) {
      const int j = std::atoi(name.c_str() + 4);
      for (py::ssize_t r = 0; r < n; ++r) o(r, j) = col[static_cast<size_t>(r)];
    } else if (name == "index" || name == "label" || name == "prediction" || name == "reference") {
      py::array_t<int64_t> a(n);
      for (py::ssize_t r = 0; r < n; ++r) a.mutable_at(r) = static_cast<int64_t>(col[static_cast<size_t>(r)]);
      out[py::str(name == "prediction" ? "predictions" : name)] = a;
    } else {
      out[py::str(name)] = py::array_t<double>(n, col.data());
    }
  }
  out["outputs"] = outputs;
  return out;
}

/// The fingerprint of some doubles (and of more after them), for a run's manifest.
template <typename... V>
std::string fingerprint(const V&... v) {
  Fnv1a h;
  (h.add(v.data(), v.size() * sizeof(v[0])), ...);
  return h.hex();
}

py::dict run(const mlp::Config& base, const py::object& inputs, const py::object& labels, const py::object& weights, int first,
             int images, const std::string& analysis, const std::string& backend, int threads, const py::object& out) {
  mlp::Config cfg = base;
  mlp::RunOptions opt;
  if (backend != "native" && backend != "ngspice") fail("backend: must be native or ngspice, got '{}'", clip(backend));
  if (!analysis.empty() && analysis != "op" && analysis != "tran") fail("analysis: must be op or tran, got '{}'", clip(analysis));
  if (first < -1) fail("first: must be >= 0 (or -1: input.first), got {}", first);
  if (images == 0 || images < -1) fail("images: must be >= 1 (or -1: all), got {}", images);
  if (threads == 0 || threads < -1 || threads > 1024) fail("threads: must be in [1, 1024] (or -1: run.threads), got {}", threads);
  opt.backend = backend == "ngspice" ? mlp::Backend::ngspice : mlp::Backend::native;
  if (!analysis.empty()) opt.transient = analysis == "tran";
  opt.first = first;
  opt.images = images;
  opt.threads = threads;
  const int classes = cfg.sizes.back(), n_in = mlp::input_size(cfg);
  // Weights: the config's files, or arrays (W inputs x outputs, B outputs) per layer.
  if (!weights.is_none()) {
    if (!py::isinstance<py::sequence>(weights) || py::isinstance<py::str>(weights))
      fail("weights: must be a list of (W, B) pairs, one per layer");
    const auto seq = py::reinterpret_borrow<py::sequence>(weights);
    const size_t layers = cfg.sizes.size() - 1;
    if (static_cast<size_t>(py::len(seq)) != layers) fail("weights: {} layers given, the network has {}", py::len(seq), layers);
    mlp::NetworkWeights nw;
    std::vector<double> all;
    for (size_t k = 0; k < layers; ++k) {
      const py::object pair = seq[k];
      if (!py::isinstance<py::sequence>(pair) || py::len(pair) != 2) fail("weights[{}]: must be a (W, B) pair", k);
      nw.w.push_back(matrix(pair[py::int_(0)], fmt::format("weights[{}][0]", k), cfg.sizes[k], cfg.sizes[k + 1]));
      nw.b.push_back(matrix(pair[py::int_(1)], fmt::format("weights[{}][1]", k), cfg.sizes[k + 1], 1));
      all.insert(all.end(), nw.w.back().data.begin(), nw.w.back().data.end());
      all.insert(all.end(), nw.b.back().data.begin(), nw.b.back().data.end());
    }
    if (cfg.cnn.enabled || cfg.sc.enabled) fail("weights: arrays are taken for crossbar MLPs; this config has [cnn] or [sc]");
    mlp::use_weights(cfg, std::move(nw));
    netlist::validate(cfg.spec);
    opt.manifest_extra["weights"] = "arrays " + fingerprint(all);
  } else if (!cfg.sc.enabled) {
    mlp::load_network(cfg);
  }
  // Images: the config's dataset, or an (N, inputs) array with optional labels.
  mlp::InputSet given;
  if (!inputs.is_none() && (cfg.cnn.enabled || cfg.sc.enabled))
    fail("inputs: arrays are taken for crossbar MLPs (the input lines' voltages); this config has [cnn] or [sc]: use its dataset");
  if (!inputs.is_none()) {
    const auto x = numeric(inputs, "inputs");
    if (x.ndim() != 2 || x.shape(1) != n_in)
      fail("inputs: shape must be (images, {}), got {}", n_in, x.ndim() == 2 ? fmt::format("({}, {})", x.shape(0), x.shape(1)) : fmt::format("{} dimensions", x.ndim()));
    if (x.shape(0) < 1) fail("inputs: no images");
    given.inputs = n_in;
    given.x.assign(x.data(), x.data() + x.size());
    given.labels.assign(static_cast<size_t>(x.shape(0)), -1);
    given.source = "arrays";
    if (!labels.is_none()) {
      const auto y = numeric(labels, "labels");
      if (y.ndim() != 1 || y.shape(0) != x.shape(0)) fail("labels: shape must be ({},), got {} dimensions of {} values", x.shape(0), y.ndim(), y.size());
      for (py::ssize_t k = 0; k < y.shape(0); ++k) {
        const double v = y.data()[k];
        if (v != std::floor(v) || v < -1 || v >= classes) fail("labels: element {} must be a class in [0, {}) or -1, got {}", k, classes, v);
        given.labels[static_cast<size_t>(k)] = static_cast<int>(v);
      }
    }
    opt.inputs = &given;
    if (opt.first < 0) opt.first = 0;
    opt.manifest_extra["inputs"] = "arrays " + fingerprint(given.x, given.labels);
  } else if (!labels.is_none()) {
    fail("labels: given without inputs (the config's dataset has its own)");
  }
  // Where the run goes: `out`, or a temporary directory removed afterwards.
  fs::path dir;
  bool temporary = out.is_none();
  if (temporary) {
    std::random_device rd;
    dir = fs::temp_directory_path() / fmt::format("spinxbar-run-{:016x}", (static_cast<uint64_t>(rd()) << 32) ^ rd());
  } else {
    dir = py::cast<fs::path>(out);
  }
  opt.out = dir;
  opt.interrupt = &interrupt_flag();
  struct Cleanup {
    fs::path dir;
    bool on;
    ~Cleanup() {
      std::error_code ec;
      if (on) fs::remove_all(dir, ec);
    }
  } cleanup{dir, temporary};
  const mlp::RunOutcome o = without_gil([&] { return cfg.sc.enabled ? sc::run_sc_network(cfg, opt) : mlp::run_network(cfg, opt); });
  if (!o.complete) throw Interrupted();
  py::dict r = read_images(dir / "images.csv", classes);
  py::module_ json = py::module_::import("json");
  r["summary"] = json.attr("loads")(o.summary.dump());
  r["accuracy"] = o.summary["accuracy"].is_null() ? py::object(py::none()) : py::object(py::float_(o.summary["accuracy"].get<double>()));
  return r;
}

/// The data cache beside the build tree this module sits in (build/python/), as the command finds it
/// beside its own (build/cli/), unless SPINXBAR_DATA says where.
void find_data() {
  if (std::getenv("SPINXBAR_DATA")) return;
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&find_data), &info) == 0 || !info.dli_fname) return;
  std::error_code ec;
  const fs::path data = fs::path(info.dli_fname).parent_path() / ".." / ".." / "data";
  if (fs::exists(data / "mnist" / "t10k-images-idx3-ubyte", ec)) setenv("SPINXBAR_DATA", data.lexically_normal().c_str(), 0);
}

}  // namespace

PYBIND11_MODULE(spinxbar, m) {
  find_data();
  m.doc() = "spinxbar: circuit-level simulator for spintronic in-memory computing (crossbars of MTJs)";
  m.attr("__version__") = SPX_VERSION;
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const InputError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const Interrupted&) {
      PyErr_SetString(PyExc_KeyboardInterrupt, "interrupted");
    }
  });

  py::class_<mlp::Config>(m, "Config", "A network configuration (TOML), every key checked")
      .def(py::init([](const fs::path& path, const std::vector<std::string>& set) { return mlp::load_config(path, set); }),
           py::arg("path"), py::arg("set") = std::vector<std::string>{},
           "Loads CONFIG.toml; `set` overrides keys as --set does: [\"section.key=value\", ...]")
      .def_property_readonly("file", [](const mlp::Config& c) { return c.file; })
      .def_property_readonly("set", [](const mlp::Config& c) { return c.overrides; })
      .def_property_readonly("sizes", [](const mlp::Config& c) { return c.sizes; })
      .def_property_readonly("inputs", [](const mlp::Config& c) { return mlp::input_size(c); })
      .def("__repr__", [](const mlp::Config& c) {
        return fmt::format("spinxbar.Config('{}', sizes={})", c.file.string(), fmt::join(c.sizes, "-"));
      });

  m.def(
      "netlist",
      [](const mlp::Config& base, int images, const std::string& dialect, bool hierarchical) {
        if (images < 1) fail("images: must be >= 1, got {}", images);
        if (dialect != "ngspice" && dialect != "hspice") fail("dialect: must be ngspice or hspice, got '{}'", clip(dialect));
        return without_gil([&] {
          mlp::Config cfg = base;
          mlp::load_network(cfg);
          const auto g = mlp::generate(cfg, images);
          const auto d = dialect == "hspice" ? netlist::Dialect::hspice : netlist::Dialect::ngspice;
          return hierarchical ? netlist::write_spice_hierarchical(g.circuit, d, mlp::visible_nodes(g)).text
                              : netlist::write_spice(g.circuit, d).text;
        });
      },
      py::arg("config"), py::arg("images") = 1, py::arg("dialect") = "ngspice", py::arg("hierarchical") = false,
      "The SPICE netlist of a configured network (with its weights) as text; hierarchical: subcircuits per "
      "tile, amplifier and neuron");

  m.def(
      "simulate",
      [](const py::object& path, const py::object& text, const std::string& backend) {
        if (path.is_none() == text.is_none()) fail("simulate: give path or text (one of them)");
        if (backend != "native" && backend != "ngspice") fail("backend: must be native or ngspice, got '{}'", clip(backend));
        const fs::path file = path.is_none() ? fs::path() : py::cast<fs::path>(path);
        const std::string netlist_text = text.is_none() ? std::string() : py::cast<std::string>(text);
        const auto results = without_gil([&] {
          const auto circuit = file.empty() ? netlist::read_spice_text(netlist_text) : netlist::read_spice_file(file);
          if (circuit.analyses.empty()) fail("{}: no analysis (.op, .tran or .dc) to run", file.empty() ? "text" : file.string());
          std::vector<solver::AnalysisResult> out;
          if (backend == "native") {
            out = solver::simulate_native(circuit);
            for (const auto& r : out)
              if (!r.report.ok()) throw std::runtime_error(fmt::format("native {}: {}", solver::analysis_name(r.kind), r.report.detail));
          } else {
            auto run = solver::ngspice_session().run(circuit);
            if (!run.ok) throw std::runtime_error("ngspice: " + run.error);
            out = std::move(run.analyses);
          }
          return out;
        });
        py::list l;
        for (const auto& r : results) l.append(analysis_dict(r));
        return l;
      },
      py::arg("path") = py::none(), py::arg("text") = py::none(), py::arg("backend") = "native",
      "Runs a netlist's analyses; a list of {'type', 'scale', 'vectors': {name: array}} per analysis");

  m.def("run", &run, py::arg("config"), py::arg("inputs") = py::none(), py::arg("labels") = py::none(),
        py::arg("weights") = py::none(), py::arg("first") = -1, py::arg("images") = -1, py::arg("analysis") = "",
        py::arg("backend") = "native", py::arg("threads") = -1, py::arg("out") = py::none(),
        "Circuit-level inference (as spinxbar run): the config's dataset or `inputs` (images x inputs, V) with\n"
        "optional `labels`, the config's weight files or `weights` ([(W, B), ...]); returns outputs, predictions,\n"
        "reference, per-image power, energy and latency arrays, accuracy and the summary. `out` keeps the run\n"
        "directory (images.csv, summary.json); without it the run goes to a temporary directory.");
}
