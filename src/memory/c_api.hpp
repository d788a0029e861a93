// The heap C ABI's state and checks, shared by its files: c_api.cpp (heaps,
// layouts, mutators, allocation, barriers, handles), c_api_options.cpp
// (rt_heap_options and its text form), c_api_roots.cpp (root
// sets, frame enumerators) and c_api_collections.cpp (collections,
// collection callbacks, statistics, verification, waiting for finalizers). Internal: nothing here
// is part of the ABI.
//
// struct rt_heap is what an rt_heap* points at: the C++ heap and what the C
// ABI checks beside it (root-set ids, persistent slots, the thunks of frame
// enumerators and collection callbacks, the C finalizers), under `mu`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "memory/mutators.hpp"
#include "runatime.h"
#include "runatime/heap.hpp"

namespace runa::heap::capi {

// The size of rt_heap_stats in ABI 1.0.
inline constexpr std::size_t kStatsSize10 = 112;

// The C side of a frame enumerator, called through the C++ one. Keyed in
// rt_heap::frames by a serial unique for the heap's life, never by the
// mutator: a record's address comes back for the next attach once it is
// freed, and the C++ ids restart at 1 for every mutator.
struct FrameThunk {
  rt_frame_enumerator fn;
  void* context;
  const MutatorRecord* owner;  // live while the thunk is (rt_detach removes them first)
  std::uint64_t heap_id;       // the id Heap::add_frame_enumerator gave
};

// The C side of a collection callback, called through the C++ one; keyed
// in rt_heap::callbacks by the C++ id (unique for the heap's life).
struct CallbackThunk {
  rt_collection_callback fn;
  void* context;
  rt_heap* heap;
};

// The C side of a finalizable type's finalizer.
struct CFinalizer {
  rt_finalizer fn;
  void* context;
};

// Finds `m` among this thread's mutators (of `heap`, unless it is NULL);
// with `running`, also requires it not to be in native.
rt_status own(const char* fn, rt_mutator* m, const rt_heap* heap, bool running,
              MutatorRecord*& out);
// own() for the calls a finalizer must not make with its mutator (the
// finalizer thread's mutator belongs to the heap): `why` says why not.
rt_status own_outside_finalizers(const char* fn, rt_mutator* m, const rt_heap* heap,
                                 const char* why, MutatorRecord*& out);
// The C++ collection callback behind every C one (ctx: its CallbackThunk).
void call_c_collection_callback(void* ctx, Mutator& m, const CollectionEvent& e);
// The options a caller of `fn` passed (NULL: the defaults) as C++ Options;
// an error when the struct's size is unusable or its unknown fields are set.
rt_status read_options(const char* fn, const rt_heap_options* options, Options& out);

}  // namespace runa::heap::capi

struct rt_heap {
  std::unique_ptr<runa::heap::Heap> heap;
  mutable std::mutex mu;  // guards the members below
  std::unordered_set<std::uint64_t> root_ids;
  std::unordered_set<runa::heap::Value*> persistents;
  std::unordered_map<std::uint64_t, std::unique_ptr<runa::heap::capi::FrameThunk>>
      frames;  // by serial
  std::uint64_t next_frame_serial = 1;
  std::unordered_map<std::uint64_t, std::unique_ptr<runa::heap::capi::CallbackThunk>> callbacks;
  std::unordered_map<std::uint32_t, runa::heap::capi::CFinalizer> finalizers;  // by type
  // The C stack describer (c_api_profile.cpp), called through the C++ one.
  rt_stack_describer describer = nullptr;
  void* describer_context = nullptr;
};
