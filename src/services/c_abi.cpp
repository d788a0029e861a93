// The C ABI's shared machinery (c_abi.hpp) and the C functions of
// runatime/c/base.h: the version, the last error and status names.
#include "services/c_abi.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace runa::c_abi {

namespace {
thread_local char t_message[1024] = "";
thread_local std::vector<Attachment> t_attached;
}  // namespace

rt_status fail(rt_status status, const char* fn, std::string_view message) noexcept {
  int n = std::snprintf(t_message, sizeof t_message, "%s: %.*s", fn,
                        static_cast<int>(message.size()), message.data());
  if (n >= static_cast<int>(sizeof t_message)) {
    std::memcpy(t_message + sizeof t_message - 4, "...", 4);
  }
  return status;
}

rt_status null_argument(const char* fn, const char* name) noexcept {
  char message[128];
  std::snprintf(message, sizeof message, "%s is NULL", name);
  return fail(RT_ERROR_INVALID_ARGUMENT, fn, message);
}

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

rt_status read_struct(const char* fn, const char* what, const void* in, std::size_t in_size,
                      std::size_t min_size, void* ours, std::size_t our_size) {
  if (in_size < min_size) {
    return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                std::string(what) + "->size is " + std::to_string(in_size) +
                    ", less than any version of the struct (" + std::to_string(min_size) +
                    "); initialize it with its _init function");
  }
  const auto* bytes = static_cast<const unsigned char*>(in);
  for (std::size_t i = our_size; i < in_size; ++i) {
    if (bytes[i] != 0) {
      return fail(RT_ERROR_UNSUPPORTED, fn,
                  std::string(what) + " sets a field at byte " + std::to_string(i) +
                      " that this RunaTime (ABI " + std::to_string(RT_ABI_VERSION_MAJOR) + "." +
                      std::to_string(RT_ABI_VERSION_MINOR) + ") does not know");
    }
  }
  std::size_t n = std::min(in_size, our_size);
  std::memcpy(static_cast<unsigned char*>(ours) + sizeof(std::size_t), bytes + sizeof(std::size_t),
              n - sizeof(std::size_t));
  return RT_OK;
}

rt_status write_struct(const char* fn, const char* what, void* out, std::size_t min_size,
                       const void* ours, std::size_t our_size) {
  std::size_t out_size = 0;
  std::memcpy(&out_size, out, sizeof out_size);
  if (out_size < min_size) {
    return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                std::string(what) + "->size is " + std::to_string(out_size) +
                    ", less than any version of the struct (" + std::to_string(min_size) +
                    "); set it to sizeof the struct");
  }
  auto* dst = static_cast<unsigned char*>(out);
  std::size_t n = std::min(out_size, our_size);
  std::memcpy(dst + sizeof(std::size_t),
              static_cast<const unsigned char*>(ours) + sizeof(std::size_t),
              n - sizeof(std::size_t));
  if (out_size > our_size) std::memset(dst + our_size, 0, out_size - our_size);
  return RT_OK;
}

rt_status init_struct(const char* fn, void* out, std::size_t size, std::size_t min_size,
                      const void* ours, std::size_t our_size) {
  if (size < min_size) {
    return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                "size " + std::to_string(size) + " is less than any version of the struct (" +
                    std::to_string(min_size) + ")");
  }
  auto* dst = static_cast<unsigned char*>(out);
  std::memcpy(dst, ours, std::min(size, our_size));
  if (size > our_size) std::memset(dst + our_size, 0, size - our_size);
  std::memcpy(dst, &size, sizeof size);
  return RT_OK;
}

std::vector<Attachment>& attachments() noexcept {
  return t_attached;
}

}  // namespace runa::c_abi

extern "C" {

uint32_t rt_abi_version(void) noexcept {
  return RT_ABI_VERSION;
}

const char* rt_last_error(void) noexcept {
  return runa::c_abi::t_message;
}

const char* rt_status_name(int status) noexcept {
  switch (status) {
    case RT_OK:
      return "RT_OK";
    case RT_ERROR_INVALID_ARGUMENT:
      return "RT_ERROR_INVALID_ARGUMENT";
    case RT_ERROR_OUT_OF_MEMORY:
      return "RT_ERROR_OUT_OF_MEMORY";
    case RT_ERROR_INVALID_STATE:
      return "RT_ERROR_INVALID_STATE";
    case RT_ERROR_UNSUPPORTED:
      return "RT_ERROR_UNSUPPORTED";
    case RT_ERROR_VERIFY_FAILED:
      return "RT_ERROR_VERIFY_FAILED";
    case RT_ERROR_INTERNAL:
      return "RT_ERROR_INTERNAL";
    case RT_ERROR_THROWN:
      return "RT_ERROR_THROWN";
    case RT_ERROR_CLOSED:
      return "RT_ERROR_CLOSED";
    case RT_ERROR_TIMEOUT:
      return "RT_ERROR_TIMEOUT";
    case RT_ERROR_WOULD_BLOCK:
      return "RT_ERROR_WOULD_BLOCK";
  }
  return "RT_ERROR_UNKNOWN";
}

}  // extern "C"
