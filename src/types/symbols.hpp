// Symbols: names interned to small integers (selectors), so that a method
// is found by comparing integers, and an inline cache keys on one word.
//
// intern() takes a lock; name() and find() too. A selector never changes
// meaning and is never reused; 0 is never a selector.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace runa::types {

class Symbols {
 public:
  std::uint32_t intern(std::string_view name);
  // 0 when the name was never interned (so no method can have it).
  [[nodiscard]] std::uint32_t find(std::string_view name) const;
  [[nodiscard]] std::string name(std::uint32_t selector) const;

 private:
  mutable std::mutex mu_;
  std::deque<std::string> names_;  // names_[s - 1]; a deque keeps the keys' views valid
  std::unordered_map<std::string_view, std::uint32_t> ids_;
};

}  // namespace runa::types
