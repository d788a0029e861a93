// The core natives of docs/natives.md: print, the text natives, parse_integer
// and the List and Dictionary natives the examples use. Each checks its
// arguments' kinds first (natives.hpp's convention). A String's bytes may
// move at any allocation: a text result is made with one allocation after
// all reading is done, or (text_split's pieces, text_lower of ASCII) its
// bytes are read from the argument's slot after the allocation, at offsets
// that a move leaves right.
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "bridge/byte_scan.hpp"
#include "bridge/lower_case.hpp"
#include "bridge/native_args.hpp"
#include "bridge/piece_cache.hpp"
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
  const types::Strings& strings = call.types.strings();
  if (const Value s = *call.args[0]; strings.is_flat(s) && types::Strings::is_ascii(s)) {
    // ASCII, most text, read in place: a String with no capital is its own
    // lower case (Strings are immutable and compared by content, so the
    // same one is the answer); otherwise one copy, lower-cased on the way
    // into the new String, read from the argument's slot after the
    // allocation (which may move it).
    if (!has_ascii_upper(types::Strings::view(s))) {
      call.result = s;
      return NativeStatus::kReturn;
    }
    const std::uint64_t n = types::Strings::view(s).size();
    return return_value(call, strings.make_with(call.m, n, n, [&call](std::uint8_t* out) {
      lower_ascii(types::Strings::view(*call.args[0]), out);
    }));
  }
  std::string text = text_arg(call, 0);
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
  // Text with other Characters (or a rope): its ASCII prefix in place in
  // the copy, then Character by Character.
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

// Where the next `separator` starts in `text` at or after byte `from`, or
// npos; and how many non-overlapping ones `text` holds. A one-byte
// separator (the usual " " or ",") is scanned for eight bytes a step.
std::size_t next_separator(std::string_view text, std::string_view separator, std::size_t from) {
  return separator.size() == 1 ? find_byte(text, separator[0], from) : text.find(separator, from);
}
std::size_t count_separators(std::string_view text, std::string_view separator) {
  if (separator.size() == 1) return count_byte(text, separator[0]);
  std::size_t n = 0;
  for (std::size_t hit = text.find(separator); hit != std::string_view::npos;
       hit = text.find(separator, hit + separator.size())) {
    ++n;
  }
  return n;
}

// The pieces are read from the text in place, not from a copy: each is
// found by its byte offsets, which stay right when an allocation moves the
// text, and copied once into its String (Strings::slice). Counted first, so
// the List is allocated once at its size.
NativeStatus text_split(NativeCall& call) {
  if (auto wrong = want_strings(call, "text_split", 2)) return *wrong;
  if (!flatten_arg(call, 0) || !flatten_arg(call, 1)) return NativeStatus::kOutOfMemory;
  // The separator is short as a rule: this copy stays within the string's
  // own buffer and allocates nothing.
  const std::string separator(types::Strings::view(*call.args[1]));
  if (separator.empty()) return raise(call, "ValueError", "text_split: the separator is empty");
  const auto text = [&call] { return types::Strings::view(*call.args[0]); };
  const std::size_t count = count_separators(text(), separator) + 1;
  heap::HandleScope scope(call.m);
  heap::Handle list(call.m, call.types.lists().make(call.m, count));
  if (list.value() == kNothing) return NativeStatus::kOutOfMemory;
  const heap::Handle source(call.args[0]);
  heap::Handle piece(call.m, kNothing);
  // Short pieces (words) come from the thread's cache when seen recently.
  PieceCache* const cache = PieceCache::of(call.thread);
  const types::Strings& strings = call.types.strings();
  std::size_t at = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t end = i + 1 < count ? next_separator(text(), separator, at) : text().size();
    piece.set(cache != nullptr ? cache->piece(call.m, strings, source, at, end - at)
                               : strings.slice(call.m, source, at, end - at));
    if (piece.value() == kNothing || !call.types.lists().append(call.m, list, piece)) {
      return NativeStatus::kOutOfMemory;
    }
    at = end + separator.size();
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

// The lookup of map_contains, map_get and map_get_or: the map is argument 1, the key
// argument 2. True with *found and *value; false with the status to return
// (a TypeError for a non-Dictionary or an unhashable key, out of memory).
bool look_up(NativeCall& call, std::string_view native, bool* found, Value* value,
             NativeStatus* failed) {
  if (!call.types.dictionaries().is_dictionary(*call.args[0])) {
    *failed = wrong_argument(call, native, 0, "a Dictionary");
    return false;
  }
  // The argument slots are roots already: handles over them, none made.
  const types::Dictionaries::Status s = call.types.dictionaries().get(
      call.m, heap::Handle(call.args[0]), heap::Handle(call.args[1]), value);
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

// What a lookup native answers: map_contains, map_get, map_get_or.
enum class LookUp { kContains, kGet, kGetOr };

// The fast paths of the three: a Dictionary and a key it can look up, and
// for map_get a key it holds; anything else (a TypeError, out of memory,
// map_get's KeyError) is the native's.
template <LookUp kAnswer>
bool map_look_up_fast(heap::Mutator& m, const types::TypeSystem& types, Value* args, Value* out) {
  const types::Dictionaries& dictionaries = types.dictionaries();
  if (!dictionaries.is_dictionary(args[0])) return false;
  Value value = kNothing;
  const types::Dictionaries::Status s =
      dictionaries.get(m, heap::Handle(args), heap::Handle(args + 1), &value);
  if (s == types::Dictionaries::Status::kFound) {
    *out = kAnswer == LookUp::kContains ? types::make_boolean(true) : value;
    return true;
  }
  if (s != types::Dictionaries::Status::kAbsent || kAnswer == LookUp::kGet) return false;
  // The key is absent: map_contains answers false, map_get_or its default
  // (read after the lookup, which may have collected: the slot is current).
  *out = kAnswer == LookUp::kContains ? types::make_boolean(false) : args[2];
  return true;
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

// map_get_or(map, key, default): the value under the key, else the default
// (one lookup where map_contains and map_get take two).
NativeStatus map_get_or(NativeCall& call) {
  bool found = false;
  Value value = kNothing;
  NativeStatus failed = NativeStatus::kReturn;
  if (!look_up(call, "map_get_or", &found, &value, &failed)) return failed;
  call.result = found ? value : *call.args[2];
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
  add_channel_op_natives(natives);
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
  natives.add("map_contains", 2, map_contains, map_look_up_fast<LookUp::kContains>);
  natives.add("map_length", 1, map_length);
  natives.add("map_get", 2, map_get, map_look_up_fast<LookUp::kGet>);
  natives.add("map_get_or", 3, map_get_or, map_look_up_fast<LookUp::kGetOr>);
}

}  // namespace runa::bridge
