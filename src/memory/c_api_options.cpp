// The heap C ABI's options: rt_heap_options, its defaults, its text form
// (the RUNA_GC grammar of runatime/heap_options.hpp) and its conversion to
// and from runa::heap::Options. The rules every entry point follows are in
// c_api.cpp.
//
// The struct is growable (its `size` field): later minor versions append
// fields, and a caller passes at least the ABI 1.0 size. It does not carry
// every C++ option: sample_bytes (a C program samples with
// rt_heap_sample_allocations) and huge_pages have no field, and a text that
// sets either is refused rather than accepted and dropped.
#include "runatime.h"

#include <cstddef>

#include "memory/c_api.hpp"
#include "runatime/heap.hpp"
#include "runatime/heap_options.hpp"
#include "services/c_abi.hpp"

namespace rh = runa::heap;
using runa::c_abi::fail;
using runa::c_abi::guarded;
using runa::c_abi::null_argument;
using runa::c_abi::read_struct;
using runa::c_abi::write_struct;

// The size of rt_heap_options in ABI 1.0: the least a caller may pass.
constexpr std::size_t kOptionsSize10 = 64;
static_assert(sizeof(rt_heap_options) == kOptionsSize10);

namespace {

rt_heap_options to_c(const rh::Options& o) {
  rt_heap_options c{};
  c.size = sizeof c;
  c.max_heap = o.max_heap;
  c.nursery = o.nursery;
  c.tlab = o.tlab;
  c.survivor_ratio = o.survivor_ratio;
  c.promotion_age = o.promotion_age;
  c.gc_threads = o.gc_threads;
  c.stress_every = o.stress_every;
  c.log = o.log ? 1 : 0;
  c.verify = o.verify ? 1 : 0;
  c.poison = o.poison ? 1 : 0;
  c.major_growth_percent = o.major_growth_percent;
  return c;
}

rh::Options from_c(const rt_heap_options& c) {
  rh::Options o;
  o.max_heap = static_cast<std::size_t>(c.max_heap);
  o.nursery = static_cast<std::size_t>(c.nursery);
  o.tlab = static_cast<std::size_t>(c.tlab);
  o.survivor_ratio = c.survivor_ratio;
  o.promotion_age = c.promotion_age;
  o.gc_threads = c.gc_threads;
  o.stress_every = c.stress_every;
  o.log = c.log != 0;
  o.verify = c.verify != 0;
  o.poison = c.poison != 0;
  o.major_growth_percent = c.major_growth_percent;
  return o;
}

}  // namespace

namespace runa::heap::capi {

rt_status read_options(const char* fn, const rt_heap_options* options, Options& out) {
  rt_heap_options c = to_c(Options{});
  if (options != nullptr) {
    rt_status s = read_struct(fn, "options", options, options->size, kOptionsSize10, &c, sizeof c);
    if (s != RT_OK) return s;
  }
  out = from_c(c);
  return RT_OK;
}

}  // namespace runa::heap::capi

extern "C" {

rt_status rt_heap_options_init(rt_heap_options* options) noexcept {
  constexpr const char* fn = "rt_heap_options_init";
  if (options == nullptr) return null_argument(fn, "options");
  *options = to_c(rh::Options{});
  return RT_OK;
}

rt_status rt_heap_options_parse(const char* text, rt_heap_options* inout) noexcept {
  constexpr const char* fn = "rt_heap_options_parse";
  return guarded(fn, [&] {
    if (text == nullptr) return null_argument(fn, "text");
    if (inout == nullptr) return null_argument(fn, "inout");
    rt_heap_options c = to_c(rh::Options{});
    rt_status s = read_struct(fn, "inout", inout, inout->size, kOptionsSize10, &c, sizeof c);
    if (s != RT_OK) return s;
    auto parsed = rh::parse_options(text, from_c(c));
    if (!parsed.ok()) return fail(RT_ERROR_INVALID_ARGUMENT, fn, parsed.error().describe());
    if (parsed->sample_bytes != 0) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  "sample_bytes is not in rt_heap_options: start sampling with "
                  "rt_heap_sample_allocations");
    }
    if (parsed->huge_pages) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  "huge_pages is not in rt_heap_options: only the C++ Options can ask for it");
    }
    c = to_c(*parsed);
    return write_struct(fn, "inout", inout, kOptionsSize10, &c, sizeof c);
  });
}

rt_status rt_heap_get_options(const rt_heap* heap, rt_heap_options* out) noexcept {
  constexpr const char* fn = "rt_heap_get_options";
  return guarded(fn, [&] {
    if (heap == nullptr) return null_argument(fn, "heap");
    if (out == nullptr) return null_argument(fn, "out");
    rt_heap_options c = to_c(heap->heap->options());
    return write_struct(fn, "out", out, kOptionsSize10, &c, sizeof c);
  });
}

}  // extern "C"
