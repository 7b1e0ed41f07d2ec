#include "sim/lang/toml_read.hpp"

#include "sim/lang/scenario.hpp"

#include "sim/base/text.hpp"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tamcarlo::detail {

std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: {  // quoted, so a user sees which value is meant ("zero", "25%")
      const std::string& v = n.as_string()->get();
      return fmt::format("a string (\"{}\"{})", v.substr(0, 40), v.size() > 40 ? "…" : "");
    }
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return n.as_boolean()->get() ? "a boolean (true)" : "a boolean (false)";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    default: return "a date/time";
  }
}

void check_keys(const toml::table& t, const std::vector<std::string>& allowed, const std::string& prefix, const FileLocator& ctx,
                const std::string& what) {
  for (auto&& [k, v] : t) {
    const std::string key(k.str());
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    throw ScenarioError(ctx.at(k), prefix.empty() ? key : prefix + "." + key,
                        fmt::format("unknown key `{}`{}; allowed {}: {}", key, did_you_mean(key, allowed), what,
                                    quoted_list(allowed)));
  }
}

std::string get_string(const toml::table& t, const std::string& key, const std::string& prefix, const FileLocator& ctx) {
  const toml::node* n = t.get(key);
  if (!n) return {};
  if (!n->is_string())
    throw ScenarioError(ctx.at(*n), prefix + "." + key, fmt::format("expected a string, got {}", type_name(*n)));
  std::string text(n->as_string()->get());
  check_printable(text, key == "description" || key == "source" || key == "point_note", prefix + "." + key, ctx.at(*n));
  return text;
}

// The `format` key of an input or formula table: auto (default), year or percent.
NumberStyle get_format(const toml::table& t, const std::string& prefix, const FileLocator& ctx) {
  NumberStyle style = NumberStyle::automatic;
  const std::string name = get_string(t, "format", prefix, ctx);
  if (!name.empty() && !parse_number_style(name, style))
    throw ScenarioError(ctx.at(*t.get("format")), prefix + ".format",
                        fmt::format("unknown format \"{}\"; allowed: \"auto\" (3 significant digits, k/M/B/T), "
                                    "\"year\" (a calendar year: 2028, 2028.6), \"percent\" (a share: 0.37 → 37.0%)",
                                    terminal_safe(name)));
  return style;
}

std::optional<Bounds> get_bounds(const toml::table& t, const std::string& prefix, const FileLocator& ctx, NumberStyle format) {
  const toml::node* n = t.get("bounds");
  if (!n) {
    if (format != NumberStyle::percent) return std::nullopt;
    return Bounds{0, 1, ctx.at(*t.get("format")), true};
  }
  const std::string key = prefix + ".bounds";
  const toml::array* a = n->as_array();
  const auto bound = [&](std::size_t i) {
    const toml::node* x = a->get(i);
    if (!x->is_number())
      throw ScenarioError(ctx.at(*x), key, fmt::format("expected a number (or -inf, inf), got {}", type_name(*x)));
    const double v = x->is_integer() ? static_cast<double>(x->as_integer()->get()) : x->as_floating_point()->get();
    if (std::isnan(v)) throw ScenarioError(ctx.at(*x), key, "a bound is a number, not nan");
    return v;
  };
  if (!a || a->size() != 2)
    throw ScenarioError(ctx.at(*n), key, "expected [lo, hi], e.g. bounds = [0, 1] for a share or [0, inf] for a "
                                         "count; -inf and inf leave a side open");
  const double lo = bound(0), hi = bound(1);
  if (!(lo < hi)) throw ScenarioError(ctx.at(*n), key, fmt::format("[{:g}, {:g}]: the lower bound must lie below the upper", lo, hi));
  return Bounds{lo, hi, ctx.at(*n), false};
}

void check_printable(std::string_view text, bool multiline, const std::string& key, const SourceLocation& at) {
  const std::size_t i = first_control(text, multiline);
  if (i == std::string_view::npos) return;
  throw ScenarioError(at, key,
                      fmt::format("contains the control character {} at byte {} (\"{}\"); text here may hold printable "
                                  "characters{} only, so that printing it cannot alter a terminal",
                                  terminal_safe(text.substr(i, 1)), i + 1, terminal_safe(excerpt(std::string(text), 40)),
                                  multiline ? ", newlines and tabs" : ""));
}

double get_number(const toml::node& n, const std::string& key, const FileLocator& ctx) {
  double v;
  if (n.is_integer()) v = static_cast<double>(n.as_integer()->get());
  else if (n.is_floating_point()) v = n.as_floating_point()->get();
  else throw ScenarioError(ctx.at(n), key, fmt::format("expected a number, got {}", type_name(n)));
  if (!std::isfinite(v)) throw ScenarioError(ctx.at(n), key, fmt::format("expected a finite number, got {}", v));
  return v;
}

std::vector<double> get_numbers(const toml::node& n, const std::string& key, const FileLocator& ctx) {
  const toml::array* a = n.as_array();
  if (!a || a->empty())
    throw ScenarioError(ctx.at(n), key, fmt::format("expected a non-empty array of numbers, got {}",
                                                    a ? "an empty array" : type_name(n)));
  std::vector<double> out;
  for (std::size_t i = 0; i < a->size(); ++i) out.push_back(get_number(*a->get(i), fmt::format("{}[{}]", key, i), ctx));
  return out;
}

