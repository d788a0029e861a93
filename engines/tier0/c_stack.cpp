// The calling thread's C stack (c_stack.hpp).
#include "c_stack.hpp"

#include <pthread.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

namespace runa::tier0 {

namespace {

// The main thread's stack, or an unknown one when this is another thread
// or the figures do not hold together.
CStack main_thread_c_stack() {
  if (gettid() != getpid()) return {};
  rlimit limit{};
  if (getrlimit(RLIMIT_STACK, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return {};
  const auto name = static_cast<std::uintptr_t>(getauxval(AT_EXECFN));
  if (name == 0) return {};
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  // NOLINTNEXTLINE(performance-no-int-to-ptr): the auxiliary vector holds addresses as integers
  const std::size_t length = std::strlen(reinterpret_cast<const char*>(name));
  const std::uintptr_t top = (name + length + 1 + page - 1) & ~(page - 1);
  const std::uintptr_t size = limit.rlim_cur & ~(page - 1);
  const auto here = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
  // This frame must be on the stack found (a loader or tool that moved the
  // name, or an exec'd stack shaped otherwise, gives up here).
  if (size == 0 || size > top || here >= top || top - here > size) return {};
  // NOLINTNEXTLINE(performance-no-int-to-ptr): an address computed above
  return {reinterpret_cast<const char*>(top - size), static_cast<std::size_t>(size)};
}

}  // namespace

CStack c_stack_from_pthread() {
  pthread_attr_t attr;
  void* low = nullptr;
  std::size_t size = 0;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    pthread_attr_getstack(&attr, &low, &size);
    pthread_attr_destroy(&attr);
  }
  return {static_cast<const char*>(low), low == nullptr ? 0 : size};
}

CStack c_stack() {
  const CStack main = main_thread_c_stack();
  return main.low != nullptr ? main : c_stack_from_pthread();
}

}  // namespace runa::tier0
