// The math natives (docs/natives.md, "Math"): the C library's functions on
// Floats, so results are exactly C's (IEEE 754, correctly rounded where C
// is: sqrt; the others as glibc computes them). An Integer argument is
// converted to Float first.
#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "bridge/native_args.hpp"

namespace runa::bridge {

namespace {

// The one-argument functions, by name: a native's context is its entry.
struct Unary {
  const char* name;
  double (*fn)(double);
};
constexpr Unary kUnary[] = {
    {"float_sqrt", [](double x) { return std::sqrt(x); }},
    {"float_sin", [](double x) { return std::sin(x); }},
    {"float_cos", [](double x) { return std::cos(x); }},
    {"float_tan", [](double x) { return std::tan(x); }},
    {"float_exp", [](double x) { return std::exp(x); }},
    {"float_log", [](double x) { return std::log(x); }},
    {"float_floor", [](double x) { return std::floor(x); }},
    {"float_ceil", [](double x) { return std::ceil(x); }},
    {"float_abs", [](double x) { return std::fabs(x); }},
};

NativeStatus unary(NativeCall& call) {
  const auto* f = static_cast<const Unary*>(call.native->context);
  NativeStatus failed{};
  const auto x = float_arg(call, f->name, 0, &failed);
  if (!x) return failed;
  return return_value(call, types::make_float(call.types.context(), call.m, f->fn(*x)));
}

NativeStatus float_pow(NativeCall& call) {
  NativeStatus failed{};
  const auto x = float_arg(call, "float_pow", 0, &failed);
  if (!x) return failed;
  const auto y = float_arg(call, "float_pow", 1, &failed);
  if (!y) return failed;
  return return_value(call, types::make_float(call.types.context(), call.m, std::pow(*x, *y)));
}

// The Float with exactly `digits` decimals, as C's "%.*f" writes it.
NativeStatus float_format(NativeCall& call) {
  NativeStatus failed{};
  const auto x = float_arg(call, "float_format", 0, &failed);
  if (!x) return failed;
  const auto digits = int_arg(call, "float_format", 1, &failed);
  if (!digits) return failed;
  if (*digits < 0 || *digits > 100) {
    return raise(call, "ValueError",
                 "float_format: " + std::to_string(*digits) + " digits is outside 0 .. 100");
  }
  char buffer[512];
  const int n = std::snprintf(buffer, sizeof buffer, "%.*f", static_cast<int>(*digits), *x);
  if (n < 0 || static_cast<std::size_t>(n) >= sizeof buffer) {
    // Huge magnitudes: %f of 1e308 has 309 digits before the point.
    std::string big(static_cast<std::size_t>(n) + 1, '\0');
    std::snprintf(big.data(), big.size(), "%.*f", static_cast<int>(*digits), *x);
    big.pop_back();
    return return_text(call, big);
  }
  return return_text(call, std::string_view(buffer, static_cast<std::size_t>(n)));
}

// The Float a decimal text spells (strtod's syntax, the whole text).
NativeStatus parse_float(NativeCall& call) {
  if (auto wrong = want_strings(call, "parse_float", 1)) return *wrong;
  const std::string text = text_arg(call, 0);
  char* end = nullptr;
  const double d = text.empty() || std::isspace(static_cast<unsigned char>(text[0])) != 0
                       ? 0.0
                       : std::strtod(text.c_str(), &end);
  if (end == nullptr || end != text.c_str() + text.size()) {
    return raise(call, "ValueError", "parse_float: \"" + text + "\" is not a Float");
  }
  return return_value(call, types::make_float(call.types.context(), call.m, d));
}

NativeStatus int_abs(NativeCall& call) {
  NativeStatus failed{};
  const auto i = int_arg(call, "int_abs", 0, &failed);
  if (!i) return failed;
  if (*i == INT64_MIN) {
    return raise(call, "OverflowError", "int_abs: the result is outside the 64-bit Integer range");
  }
  return return_value(call, types::make_int(call.types.context(), call.m, *i < 0 ? -*i : *i));
}

}  // namespace

void add_math_natives(Natives& natives) {
  for (const Unary& f : kUnary) {
    natives.add(f.name, 1, unary, &f);
  }
  natives.add("float_pow", 2, float_pow);
  natives.add("float_format", 2, float_format);
  natives.add("parse_float", 1, parse_float);
  natives.add("int_abs", 1, int_abs);
}

}  // namespace runa::bridge
