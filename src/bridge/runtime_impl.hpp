// RuntimeImpl: what a Runtime (runatime/runtime.hpp) owns — the heap, the
// type system, the natives, the loaded modules with their root slots, the
// registered tiers, the entries, the policy — and the helpers the
// operations (ops_*.cpp) share.
//
// Invariants:
//   - Module records are made under `mu_` and never freed before the
//     runtime; their constant, global and function-object slots are root
//     sets of the heap from the moment they are filled.
//   - Every FunctionInfo, a native's included, has a Function object in a
//     root slot, so PUSH_CONST of a function or an External reference
//     allocates nothing.
//   - Entries are replaced by install() only; replaced ones are kept in
//     `retired_` until the runtime dies, so a thread that loaded an entry
//     before the replacement may go on reading it.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "bridge/actors.hpp"
#include "bridge/builtin_methods.hpp"
#include "bridge/channels.hpp"
#include "bridge/host_behaviours.hpp"
#include "bridge/locks.hpp"
#include "bridge/modules.hpp"
#include "bridge/natives.hpp"
#include "bridge/policy.hpp"
#include "bridge/pool_tasks.hpp"
#include "bridge/sync.hpp"
#include "bridge/thread_locals.hpp"
#include "bridge/threads.hpp"
#include "runatime/ops.hpp"
#include "runatime/runtime.hpp"
#include "types/type_system.hpp"

namespace runa::rt {

// The bridge's record of one loaded module.
struct ModuleRecord {
  ModuleInfo info;
  const bridge::LoadedModule* loaded = nullptr;
  std::unique_ptr<Value[]> slots;  // constants, then globals, then Function objects
  std::uint64_t roots = 0;
};

// Every attached thread (dumps): registered after the heap attached it,
// unregistered before anything of it is freed. A dump holds the lock with
// the world stopped, which is safe because no thread polls (or waits for a
// collection) while holding it.
struct ThreadRegistry {
  std::mutex mu;
  std::vector<Thread*> all;
  std::uint32_t attached = 0;  // ever: the next thread's id
};

class RuntimeImpl {
 public:
  [[nodiscard]] ThreadRegistry& threads() { return threads_; }
  RuntimeImpl(RuntimeOptions options, std::unique_ptr<heap::Heap> heap,
              std::unique_ptr<types::TypeSystem> types);
  ~RuntimeImpl();
  RuntimeImpl(const RuntimeImpl&) = delete;
  RuntimeImpl& operator=(const RuntimeImpl&) = delete;
  RuntimeImpl(RuntimeImpl&&) = delete;
  RuntimeImpl& operator=(RuntimeImpl&&) = delete;

  // Made once the first thread attaches: Function objects of the natives,
  // the preallocated OutOfMemory. False when the heap cannot hold them.
  bool start(Thread& t);

  // Loads (once) and links the module at `path` or named `name`, runs its
  // initializer; the record, or an error (t.exception set when the
  // initializer threw).
  Result<ModuleRecord*> load_path(Thread& t, const std::string& path);
  Result<ModuleRecord*> load_named(Thread& t, std::string_view name);

  [[nodiscard]] const types::TypeSystem& types() const { return *types_; }
  [[nodiscard]] types::TypeSystem& types() { return *types_; }
  [[nodiscard]] heap::Heap& heap() { return *heap_; }
  [[nodiscard]] const RuntimeOptions& options() const { return options_; }
  [[nodiscard]] const ops::Shapes& shapes() const { return shapes_; }
  [[nodiscard]] bridge::Policy& policy() { return *policy_; }
  [[nodiscard]] bridge::Channels& channels() { return channels_; }
  [[nodiscard]] bridge::HostBehaviours& host_behaviours() { return host_behaviours_; }
  [[nodiscard]] bridge::Locks& locks() { return locks_; }
  [[nodiscard]] bridge::Synchronisers& synchronisers() { return synchronisers_; }
  [[nodiscard]] bridge::ThreadLocals& thread_locals() { return thread_locals_; }
  [[nodiscard]] bridge::Threads& program_threads() { return *program_threads_; }
  // Made by the Runtime in front of this, which program threads run on.
  [[nodiscard]] bridge::Actors& actors() { return *actors_; }
  [[nodiscard]] bridge::PoolTasks& pool_tasks() { return *pool_tasks_; }
  void start_threads(Runtime& front) {
    program_threads_ = std::make_unique<bridge::Threads>(front);
    actors_ = std::make_unique<bridge::Actors>(front);
    pool_tasks_ = std::make_unique<bridge::PoolTasks>(front);
  }

