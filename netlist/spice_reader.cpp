// SPICE reader. Stage 1 turns files into cards (one logical line each, with file:line): comments
// ('*' lines, ';' and ' $' tails), '+' continuations, .include, .lib file section / .lib ... .endl,
// .end. Stage 2 flattens: a scope holds parameters, port bindings, an instance path and the
// subcircuits visible in it; .param cards are evaluated first, in order, then elements and
// instances. References to controlling sources (F, H, i() in B) are resolved after all elements exist.
#include "netlist/spice_reader.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <sstream>

#include "devices/error.hpp"
#include "devices/files.hpp"
#include "devices/interrupt.hpp"
#include "devices/limits.hpp"
#include "devices/units.hpp"

namespace spx::netlist {
namespace {

namespace fs = std::filesystem;

struct Card {
  std::string text;  // lower-case, comments removed, continuations joined
  int32_t file = 0;
  int32_t line = 0;
  bool placed = false;   // a "$ @layer,tile_row,tile_col,row,col" comment gave the cell's position
  int32_t place[5] = {};
};

/// The cell position a writer put in a trailing comment, " $ @layer,tile_row,tile_col,row,col" (the
/// comment must end the line, each number an integer that fits its field); false when there is none.
bool parse_place(std::string_view s, int32_t (&place)[5]) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  const size_t at = s.rfind("$ @");
  if (at == std::string_view::npos || at == 0 || !std::isspace(static_cast<unsigned char>(s[at - 1]))) return false;
  std::string_view rest = s.substr(at + 3);
  for (int k = 0; k < 5; ++k) {
    size_t end = 0;
    while (end < rest.size() && rest[end] != ',') ++end;
    if ((end == rest.size()) != (k == 4)) return false;
    std::string_view num = rest.substr(0, end);
    int64_t v = 0;
    bool neg = !num.empty() && num[0] == '-';
    if (neg) num.remove_prefix(1);
    if (num.empty() || num.size() > 10) return false;
    for (char ch : num) {
      if (ch < '0' || ch > '9') return false;
      v = v * 10 + (ch - '0');
    }
    if (neg) v = -v;
    const int64_t hi = k < 3 ? INT16_MAX : INT32_MAX;
    if (v < -1 || v > hi) return false;
    place[k] = static_cast<int32_t>(v);
    rest = end < rest.size() ? rest.substr(end + 1) : std::string_view();
  }
  return true;
}

std::string lower(std::string_view s) { return devices::ascii_lower(s); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string strip_quotes(std::string_view s) {
  s = trim(s);
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front())
    s = s.substr(1, s.size() - 2);
  return std::string(s);
}

/// Removes inline comments: ';' anywhere, '$' at the start or after whitespace or a ',' (which
/// separates like whitespace) outside quotes/braces.
std::string strip_inline_comment(std::string_view s) {
  int depth = 0;
  bool quote = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\'' && depth == 0) quote = !quote;
    else if (c == '{' && !quote) ++depth;
    else if (c == '}' && !quote && depth > 0) --depth;
    else if (!quote && depth == 0 &&
             (c == ';' || (c == '$' && (i == 0 || s[i - 1] == ',' || std::isspace(static_cast<unsigned char>(s[i - 1]))))))
      return std::string(s.substr(0, i));
  }
  return std::string(s);
}

/// Loads files into cards.
class CardLoader {
 public:
  explicit CardLoader(Circuit& c) : circuit_(c) {}

  std::vector<Card> load_top(std::string_view text, std::string name, fs::path base_dir) {
    std::vector<Card> out;
    int32_t id = add_file(std::move(name));
    std::vector<std::string_view> lines = split_lines(text);  // views into text
    if (!lines.empty()) {
      std::string title(trim(lines[0]));
      circuit_.title = title == "*" ? std::string() : title;  // "*" is how an empty title is written
      lines[0] = {};
    }
    process(lines, id, base_dir, "", out, 0);
    return out;
  }

 private:
  Circuit& circuit_;
  int reads_ = 0;
  std::uintmax_t bytes_ = 0;

  int32_t add_file(std::string name) {
    circuit_.files.push_back(std::move(name));
    return static_cast<int32_t>(circuit_.files.size() - 1);
  }

  static std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    lines.reserve(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
    size_t start = 0;
    while (start <= text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      std::string_view l = text.substr(start, end - start);
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      lines.emplace_back(l);
      start = end + 1;
    }
    return lines;
  }

  std::string where(int32_t file, int32_t line) const {
    return fmt::format("{}:{}", circuit_.files[file], line);
  }

  fs::path resolve(const fs::path& base_dir, const std::string& name) const {
    fs::path p(name);
    if (p.is_relative()) {
      fs::path q = base_dir / p;
      std::error_code ec;  // a name too long for the file system is reported when it is opened
      if (fs::exists(q, ec)) return q;
    }
    return p;
  }

  /// Files read for .include and .lib: a netlist of ordinary size needs a handful. Each read is
  /// counted, so an include tree that fans out (each file including the next twice) stops early.
  static constexpr int max_reads = 10'000;

  std::string read_file(const fs::path& p, const std::string& at, const char* what) {
    check_interrupt();
    if (++reads_ > max_reads)
      fail("{}: more than {} .include/.lib files read (files that include each other repeatedly?)", at, max_reads);
    if (std::string why = unreadable(p); !why.empty()) fail("{}: cannot open {} '{}' ({})", at, what, clip(p.string()), why);
    std::string text = read_input_file(p);
    bytes_ += text.size();
    if (bytes_ > work_limits().bytes)
      fail("{}: the included files add up to {} bytes, above the limit of {} (raise it with --max-bytes)", at, bytes_,
           work_limits().bytes);
    return text;
  }

