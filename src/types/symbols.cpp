#include "types/symbols.hpp"

namespace runa::types {

std::uint32_t Symbols::intern(std::string_view name) {
  std::lock_guard lock(mu_);
  if (auto it = ids_.find(name); it != ids_.end()) return it->second;
  names_.emplace_back(name);
  const auto id = static_cast<std::uint32_t>(names_.size());
  ids_.emplace(names_.back(), id);
  return id;
}

std::uint32_t Symbols::find(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = ids_.find(name);
  return it == ids_.end() ? 0 : it->second;
}

std::string Symbols::name(std::uint32_t selector) const {
  std::lock_guard lock(mu_);
  if (selector == 0 || selector > names_.size()) return {};
  return names_[selector - 1];
}

}  // namespace runa::types
