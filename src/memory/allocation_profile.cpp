// Allocation profiles: the sampler's table (sampler.hpp) as pprof's
// profile.proto (services/profile_proto.hpp).
//
// Weighting: an allocation of s bytes is sampled with probability
// p = 1 - exp(-s / mean), so each sample stands for 1 / p allocations of
// its size; the written values are those estimates (Go's profiles scale
// the same way), and pprof's totals estimate the true ones without bias.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "memory/heap.hpp"
#include "runatime/heap_profile.hpp"
#include "services/profile_proto.hpp"

namespace runa::heap {

void set_stack_describer(Heap& heap, StackDescriber fn, void* ctx) {
  impl_of(heap).sampler.set_describer(fn, ctx);
}

void set_allocation_sampling(Heap& heap, Mutator& m, std::size_t mean_bytes) {
  HeapImpl& h = impl_of(heap);
  h.safepoint.stop(record(m), Safepoint::kAnyEpoch);
  h.sampler.set_mean(std::min(mean_bytes, kMaxSampleBytes), h.safepoint.mutators());
  h.safepoint.resume(false);
}

Result<AllocationProfileInfo> write_allocation_profile(Heap& heap, Mutator& m,
                                                       const std::string& path) {
  HeapImpl& h = impl_of(heap);
  h.safepoint.stop(record(m), Safepoint::kAnyEpoch);
  std::vector<Sampler::Sample> samples = h.sampler.samples();
  std::vector<std::vector<StackFrame>> stacks = h.sampler.stacks();
  h.safepoint.resume(false);
  if (samples.empty() && !h.sampler.on()) {
    return Error{"allocation profile",
                 {},
                 {},
                 {},
                 {},
                 "allocation sampling is off and took no sample (set sample_bytes)"};
  }

  services::PprofBuilder b(
      {{"alloc_objects", "count"},
       {"alloc_space", "bytes"},
       {"inuse_objects", "count"},
       {"inuse_space", "bytes"}},
      {"space", "bytes"},
      static_cast<std::int64_t>(samples.empty() ? h.sampler.mean() : samples.back().mean));
  b.set_default_sample_type("alloc_space");
  AllocationProfileInfo info;
  std::vector<services::PprofFrame> frames;
  for (const Sampler::Sample& s : samples) {
    auto size = static_cast<double>(s.bytes);
    double weight = 1.0 / (1.0 - std::exp(-size / static_cast<double>(s.mean)));
    auto objects = static_cast<std::int64_t>(std::llround(weight));
    auto bytes = static_cast<std::int64_t>(std::llround(weight * size));
    const Layout* l = h.layouts.find(s.type);
    std::string type =
        l != nullptr && l->name[0] != '\0' ? l->name : "(type " + std::to_string(s.type) + ")";
    // The allocated type is the innermost frame: -top and flame graphs
    // show what was allocated, and under it who allocated it.
    frames.clear();
    frames.push_back({type, "", 0});
    for (const StackFrame& f : stacks[s.stack]) frames.push_back({f.function, f.file, f.line});
    b.add(frames, {objects, bytes, s.live ? objects : 0, s.live ? bytes : 0}, {{"type", type}},
          {{"bytes", static_cast<std::int64_t>(s.bytes), "bytes"}});
    ++info.samples;
    info.alloc_bytes += static_cast<std::uint64_t>(bytes);
    if (s.live) {
      ++info.live_samples;
      info.inuse_bytes += static_cast<std::uint64_t>(bytes);
    }
  }
  std::string error;
  if (!b.write_gzip(path, &error)) return Error{"allocation profile", {}, {}, {}, {}, error};
  return info;
}

}  // namespace runa::heap
