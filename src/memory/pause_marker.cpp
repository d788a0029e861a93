// PauseMarker (see pause_marker.hpp).
#include "memory/pause_marker.hpp"

namespace runa::heap {
namespace {

thread_local unsigned t_depth = 0;

}  // namespace

bool in_pause() noexcept {
  return t_depth != 0;
}

PauseScope::PauseScope() noexcept {
  ++t_depth;
}

PauseScope::~PauseScope() {
  --t_depth;
}

}  // namespace runa::heap
