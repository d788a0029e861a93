// Which sanitizer a test binary is built with, for GCC (__SANITIZE_*__) and
// Clang (__has_feature): RUNA_UNDER_TSAN and RUNA_UNDER_ASAN, 1 or 0. Tests
// scale their work by them or skip what a sanitizer's runtime forbids.
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

#if defined(__SANITIZE_ADDRESS__)
#define RUNA_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RUNA_UNDER_ASAN 1
#endif
#endif
#ifndef RUNA_UNDER_ASAN
#define RUNA_UNDER_ASAN 0
#endif