  /// Joins continuation lines into cards with comments removed.
  std::vector<Card> logical(const std::vector<std::string_view>& lines, int32_t file) {
    std::vector<Card> cards;
    cards.reserve(lines.size());
    for (size_t i = 0; i < lines.size(); ++i) {
      std::string_view raw = trim(lines[i]);
      if (raw.empty() || raw[0] == '*') continue;
      std::string text = strip_inline_comment(raw);
      if (trim(text).empty()) continue;
      // Control characters (other than tab) have no meaning in SPICE text and would not survive
      // being written and read again inside a name.
      for (char ch : text)
        if ((static_cast<unsigned char>(ch) < 0x20 && ch != '\t') || ch == 0x7f)
          fail("{}: control character 0x{:02x} in the line", where(file, static_cast<int32_t>(i + 1)),
               static_cast<unsigned char>(ch));
      if (text[0] == '+') {
        if (cards.empty()) fail("{}: continuation line with nothing to continue", where(file, static_cast<int32_t>(i + 1)));
        // What follows '+' starts a word, so a '$' there starts a comment, as it will once joined.
        const std::string rest = strip_inline_comment(trim(std::string_view(text).substr(1)));
        const std::string_view more = trim(rest);
        if (!more.empty()) cards.back().text += " " + std::string(more);
        if (parse_place(raw, cards.back().place)) cards.back().placed = true;
        continue;
      }
      cards.push_back(Card{std::string(trim(text)), file, static_cast<int32_t>(i + 1)});
      if (parse_place(raw, cards.back().place)) cards.back().placed = true;
    }
    return cards;
  }

  /// Processes one file's lines; `section` non-empty keeps only that .lib section.
  void process(const std::vector<std::string_view>& lines, int32_t file, const fs::path& base_dir,
               const std::string& section, std::vector<Card>& out, int depth) {
    if (depth > 32) fail("{}: .include/.lib nested too deeply", circuit_.files[file]);
    std::vector<Card> cards = logical(lines, file);
    out.reserve(out.size() + cards.size());
    bool in_wanted = section.empty();
    bool found = section.empty();
    std::string skipping;  // name of a .lib section being skipped
    for (auto& card : cards) {
      std::string low = lower(card.text);
      std::string at = where(card.file, card.line);
      const std::string kw(low.substr(0, std::min(low.find_first_of(" \t"), low.size())));
      if (kw == ".endl") {
        if (!section.empty() && in_wanted && skipping.empty()) in_wanted = false;
        skipping.clear();
        continue;
      }
      if (kw == ".lib") {
        std::vector<std::string> args;
        std::istringstream as(card.text);
        std::string a;
        as >> a;
        while (as >> a) args.push_back(a);
        if (args.size() == 1) {  // section definition start
          std::string name = lower(args[0]);
          if (!section.empty() && name == section && !in_wanted) {
            in_wanted = true;
            found = true;
          } else {
            skipping = name;
          }
          continue;
        }
        if (!skipping.empty() || !in_wanted) continue;
        if (args.size() != 2) fail("{}: .lib needs a file and a section name", at);
        fs::path p = resolve(base_dir, strip_quotes(args[0]));
        std::string text = read_file(p, at, "library file");
        int32_t id = add_file(p.string());
        process(split_lines(text), id, p.parent_path(), lower(args[1]), out, depth + 1);
        continue;
      }
      if (!skipping.empty() || !in_wanted) continue;
      if (kw == ".end") break;
      if (kw == ".include" || kw == ".inc") {
        std::string rest = std::string(trim(std::string_view(card.text).substr(kw.size())));
        if (rest.empty()) fail("{}: .include needs a file name", at);
        fs::path p = resolve(base_dir, strip_quotes(rest));
        std::string text = read_file(p, at, "include file");
        int32_t id = add_file(p.string());
        process(split_lines(text), id, p.parent_path(), "", out, depth + 1);
        continue;
      }
      card.text = std::move(low);
      out.push_back(std::move(card));
    }
    if (!found) fail("{}: section '{}' not found", circuit_.files[file], section);
  }
};

/// A token of a card with its offset in the card text.
struct Token {
  std::string text;
  size_t pos = 0;
};

/// The tokens of one card. Indexing past the end is an InputError naming the card, never a read
/// out of bounds.
class Tokens {
 public:
  explicit Tokens(std::string at) : at_(std::move(at)) {}
  const Token& operator[](size_t i) const {
    if (i >= list_.size()) {
      if (list_.empty()) fail("{}: no element or control card on this line", at_);
      fail("{}: '{}' ends early (after '{}')", at_, clip(list_[0].text), clip(list_.back().text));
    }
    return list_[i];
  }
  size_t size() const { return list_.size(); }
  bool empty() const { return list_.empty(); }
  void push_back(Token t) { list_.push_back(std::move(t)); }

 private:
  std::string at_;
  std::vector<Token> list_;
};

/// Splits a card: whitespace and ',' separate; '(' ')' '=' are tokens; {..} and '..' stay whole.
Tokens tokenize(std::string_view s, const std::string& at) {
  Tokens out(at);
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c)) || c == ',') { ++i; continue; }
    if (c == '(' || c == ')' || c == '=') { out.push_back({std::string(1, c), i}); ++i; continue; }
    size_t start = i;
    if (c == '{') {
      int depth = 0;
      for (; i < s.size(); ++i) {
        if (s[i] == '{') ++depth;
        else if (s[i] == '}' && --depth == 0) break;
      }
      if (i >= s.size()) fail("{}: missing '}}'", at);
      ++i;
    } else if (c == '\'') {
      i = s.find('\'', i + 1);
      if (i == std::string_view::npos) fail("{}: missing closing quote", at);
      ++i;
    } else {
      while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i])) && s[i] != ',' &&
             s[i] != '(' && s[i] != ')' && s[i] != '=' && s[i] != '{')
        ++i;
    }
    out.push_back({std::string(s.substr(start, i - start)), start});
  }
  return out;
}

