// Embedded ngspice session (ngspice.hpp).
#include "solver/ngspice.hpp"

#include "devices/units.hpp"

#include <dlfcn.h>
#include <ngspice/sharedspice.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#ifndef SPX_NGSPICE_LIBRARY
#define SPX_NGSPICE_LIBRARY "libngspice.so.0"
#endif

namespace spx::solver {

namespace {
std::atomic<bool> g_session_alive{false};

std::string lower(std::string_view s) { return devices::ascii_lower(s); }
}  // namespace

struct NgspiceSession::Api {
  void* handle = nullptr;
  decltype(&::ngSpice_Init) init = nullptr;
  decltype(&::ngSpice_Command) command = nullptr;
  decltype(&::ngSpice_Circ) circ = nullptr;
  decltype(&::ngGet_Vec_Info) vec_info = nullptr;
  decltype(&::ngSpice_AllPlots) all_plots = nullptr;
  decltype(&::ngSpice_AllVecs) all_vecs = nullptr;
};

NgspiceSession::NgspiceSession(std::string library) : api_(std::make_unique<Api>()) {
  if (g_session_alive.exchange(true))
    throw std::logic_error("only one embedded ngspice session may exist per process");
  if (library.empty()) {
    const char* env = std::getenv("SPX_NGSPICE_LIB");
    library = env && *env ? env : SPX_NGSPICE_LIBRARY;
  }
  path_ = std::move(library);
  try {
    load();
  } catch (...) {
    g_session_alive = false;
    throw;
  }
}

NgspiceSession::~NgspiceSession() {
  unload();
  g_session_alive = false;
}

void NgspiceSession::load() {
  std::string path = path_;
  // A library that is still mapped after dlclose keeps its broken state: load a private copy instead.
  if (loads_ > 0) {
    if (void* still = dlopen(path_.c_str(), RTLD_NOW | RTLD_NOLOAD)) {
      dlclose(still);
      auto tmp = std::filesystem::temp_directory_path() / fmt::format("spx-ngspice-{}-{}.so", ::getpid(), loads_);
      std::filesystem::copy_file(path_, tmp, std::filesystem::copy_options::overwrite_existing);
      temp_copy_ = tmp.string();
      path = temp_copy_;
    }
  }
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) throw std::runtime_error(fmt::format("cannot load ngspice library '{}': {}", path, dlerror()));
  if (!temp_copy_.empty()) {
    std::error_code ec;
    std::filesystem::remove(temp_copy_, ec);  // the mapping stays valid after unlinking
    temp_copy_.clear();
  }
  Api& a = *api_;
  a.handle = h;
  auto sym = [&](const char* name) {
    void* p = dlsym(h, name);
    if (!p) throw std::runtime_error(fmt::format("ngspice library '{}' lacks {}", path, name));
    return p;
  };
  a.init = reinterpret_cast<decltype(a.init)>(sym("ngSpice_Init"));
  a.command = reinterpret_cast<decltype(a.command)>(sym("ngSpice_Command"));
  a.circ = reinterpret_cast<decltype(a.circ)>(sym("ngSpice_Circ"));
  a.vec_info = reinterpret_cast<decltype(a.vec_info)>(sym("ngGet_Vec_Info"));
  a.all_plots = reinterpret_cast<decltype(a.all_plots)>(sym("ngSpice_AllPlots"));
  a.all_vecs = reinterpret_cast<decltype(a.all_vecs)>(sym("ngSpice_AllVecs"));
  exited_ = false;
  a.init(&NgspiceSession::on_char, &NgspiceSession::on_stat, &NgspiceSession::on_exit, nullptr, nullptr,
         nullptr, this);
  ++loads_;
}

void NgspiceSession::unload() {
  if (api_->handle) {
    dlclose(api_->handle);
    api_->handle = nullptr;
  }
}

int NgspiceSession::on_char(char* text, int, void* self) {
  static_cast<NgspiceSession*>(self)->lines_.emplace_back(text ? text : "");
  return 0;
}

int NgspiceSession::on_stat(char*, int, void*) { return 0; }

int NgspiceSession::on_exit(int, bool, bool, int, void* self) {
  static_cast<NgspiceSession*>(self)->exited_ = true;
  return 0;
}

bool NgspiceSession::command(const std::string& cmd) {
  if (exited_) return false;
  std::vector<char> buf(cmd.begin(), cmd.end());
  buf.push_back('\0');
  return api_->command(buf.data()) == 0 && !exited_;
}

std::vector<std::string> NgspiceSession::plots() const {
  std::vector<std::string> out;
  if (char** p = api_->all_plots())
    for (; *p; ++p) out.emplace_back(*p);
  return out;
}

