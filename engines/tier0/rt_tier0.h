/* rt_tier0.h — tier 0, RunaTime's reference interpreter, for C and Rust
 * hosts: install it in a runtime made through runatime.h (before the first
 * thread attaches), destroy it after the runtime. C++ hosts use
 * runa::tier0::Engine (tier0.hpp) directly. */
#ifndef RT_TIER0_H
#define RT_TIER0_H

#include "runatime.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rt_tier0 rt_tier0; /* opaque */

/* Registers tier 0 (level 0) with `runtime`; *index gets its tier index. */
RT_API rt_status rt_tier0_install(rt_runtime* runtime, rt_tier0** out, uint32_t* index) RT_NOEXCEPT;
/* After rt_runtime_destroy. */
RT_API rt_status rt_tier0_destroy(rt_tier0* engine) RT_NOEXCEPT;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* RT_TIER0_H */