/// "name = value" assignments at the top level of text (value may contain spaces).
std::vector<std::pair<std::string, std::string>> assignments(std::string_view s, const std::string& at) {
  std::vector<size_t> name_pos, eq_pos;
  int depth = 0;
  bool quote = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\'') quote = !quote;
    if (quote) continue;
    if (c == '{' || c == '(') ++depth;
    else if (c == '}' || c == ')') --depth;
    else if (c == '=' && depth == 0 && (i + 1 >= s.size() || s[i + 1] != '=') && (i == 0 || (s[i - 1] != '!' && s[i - 1] != '<' && s[i - 1] != '>'))) {
      size_t j = i;
      while (j > 0 && std::isspace(static_cast<unsigned char>(s[j - 1]))) --j;
      size_t end = j;
      while (j > 0 && (std::isalnum(static_cast<unsigned char>(s[j - 1])) || s[j - 1] == '_')) --j;
      if (j == end) fail("{}: '=' without a name", at);
      name_pos.push_back(j);
      eq_pos.push_back(i);
    }
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t k = 0; k < name_pos.size(); ++k) {
    std::string name(trim(s.substr(name_pos[k], eq_pos[k] - name_pos[k])));
    size_t vend = k + 1 < name_pos.size() ? name_pos[k + 1] : s.size();
    std::string value(trim(s.substr(eq_pos[k] + 1, vend - eq_pos[k] - 1)));
    if (value.empty()) fail("{}: missing value for '{}'", at, name);
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

/// Position of the first top-level "name =" in s, or npos.
size_t first_assignment(std::string_view s) {
  int depth = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '{' || c == '(') ++depth;
    else if (c == '}' || c == ')') --depth;
    else if (c == '=' && depth == 0) {
      size_t j = i;
      while (j > 0 && std::isspace(static_cast<unsigned char>(s[j - 1]))) --j;
      while (j > 0 && (std::isalnum(static_cast<unsigned char>(s[j - 1])) || s[j - 1] == '_')) --j;
      return j;
    }
  }
  return std::string_view::npos;
}

/// The words of an instance card before its parameters: name, nodes..., subcircuit name. A ','
/// separates like whitespace, as on every other card.
std::vector<std::string> instance_words(std::string_view text) {
  size_t assign = first_assignment(text);
  std::string head(assign == std::string_view::npos ? text : text.substr(0, assign));
  std::replace(head.begin(), head.end(), ',', ' ');
  std::istringstream hs{head};
  std::vector<std::string> words;
  std::string w;
  while (hs >> w)
    if (w != "params:") words.push_back(w);
  return words;
}

struct SubcktDef {
  std::string name;
  std::vector<std::string> ports;
  std::vector<std::pair<std::string, std::string>> defaults;
  std::vector<Card> body;
  int32_t file = 0, line = 0;
};

struct Scope {
  const Scope* parent = nullptr;
  std::string path;  // instance path, "" at top, "x1", "x1.x2"
  std::map<std::string, double> params;
  std::map<std::string, NodeId> ports;
  std::map<std::string, std::shared_ptr<SubcktDef>> subckts;

  std::optional<double> param(std::string_view name) const {
    for (const Scope* s = this; s; s = s->parent) {
      auto it = s->params.find(std::string(name));
      if (it != s->params.end()) return it->second;
    }
    return std::nullopt;
  }
  std::shared_ptr<SubcktDef> subckt(const std::string& name) const {
    for (const Scope* s = this; s; s = s->parent) {
      auto it = s->subckts.find(name);
      if (it != s->subckts.end()) return it->second;
    }
    return nullptr;
  }
};

class Flattener {
 public:
  explicit Flattener(Circuit& c) : c_(c) {}

  void run(std::vector<Card> cards) {
    // About one element and one new node per card in a flat netlist (subcircuits grow as they must).
    c_.reserve(cards.size(), cards.size());
    Scope top;
    body(std::move(cards), top, 0);
    for (auto& f : fixups_) f();
    if (save_all_) c_.saves.clear();
    c_.renumber_nodes();
    // After renumbering: a node no element uses (an empty subcircuit's port) is gone, and saving it
    // would write a netlist that does not read back.
    for (auto& f : save_checks_) f();
  }

 private:
  static constexpr int max_depth = 64;  ///< subcircuit nesting levels
  Circuit& c_;
  std::set<std::string> globals_;
  std::vector<std::function<void()>> fixups_;
  std::vector<std::function<void()>> save_checks_;  ///< .save's node checks, once nodes are final
  bool save_all_ = false;  // ".save all": every vector, whatever else .save names
  /// Elements per instance of a definition, by the definition's file and line; -1 while counting.
  std::map<std::pair<int32_t, int32_t>, double> expanded_;

  std::string where(const Card& card) const { return fmt::format("{}:{}", c_.files[card.file], card.line); }

  double value_of(const std::string& tok, const Scope& scope, const std::string& at, std::string_view what) {
    std::string_view t = tok;
    if (t.empty()) fail("{}: missing {}", at, what);
    if (t.front() == '{' || t.front() == '\'') {
      std::string_view inner = t.substr(1, t.size() - 2);
      return eval_param_expr(inner, scope, at);
    }
    if (devices::looks_numeric(t)) {
      auto v = devices::parse_spice_number(t);
      if (!v) fail("{}: bad number '{}' for {}", at, clip(t), what);
      return *v;
    }
    if (auto p = scope.param(t)) return *p;
    fail("{}: bad {} '{}' (not a number or parameter)", at, what, clip(t));
  }

