// How much work the stress tests do: ThreadSanitizer runs threaded code
// several times slower, so under it they do a quarter as much.
#pragma once

#if defined(__SANITIZE_THREAD__)
#define RUNA_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RUNA_UNDER_TSAN 1
#endif
#endif
#ifndef RUNA_UNDER_TSAN
#define RUNA_UNDER_TSAN 0
#endif

namespace runa::concurrency::testing {

constexpr unsigned scaled(unsigned n) {
  return RUNA_UNDER_TSAN ? n / 4 : n;
}

}  // namespace runa::concurrency::testing
