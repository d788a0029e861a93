// The text natives beyond the core ones (docs/natives.md, "Text"): indices
// count Characters (code points), as GET_ITEM and text_length do.
#include <vector>

#include "bridge/native_args.hpp"
#include "module/utf8.hpp"

namespace runa::bridge {

namespace {

// Byte offsets of each Character's start in `text`, and of its end.
std::vector<std::size_t> char_starts(std::string_view text) {
  std::vector<std::size_t> starts;
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(text.data());
  for (std::size_t i = 0; i < text.size();) {
    starts.push_back(i);
    std::uint32_t c = 0;
    i += module::decode_utf8(bytes + i, c);  // a String is well-formed UTF-8
  }
  starts.push_back(text.size());
  return starts;
}

NativeStatus text_substring(NativeCall& call) {
  if (auto wrong = want_strings(call, "text_substring", 1)) return *wrong;
  NativeStatus failed{};
  const auto start = int_arg(call, "text_substring", 1, &failed);
  if (!start) return failed;
  const auto end = int_arg(call, "text_substring", 2, &failed);
  if (!end) return failed;
  const std::string text = text_arg(call, 0);
  const std::vector<std::size_t> at = char_starts(text);
  const auto length = static_cast<std::int64_t>(at.size() - 1);
  if (*start < 0 || *start > *end || *end > length) {
    return raise(call, "IndexError",
                 "text_substring: " + std::to_string(*start) + " .. " + std::to_string(*end) +
                     " is not a range of 0 .. " + std::to_string(length));
  }
  return return_text(call, std::string_view(text).substr(at[static_cast<std::size_t>(*start)],
                                                         at[static_cast<std::size_t>(*end)] -
                                                             at[static_cast<std::size_t>(*start)]));
}

// The Character index of the first occurrence of `needle`, or -1.
NativeStatus text_find(NativeCall& call) {
  if (auto wrong = want_strings(call, "text_find", 2)) return *wrong;
  const std::string text = text_arg(call, 0);
  const std::string needle = text_arg(call, 1);
  const std::size_t hit = text.find(needle);
  std::int64_t index = -1;
  if (hit != std::string::npos) {
    const std::vector<std::size_t> at = char_starts(std::string_view(text).substr(0, hit));
    index = static_cast<std::int64_t>(at.size() - 1);
  }
  call.result = types::make_small_int(index);
  return NativeStatus::kReturn;
}

NativeStatus text_starts_with(NativeCall& call) {
  if (auto wrong = want_strings(call, "text_starts_with", 2)) return *wrong;
  call.result = types::make_boolean(text_arg(call, 0).starts_with(text_arg(call, 1)));
  return NativeStatus::kReturn;
}

NativeStatus text_ends_with(NativeCall& call) {
  if (auto wrong = want_strings(call, "text_ends_with", 2)) return *wrong;
  call.result = types::make_boolean(text_arg(call, 0).ends_with(text_arg(call, 1)));
  return NativeStatus::kReturn;
}

// Without leading and trailing ASCII white space (space, \t, \n, \v, \f, \r).
NativeStatus text_trim(NativeCall& call) {
  if (auto wrong = want_strings(call, "text_trim", 1)) return *wrong;
  const std::string text = text_arg(call, 0);
  constexpr const char* kSpace = " \t\n\v\f\r";
  const std::size_t first = text.find_first_not_of(kSpace);
  if (first == std::string::npos) return return_text(call, "");
  const std::size_t last = text.find_last_not_of(kSpace);
  return return_text(call, std::string_view(text).substr(first, last - first + 1));
}

// The text forms of a List's items, `separator` between them.
NativeStatus text_join(NativeCall& call) {
  if (!call.types.lists().is_list(*call.args[0])) {
    return wrong_argument(call, "text_join", 0, "a List");
  }
  if (!call.types.strings().is_string(*call.args[1])) {
    return wrong_argument(call, "text_join", 1, "a String");
  }
  const std::string separator = text_arg(call, 1);
  std::string out;
  const Value list = *call.args[0];
  for (std::uint64_t i = 0; i < types::Lists::size(list); ++i) {
    if (i > 0) out += separator;
    call.types.text().append_text(*types::Lists::get(list, i), out);
  }
  return return_text(call, out);
}

// The text form of any value, as TEXT_CONCAT and print write it.
NativeStatus text_of(NativeCall& call) {
  std::string out;
  call.types.text().append_text(*call.args[0], out);
  return return_text(call, out);
}

}  // namespace

void add_text_natives(Natives& natives) {
  natives.add("text_substring", 3, text_substring);
  natives.add("text_find", 2, text_find);
  natives.add("text_starts_with", 2, text_starts_with);
  natives.add("text_ends_with", 2, text_ends_with);
  natives.add("text_trim", 1, text_trim);
  natives.add("text_join", 2, text_join);
  natives.add("text_of", 1, text_of);
}

}  // namespace runa::bridge