  double eval_param_expr(std::string_view text, const Scope& scope, const std::string& at) {
    std::string_view t = trim(text);
    if (t.size() >= 2 && ((t.front() == '{' && t.back() == '}') || (t.front() == '\'' && t.back() == '\'')))
      t = t.substr(1, t.size() - 2);
    Expr raw = parse_expr(t, ExprContext::param, at);
    ExprScope es;
    es.param = [&](std::string_view n) { return scope.param(n); };
    const double v = evaluate_constant(bind_expr(raw, es, at), at);
    if (!std::isfinite(v)) fail("{}: expression '{}' gives {}, not a finite number", at, clip(t), std::isnan(v) ? "NaN" : v > 0 ? "inf" : "-inf");
    return v;
  }

  NodeId node(const std::string& name, const Scope& scope) {
    if (name == "0" || name == "gnd") return ground;
    auto it = scope.ports.find(name);
    if (it != scope.ports.end()) return it->second;
    if (scope.path.empty() || globals_.count(name)) return c_.node(name);
    return c_.node(scope.path + "." + name);
  }

  std::string element_name(const std::string& name, const Scope& scope) const {
    if (scope.path.empty()) return name;
    return std::string(1, name[0]) + "." + scope.path + "." + name;
  }

  /// Extracts .subckt blocks into the scope; returns the remaining cards.
  std::vector<Card> collect_subckts(std::vector<Card> cards, Scope& scope) {
    std::vector<Card> rest;
    rest.reserve(cards.size());
    for (size_t i = 0; i < cards.size(); ++i) {
      Card& card = cards[i];
      if (card.text.rfind(".subckt", 0) != 0) {
        if (card.text.rfind(".ends", 0) == 0) fail("{}: .ends without .subckt", where(card));
        rest.push_back(std::move(card));
        continue;
      }
      std::string at = where(card);
      auto def = std::make_shared<SubcktDef>();
      def->file = card.file;
      def->line = card.line;
      std::string_view header = std::string_view(card.text).substr(7);
      size_t assign = first_assignment(header);
      std::string_view names = assign == std::string_view::npos ? header : header.substr(0, assign);
      std::istringstream ns{std::string(names)};
      std::string tok;
      std::vector<std::string> toks;
      while (ns >> tok)
        if (tok != "params:") toks.push_back(tok);
      if (toks.empty()) fail("{}: .subckt needs a name", at);
      def->name = toks[0];
      def->ports.assign(toks.begin() + 1, toks.end());
      if (assign != std::string_view::npos) def->defaults = assignments(header.substr(assign), at);
      int depth = 1;
      size_t j = i + 1;
      for (; j < cards.size(); ++j) {
        if (cards[j].text.rfind(".subckt", 0) == 0) ++depth;
        else if (cards[j].text.rfind(".ends", 0) == 0 && --depth == 0) break;
        def->body.push_back(cards[j]);
      }
      if (j >= cards.size()) fail("{}: .subckt '{}' has no .ends", at, def->name);
      i = j;
      scope.subckts[def->name] = def;
    }
    return rest;
  }

  /// Elements that `cards` (after collect_subckts into `scope`) expand to; every top-level instance
  /// is checked against the element limit with its own place, before anything is built.
  double expansion(const std::vector<Card>& cards, const Scope& scope, int depth, bool check) {
    double n = 0;
    for (const Card& card : cards) {
      if (card.text[0] == '.') continue;
      if (card.text[0] != 'x') {
        n += 1;
        continue;
      }
      const std::string at = where(card);
      const std::vector<std::string> words = instance_words(card.text);
      auto def = words.size() >= 2 ? scope.subckt(words.back()) : nullptr;
      if (!def) continue;  // reported with its place when the instance is built
      const double k = expansion_of(def, scope, depth + 1, at, words[0]);
      if (check) check_elements(k, at, fmt::format("elements in '{}' after expansion", clip(words[0])));
      n += k;
    }
    return n;
  }

  /// Elements of one instance of `def` made in `scope` (memoized per definition).
  double expansion_of(const std::shared_ptr<SubcktDef>& def, const Scope& scope, int depth, const std::string& at,
                      const std::string& instance) {
    const std::pair<int32_t, int32_t> key{def->file, def->line};
    auto [it, fresh] = expanded_.try_emplace(key, -1.0);
    if (!fresh) {
      if (it->second < 0)
        fail("{}: '{}' makes subcircuit '{}' contain itself (a recursive .subckt)", at, clip(instance), clip(def->name));
      return it->second;
    }
    if (depth > max_depth) fail("{}: '{}' nests subcircuits deeper than {} levels", at, clip(instance), max_depth);
    Scope inner;
    inner.parent = &scope;
    std::vector<Card> rest = collect_subckts(def->body, inner);
    const double n = expansion(rest, inner, depth, false);
    expanded_[key] = n;
    return n;
  }

  void body(std::vector<Card> cards, Scope& scope, int depth) {
    cards = collect_subckts(std::move(cards), scope);
    if (depth == 0) check_elements(expansion(cards, scope, 0, true), c_.files[0], "elements after expansion");
    // Parameters first, in order, so element lines may use them wherever they stand.
    for (const Card& card : cards) {
      if (card.text.rfind(".param", 0) != 0) continue;
      std::string at = where(card);
      auto list = assignments(std::string_view(card.text).substr(6), at);
      if (list.empty()) fail("{}: .param needs name=value", at);
      for (auto& [name, text] : list) scope.params[name] = eval_param_expr(text, scope, at);
    }
    for (const Card& card : cards) {
      if (card.text[0] == '.') control(card, scope);
      else element(card, scope, depth);
    }
  }

