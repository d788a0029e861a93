// The core natives of docs/natives.md: print, the text natives, parse_integer
// and the List and Dictionary natives the examples use. Each checks its
// arguments' kinds first (natives.hpp's convention); text results are made
// with one allocation after all reading is done, since a String's bytes may
// move at any allocation.
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "bridge/lower_case.hpp"
#include "bridge/native_args.hpp"
#include "module/utf8.hpp"
#include "types/text.hpp"

namespace runa::bridge {

namespace {

using types::kNothing;

// The pieces of `text` between the non-overlapping occurrences of
// `separator` (not empty), left to right: k occurrences give k + 1 pieces.
std::vector<std::string_view> pieces_of(std::string_view text, std::string_view separator) {
  // Counted first: one allocation, where growing by push_back would take
  // four or five for a line of words.
  std::size_t count = 1;
  for (std::size_t hit = text.find(separator); hit != std::string_view::npos;
       hit = text.find(separator, hit + separator.size())) {
    ++count;
  }
  std::vector<std::string_view> pieces;
  pieces.reserve(count);
  std::size_t at = 0;
  for (std::size_t hit = text.find(separator); hit != std::string_view::npos;
       hit = text.find(separator, at)) {
    pieces.push_back(text.substr(at, hit - at));
    at = hit + separator.size();
  }
  pieces.push_back(text.substr(at));
  return pieces;
}

NativeStatus print(NativeCall& call) {
  std::string line;
  call.types.text().append_text(*call.args[0], line);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), call.out);
  return NativeStatus::kReturn;
}

NativeStatus text_length(NativeCall& call) {
  if (auto wrong = want_strings(call, "text_length", 1)) return *wrong;
  call.result =
      types::make_small_int(static_cast<std::int64_t>(call.types.strings().length(*call.args[0])));
  return NativeStatus::kReturn;
}

NativeStatus text_lower(NativeCall& call) {
  if (auto wrong = want_strings(call, "text_lower", 1)) return *wrong;
  std::string text = text_arg(call, 0);
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
  // ASCII, most text, in place: no decoding and no second buffer.
  std::size_t ascii = 0;
  for (; ascii < text.size() && bytes[ascii] < 0x80; ++ascii) {
    const char c = text[ascii];
    if (c >= 'A' && c <= 'Z') text[ascii] = static_cast<char>(c + ('a' - 'A'));
  }
  if (ascii == text.size()) return return_text(call, text);
  std::string out = text.substr(0, ascii);
  out.reserve(text.size());
  for (std::size_t i = ascii; i < text.size();) {
    if (bytes[i] < 0x80) {  // ASCII, most text: no decoding
      const char c = text[i++];
      out += c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
      continue;
    }
    std::uint32_t c = 0;
    i += module::decode_utf8(bytes + i, c);  // a String is well-formed UTF-8
    types::append_utf8(lower_case(c), out);
  }
  return return_text(call, out);
}

NativeStatus text_replace(NativeCall& call) {
  if (auto wrong = want_strings(call, "text_replace", 3)) return *wrong;
  const std::string text = text_arg(call, 0);
  const std::string old = text_arg(call, 1);
  const std::string with = text_arg(call, 2);
  if (old.empty()) return raise(call, "ValueError", "text_replace: the text to replace is empty");
  std::string out;
  bool first = true;
  for (std::string_view piece : pieces_of(text, old)) {
    if (!first) out += with;  // each piece after the first follows an occurrence
    out += piece;
    first = false;
  }
  return return_text(call, out);
}

NativeStatus text_split(NativeCall& call) {
  if (auto wrong = want_strings(call, "text_split", 2)) return *wrong;
  const std::string text = text_arg(call, 0);
  const std::string separator = text_arg(call, 1);
  if (separator.empty()) return raise(call, "ValueError", "text_split: the separator is empty");
  const std::vector<std::string_view> pieces = pieces_of(text, separator);
  heap::HandleScope scope(call.m);
  heap::Handle list(call.m, call.types.lists().make(call.m, pieces.size()));
  if (list.value() == kNothing) return NativeStatus::kOutOfMemory;
  heap::Handle piece(call.m, kNothing);
  for (std::string_view p : pieces) {
    piece.set(call.types.strings().make(call.m, p));
    if (piece.value() == kNothing || !call.types.lists().append(call.m, list, piece)) {
      return NativeStatus::kOutOfMemory;
    }
  }
  call.result = list.value();
  return NativeStatus::kReturn;
}

