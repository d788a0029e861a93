#include "types/text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "module/text_syntax.hpp"
#include "module/utf8.hpp"

namespace runa::types {

void append_utf8(std::uint32_t c, std::string& out) {
  std::uint8_t buf[4];
  out.append(reinterpret_cast<const char*>(buf), module::encode_utf8(c, buf));
}

void append_float(double d, std::string& out) {
  if (std::isnan(d)) {
    out += "nan";
    return;
  }
  if (std::isinf(d)) {
    out += d < 0 ? "-inf" : "inf";
    return;
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, d);
  const std::string_view t(buf, static_cast<std::size_t>(r.ptr - buf));
  out += t;
  // "7" would read as an Integer: the text of a Float always shows it is one.
  if (t.find_first_of(".e") == std::string_view::npos) out += ".0";
}

void TextRules::append(Value v, bool literal, std::string& out, std::vector<Value>& open) const {
  if (v == kNothing) {
    out += "nothing";
  } else if (is_boolean(v)) {
    out += as_boolean(v) ? "true" : "false";
  } else if (is_int(*cx, v)) {
    out += std::to_string(as_int(v));
  } else if (is_float(*cx, v)) {
    append_float(as_double(v), out);
  } else if (is_character(v) || strings->is_string(v)) {
    std::string text;
    if (is_character(v)) {
      append_utf8(as_character(v), text);
    } else {
      strings->append_to(v, text);
    }
    // A Character is its one-Character String (docs/types.md), as literal too.
    out += literal ? module::text::quote(text) : text;
  } else if (lists->is_list(v) || dicts->is_dictionary(v)) {
    const bool list = lists->is_list(v);
    if (std::find(open.begin(), open.end(), v) != open.end()) {
      out += list ? "[...]" : "{...}";
      return;
    }
    open.push_back(v);
    out += list ? '[' : '{';
    bool first = true;
    if (list) {
      for (std::uint64_t i = 0; i < Lists::size(v); ++i) {
        if (!first) out += ", ";
        first = false;
        append(*Lists::get(v, i), true, out, open);
      }
    } else {
      auto c = Dictionaries::begin(v);
      Value key = 0;
      Value value = 0;
      while (Dictionaries::next(v, c, &key, &value) == Dictionaries::Status::kFound) {
        if (!first) out += ", ";
        first = false;
        append(key, true, out, open);
        out += ": ";
        append(value, true, out, open);
      }
    }
    out += list ? ']' : '}';
    open.pop_back();
  } else {
    const heap::Layout* l = heap->layout(heap::hdr::type_of(heap::as_object(v)->load_header()));
    out += '<';
    out += l != nullptr ? l->name : "?";
    out += " object>";
  }
}

void TextRules::append_text(Value v, std::string& out) const {
  std::vector<Value> open;
  append(v, false, out, open);
}

void TextRules::append_literal(Value v, std::string& out) const {
  std::vector<Value> open;
  append(v, true, out, open);
}

Value TextRules::text_of(heap::Mutator& m, const heap::Handle& v) const {
  if (strings->is_flat(v.value())) return v.value();
  if (strings->is_string(v.value())) return strings->flatten(m, v);
  std::string text;
  append_text(v.value(), text);
  return strings->make(m, text);
}

}  // namespace runa::types