  void control(const Card& card, Scope& scope) {
    std::string at = where(card);
    auto toks = tokenize(card.text, at);
    const std::string& kw = toks[0].text;
    auto num = [&](size_t i, std::string_view what) {
      if (i >= toks.size()) fail("{}: {} needs {}", at, kw, what);
      return value_of(toks[i].text, scope, at, what);
    };
    if (kw == ".param") return;
    if (kw == ".options" || kw == ".option" || kw == ".opt" || kw == ".temp") {
      c_.options.push_back(card.text);
      return;
    }
    if (kw == ".global") {
      for (size_t i = 1; i < toks.size(); ++i) globals_.insert(toks[i].text);
      return;
    }
    if (kw == ".save") {
      save(toks, scope, at);
      return;
    }
    if (kw == ".print" || kw == ".plot" || kw == ".probe" || kw == ".width") return;
    if (kw == ".model") {
      if (toks.size() < 3) fail("{}: .model needs a name and a type", at);
      c_.models.push_back(card.text);
      return;
    }
    if (kw == ".meas" || kw == ".measure") {
      // Only the form written by spinxbar: .meas tran NAME find v(NODE) at=T
      if (toks.size() != 11 || toks[1].text != "tran" || toks[3].text != "find" || toks[4].text != "v" ||
          toks[5].text != "(" || toks[7].text != ")" || toks[8].text != "at" || toks[9].text != "=")
        fail("{}: unsupported .meas form (only '.meas tran NAME find v(NODE) at=TIME')", at);
      c_.measures.push_back(Measure{toks[2].text, node(toks[6].text, scope), value_of(toks[10].text, scope, at, "time")});
      return;
    }
    if (!scope.path.empty()) fail("{}: {} is not allowed inside a subcircuit", at, kw);
    Analysis a;
    if (kw == ".op") {
      a.kind = AnalysisKind::op;
    } else if (kw == ".tran") {
      a.kind = AnalysisKind::tran;
      std::vector<std::string> rest;
      for (size_t i = 1; i < toks.size(); ++i) {
        if (toks[i].text == "uic") a.uic = true;
        else rest.push_back(toks[i].text);
      }
      if (rest.size() < 2) fail("{}: .tran needs tstep and tstop", at);
      if (rest.size() > 4) fail("{}: .tran takes at most tstep tstop tstart tmax [uic]", at);
      a.tstep = value_of(rest[0], scope, at, "tstep");
      a.tstop = value_of(rest[1], scope, at, "tstop");
      if (rest.size() > 2) a.tstart = value_of(rest[2], scope, at, "tstart");
      if (rest.size() > 3) a.tmax = value_of(rest[3], scope, at, "tmax");
      if (!(a.tstep > 0)) fail("{}: .tran tstep must be > 0 s, got {}", at, a.tstep);
      if (!(a.tstop > 0)) fail("{}: .tran tstop must be > 0 s, got {}", at, a.tstop);
      if (a.tstart < 0 || a.tstart >= a.tstop) fail("{}: .tran tstart must be in [0, tstop), got {}", at, a.tstart);
      if (a.tmax < 0) fail("{}: .tran tmax must be >= 0 s, got {}", at, a.tmax);
      check_points(a.tstop / (a.tmax > 0 ? std::min(a.tstep, a.tmax) : a.tstep), at, "time points");
    } else if (kw == ".dc") {
      a.kind = AnalysisKind::dc;
      if (toks.size() > 5) fail("{}: nested .dc sweeps are not supported", at);
      if (toks.size() < 5) fail("{}: .dc needs source start stop step", at);
      a.source = toks[1].text;
      a.start = num(2, "start");
      a.stop = num(3, "stop");
      a.step = num(4, "step");
      if (a.step == 0 || (a.stop - a.start) * a.step < 0)
        fail("{}: .dc step {} does not lead from {} to {}", at, a.step, a.start, a.stop);
      check_points(std::floor((a.stop - a.start) / a.step) + 1, at, "sweep points");
      std::string src = a.source;
      fixups_.push_back([this, src, at] {
        auto e = c_.find_element(src);
        if (!e || (c_.elements[*e].kind != ElementKind::vsource && c_.elements[*e].kind != ElementKind::isource))
          fail("{}: .dc source '{}' is not an independent source", at, src);
      });
    } else {
      fail("{}: unsupported control card '{}'", at, kw);
    }
    c_.analyses.push_back(a);
  }

  /// .save v(node) i(element) node ... all: the vectors the analyses record (all when "all" is given
  /// or no .save). Checked once the whole netlist is read.
  void save(const Tokens& toks, const Scope& scope, const std::string& at) {
    if (!scope.path.empty()) fail("{}: .save is not allowed inside a subcircuit", at);
    auto add = [&](std::string vec) {
      if (std::find(c_.saves.begin(), c_.saves.end(), vec) == c_.saves.end()) c_.saves.push_back(std::move(vec));
    };
    for (size_t i = 1; i < toks.size();) {
      const std::string& t = toks[i].text;
      if (i + 1 < toks.size() && toks[i + 1].text == "(") {
        if (i + 3 >= toks.size() || toks[i + 3].text != ")" || toks[i + 2].text == "(" || toks[i + 2].text == "=")
          fail("{}: .save: expected {}(name)", at, clip(t));
        const std::string& arg = toks[i + 2].text;
        if (t == "v") {
          save_checks_.push_back([this, arg, at] {
            auto n = c_.find_node(arg);
            if (!n) fail("{}: .save v({}): no such node", at, clip(arg));
            if (*n == ground) fail("{}: .save v({}): the ground node is 0 V", at, clip(arg));
          });
          add("v(" + arg + ")");
        } else if (t == "i") {
          fixups_.push_back([this, arg, at] {
            auto e = c_.find_element(arg);
            if (!e) fail("{}: .save i({}): no such element", at, clip(arg));
            if (!has_branch(c_.elements[*e].kind))
              fail("{}: .save i({}): only V sources, inductors and E, H, B-voltage sources have a branch current", at, clip(arg));
          });
          add("i(" + arg + ")");
        } else {
          fail("{}: .save: unsupported vector '{}(...)' (v(node), i(source) or a node name)", at, clip(t));
        }
        i += 4;
        continue;
      }
      if (t == "all") {
        save_all_ = true;
      } else if (t == "(" || t == ")" || t == "=" || t[0] == '{' || t[0] == '\'' || t[0] == '@') {
        fail("{}: .save: unsupported vector '{}' (v(node), i(source) or a node name)", at, clip(t));
      } else {
        save_checks_.push_back([this, t, at] {
          auto n = c_.find_node(t);
          if (!n) fail("{}: .save {}: no such node", at, clip(t));
          if (*n == ground) fail("{}: .save {}: the ground node is 0 V", at, clip(t));
        });
        add("v(" + t + ")");
      }
      ++i;
    }
  }