  // The FunctionInfo of a native (made by start()).
  [[nodiscard]] const FunctionInfo* native_function(const bridge::Native* n) const;
  [[nodiscard]] const FunctionInfo* native_function(std::string_view name) const {
    return native_function(natives_.find(name));
  }
  // The function of a method descriptor; nullptr for a module never adopted.
  [[nodiscard]] const FunctionInfo* method_function(const types::MethodDesc* md) const;
  // The loaded module whose descriptors are `mt`; nullptr for none (the
  // runtime's own types, or nullptr).
  [[nodiscard]] const ModuleInfo* module_info(const types::ModuleTypes* mt) const;
  [[nodiscard]] const bridge::BuiltinMethods& builtins() const { return *builtins_; }

  // Before the first thread attaches (false after it, or for a name taken).
  bool add_native(std::string_view name, std::uint32_t arity, bridge::NativeFn fn,
                  const void* context);
  [[nodiscard]] bool started() const { return started_; }
  std::uint32_t add_tier(const TierInfo& tier);
  [[nodiscard]] const TierInfo& tier(std::uint32_t i) const { return *tiers_[i]; }
  [[nodiscard]] std::uint32_t tier_count() const {
    return static_cast<std::uint32_t>(tiers_.size());
  }
  void install(const FunctionInfo& f, std::uint32_t tier, void* code,
               std::uint32_t osr_offset = kNoOsr);

  [[nodiscard]] Value* oom_slot() { return &fixed_[kOom]; }
  [[nodiscard]] Value* arguments_slot() { return &fixed_[kArguments]; }
  [[nodiscard]] std::vector<const ModuleRecord*> modules() const;

 private:
  Result<ModuleRecord*> adopt(Thread& t, const bridge::LoadedModule* loaded);
  bool fill(Thread& t, ModuleRecord& r);
  std::unique_ptr<FunctionInfo> make_function(const ModuleInfo* owner, std::uint32_t index,
                                              const module::Function* def);

  enum Fixed : std::uint8_t { kOom, kArguments, kFixedCount };

  RuntimeOptions options_;
  std::unique_ptr<heap::Heap> heap_;
  std::unique_ptr<types::TypeSystem> types_;
  bridge::Natives natives_;
  std::unique_ptr<bridge::Modules> modules_;
  std::unique_ptr<bridge::BuiltinMethods> builtins_;
  ops::Shapes shapes_;
  std::unique_ptr<bridge::Policy> policy_;
  bridge::Channels channels_{*heap_};
  bridge::HostBehaviours host_behaviours_{*heap_};
  bridge::Locks locks_{*heap_};
  bridge::Synchronisers synchronisers_{*heap_};
  bridge::ThreadLocals thread_locals_{*heap_};
  std::unique_ptr<bridge::Threads> program_threads_;
  std::unique_ptr<bridge::Actors> actors_;         // after the threads: they may send to actors
  std::unique_ptr<bridge::PoolTasks> pool_tasks_;  // after the actors: on their pool

  mutable std::recursive_mutex mu_;  // loading (initializers may load) and tiers
  std::deque<std::unique_ptr<TierInfo>> tiers_;
  std::deque<std::unique_ptr<ModuleRecord>> records_;
  std::map<const bridge::LoadedModule*, ModuleRecord*> by_loaded_;
  std::map<const types::ModuleTypes*, const ModuleRecord*> by_types_;
  std::deque<module::Function> native_defs_;
  std::unordered_map<const bridge::Native*, std::unique_ptr<FunctionInfo>> natives_by_native_;
  std::unique_ptr<Value[]> native_objects_;
  std::uint64_t native_roots_ = 0;
  std::mutex entries_mu_;
  std::vector<std::unique_ptr<Entry>> entries_;  // every entry ever installed
  Value fixed_[kFixedCount] = {};
  std::uint64_t fixed_roots_ = 0;
  std::atomic<bool> started_{false};
  ThreadRegistry threads_;
};

// The RuntimeImpl behind a thread.
inline RuntimeImpl& impl_of(Thread& t) {
  return t.runtime->impl();
}

}  // namespace runa::rt