NativeStatus parse_integer(NativeCall& call) {
  if (auto wrong = want_strings(call, "parse_integer", 1)) return *wrong;
  const std::string text = text_arg(call, 0);
  std::string_view digits = text;
  const bool negative = !digits.empty() && digits[0] == '-';
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return raise(call, "ValueError", "parse_integer: \"" + text + "\" is not a decimal Integer");
  }
  // The magnitude, up to 2^63 for a negative number and 2^63 - 1 otherwise.
  const std::uint64_t limit =
      std::uint64_t{std::numeric_limits<std::int64_t>::max()} + (negative ? 1 : 0);
  std::uint64_t magnitude = 0;
  for (char d : digits) {
    const auto digit = static_cast<std::uint64_t>(d - '0');
    if (magnitude > (limit - digit) / 10) {
      return raise(call, "OverflowError",
                   "parse_integer: " + text + " is outside the 64-bit Integer range");
    }
    magnitude = magnitude * 10 + digit;
  }
  // Two's complement: the negation of the magnitude is the value, 2^63 included.
  const auto value = static_cast<std::int64_t>(negative ? ~magnitude + 1 : magnitude);
  const Value v = types::make_int(call.types.context(), call.m, value);
  if (v == kNothing) return NativeStatus::kOutOfMemory;
  call.result = v;
  return NativeStatus::kReturn;
}

NativeStatus list_length(NativeCall& call) {
  if (!call.types.lists().is_list(*call.args[0])) {
    return wrong_argument(call, "list_length", 0, "a List");
  }
  call.result = types::make_small_int(static_cast<std::int64_t>(types::Lists::size(*call.args[0])));
  return NativeStatus::kReturn;
}

NativeStatus list_append(NativeCall& call) {
  if (!call.types.lists().is_list(*call.args[0])) {
    return wrong_argument(call, "list_append", 0, "a List");
  }
  heap::HandleScope scope(call.m);
  heap::Handle list(call.m, *call.args[0]);
  heap::Handle item(call.m, *call.args[1]);
  if (!call.types.lists().append(call.m, list, item)) return NativeStatus::kOutOfMemory;
  return NativeStatus::kReturn;
}

NativeStatus map_length(NativeCall& call) {
  if (!call.types.dictionaries().is_dictionary(*call.args[0])) {
    return wrong_argument(call, "map_length", 0, "a Dictionary");
  }
  call.result =
      types::make_small_int(static_cast<std::int64_t>(types::Dictionaries::size(*call.args[0])));
  return NativeStatus::kReturn;
}

// The lookup of map_contains and map_get: the map is argument 1, the key
// argument 2. True with *found and *value; false with the status to return
// (a TypeError for a non-Dictionary or an unhashable key, out of memory).
bool look_up(NativeCall& call, std::string_view native, bool* found, Value* value,
             NativeStatus* failed) {
  if (!call.types.dictionaries().is_dictionary(*call.args[0])) {
    *failed = wrong_argument(call, native, 0, "a Dictionary");
    return false;
  }
  heap::HandleScope scope(call.m);
  heap::Handle map(call.m, *call.args[0]);
  heap::Handle key(call.m, *call.args[1]);
  const types::Dictionaries::Status s = call.types.dictionaries().get(call.m, map, key, value);
  if (s == types::Dictionaries::Status::kFound || s == types::Dictionaries::Status::kAbsent) {
    *found = s == types::Dictionaries::Status::kFound;
    return true;
  }
  *failed = s == types::Dictionaries::Status::kUnhashable
                ? wrong_argument(call, native, 1, "a hashable key")
                : NativeStatus::kOutOfMemory;
  return false;
}

NativeStatus map_contains(NativeCall& call) {
  bool found = false;
  Value ignored = kNothing;
  NativeStatus failed = NativeStatus::kReturn;
  if (!look_up(call, "map_contains", &found, &ignored, &failed)) return failed;
  call.result = types::make_boolean(found);
  return NativeStatus::kReturn;
}

NativeStatus map_get(NativeCall& call) {
  bool found = false;
  Value value = kNothing;
  NativeStatus failed = NativeStatus::kReturn;
  if (!look_up(call, "map_get", &found, &value, &failed)) return failed;
  if (!found) {
    std::string shown;
    call.types.text().append_literal(*call.args[1], shown);
    return raise(call, "KeyError", "map_get: no key " + shown);
  }
  call.result = value;
  return NativeStatus::kReturn;
}

}  // namespace

void add_core_natives(Natives& natives) {
  add_text_natives(natives);
  add_math_natives(natives);
  add_list_natives(natives);
  add_system_natives(natives);
  add_task_natives(natives);
  add_thread_natives(natives);
  add_sync_natives(natives);
  add_actor_natives(natives);
  add_thread_local_natives(natives);
  natives.add("print", 1, print);
  natives.add("text_length", 1, text_length);
  natives.add("text_lower", 1, text_lower);
  natives.add("text_replace", 3, text_replace);
  natives.add("text_split", 2, text_split);
  natives.add("parse_integer", 1, parse_integer);
  natives.add("list_length", 1, list_length);
  natives.add("list_append", 2, list_append);
  natives.add("map_contains", 2, map_contains);
  natives.add("map_length", 1, map_length);
  natives.add("map_get", 2, map_get);
}

}  // namespace runa::bridge