  Element base(const Card& card, const Tokens& toks, Scope& scope, ElementKind kind, size_t nodes) {
    std::string at = where(card);
    if (toks.size() < 1 + nodes) fail("{}: {} '{}' needs {} nodes", at, kind_name(kind), toks[0].text, nodes);
    for (size_t i = 1; i <= nodes; ++i) {
      if (toks[i].text == "=" || toks[i].text == "(" || toks[i].text == ")")
        fail("{}: {} '{}' needs {} nodes", at, kind_name(kind), toks[0].text, nodes);
      if (toks[i].text[0] == '{' || toks[i].text[0] == '\'')  // an expression where a node belongs
        fail("{}: '{}' is not a node name on {} '{}'", at, clip(toks[i].text), kind_name(kind), toks[0].text);
    }
    Element e;
    e.kind = kind;
    e.name = element_name(toks[0].text, scope);
    e.a = node(toks[1].text, scope);
    e.b = node(toks[2].text, scope);
    if (nodes == 4) {
      e.c = node(toks[3].text, scope);
      e.d = node(toks[4].text, scope);
    }
    e.origin.file = card.file;
    e.origin.line = card.line;
    if (card.placed) {
      e.origin.layer = static_cast<int16_t>(card.place[0]);
      e.origin.tile_row = static_cast<int16_t>(card.place[1]);
      e.origin.tile_col = static_cast<int16_t>(card.place[2]);
      e.origin.row = card.place[3];
      e.origin.col = card.place[4];
    }
    return e;
  }

  void add(Element e, const std::string& at) {
    if (c_.elements.size() % 65536 == 0) check_elements(static_cast<double>(c_.elements.size()) + 1, at);
    if (c_.find_element(e.name)) fail("{}: duplicate element name '{}'", at, e.name);
    c_.add(std::move(e));
  }

  /// Keyword arguments "k = v" from toks[from..]; returns the position of the first non-keyword.
  std::map<std::string, std::string> keywords(const Tokens& toks, size_t from, const std::string& at, ElementKind kind) {
    std::map<std::string, std::string> kv;
    for (size_t i = from; i < toks.size(); i += 3) {
      if (i + 2 >= toks.size() || toks[i + 1].text != "=")
        fail("{}: unexpected '{}'", at, clip(toks[i].text));
      const char c0 = toks[i].text[0];
      if (!std::isalpha(static_cast<unsigned char>(c0)) && c0 != '_')  // "1k = 2": a value, not a name
        fail("{}: unexpected '=' on {} '{}'", at, kind_name(kind), clip(toks[0].text));
      kv[toks[i].text] = toks[i + 2].text;
    }
    return kv;
  }