namespace {

bool is_error_line(const std::string& line) {
  if (line.rfind("stderr", 0) != 0) return false;
  std::string l = lower(line);
  // "timestep too small ... trouble with node" precedes its "simulation(s) aborted": it names the node.
  for (const char* key : {"error", "undefined", "cannot", "could not", "too small", "trouble with", "aborted", "fatal",
                          "not enough", "no circuit", "unknown"})
    if (l.find(key) != std::string::npos) return true;
  return false;
}

std::string strip_prefix(const std::string& line) {
  if (line.rfind("stderr ", 0) == 0) return line.substr(7);
  if (line.rfind("stdout ", 0) == 0) return line.substr(7);
  return line;
}

/// N of the first "line N" or "line no. N" in an ngspice message (case-insensitive), or 0.
int line_number(const std::string& message) {
  const std::string low = lower(message);
  for (size_t at = low.find("line"); at != std::string::npos; at = low.find("line", at + 4)) {
    size_t i = at + 4;
    auto spaces = [&] {
      const size_t from = i;
      while (i < low.size() && std::isspace(static_cast<unsigned char>(low[i]))) ++i;
      return i > from;
    };
    if (!spaces()) continue;
    if (low.compare(i, 3, "no.") == 0) {
      i += 3;
      if (!spaces()) continue;
    }
    int n = 0;
    auto [p, ec] = std::from_chars(low.data() + i, low.data() + low.size(), n);
    if (ec == std::errc() && p != low.data() + i && n > 0) return n;
  }
  return 0;
}

netlist::AnalysisKind kind_of_plot(const std::string& plot) {
  if (plot.rfind("tran", 0) == 0) return netlist::AnalysisKind::tran;
  if (plot.rfind("dc", 0) == 0) return netlist::AnalysisKind::dc;
  return netlist::AnalysisKind::op;
}

}  // namespace

