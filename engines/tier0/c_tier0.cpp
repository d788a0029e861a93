// Tier 0's C entry (rt_tier0.h): the engine installed in a runtime made
// through the C ABI.
#include "rt_tier0.h"
#include "tier0.hpp"

struct rt_tier0 {
  std::unique_ptr<runa::tier0::Engine> engine;
};

extern "C" {

rt_status rt_tier0_install(rt_runtime* runtime, rt_tier0** out, uint32_t* index) noexcept {
  if (runtime == nullptr || out == nullptr) return RT_ERROR_INVALID_ARGUMENT;
  try {
    auto* made = new rt_tier0{runa::tier0::Engine::install(runa::rt::runtime_of(runtime))};
    if (index != nullptr) *index = made->engine->index();
    *out = made;
    return RT_OK;
  } catch (...) {
    return RT_ERROR_INTERNAL;
  }
}

rt_status rt_tier0_destroy(rt_tier0* engine) noexcept {
  delete engine;
  return RT_OK;
}

}  // extern "C"
