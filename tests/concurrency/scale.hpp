// How much work the stress tests do: ThreadSanitizer runs threaded code
// several times slower, so under it they do a quarter as much.
#pragma once

#include "../sanitizers.hpp"

namespace runa::concurrency::testing {

constexpr unsigned scaled(unsigned n) {
  return RUNA_UNDER_TSAN ? n / 4 : n;
}

}  // namespace runa::concurrency::testing