NgspiceRun NgspiceSession::run_text(std::string_view netlist, int expected) {
  NgspiceRun run;
  if (exited_ || !api_->handle) {
    unload();
    load();
  }
  lines_.clear();
  std::set<std::string> before;
  for (auto& p : plots()) before.insert(p);

  // Lines for ngSpice_Circ: the title first, a final .end, NULL-terminated.
  std::vector<std::string> text_lines;
  size_t start = 0;
  while (start < netlist.size()) {
    size_t end = netlist.find('\n', start);
    if (end == std::string_view::npos) end = netlist.size();
    std::string l(netlist.substr(start, end - start));
    if (!l.empty() && l.back() == '\r') l.pop_back();
    text_lines.push_back(std::move(l));
    start = end + 1;
  }
  // The first line is the title; ngspice would skip a blank one and take the next card as the title.
  if (text_lines.empty() || text_lines[0].find_first_not_of(" \t") == std::string::npos) {
    if (text_lines.empty()) text_lines.emplace_back();
    text_lines[0] = "* untitled";
  }
  bool has_end = false;
  for (auto it = text_lines.rbegin(); it != text_lines.rend(); ++it) {
    std::string t = lower(*it);
    t.erase(0, t.find_first_not_of(" \t"));
    if (t.empty()) continue;
    has_end = t.rfind(".end", 0) == 0 && (t.size() == 4 || std::isspace(static_cast<unsigned char>(t[4])));
    break;
  }
  if (!has_end) text_lines.emplace_back(".end");
  std::vector<char*> ptrs;
  for (auto& l : text_lines) ptrs.push_back(l.data());
  ptrs.push_back(nullptr);

  auto finish = [&](const std::string& error) {
    run.ok = error.empty();
    run.error = error;
    run.log = lines_;
    if (!exited_) {
      command("remcirc");
      command("destroy all");
    }
    if (exited_) unload();  // reloaded on next use
    return run;
  };
  // The message: ngspice's "singular matrix: check node X" if it said so, then its first error line,
  // joined with the "Netlist line no. N:" line that precedes it.
  auto first_error = [&]() -> std::string {
    std::string context, error, singular;
    for (auto& l : lines_) {
      if (l.rfind("stderr", 0) != 0) continue;
      std::string text = strip_prefix(l);
      std::string low = lower(text);
      if (low.rfind("netlist line no.", 0) == 0) {
        context = text;
        continue;
      }
      if (singular.empty() && low.find("singular matrix") != std::string::npos) {
        singular = text.substr(low.find("singular matrix"));
      }
      if (error.empty() && is_error_line(l)) error = context.empty() ? text : context + " " + text;
      context.clear();
    }
    if (error.empty()) return {};
    return singular.empty() ? error : singular + "; " + error;
  };

  int rc = api_->circ(ptrs.data());
  if (exited_) return finish("ngspice exited while loading the circuit: " + first_error());
  if (std::string e = first_error(); !e.empty() || rc != 0)
    return finish(e.empty() ? "ngspice could not load the circuit" : e);
  bool ran = command("run");
  if (exited_) return finish("ngspice exited during the run: " + first_error());
  if (std::string e = first_error(); !e.empty() || !ran) return finish(e.empty() ? "ngspice run failed" : e);

  std::vector<std::string> fresh;
  for (auto& p : plots())
    if (!before.count(p)) fresh.push_back(p);
  // ngspice runs analyses in its own order (op, dc, tran), not the deck's: order the plots by kind
  // and, within a kind, by the number ngspice appends (tran1 before tran2).
  auto plot_number = [](const std::string& p) {
    size_t k = p.find_first_of("0123456789");
    long n = 0;
    if (k != std::string::npos) std::from_chars(p.data() + k, p.data() + p.size(), n);
    return n;
  };
  std::sort(fresh.begin(), fresh.end(), [&](const std::string& a, const std::string& b) {
    auto ka = kind_of_plot(a), kb = kind_of_plot(b);
    return ka != kb ? ka < kb : plot_number(a) < plot_number(b);
  });
  if (fresh.empty()) return finish("ngspice produced no results");
  if (expected >= 0 && static_cast<int>(fresh.size()) != expected)
    return finish(fmt::format("ngspice produced {} result plot(s) for {} analyses", fresh.size(), expected));

  for (const auto& plot : fresh) {
    AnalysisResult r;
    r.kind = kind_of_plot(plot);
    std::vector<std::string> names;
    if (char** v = api_->all_vecs(const_cast<char*>(plot.c_str())))
      for (; *v; ++v) names.emplace_back(*v);
    for (const auto& name : names) {
      std::string full = plot + "." + name;
      pvector_info info = api_->vec_info(full.data());
      if (!info || !info->v_realdata) continue;
      std::vector<double> data(info->v_realdata, info->v_realdata + info->v_length);
      std::string n = lower(name);
      if (n == "time" || n == "v-sweep" || n == "i-sweep" || n == "sweep") {
        r.scale = std::move(data);
        continue;
      }
      if (auto pos = n.find("#branch"); pos != std::string::npos) {
        r.vectors["i(" + n.substr(0, pos) + ")"] = std::move(data);
      } else if (n.find('#') != std::string::npos) {
        continue;  // device-internal vectors
      } else if (n.rfind("v(", 0) == 0 || n.rfind("i(", 0) == 0) {
        r.vectors[n] = std::move(data);
      } else {
        r.vectors["v(" + n + ")"] = std::move(data);
      }
    }
    run.analyses.push_back(std::move(r));
  }
  return finish({});
}

NgspiceSession& ngspice_session() {
  static NgspiceSession session;
  return session;
}

NgspiceRun NgspiceSession::run(const netlist::Circuit& circuit) {
  netlist::SpiceText text = netlist::write_spice(circuit);
  NgspiceRun r = run_text(text.text, static_cast<int>(circuit.analyses.size()));
  if (r.ok) {
    // Results in deck order: each analysis takes the earliest unused plot of its kind.
    std::vector<AnalysisResult> ordered;
    std::vector<bool> used(r.analyses.size(), false);
    for (const auto& a : circuit.analyses) {
      for (size_t k = 0; k < r.analyses.size(); ++k) {
        if (used[k] || r.analyses[k].kind != a.kind) continue;
        used[k] = true;
        ordered.push_back(std::move(r.analyses[k]));
        break;
      }
    }
    if (ordered.size() != circuit.analyses.size()) {
      r.ok = false;
      r.error = "ngspice results do not match the analyses of the netlist";
    }
    r.analyses = std::move(ordered);
  }
  if (!r.ok) {
    // "line 12" in an ngspice message -> the element written there and its origin.
    if (const int line = line_number(r.error); line > 0) {
      r.error += " [" + text.describe_line(circuit, line) + "]";
    } else {
      for (size_t i = 0; i < circuit.elements.size(); ++i) {
        const std::string& name = circuit.elements[i].name;
        auto pos = lower(r.error).find(name);
        if (pos != std::string::npos && (pos + name.size() == r.error.size() || !std::isalnum(static_cast<unsigned char>(r.error[pos + name.size()])))) {
          r.error += " [" + circuit.describe(static_cast<netlist::ElementId>(i)) + "]";
          break;
        }
      }
    }
  }
  return r;
}

}  // namespace spx::solver
