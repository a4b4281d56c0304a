// libFuzzer harness of network configurations: the input is a config.toml, loaded with load_config()
// and, when it loads, its weights read by load_network(), its training model derived, its circuit
// generated and written in both dialects, and, for a stochastic-computing config, one image run on
// the SC engine. Lines "#set section.key=value" (TOML comments, so
// seeds stay valid files) are also passed as command-line overrides.
//
// The config lives in a scratch directory beside a fixed 16-8-4 binary network (W1/B1/W2/B2 as CSV and
// .npy, in the directory itself and in weights/), a neuron curve (curve.csv) and a small dataset
// (test_data.csv, test_labels.csv), so relative paths in the seeds resolve. Inputs that could reach
// the SOT neuron (characterized in embedded ngspice, seconds per input) or device files are skipped.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "devices/error.hpp"
#include "fuzz_support.hpp"
#include "mlp/config.hpp"
#include "mlp/generate.hpp"
#include "mlp/weights.hpp"
#include "sc/model.hpp"
#include "sc/network.hpp"

namespace fs = std::filesystem;
using namespace spx::mlp;

namespace {

/// Writes the network, curve and dataset files the seeds refer to.
void write_fixtures(const fs::path& dir) {
  const int sizes[] = {16, 8, 4};
  for (const fs::path& d : {dir, dir / "weights"}) {
    fs::create_directories(d);
    for (int k = 0; k < 2; ++k) {
      Matrix w{sizes[k], sizes[k + 1], {}, "", true};
      for (int i = 0; i < w.rows * w.cols; ++i) w.data.push_back((i * 7 + k) % 3 == 0 ? -1.0 : 1.0);
      Matrix b{sizes[k + 1], 1, {}, "", true};
      for (int i = 0; i < b.rows; ++i) b.data.push_back(i % 2 ? 1.0 : -1.0);
      const std::string layer = std::to_string(k + 1);
      write_csv(d / ("W" + layer + ".csv"), w);
      write_csv(d / ("B" + layer + ".csv"), b);
      write_npy(d / ("W" + layer + ".npy"), w);
      write_npy(d / ("B" + layer + ".npy"), b);
    }
  }
  spx::fuzz::write_bytes(dir / "curve.csv", "-1,1\n-0.1,0.9\n0,0.5\n0.1,0.1\n1,0\n");
  std::string data, labels;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 16; ++c) data += (c ? "," : "") + std::to_string(((r + c) % 3) - 1);
    data += '\n';
    for (int c = 0; c < 4; ++c) labels += (c ? "," : "") + std::string(c == r ? "1" : "0");
    labels += '\n';
  }
  spx::fuzz::write_bytes(dir / "test_data.csv", data);
  spx::fuzz::write_bytes(dir / "test_labels.csv", labels);
}

/// True if the text might select neuron.model = "sot" or name a device or kernel file. Escapes and
/// line-continuation backslashes could spell these in pieces, so those are checked with whitespace,
/// backslashes and quotes removed, and \u escapes are refused outright.
bool skipped(std::string_view text) {
  std::string squeezed;
  for (char c : text)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\\' && c != '"' && c != '\'') squeezed += c;
  for (size_t at = squeezed.find("sot"); at != std::string::npos; at = squeezed.find("sot", at + 1))
    if (squeezed.compare(at, 14, "sot-transistor") != 0) return true;
  for (const char* bad : {"\\u", "\\U", "/dev", "/proc", "/sys"})
    if (text.find(bad) != std::string_view::npos || squeezed.find(bad) != std::string::npos) return true;
  return false;
}

/// "#set ..." lines as overrides.
std::vector<std::string> overrides_in(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (line.starts_with("#set ")) {
      line.remove_prefix(5);
      if (line.ends_with('\r')) line.remove_suffix(1);
      out.emplace_back(line);
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fs::path dir = [] {
    fs::path d = spx::fuzz::scratch_dir("config") / "net";
    write_fixtures(d);
    return d;
  }();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (skipped(text)) return 0;
  const fs::path file = dir / "config.toml";
  spx::fuzz::write_bytes(file, text);

  try {
    Config cfg = load_config(file, overrides_in(text));
    load_network(cfg);
    try {
      (void)model_spec(cfg);
    } catch (const spx::InputError& e) {
      spx::fuzz::rejected(e);
    }
    const int inputs = cfg.sizes.front();
    if (cfg.sc.enabled && cfg.sc.length <= 4096) {  // stochastic computing: the engine on one image
      try {
        const Network net = spx::sc::load_sc_network(cfg);
        const auto model = spx::sc::build_model(net, cfg.spec.synapse.r_low, cfg.spec.synapse.r_high);
        std::vector<float> x(static_cast<size_t>(inputs));
        for (int k = 0; k < inputs; ++k) x[static_cast<size_t>(k)] = static_cast<float>(k % 4) / 3.0f;
        (void)spx::sc::run_sc(model, spx::sc::settings_of(cfg.sc), x.data(), 1, 0, 1);
      } catch (const spx::InputError& e) {
        spx::fuzz::rejected(e);
      }
    }
    std::vector<double> image = cfg.input.values;
    if (static_cast<int>(image.size()) != inputs) {
      image.assign(static_cast<size_t>(inputs), cfg.input.preprocess.high);
      for (int k = 0; k < inputs; k += 3) image[static_cast<size_t>(k)] = cfg.input.preprocess.low;
    }
    // One image (an operating point) or two (PWL windows, a transient and measurements).
    const std::vector<std::vector<double>> images(cfg.input.images > 1 ? 2 : 1, image);
    const Generated g = generate(cfg, images);
    (void)summary(g);
    (void)spx::netlist::write_spice(g.circuit);
    (void)spx::netlist::write_spice(g.circuit, spx::netlist::Dialect::hspice);
  } catch (const spx::InputError& e) {
    spx::fuzz::rejected(e);
  }
  return 0;
}
