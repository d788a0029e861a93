// The I/O part's errors: an Error (runatime/result.hpp) in section "event
// loop" whose message says what failed and ends with the system's text for
// the errno, e.g. "event loop: io_uring_queue_init: Operation not permitted".
// One helper, so every message of the part has the same shape.
#pragma once

#include <string>

#include "runatime/result.hpp"

namespace runa::io {

// `err` is a positive errno value.
Error io_error(const std::string& what, int err);

}  // namespace runa::io