std::uint64_t get_count(const toml::node& n, const std::string& key, const FileLocator& ctx, std::int64_t min) {
  if (!n.is_integer() || n.as_integer()->get() < min)
    throw ScenarioError(ctx.at(n), key, fmt::format("expected an integer ≥ {}, got {}", min,
                                                    n.is_integer() ? std::to_string(n.as_integer()->get()) : type_name(n)));
  return static_cast<std::uint64_t>(n.as_integer()->get());
}

namespace {

// toml++ parses nested arrays, inline tables and dotted keys recursively: a file nesting thousands deep
// overflows the stack. This scan (outside strings and comments) refuses such a file before it gets there.
void check_toml_nesting(const std::string& text, const FileLocator& ctx) {
  std::uint32_t line = 1, column = 0;
  std::size_t depth = 0, dots = 0;
  const auto fail = [&](const std::string& what) {
    throw ScenarioError(SourceLocation{ctx.path(), line, column}, "",
                        fmt::format("{} more than {} deep; TOML this deep is not a scenario", what, k_max_toml_nesting));
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    ++column;
    if (c == '\n') {
      ++line;
      column = 0;
      dots = 0;
    } else if (c == '#') {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if (c == '"' || c == '\'') {
      const bool triple = text.compare(i, 3, std::string(3, c)) == 0;
      const std::string close = triple ? std::string(3, c) : std::string(1, c);
      std::size_t j = i + close.size();
      while (j < text.size() && text.compare(j, close.size(), close) != 0) {
        if (c == '"' && text[j] == '\\') ++j;  // an escaped character
        if (j < text.size() && text[j] == '\n') {
          ++line;
          column = 0;
        }
        ++j;
      }
      i = std::min(text.size(), j + close.size()) - 1;
    } else if (c == '[' || c == '{') {
      if (++depth > k_max_toml_nesting) fail("arrays and tables nest");
      if (c == '{') dots = 0;
    } else if (c == ']' || c == '}') {
      if (depth > 0) --depth;
    } else if (c == ',' || c == '=') {
      dots = 0;
    } else if (c == '.' && ++dots > k_max_toml_nesting) {
      fail("a dotted key nests");
    }
  }
}

}  // namespace

// A string not closed on its line: located at its opening quote, with the fix.
[[noreturn]] void throw_unclosed(const FileLocator& ctx, const toml::parse_error& e, const std::string& line) {
  // The opening quote: the last quote on the line that starts a string (after `=`, `[` or `,`, or a space).
  std::size_t open = std::string::npos;
  for (std::size_t i = 0; i < line.size(); ++i)
    if ((line[i] == '"' || line[i] == '\'') && (open == std::string::npos || line[open] != line[i])) open = i;
    else if (open != std::string::npos && line[i] == line[open]) open = std::string::npos;
  toml::source_region where = e.source();
  if (open != std::string::npos) where.begin.column = static_cast<toml::source_index>(open + 1);
  throw ScenarioError(ctx.at(where), "",
                      fmt::format("TOML syntax: this string is not closed: its closing {} is missing before the end of "
                                  "the line (a string ends on the line it starts; for several lines use \"\"\"...\"\"\")",
                                  open != std::string::npos && line[open] == '\'' ? "'" : "\""));
}

toml::table parse_toml(const std::string& text, const FileLocator& ctx) {
  check_toml_nesting(text, ctx);
  try {
    return toml::parse(text, ctx.path());
  } catch (const toml::parse_error& e) {
    std::string hint;
    if (e.description().find("inline table") != std::string_view::npos)
      hint = "; an inline table { ... } must fit on one line in TOML; for a long entry write a sub-table "
             "[inputs.<name>] with one key per line";
    // A string left open runs into the end of its line, which toml++ reports as a control character.
    std::istringstream lines(text);
    std::string line;
    for (toml::source_index n = 0; n < e.source().begin.line && std::getline(lines, line);) ++n;
    if (e.description().find("control characters other than TAB") != std::string_view::npos &&
        e.source().begin.column > line.size())
      throw_unclosed(ctx, e, line);
    throw ScenarioError(ctx.at(e.source()), "", fmt::format("TOML syntax: {}{}", e.description(), hint));
  }
}

std::string read_text_file(const std::string& path) {
  const SourceLocation at{path, 0, 0};
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    throw ScenarioError(at, "", fmt::format("cannot read the file: {}", ec.message()));
  if (std::filesystem::exists(st) && !std::filesystem::is_regular_file(st))
    throw ScenarioError(at, "", std::filesystem::is_directory(st)
                                    ? "is a directory, not a scenario file"
                                    : "is not a regular file (a device, FIFO or socket); a scenario is a .toml file");
  std::ifstream file(path, std::ios::binary);
  if (!file) throw ScenarioError(at, "", "cannot open the file (missing or unreadable)");
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > k_max_scenario_bytes)
    throw ScenarioError(at, "", fmt::format("the file is {:.1f} MiB; scenario files are limited to {} MiB",
                                            static_cast<double>(size) / (1 << 20), k_max_scenario_bytes >> 20));
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace tamcarlo::detail
