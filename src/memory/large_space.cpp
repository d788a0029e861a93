// LargeSpace: block runs for large objects (see large_space.hpp).
#include "memory/large_space.hpp"

namespace runa::heap {

std::uint8_t* LargeSpace::allocate(std::size_t bytes) {
  std::size_t n = (bytes + kBlock - 1) / kBlock;
  auto first = blocks_.take(n, BlockKind::kLargeHead);
  if (!first) return nullptr;
  std::uint8_t* p = blocks_.block(*first);
  std::lock_guard lock(mu_);
  objects_.push_back(reinterpret_cast<Object*>(p));
  bytes_ += n * kBlock;
  return p;
}

std::size_t LargeSpace::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

}  // namespace runa::heap