  void element(const Card& card, Scope& scope, int depth) {
    std::string at = where(card);
    auto toks = tokenize(card.text, at);
    const std::string& name = toks[0].text;
    switch (name[0]) {
      case 'r':
      case 'c':
      case 'l': {
        ElementKind kind = name[0] == 'r' ? ElementKind::resistor
                           : name[0] == 'c' ? ElementKind::capacitor : ElementKind::inductor;
        Element e = base(card, toks, scope, kind, 2);
        size_t i = 3;
        std::map<std::string, std::string> kv;
        if (i < toks.size() && !(i + 1 < toks.size() && toks[i + 1].text == "=")) {
          e.value = value_of(toks[i].text, scope, at, "value");
          ++i;
        }
        kv = keywords(toks, i, at, kind);
        std::string key = name[0] == 'r' ? "r" : (name[0] == 'c' ? "c" : "l");
        if (kv.count(key)) {
          e.value = value_of(kv[key], scope, at, "value");
          kv.erase(key);
        } else if (i == 3) {
          fail("{}: {} '{}' has no value", at, kind_name(kind), name);
        }
        double m = 1;
        if (kv.count("m")) { m = value_of(kv["m"], scope, at, "m"); kv.erase("m"); }
        if (kind != ElementKind::resistor && kv.count("ic")) { e.ic = value_of(kv["ic"], scope, at, "ic"); kv.erase("ic"); }
        if (!kv.empty()) fail("{}: unsupported parameter '{}' on {} '{}'", at, kv.begin()->first, kind_name(kind), name);
        if (!(m > 0)) fail("{}: m on '{}' must be > 0, got {}", at, name, m);
        if (kind == ElementKind::resistor) {
          if (e.value == 0) fail("{}: resistor '{}' has zero resistance", at, name);
          e.value /= m;
        } else if (kind == ElementKind::capacitor) {
          e.value *= m;
        } else {
          e.value /= m;
        }
        add(std::move(e), at);
        return;
      }
      case 'v':
      case 'i': {
        Element e = base(card, toks, scope, name[0] == 'v' ? ElementKind::vsource : ElementKind::isource, 2);
        source_spec(e, toks, 3, scope, at);
        add(std::move(e), at);
        return;
      }
      case 'e':
      case 'g': {
        Element e = base(card, toks, scope, name[0] == 'e' ? ElementKind::vcvs : ElementKind::vccs, 4);
        if (toks.size() != 6) fail("{}: '{}' needs n+ n- nc+ nc- gain", at, name);
        e.value = value_of(toks[5].text, scope, at, "gain");
        add(std::move(e), at);
        return;
      }
      case 'f':
      case 'h': {
        Element e = base(card, toks, scope, name[0] == 'f' ? ElementKind::cccs : ElementKind::ccvs, 2);
        if (toks.size() != 5) fail("{}: '{}' needs n+ n- vcontrol gain", at, name);
        e.value = value_of(toks[4].text, scope, at, "gain");
        std::string ctrl = element_name(toks[3].text, scope);
        std::string ename = e.name;
        fixups_.push_back([this, ename, ctrl, at] {
          auto id = c_.find_element(ctrl);
          if (!id || !has_branch(c_.elements[*id].kind))
            fail("{}: controlling source '{}' of '{}' is not a voltage source", at, ctrl, ename);
          c_.elements[*c_.find_element(ename)].control = *id;
        });
        add(std::move(e), at);
        return;
      }
      case 'b': {
        Element e = base(card, toks, scope, ElementKind::behavioral_v, 2);
        if (toks.size() < 5 || toks[4].text != "=" || (toks[3].text != "v" && toks[3].text != "i"))
          fail("{}: '{}' needs V=expression or I=expression", at, name);
        e.kind = toks[3].text == "v" ? ElementKind::behavioral_v : ElementKind::behavioral_i;
        std::string_view text = trim(std::string_view(card.text).substr(toks[4].pos + 1));
        if (text.size() >= 2 && ((text.front() == '{' && text.back() == '}') || (text.front() == '\'' && text.back() == '\'')))
          text = text.substr(1, text.size() - 2);
        Expr raw = parse_expr(text, ExprContext::behavioral, at);
        std::string ename = e.name;
        // Resolve names now for parameters and nodes (scope is alive), sources after all elements.
        std::map<std::string, std::string> local_sources;
        for (const auto& n : raw.nodes)
          if (n.op == ExprOp::current) local_sources[n.name] = element_name(n.name, scope);
        ExprScope es;
        es.param = [&scope](std::string_view p) { return scope.param(p); };
        es.node = [this, &scope](std::string_view n) { return node(std::string(n), scope); };
        es.source = [](std::string_view) -> std::optional<int32_t> { return -2; };
        es.allow_time = true;
        Expr half = bind_expr(raw, es, at);
        for (const auto& n : half.nodes)  // a constant part folded to inf or NaN has no SPICE text
          if (n.op == ExprOp::number && !std::isfinite(n.number))
            fail("{}: expression '{}' has a constant part that is not a finite number", at, clip(text));
        // Keep the source names of i() nodes for the second binding step.
        size_t k = 0;
        std::vector<std::string> names;
        for (const auto& n : raw.nodes)
          if (n.op == ExprOp::current) names.push_back(local_sources[n.name]);
        for (auto& n : half.nodes)
          if (n.op == ExprOp::current) n.name = names[k++];
        e.expr = std::move(half);
        add(std::move(e), at);
        fixups_.push_back([this, ename, at] {
          Element& el = c_.elements[*c_.find_element(ename)];
          for (auto& n : el.expr.nodes) {
            if (n.op != ExprOp::current) continue;
            auto id = c_.find_element(n.name);
            if (!id || !has_branch(c_.elements[*id].kind))
              fail("{}: i({}) in '{}' does not name a voltage source", at, n.name, ename);
            n.ref = *id;
            n.name.clear();
          }
        });
        return;
      }
      case 'x': instance(card, toks, scope, depth); return;
      case 'm': {
        Element e = base(card, toks, scope, ElementKind::mosfet, 4);
        if (toks.size() < 6 || toks[5].text == "=") fail("{}: mosfet '{}' needs d g s b and a model", at, name);
        e.model = toks[5].text;
        auto kv = keywords(toks, 6, at, ElementKind::mosfet);
        if (kv.count("w")) { e.w = value_of(kv["w"], scope, at, "w"); kv.erase("w"); }
        if (kv.count("l")) { e.l = value_of(kv["l"], scope, at, "l"); kv.erase("l"); }
        if (!kv.empty()) fail("{}: unsupported parameter '{}' on mosfet '{}'", at, kv.begin()->first, name);
        std::string ename = e.name, model = e.model;
        fixups_.push_back([this, ename, model, at] {
          for (const auto& m : c_.models) {
            std::istringstream ms(m);
            std::string kw2, mname;
            ms >> kw2 >> mname;
            if (mname == model) return;
          }
          fail("{}: mosfet '{}' uses model '{}', which no .model card defines", at, ename, model);
        });
        add(std::move(e), at);
        return;
      }
      default: fail("{}: unknown element '{}'", at, name);
    }
  }

