// Heap options as text (include/runatime/heap_options.hpp): the parser,
// the canonical form, the help table and RUNA_GC.
//
// kSpecs is the one list of options: name, field and meaning. The type of
// the field decides how a value is read: size_t fields are byte sizes
// (suffixes allowed), unsigned fields are counts, bool fields are switches.
// A new Options field becomes settable as text by adding one line there.
//
// Parsing is all-or-nothing: the first bad item is the error and `base` is
// not changed (the result is a copy). Values only have to fit their field;
// Heap::create judges their ranges.
#include "runatime/heap_options.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace runa::heap {
namespace {

using SizeField = std::size_t Options::*;
using CountField = unsigned Options::*;
using SwitchField = bool Options::*;

struct Spec {
  std::string_view name;
  std::variant<SizeField, CountField, SwitchField> field;
  std::string_view meaning;
};

// In the order of Options, which describe_options and the help follow.
constexpr std::array<Spec, 13> kSpecs{{
    {"max_heap", &Options::max_heap, "the whole heap: nursery, old generation and large objects"},
    {"nursery", &Options::nursery,
     "eden plus both survivor halves, out of max_heap; 0: adaptive, up to max_heap / 3"},
    {"survivor_ratio", &Options::survivor_ratio, "eden is this many survivor halves"},
    {"promotion_age", &Options::promotion_age,
     "minor collections an object survives before promotion"},
    {"gc_threads", &Options::gc_threads,
     "collector threads, the one that stops the world included"},
    {"tlab", &Options::tlab,
     "bytes per thread allocation buffer; 0: adaptive, from each thread's share of eden"},
    {"log", &Options::log, "one line per collection on stderr"},
    {"verify", &Options::verify, "verify the heap after each collection"},
    {"poison", &Options::poison, "test mode: overwrite evacuated and dead memory"},
    {"stress_every", &Options::stress_every, "test mode: collect every N allocations; 0: off"},
    {"major_growth_percent", &Options::major_growth_percent,
     "least old-generation growth (%) starting a major collection, more while major pauses take "
     "over 5% of the time; 0: only on request or for room"},
    {"sample_bytes", &Options::sample_bytes,
     "mean bytes allocated between allocation-profile samples; 0: off"},
    {"huge_pages", &Options::huge_pages,
     "transparent huge pages for the nursery and most of the old generation"},
}};

constexpr std::string_view kSeparators = ", \t\n\r\f\v";

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Lower case, hyphens as underscores: the spelling kSpecs uses.
std::string normalized(std::string_view name) {
  std::string s(name);
  for (char& c : s) c = c == '-' ? '_' : lower(c);
  return s;
}

// `lower_b` is in lower case already.
bool equal_ignoring_case(std::string_view a, std::string_view lower_b) {
  return a.size() == lower_b.size() && std::equal(a.begin(), a.end(), lower_b.begin(),
                                                  [](char x, char y) { return lower(x) == y; });
}

const Spec* find_spec(std::string_view name) {
  std::string n = normalized(name);
  for (const Spec& s : kSpecs) {
    if (s.name == n) return &s;
  }
  return nullptr;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// "unknown option 'x'" with the nearest name when it is plausibly a typo
// (one edit in a name of up to four letters, two in a longer one) or an
// abbreviation, and the whole list otherwise.
std::string unknown_option(std::string_view name) {
  std::string n = normalized(name);
  const Spec* best = nullptr;
  std::size_t best_distance = n.size() <= 4 ? 2 : 3;
  for (const Spec& s : kSpecs) {
    std::size_t d = n.size() >= 3 && s.name.starts_with(n) ? 1 : edit_distance(n, s.name);
    if (d < best_distance) {
      best = &s;
      best_distance = d;
    }
  }
  std::string message = "unknown option '" + std::string(name) + "'";
  if (best != nullptr) return message + " (did you mean '" + std::string(best->name) + "'?)";
  message += " (the options are";
  for (const Spec& s : kSpecs) message += (&s == kSpecs.data() ? " " : ", ") + std::string(s.name);
  return message + ")";
}

// The message for a bad value of option `s`.
std::string bad_value(const Spec& s, std::string_view value, std::string_view why) {
  return "option '" + std::string(s.name) + "': '" + std::string(value) + "' " + std::string(why);
}

// What a value of field type T reads as, for messages.
template <class T>
struct Form;
template <>
struct Form<std::size_t> {
  static constexpr std::string_view kWhat = "a size (bytes, optionally with a k, m or g suffix)";
  static constexpr std::string_view kUnit = " bytes";
};
template <>
struct Form<unsigned> {
  static constexpr std::string_view kWhat = "a whole number";
  static constexpr std::string_view kUnit{};
};

template <class T>
std::string not_a(const Spec& s, std::string_view value) {
  return bad_value(s, value, "is not " + std::string(Form<T>::kWhat));
}

template <class T>
std::string too_large(const Spec& s, std::string_view value) {
  return bad_value(s, value,
                   "is too large (at most " + std::to_string(std::numeric_limits<T>::max()) +
                       std::string(Form<T>::kUnit) + ")");
}

// The leading decimal digits of `value`, for a field of type T; `rest`
// receives what follows them.
template <class T>
std::optional<std::string> read_number(const Spec& s, std::string_view value, std::uint64_t& out,
                                       std::string_view& rest) {
  if (value.size() > 1 && value[0] == '-' && value[1] >= '0' && value[1] <= '9') {
    return bad_value(s, value, "is negative");
  }
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec == std::errc::invalid_argument) return not_a<T>(s, value);
  if (ec == std::errc::result_out_of_range || out > std::numeric_limits<T>::max()) {
    return too_large<T>(s, value);
  }
  rest = value.substr(static_cast<std::size_t>(end - value.data()));
  return std::nullopt;
}

// What a size suffix multiplies by, as a shift; nullopt for no suffix we know.
std::optional<unsigned> suffix_shift(std::string_view suffix) {
  if (suffix.empty() || equal_ignoring_case(suffix, "b")) return 0;
  constexpr std::array<std::pair<char, unsigned>, 3> kUnits{{{'k', 10}, {'m', 20}, {'g', 30}}};
  for (auto [unit, shift] : kUnits) {
    if (lower(suffix[0]) != unit) continue;
    std::string_view tail = suffix.substr(1);
    if (tail.empty() || equal_ignoring_case(tail, "b") || equal_ignoring_case(tail, "ib")) {
      return shift;
    }
  }
  return std::nullopt;
}

std::optional<std::string> read_size(const Spec& s, std::string_view value, std::size_t& out) {
  std::uint64_t v = 0;
  std::string_view rest;
  if (auto e = read_number<std::size_t>(s, value, v, rest)) return e;
  std::optional<unsigned> shift = suffix_shift(rest);
  if (!shift) return not_a<std::size_t>(s, value);
  if (v > std::numeric_limits<std::size_t>::max() >> *shift) {
    return too_large<std::size_t>(s, value);
  }
  out = static_cast<std::size_t>(v << *shift);
  return std::nullopt;
}

std::optional<std::string> read_count(const Spec& s, std::string_view value, unsigned& out) {
  std::uint64_t v = 0;
  std::string_view rest;
  if (auto e = read_number<unsigned>(s, value, v, rest)) return e;
  if (!rest.empty()) return not_a<unsigned>(s, value);
  out = static_cast<unsigned>(v);
  return std::nullopt;
}

std::optional<std::string> read_switch(const Spec& s, std::string_view value, bool& out) {
  for (std::string_view on : {"1", "true", "on"}) {
    if (equal_ignoring_case(value, on)) {
      out = true;
      return std::nullopt;
    }
  }
  for (std::string_view off : {"0", "false", "off"}) {
    if (equal_ignoring_case(value, off)) {
      out = false;
      return std::nullopt;
    }
  }
  return bad_value(s, value, "is not a switch value (1, 0, true, false, on or off)");
}

// Applies one item (`name`, `name=value`) to o; the problem otherwise.
std::optional<std::string> apply(std::string_view item, Options& o) {
  std::size_t eq = item.find('=');
  std::string_view name = item.substr(0, eq);
  if (name.empty()) return "'" + std::string(item) + "' has no option name before '='";
  const Spec* s = find_spec(name);
  if (s == nullptr) return unknown_option(name);
  if (eq == std::string_view::npos) {
    if (const auto* flag = std::get_if<SwitchField>(&s->field)) {
      o.*(*flag) = true;
      return std::nullopt;
    }
    return "option '" + std::string(s->name) + "' needs a value (" + std::string(s->name) +
           (std::holds_alternative<SizeField>(s->field) ? "=SIZE)" : "=N)");
  }
  std::string_view value = item.substr(eq + 1);
  if (value.empty()) return "option '" + std::string(s->name) + "' has an empty value";
  return std::visit(Overloaded{
                        [&](SizeField f) { return read_size(*s, value, o.*f); },
                        [&](CountField f) { return read_count(*s, value, o.*f); },
                        [&](SwitchField f) { return read_switch(*s, value, o.*f); },
                    },
                    s->field);
}

Result<Options> parse_in(std::string_view text, const Options& base, const char* section) {
  Options o = base;
  std::size_t at = 0;
  while ((at = text.find_first_not_of(kSeparators, at)) != std::string_view::npos) {
    std::size_t end = std::min(text.find_first_of(kSeparators, at), text.size());
    if (auto problem = apply(text.substr(at, end - at), o)) {
      Error e;
      e.section = section;
      e.message = std::move(*problem);
      return e;
    }
    at = end;
  }
  return o;
}

std::string size_text(std::size_t v) {
  constexpr std::array<std::pair<unsigned, char>, 3> kUnits{{{30, 'g'}, {20, 'm'}, {10, 'k'}}};
  for (auto [shift, unit] : kUnits) {
    std::size_t unit_bytes = std::size_t{1} << shift;
    if (v != 0 && v % unit_bytes == 0) return std::to_string(v / unit_bytes) + unit;
  }
  return std::to_string(v);
}

std::string value_text(const Spec& s, const Options& o) {
  return std::visit(Overloaded{
                        [&](SizeField f) { return size_text(o.*f); },
                        [&](CountField f) { return std::to_string(o.*f); },
                        [&](SwitchField f) { return std::string(o.*f ? "on" : "off"); },
                    },
                    s.field);
}

std::string help_text() {
  const Options defaults;
  auto form = [](const Spec& s) {
    if (std::holds_alternative<SizeField>(s.field)) return std::string(s.name) + "=SIZE";
    if (std::holds_alternative<CountField>(s.field)) return std::string(s.name) + "=N";
    return std::string(s.name);
  };
  std::size_t width = 0;
  for (const Spec& s : kSpecs) width = std::max(width, form(s).size());
  std::string text;
  for (const Spec& s : kSpecs) {
    std::string f = form(s);
    text += "  " + f + std::string(width + 2 - f.size(), ' ') + std::string(s.meaning) +
            " (default " + value_text(s, defaults) + ")\n";
  }
  text +=
      "SIZE is a byte count, optionally with a k, m or g suffix (KiB, MiB, GiB); N a whole\n"
      "number; a switch is on when named alone, or takes =on/off (1/0, true/false).\n"
      "Options are separated by commas or spaces; '-' may replace '_' in names.\n";
  return text;
}

}  // namespace

Result<Options> parse_options(std::string_view text, const Options& base) {
  return parse_in(text, base, "heap options");
}

Result<Options> options_from_env(const Options& base) {
  // getenv races only with setenv, which a runtime never calls; hosts read
  // RUNA_GC once, when they create the heap.
  const char* text = std::getenv("RUNA_GC");  // NOLINT(concurrency-mt-unsafe)
  if (text == nullptr) return base;
  return parse_in(text, base, "RUNA_GC");
}

std::string describe_options(const Options& o) {
  std::string text;
  for (const Spec& s : kSpecs) {
    if (!text.empty()) text += ',';
    text += std::string(s.name) + "=" + value_text(s, o);
  }
  return text;
}

bool is_option_name(std::string_view name) {
  return find_spec(name) != nullptr;
}

const char* options_help() {
  static const std::string text = help_text();
  return text.c_str();
}

}  // namespace runa::heap
