// Assembly for tier-0 tests that call natives: native(args...) leaving its
// result on the stack (call), dropping it (stmt), or storing it in a
// global (into). Each argument is one instruction pushing a value.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace runa::tier0::asm_calls {

inline std::string call(std::string_view native, std::initializer_list<std::string_view> args) {
  std::string out = "PUSH_CONST extern \"" + std::string(native) + "\"\n";
  for (std::string_view a : args) out += std::string(a) + "\n";
  return out + "CALL " + std::to_string(args.size()) + "\n";
}
inline std::string stmt(std::string_view native, std::initializer_list<std::string_view> args) {
  return call(native, args) + "POP\n";
}
inline std::string into(std::string_view global, std::string_view native,
                        std::initializer_list<std::string_view> args) {
  return call(native, args) + "STORE_GLOBAL " + std::string(global) + "\n";
}

}  // namespace runa::tier0::asm_calls