  void source_spec(Element& e, const Tokens& toks, size_t i, Scope& scope, const std::string& at) {
    devices::Waveform& w = e.wave;
    while (i < toks.size()) {
      const std::string& t = toks[i].text;
      if (t == "dc") {
        if (i + 1 >= toks.size()) fail("{}: DC needs a value on '{}'", at, toks[0].text);
        w.dc = value_of(toks[i + 1].text, scope, at, "DC value");
        w.dc_given = true;
        i += 2;
      } else if (t == "ac") {
        // AC magnitude and phase matter only to small-signal analysis, which is not run; skip them.
        ++i;
        for (int k = 0; k < 2 && i < toks.size() && (devices::looks_numeric(toks[i].text) || toks[i].text[0] == '{'); ++k) ++i;
      } else if (t == "pulse" || t == "pwl" || t == "sin") {
        if (w.kind != devices::WaveKind::dc) fail("{}: '{}' has two time functions", at, toks[0].text);
        w.kind = t == "pulse" ? devices::WaveKind::pulse : t == "pwl" ? devices::WaveKind::pwl : devices::WaveKind::sin;
        ++i;
        bool paren = i < toks.size() && toks[i].text == "(";
        if (paren) ++i;
        while (i < toks.size() && toks[i].text != ")") {
          if (!paren && (toks[i].text == "dc" || toks[i].text == "ac")) break;
          if (toks[i].text == "=" || toks[i].text == "(" )
            fail("{}: unsupported {} option on '{}'", at, t, toks[0].text);
          if (!paren && i + 1 < toks.size() && toks[i + 1].text == "=")
            fail("{}: unsupported {} option '{}' on '{}'", at, t, toks[i].text, toks[0].text);
          w.args.push_back(value_of(toks[i].text, scope, at, t + " argument"));
          ++i;
        }
        if (paren) {
          if (i >= toks.size()) fail("{}: missing ')' after {} on '{}'", at, t, toks[0].text);
          ++i;
        }
        if (static_cast<int>(w.args.size()) > devices::max_args(w.kind))
          fail("{}: {} takes at most {} arguments, got {}", at, t, devices::max_args(w.kind), w.args.size());
        if (w.kind == devices::WaveKind::pwl) {
          if (w.args.size() < 2 || w.args.size() % 2) fail("{}: pwl needs time,value pairs on '{}'", at, toks[0].text);
          for (size_t k = 2; k < w.args.size(); k += 2)
            if (w.args[k] < w.args[k - 2]) fail("{}: pwl times must not decrease on '{}'", at, toks[0].text);
        } else if (w.args.size() < 2) {
          fail("{}: {} needs at least 2 arguments on '{}'", at, t, toks[0].text);
        }
        if (w.kind == devices::WaveKind::pulse && w.args.size() >= 7 && w.args[6] > 0) {
          // Four corners a period, over every transient: checked here to name this line.
          const double td = w.args[2], per = w.args[6];
          fixups_.push_back([this, td, per, at] {
            for (const auto& a : c_.analyses)
              if (a.kind == AnalysisKind::tran) check_points(4 * (a.tstop - td) / per, at, "pulse corners (4 per period)");
          });
        }
      } else if (t == "=" || t == "(" || t == ")") {
        fail("{}: unexpected '{}' on '{}'", at, t, toks[0].text);
      } else if (!w.dc_given && w.kind == devices::WaveKind::dc && (devices::looks_numeric(t) || t[0] == '{' || t[0] == '\'' || scope.param(t))) {
        w.dc = value_of(t, scope, at, "value");
        w.dc_given = true;
        ++i;
      } else {
        fail("{}: unsupported source specification '{}' on '{}'", at, t, toks[0].text);
      }
    }
  }

  void instance(const Card& card, const Tokens& toks, Scope& scope, int depth) {
    std::string at = where(card);
    std::string_view text = card.text;
    size_t assign = first_assignment(text);
    std::vector<std::string> words = instance_words(text);
    if (words.size() < 2) fail("{}: instance '{}' needs nodes and a subcircuit name", at, clip(toks[0].text));
    // The instance name prefixes the names inside it, and the nodes become node names: each must read
    // back as one word (no '(' ')' '=' '{', not a quoted or braced expression).
    auto one_word = [&](const std::string& w) {
      if (w[0] == '{' || w[0] == '\'' || w[0] == '(' || w[0] == ')' || w[0] == '=') return false;
      const Tokens t = tokenize(w, at);
      return t.size() == 1 && t[0].text == w;
    };
    if (!one_word(words[0])) fail("{}: '{}' is not an instance name (one word without '(', ')', '=' or '{{')", at, clip(words[0]));
    for (size_t k = 1; k + 1 < words.size(); ++k)
      if (!one_word(words[k])) fail("{}: '{}' is not a node name on instance '{}'", at, clip(words[k]), clip(words[0]));
    std::string sub = words.back();
    auto def = scope.subckt(sub);
    if (!def) fail("{}: unknown subcircuit '{}' in '{}'", at, sub, words[0]);
    size_t n_nodes = words.size() - 2;
    if (n_nodes != def->ports.size())
      fail("{}: '{}' connects {} nodes but subcircuit '{}' has {} ports", at, words[0], n_nodes, sub, def->ports.size());
    Scope inner;
    inner.parent = &scope;
    inner.path = scope.path.empty() ? words[0] : scope.path + "." + words[0];
    for (size_t k = 0; k < n_nodes; ++k) inner.ports[def->ports[k]] = node(words[1 + k], scope);
    std::map<std::string, double> given;
    if (assign != std::string_view::npos) {
      for (auto& [pname, ptext] : assignments(text.substr(assign), at)) {
        bool known = false;
        for (auto& d : def->defaults) known = known || d.first == pname;
        if (!known) fail("{}: subcircuit '{}' has no parameter '{}'", at, sub, pname);
        given[pname] = eval_param_expr(ptext, scope, at);
      }
    }
    std::string def_at = fmt::format("{}:{}", c_.files[def->file], def->line);
    for (auto& [pname, ptext] : def->defaults) {
      auto it = given.find(pname);
      inner.params[pname] = it != given.end() ? it->second : eval_param_expr(ptext, inner, def_at);
    }
    if (depth + 1 > max_depth) fail("{}: '{}' nests subcircuits deeper than {} levels", at, clip(words[0]), max_depth);
    body(def->body, inner, depth + 1);
  }
};

}  // namespace

Circuit read_spice_text(std::string_view text, std::string_view name, const fs::path& base_dir) {
  Circuit c;
  CardLoader loader(c);
  std::vector<Card> cards = loader.load_top(text, std::string(name), base_dir);
  Flattener(c).run(std::move(cards));
  return c;
}

Circuit read_spice_file(const fs::path& path) {
  if (std::string why = unreadable(path); !why.empty()) fail("{}: cannot open netlist ({})", path.string(), why);
  return read_spice_text(read_input_file(path), path.string(), path.parent_path().empty() ? fs::path(".") : path.parent_path());
}

}  // namespace spx::netlist
