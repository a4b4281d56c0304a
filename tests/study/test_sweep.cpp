// Studies: the study file (axes, ranges, seeds, errors at their line), the statistics, and whole sweeps
// on the small example network: tables that agree with the runs, resuming, torn runs, changed studies,
// --force, and errors of single points named at the study line that caused them.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "../mlp/errors.hpp"
#include "study/figures.hpp"
#include "study/sweep.hpp"

using namespace spx;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / "spx_study_test" / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

fs::path write(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
  return p;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

const std::string kSmall = std::string(SPX_SOURCE_DIR) + "/examples/small/small.toml";

/// A study of the small network: wire R scale x tile, three variation seeds.
std::string small_study(int images = 6) {
  return fmt::format(R"([study]
config = "{}"
set = ["synapse.variation=\"gaussian\"", "synapse.variation_percent=10", "run.threads=1"]
seeds = 3
images = {}

[[axis]]
key = "interconnect.resistance_scale"
name = "r_scale"
values = [1, 200]

[[axis]]
key = "partition.tile"
values = [[4, 4], [8, 8]]
)",
                     kSmall, images);
}

std::vector<std::vector<std::string>> csv(const fs::path& p) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(slurp(p));
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::string cell;
    std::stringstream ls(line);
    while (std::getline(ls, cell, ',')) f.push_back(cell);
    if (!line.empty() && line.back() == ',') f.push_back("");
    rows.push_back(f);
  }
  return rows;
}

int column(const std::vector<std::string>& header, const std::string& name) {
  for (size_t k = 0; k < header.size(); ++k)
    if (header[k] == name) return static_cast<int>(k);
  FAIL("no column " << name);
  return -1;
}

}  // namespace

TEST_CASE("study files: values, ranges, crossed and zipped points, overrides") {
  const fs::path d = fresh_dir("parse");
  write(d / "x.toml", "");
  const auto s = study::load_study(write(d / "a.toml", R"([study]
config = "x.toml"
seeds = [4, 9]
[[axis]]
key = "interconnect.resistance_scale"
from = 1
to = 100
steps = 3
scale = "log"
[[axis]]
key = "partition.tile"
values = [[16, 16], [32, 32]]
[[axis]]
key = "synapse.variation"
values = ["none", "gaussian"]
)"));
  CHECK(s.name == "a");
  CHECK(s.config == d / "x.toml");
  REQUIRE(s.axes.size() == 3);
  CHECK(s.axes[0].values == std::vector<std::string>{"1", "10", "100"});
  CHECK(s.axes[0].log);
  CHECK(s.axes[1].labels == std::vector<std::string>{"16x16", "32x32"});
  CHECK(s.axes[1].values[1] == "[32, 32]");
  CHECK(s.axes[1].numeric.empty());
  CHECK(s.axes[2].values[1] == "\"gaussian\"");
  CHECK(s.seeds == std::vector<uint64_t>{4, 9});
  const auto pts = study::study_points(s);
  REQUIRE(pts.size() == 12);
  CHECK(pts[0].at == std::vector<int>{0, 0, 0});
  CHECK(pts[1].at == std::vector<int>{0, 0, 1});  // the last axis fastest
  CHECK(pts[11].at == std::vector<int>{2, 1, 1});
  CHECK(pts[5].overrides == std::vector<std::string>{"interconnect.resistance_scale=10", "partition.tile=[16, 16]",
                                                     "synapse.variation=\"gaussian\""});
  study::Study z = s;
  z.seed_keys = {"network.seed"};
  CHECK(study::run_overrides(z, pts[0], 9).back() == "network.seed=9");

  const auto zip = study::load_study(write(d / "z.toml", R"([study]
config = "x.toml"
combine = "zip"
[[axis]]
key = "a.b"
from = 0
to = 1
steps = 3
[[axis]]
key = "c.d"
values = [5, 6, 7]
)"));
  const auto zp = study::study_points(zip);
  REQUIRE(zp.size() == 3);
  CHECK(zp[2].overrides == std::vector<std::string>{"a.b=1", "c.d=7"});
  CHECK(zip.axes[0].values == std::vector<std::string>{"0", "0.5", "1"});
}

TEST_CASE("study files: bad input names the file and line") {
  const fs::path d = fresh_dir("bad");
  write(d / "x.toml", "");
  auto err = [&](const std::string& text) {
    write(d / "s.toml", text);
    return error_of([&] { study::load_study(d / "s.toml"); });
  };
  const std::string head = "[study]\nconfig = \"x.toml\"\n";
  CHECK(err(head + "bogus = 1\n[[axis]]\nkey = \"a.b\"\nvalues = [1]\n").find("s.toml:3: study.bogus: unknown key") != std::string::npos);
  CHECK(err(head + "[[axis]]\nkey = \"a.b\"\nvalues = []\n").find("s.toml:5: axis.values: empty") != std::string::npos);
  CHECK(err(head + "seeds = 0\n[[axis]]\nkey = \"a.b\"\nvalues = [1]\n").find("s.toml:3: study.seeds: must be a count") != std::string::npos);
  CHECK(err(head + "seeds = [1, -2]\n[[axis]]\nkey = \"a.b\"\nvalues = [1]\n").find("s.toml:3: study.seeds: every seed must be") != std::string::npos);
  CHECK(err(head + "[[axis]]\nkey = \"a.b\"\nvalues = [1, 2, 1]\n").find("s.toml:5: axis a.b: the value 1 is listed twice") != std::string::npos);
  CHECK(err(head + "[[axis]]\nkey = \"a.b\"\nfrom = 0\nto = 1\nsteps = 3\nscale = \"log\"\n").find("s.toml:3: axis 1: a log range needs") != std::string::npos);
  CHECK(err(head + "[[axis]]\nkey = \"ab\"\nvalues = [1]\n").find("s.toml:4: axis 1: key: expected section.key") != std::string::npos);
  CHECK(err(head + "[[axis]]\nkey = \"a.b\"\nvalues = [1]\nstep = 2\n").find("s.toml:6: axis.step: unknown key") != std::string::npos);
  CHECK(err(head + "combine = \"zip\"\n[[axis]]\nkey = \"a.b\"\nvalues = [1, 2]\n[[axis]]\nkey = \"c.d\"\nvalues = [1]\n")
            .find("s.toml:7: axis c.d: 1 values, but combine = \"zip\"") != std::string::npos);
  CHECK(err(head).find("no [[axis]] and one seed") != std::string::npos);
  CHECK(err("[study]\n[[axis]]\nkey = \"a.b\"\nvalues = [1]\n").find("s.toml:1: study.config: missing") != std::string::npos);
  CHECK(err(head + "[axes]\n").find("s.toml:3: unknown section [axes]") != std::string::npos);
}

TEST_CASE("statistics over seeds: mean, sample std, Student t interval") {
  const auto s = study::stats_of({1, 2, 3});
  CHECK(s.mean == doctest::Approx(2));
  CHECK(s.std == doctest::Approx(1));
  CHECK(s.high - s.mean == doctest::Approx(4.303 / std::sqrt(3.0)));
  CHECK(study::stats_of({5}).std == 0);
  const auto same = study::stats_of({0.9457, 0.9457, 0.9457, 0.9457, 0.9457});  // the rounded sum / n would not be
  CHECK(same.mean == 0.9457);
  CHECK(same.std == 0);
  CHECK(same.high == same.low);
  CHECK(study::t975(1) == doctest::Approx(12.706));
  CHECK(study::t975(40) == doctest::Approx(2.0211).epsilon(1e-4));
  CHECK(study::t975(120) == doctest::Approx(1.9799).epsilon(1e-4));
  CHECK(study::t975(31) < study::t975(30));
}

TEST_CASE("a sweep: tables agree with the runs; resuming, torn runs, changed studies, --force") {
  const fs::path d = fresh_dir("sweep");
  const fs::path file = write(d / "s.toml", small_study());
  study::SweepOptions opt;
  opt.out = d / "out";
  const auto s = study::load_study(file);
  auto o = study::run_sweep(s, opt);
  REQUIRE(o.complete);
  CHECK(o.runs == 12);
  CHECK(o.now == 12);
  CHECK(o.failed == 0);
  const auto seeds = csv(opt.out / "seeds.csv");
  const auto results = csv(opt.out / "results.csv");
  REQUIRE(seeds.size() == 13);
  REQUIRE(results.size() == 5);
  CHECK(results[0][1] == "r_scale");
  CHECK(results[0][2] == "partition.tile");
  CHECK(results[4][1] == "200");
  CHECK(results[4][2] == "8x8");
  // Every point's mean and std are those of its seeds' runs, read back from the runs' summaries.
  const int acc = column(seeds[0], "accuracy"), e = column(seeds[0], "energy_j");
  for (int p = 0; p < 4; ++p) {
    std::vector<double> a, en;
    for (int k = 1; k <= 3; ++k) {
      const auto& row = seeds[p * 3 + k];
      CHECK(row[0] == std::to_string(p));
      const auto sum = nlohmann::json::parse(slurp(opt.out / "runs" / fmt::format("p{:03}-s{}", p, k) / "summary.json"));
      CHECK(std::stod(row[acc]) == sum["accuracy"].get<double>());
      CHECK(std::stod(row[e]) == sum["energy_j"]["mean"].get<double>());
      a.push_back(std::stod(row[acc]));
      en.push_back(std::stod(row[e]));
    }
    const auto sa = study::stats_of(a), se = study::stats_of(en);
    const auto& r = results[p + 1];
    CHECK(std::stod(r[column(results[0], "energy_j_mean")]) == doctest::Approx(se.mean).epsilon(1e-15));
    CHECK(std::stod(r[column(results[0], "energy_j_std")]) == doctest::Approx(se.std).epsilon(1e-12));
    CHECK(std::stod(r[column(results[0], "accuracy_mean")]) == doctest::Approx(sa.mean).epsilon(1e-15));
    CHECK(se.std > 0);  // the seeds draw different devices
  }
  // Wires 200x more resistive cost accuracy or change the outputs' energy: the axis acts.
  CHECK(results[1][column(results[0], "energy_j_mean")] != results[3][column(results[0], "energy_j_mean")]);
  const std::string first = slurp(opt.out / "results.csv"), first_seeds = slurp(opt.out / "seeds.csv");

  // Again: nothing to run, the same tables.
  o = study::run_sweep(s, opt);
  CHECK(o.complete);
  CHECK(o.now == 0);
  CHECK(slurp(opt.out / "results.csv") == first);
  // A torn run (no summary, half its rows) is done again; the tables come out the same.
  fs::remove(opt.out / "runs" / "p002-s2" / "summary.json");
  {
    const std::string rows = slurp(opt.out / "runs" / "p002-s2" / "images.csv");
    write(opt.out / "runs" / "p002-s2" / "images.csv", rows.substr(0, rows.size() / 2));
  }
  o = study::run_sweep(s, opt);
  CHECK(o.now == 1);
  CHECK(slurp(opt.out / "results.csv") == first);
  CHECK(slurp(opt.out / "seeds.csv") == first_seeds);
  // A changed study is refused; --force starts again.
  const auto changed = study::load_study(write(d / "s.toml", small_study(5)));
  CHECK(error_of([&] { study::run_sweep(changed, opt); }).find("changed since this study started; use --force") != std::string::npos);
  opt.force = true;
  o = study::run_sweep(changed, opt);
  CHECK(o.now == 12);
  CHECK(slurp(opt.out / "results.csv") != first);  // 5 images now
  // A directory that holds something else is not taken.
  write(d / "other" / "x", "");
  fs::create_directories(d / "other");
  write(d / "other" / "x", "keep");
  opt.out = d / "other";
  opt.force = false;
  CHECK(error_of([&] { study::run_sweep(changed, opt); }).find("holds other files and no study") != std::string::npos);
  CHECK(slurp(d / "other" / "x") == "keep");
}

TEST_CASE("a point's bad value is named at its line in the study file, before anything runs") {
  const fs::path d = fresh_dir("badpoint");
  const fs::path file = write(d / "s.toml", fmt::format(R"([study]
config = "{}"
[[axis]]
key = "partition.tile"
values = [[4, 4],
          [0, 3]]
)",
                                                       kSmall));
  study::SweepOptions opt;
  opt.out = d / "out";
  const std::string e = error_of([&] { study::run_sweep(study::load_study(file), opt); });
  CHECK(e.find("s.toml:6: axis partition.tile = [0, 3]: partition.tile: must be >= 2 rows") != std::string::npos);
  CHECK(!fs::exists(opt.out));
  write(file, fmt::format("[study]\nconfig = \"{}\"\n[[axis]]\nkey = \"bogus.key\"\nvalues = [1, 2]\n", kSmall));
  CHECK(error_of([&] { study::run_sweep(study::load_study(file), opt); }).find("s.toml:5: axis bogus.key = 1: unknown section [bogus]") !=
        std::string::npos);
}

TEST_CASE("studies that would change nothing are refused, or flagged once run") {
  const fs::path d = fresh_dir("inert");
  study::SweepOptions opt;
  opt.out = d / "out";
  // Seeds with nothing that draws from them.
  auto file = write(d / "s.toml", fmt::format("[study]\nconfig = \"{}\"\nimages = 2\nseeds = 3\n", kSmall));
  CHECK(error_of([&] { study::run_sweep(study::load_study(file), opt); }).find("s.toml:4: study.seeds: 3 seeds, but no point draws") !=
        std::string::npos);
  // A variation percent while variation is none: the config says so, at the axis value's line.
  write(file, fmt::format("[study]\nconfig = \"{}\"\n[[axis]]\nkey = \"synapse.variation_percent\"\nvalues = [0, 5]\n", kSmall));
  CHECK(error_of([&] { study::run_sweep(study::load_study(file), opt); })
            .find("s.toml:5: axis synapse.variation_percent = 5: synapse.variation_percent: 5 % has no effect") != std::string::npos);
  // Training keys: a sweep does not train.
  write(file, fmt::format("[study]\nconfig = \"{}\"\n[[axis]]\nkey = \"train.learning_rate\"\nvalues = [1e-3, 1e-2]\n", kSmall));
  CHECK(error_of([&] { study::load_study(file); }).find("s.toml:4: axis train.learning_rate: a sweep runs the config's weights") !=
        std::string::npos);
  CHECK(!fs::exists(opt.out));
  // An axis whose values all give the same results (the input edge of operating points) is flagged.
  write(file, fmt::format("[study]\nconfig = \"{}\"\nimages = 3\n[[axis]]\nkey = \"input.edge\"\nvalues = [1e-10, 2e-10]\n", kSmall));
  REQUIRE(study::run_sweep(study::load_study(file), opt).complete);
  const auto j = nlohmann::json::parse(slurp(opt.out / "study.json"));
  REQUIRE(j["warnings"].size() == 1);
  CHECK(j["warnings"][0].get<std::string>().find("axis input.edge changed no result") != std::string::npos);
  // The wire scale does change results: no warning.
  opt.out = d / "out2";
  write(file, fmt::format("[study]\nconfig = \"{}\"\nimages = 3\n[[axis]]\nkey = \"interconnect.resistance_scale\"\nvalues = [1, 300]\n", kSmall));
  REQUIRE(study::run_sweep(study::load_study(file), opt).complete);
  CHECK(nlohmann::json::parse(slurp(opt.out / "study.json"))["warnings"].empty());
}

TEST_CASE("the example studies load, and their points' configs are valid") {
  for (const auto& entry : fs::directory_iterator(SPX_SOURCE_DIR "/examples/studies")) {
    if (entry.path().extension() != ".toml") continue;
    CAPTURE(entry.path().string());
    const auto s = study::load_study(entry.path());
    for (const auto& p : study::study_points(s)) {
      auto c = mlp::load_config(s.config, study::run_overrides(s, p, s.seeds.front()));
      mlp::load_network(c);
    }
  }
}
