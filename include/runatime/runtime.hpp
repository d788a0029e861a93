// runatime/runtime.hpp — the execution bridge's C++ API: a runtime (heap,
// types, natives, loaded modules, tiers, policy), the threads attached to
// it, the public view of loaded modules and functions, and the tier
// interface through which an engine — the reference tier 0 in engines/, or
// the real AOTT — runs Runa code on RunaTime (docs/bridge.md).
//
// The operations a tier calls for everything but its own fast paths (items,
// text, calls by name, exceptions) are in runatime/ops.hpp.
//
// Invariants:
//   - Every loaded module and function stays at its address until the
//     runtime is destroyed; so do a module's constant and global slots,
//     which the collector updates in place (they are root sets).
//   - A function's entry (`FunctionInfo::entry`) names the tier that serves
//     it. Tiers are registered before any module runs and never removed, so
//     a tier index read from an entry stays valid. The entry changes only
//     through Runtime::install (the coordinator), with a release store;
//     callers read it with acquire, so a caller that sees a new tier also
//     sees that tier's code for the function (docs/bridge.md, "Entries").
//   - A Thread is used only by the thread that attached it. Its `exception`
//     and `trace` slots are roots.
//   - Profile counters are plain relaxed atomics written without
//     read-modify-write: two threads may lose an increment, never corrupt a
//     count (HotSpot's counters make the same trade).
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runatime/heap.hpp"
#include "runatime/module.hpp"
#include "runatime/result.hpp"

struct rt_runtime;
struct rt_thread;
struct rt_root_visitor;

namespace runa::rt {

using heap::Value;

class Runtime;
struct ModuleInfo;
struct FunctionInfo;
struct Thread;
namespace ops {
enum class Resumed : std::uint8_t;
}  // namespace ops

// ---- the tier policy (docs/bridge.md, "Policy") -------------------------------

struct PolicyOptions {
  // A function is a candidate for the next tier after this many calls, or
  // this many loop back-edges (HotSpot's tier-3 invocation threshold is 200
  // and its back-edge threshold 60,000; .NET's tiering counts 30 calls);
  // at most kProfileCap (a larger value acts as it).
  std::uint32_t call_threshold = 1000;
  std::uint32_t backedge_threshold = 60000;
  // Speculation budget per function: deoptimisations allowed before the
  // policy stops promoting it (AOTT-PLAN.md: "speculation budget").
  std::uint32_t speculation_budget = 4;
  // Background threads serving the promotion queue.
  unsigned compiler_threads = 1;
  std::FILE* log = nullptr;  // --tier-log: one line per decision
};

// ---- profile records -------------------------------------------------------------

// Per function, owned by the runtime, fed by the tiers and read by the
// policy and by tools (--profile-dump).
struct BranchCounts {
  std::atomic<std::uint32_t> taken{0};
  std::atomic<std::uint32_t> not_taken{0};
};

// The receiver types one CALL_METHOD site has seen, first seen first: the
// inline-cache states of docs/types.md (0 empty, 1 monomorphic, 2 to 4
// polymorphic, kMegamorphic past four types). Each slot is claimed once by
// a compare-and-swap, so two threads recording at once never overwrite a
// type; the state only grows.
struct ReceiverProfile {
  static constexpr std::uint32_t kTypes = 4;
  static constexpr std::uint32_t kMegamorphic = kTypes + 1;
  std::atomic<const void*> types[kTypes] = {};  // type descriptors (opaque here)
  std::atomic<std::uint32_t> state{0};
};

struct Profile {
  std::atomic<std::uint32_t> calls{0};
  std::atomic<std::uint32_t> backedges{0};
  // One per conditional branch (JUMP_IF_TRUE, JUMP_IF_FALSE), in code order.
  std::unique_ptr<BranchCounts[]> branches;
  std::vector<std::uint32_t> branch_offsets;  // byte offset of each
  // One per allocation site (NEW, NEW_LIST, NEW_MAP, CLOSURE, LAMBDA).
  std::unique_ptr<std::atomic<std::uint32_t>[]> allocations;
  std::vector<std::uint32_t> allocation_offsets;
  // One per CALL_METHOD site.
  std::unique_ptr<ReceiverProfile[]> receivers;
  std::vector<std::uint32_t> receiver_offsets;
};

// Profile counters saturate at kProfileCap. Threads running the same code
// (pool tasks, actors, program threads) would otherwise write the same
// cache lines at every call, branch and back-edge and pass them back and
// forth between cores: two pool tasks counting primes in one function took
// twice the CPU time of one (docs/concurrency.md, "Tasks on the pool").
// Past the cap a counter is only read, and its line stays shared in both
// caches. 2^16 events say all a tier needs of a site; a branch stops
// counting both ways once its two counts sum to the cap, so its ratio is
// kept. A threshold above the cap acts as the cap.
inline constexpr std::uint32_t kProfileCap = std::uint32_t{1} << 16;

// One added to a counter below the cap. Counts may be lost when threads
// bump one counter at once (they are a heuristic's input, and a locked add
// on every call and branch would cost more than the profile is worth); on
// x86-64 that is one add to memory, elsewhere (and under ThreadSanitizer,
// which must see the access) a relaxed load and store.
inline void add_one(std::atomic<std::uint32_t>& c) {
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  asm("addl $1, %0" : "+m"(*reinterpret_cast<std::uint32_t*>(&c)));
#else
  c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
#endif
}

// A profile counter's increment, until it reaches the cap.
inline void bump(std::atomic<std::uint32_t>& c) {
  if (c.load(std::memory_order_relaxed) < kProfileCap) add_one(c);
}

// A branch's count, taken or not, until the two sum to the cap.
inline void bump(BranchCounts& b, bool taken) {
  if (b.taken.load(std::memory_order_relaxed) + b.not_taken.load(std::memory_order_relaxed) <
      kProfileCap) {
    add_one(taken ? b.taken : b.not_taken);
  }
}

// ---- the tier interface ----------------------------------------------------------------

// What a frame is, for stack traces and profilers.
struct FrameInfo {
  const FunctionInfo* function = nullptr;
  std::uint32_t offset = 0;  // bytecode offset of the instruction executing
};

// Receives frames innermost first; returns false to stop the walk.
using FrameSink = bool (*)(void* ctx, const FrameInfo& frame);

// A tier's callbacks. `self` is the `data` given at registration.
struct TierCallbacks {
  // Runs `f` on thread t: *callee is the Function or Closure value called
  // (a root slot), args[0..n) the arguments (root slots; a VARARGS
  // function's extras not yet gathered). Stores the result in *out; false
  // when it threw (t.exception holds it).
  bool (*invoke)(void* self, Thread& t, const FunctionInfo& f, Value* callee, Value* args,
                 std::uint32_t n, Value* out) = nullptr;
  // Prepares or compiles `f` for this tier; `osr_offset` is a loop header's
  // bytecode offset for on-stack replacement, or kNoOsr. Returns the code
  // word the tier wants in f's entry, or nullptr when it cannot serve f.
  void* (*prepare)(void* self, const FunctionInfo& f, std::uint32_t osr_offset) = nullptr;
  // Releases code prepare() returned, once no thread can be running it.
  void (*release)(void* self, const FunctionInfo& f, void* code) = nullptr;
  // Walks this tier's frames on thread t, innermost first (the frames of
  // the tier activation `activation`, see Activation).
  void (*walk)(void* self, Thread& t, void* activation, FrameSink sink, void* ctx) = nullptr;
  // Writes the state of a frame of `f` at `offset` (its slots, then its
  // operand stack) so that another tier may continue it there; returns the
  // number of values, or -1 if this tier cannot describe the frame.
  std::int64_t (*transfer)(void* self, Thread& t, void* activation, Value* out,
                           std::size_t capacity) = nullptr;
  // Thread t detaches: free this tier's state of it (t.tier_state[index]).
  void (*thread_exit)(void* self, Thread& t) = nullptr;
  // Continues the suspension in *suspension (a Generator or Coroutine of f,
  // marked running by the bridge, runatime/ops.hpp "generators") on
  // thread t, from its start when it was created, else from its saved
  // frame (ops::saved_frame), with *sent as the result of the YIELD it
  // stopped at. Runs until the frame suspends again (ops::suspend, then
  // kSuspended with the value yielded in *out), returns (kReturned, the
  // result in *out) or throws (kThrew). May be null: the tier runs no
  // GENERATOR or ASYNC function.
  ops::Resumed (*resume)(void* self, Thread& t, const FunctionInfo& f, Value* suspension,
                         Value* sent, Value* out) = nullptr;
  // On-stack replacement: continues a running frame of f at the loop
  // header `offset` with the code prepare(f, offset) returned. frame[-1]
  // is the callee value, frame[0..slots) the frame's slots, then `stack`
  // operand-stack values (root slots). Runs f to its return: the result in
  // *out, or false when it threw. May be null (the tier takes no frames).
  // The lowest tier's is also where deoptimize_frame sends a frame: there
  // `offset` may be any instruction's and `code` is null.
  bool (*enter)(void* self, Thread& t, const FunctionInfo& f, void* code, std::uint32_t offset,
                Value* frame, std::uint32_t slots, std::uint32_t stack, Value* out) = nullptr;
};

inline constexpr std::uint32_t kNoOsr = 0xFFFFFFFF;

struct TierInfo {
  std::string name;
  std::uint32_t level = 0;  // 0 interprets; higher levels are tried later
  TierCallbacks callbacks;
  void* data = nullptr;
};

// Which tier serves a function, and that tier's code for it.
struct Entry {
  std::uint32_t tier = 0;             // index of the registered tier
  void* code = nullptr;               // what that tier's prepare() returned
  std::uint32_t osr_offset = kNoOsr;  // an OSR entry: the loop header it takes frames at
};

// A run of one tier's frames on a thread: pushed when a tier starts
// executing (a call from native code or another tier), popped when it
// returns. The runtime walks the chain for traces, profilers and the GC.
struct Activation {
  Activation* previous = nullptr;
  std::uint32_t tier = 0;
  void* frames = nullptr;  // the tier's own description of its frames
};

// ---- threads -------------------------------------------------------------------------

// A frame enumerator added through the C ABI: the C function (runatime.h's
// rt_frame_enumerator) and its context, and the heap's id of the
// enumerator that calls it.
struct HostFrames {
  void (*fn)(void* context, rt_root_visitor* visitor) = nullptr;
  void* context = nullptr;
  std::uint64_t id = 0;
};

struct Thread {
  Runtime* runtime = nullptr;
  std::uint32_t id = 0;  // 1, 2, ... in the order threads attached
  std::string name;      // for dumps and traces ("thread 2" unless named)
  heap::Mutator* m = nullptr;
  Value exception = 0;      // the exception in flight (a root)
  Value trace = 0;          // its trace when it is not an Exception object (a root)
  std::uint64_t roots = 0;  // the heap's id of the two slots above
  Activation* activations = nullptr;
  std::uint32_t native_depth = 0;  // nested entries from C++ into tiers
  // Per-tier state of this thread (its stack, for tier 0), by tier index.
  std::vector<void*> tier_state;
  // The bridge's task scheduler of this thread (async functions), made at
  // its first use.
  void* scheduler = nullptr;
  // The bridge's table of this thread's values of programs' thread-locals
  // (src/bridge/thread_locals.hpp), made at its first thread_local_set and
  // freed when the thread detaches.
  void* locals = nullptr;
  // The bridge's cache of short Strings text_split made on this thread
  // (src/bridge/piece_cache.hpp), made at its first use and freed when the
  // thread detaches.
  void* pieces = nullptr;
  // Root sets the host added through the C ABI (rt_thread_roots_add), by
  // heap id: removed by id, or when the thread detaches.
  std::vector<std::uint64_t> host_roots;
  // Frame enumerators a C tier or host added through the C ABI
  // (rt_thread_frames_add): the heap calls each through its record, so a
  // record lives (at its own address) until the heap has forgotten it:
  // removed by id, or when the thread detaches.
  std::vector<std::unique_ptr<HostFrames>> host_frames;
};

// ---- modules and functions ----------------------------------------------------------

struct FunctionInfo {
  const ModuleInfo* module = nullptr;
  std::uint32_t index = 0;  // in module->module.functions
  const module::Function* def = nullptr;
  std::span<const std::uint8_t> code;  // empty for NATIVE and EXTERNAL
  std::uint32_t params = 0;
  std::uint32_t frame_slots = 0;
  std::uint32_t max_stack = 0;
  std::uint32_t upvalues = 0;
  const void* native = nullptr;  // the runtime native serving it (never a tier), or nullptr
  bool varargs = false;
  Value* object = nullptr;  // a root slot: the Function value of this function
  mutable std::atomic<Entry*> entry{nullptr};
  // A tier that can take a running frame at a loop header (nullptr: none
  // yet): installed by the policy after a hot loop, read by tiers at
  // back-edges.
  mutable std::atomic<Entry*> osr{nullptr};
  // What each tier's prepare() returned for it, by tier index (nullptr:
  // not prepared). A tier publishes its code here once, with a CAS.
  std::unique_ptr<std::atomic<void*>[]> prepared;
  mutable Profile profile;
  // Deoptimisations so far (the speculation budget counts them).
  mutable std::atomic<std::uint32_t> deopts{0};
  // This function's own speculation budget (0: the policy's, PolicyOptions),
  // set by an execution request (Runtime::execute).
  mutable std::atomic<std::uint32_t> budget{0};
  // Nanoseconds tiers spent preparing it (the policy's promotions and
  // Runtime::execute's), for execution results.
  mutable std::atomic<std::uint64_t> compile_ns{0};

  [[nodiscard]] std::string_view name() const { return def->name; }
  [[nodiscard]] const Entry& current() const { return *entry.load(std::memory_order_acquire); }
};

struct ModuleInfo {
  std::string name;
  std::string path;
  const module::Module* module = nullptr;
  std::vector<std::unique_ptr<FunctionInfo>> functions;      // by function index
  std::vector<std::pair<std::uint32_t, std::uint32_t>> ids;  // (id, index), sorted: by_id
  Value* constants = nullptr;  // root slots, one per constant (List/Map: unused)
  Value* globals = nullptr;    // root slots, one per global
  std::vector<std::string> global_names;
  const void* internal = nullptr;  // the bridge's own record

  // The non-method function of that name, or nullptr.
  [[nodiscard]] const FunctionInfo* function(std::string_view wanted) const;
  // The function whose id is `id`, or nullptr.
  [[nodiscard]] const FunctionInfo* by_id(std::uint32_t id) const;
  // The source position (file, line) of a bytecode offset of `f`; line 0
  // when the module has no debug information for it.
  [[nodiscard]] std::pair<std::string_view, std::uint32_t> where(const FunctionInfo& f,
                                                                 std::uint32_t offset) const;
};

// ---- the runtime ---------------------------------------------------------------------

struct RuntimeOptions {
  heap::Options heap;
  std::vector<std::string> module_path;  // LOAD_MODULE's search path
  std::FILE* out = stdout;               // the program's standard output
  std::vector<std::string> arguments;    // main's List of Strings
  PolicyOptions policy;
};

// ---- execution requests (AOTT-PLAN.md: _rt_aott_execute) ----------------------------

inline constexpr std::uint32_t kAnyTier = 0xFFFFFFFF;

struct ExecuteRequest {
  Value* callee = nullptr;  // a root slot: the Function or Closure value to call
  Value* args = nullptr;    // root slots
  std::uint32_t n = 0;
  // The tier wanted (an index from register_tier), or kAnyTier: whichever
  // serves the function. A tier that does not serve it yet is asked to
  // prepare it now, and installed as its entry when it can (a promotion,
  // or a demotion, that the caller chose rather than the policy).
  std::uint32_t tier = kAnyTier;
  // When the wanted tier cannot serve the function: run it where it is
  // (true), or refuse with a NotAvailable (false).
  bool fallback = true;
  // The function's speculation budget from now on (0: unchanged).
  std::uint32_t speculation_budget = 0;
};

struct ExecuteResult {
  Value value = 0;           // the result (not a root: root it before the next call)
  std::uint32_t tier = 0;    // the tier whose entry ran the call
  std::uint64_t run_ns = 0;  // the call itself, wall clock
  // Preparing the function during the request: the wanted tier's
  // prepare() here, and the policy's promotions that finished meanwhile.
  std::uint64_t compile_ns = 0;
  bool deoptimized = false;       // a tier sent it back to a lower tier meanwhile
  bool promoted = false;          // it left for a higher tier meanwhile
  std::uint32_t budget_left = 0;  // deoptimisations it may still have
};

class RuntimeImpl;

class Runtime {
 public:
  static Result<std::unique_ptr<Runtime>> create(const RuntimeOptions& options);
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  Runtime(Runtime&&) = delete;
  Runtime& operator=(Runtime&&) = delete;
  // finish(), then everything is freed.
  ~Runtime();
  // What the program still runs ends: its threads are joined (a thread
  // that ended by an uncaught exception is reported on stderr) and its
  // actors stopped. The calling thread must not be attached. The first
  // thing the destructor does; a process that exits right after need not
  // destroy the runtime (`runa run` does not).
  void finish();

  [[nodiscard]] heap::Heap& heap();
  [[nodiscard]] const RuntimeOptions& options() const;

  // Registers a tier; returns its index. Before any module is loaded.
  std::uint32_t register_tier(const TierInfo& tier);
  [[nodiscard]] const TierInfo& tier(std::uint32_t index) const;
  [[nodiscard]] std::uint32_t tier_count() const;

  // The calling thread, attached (once per thread) under `name` ("thread
  // N" when empty). Never collects.
  Thread& attach(std::string_view name = {});
  void detach(Thread& t);

  // Loads, verifies and links a module from a file (`.runas` assembled)
  // and runs its initializer. An initializer that throws leaves the
  // exception in t.exception and fails with the message "initializer threw".
  Result<const ModuleInfo*> load(Thread& t, const std::string& path);

  // Calls the callable in *callee (a Function or closure value) with
  // args[0..n), which are root slots, through its entry. MAY COLLECT.
  bool call(Thread& t, Value* callee, Value* args, std::uint32_t n, Value* out);
  // _rt_aott_execute: a call with a tier preference and a report of how it
  // ran (ExecuteRequest, ExecuteResult; docs/bridge.md, "Execution
  // requests"). False when the call threw, or when the wanted tier cannot
  // serve the function and the request allows no fallback (a NotAvailable
  // in t.exception). MAY COLLECT.
  bool execute(Thread& t, const ExecuteRequest& request, ExecuteResult& result);
  // The speculation budget f has left (its own, else the policy's, less
  // its deoptimisations).
  [[nodiscard]] std::uint32_t budget_left(const FunctionInfo& f) const;
  // Runs `main` of a loaded module with the runtime's arguments. Returns
  // the exit status (docs/bytecode.md §2.4), or -1 when main threw.
  int run_main(Thread& t, const ModuleInfo& m);
  // Writes the uncaught exception in t.exception (type, message, trace).
  void report_uncaught(Thread& t, std::FILE* to);

  // The coordinator: makes `tier` serve `f` with `code` (safe while other
  // threads run; the previous entry is retired, freed with the runtime).
  void install(const FunctionInfo& f, std::uint32_t tier, void* code);
  // The same for on-stack replacement at the loop header `offset`.
  void install_osr(const FunctionInfo& f, std::uint32_t tier, void* code, std::uint32_t offset);
  // Policy hooks, called by tiers: a function crossed a counter threshold
  // (at a loop header `osr_offset`, else kNoOsr); a tier's guard failed.
  void hot(Thread& t, const FunctionInfo& f, std::uint32_t osr_offset);
  void deoptimize(const FunctionInfo& f, std::string_view reason);
  // A tier's guard failed inside a running frame of f: deoptimize(f,
  // reason), then the frame continues in the lowest tier (its `enter`)
  // before the instruction at bytecode `offset`, from the state a tier
  // writes with `transfer`: frame[-1] is the callee value, frame[0..slots)
  // the slots, then `stack` operand-stack values (root slots, or values not
  // moved since the last safepoint). Runs f to its end: the result in *out,
  // or false when it threw, or when the lowest tier cannot take the frame
  // (NotAvailable or ValueError in t.exception; docs/bridge.md says which).
  bool deoptimize_frame(Thread& t, const FunctionInfo& f, std::string_view reason,
                        std::uint32_t offset, Value* frame, std::uint32_t slots,
                        std::uint32_t stack, Value* out);
  // Every loaded module's functions, for --profile-dump.
  void dump_profiles(std::FILE* to) const;
  // Walks thread t's frames across tiers, innermost first.
  void walk(Thread& t, FrameSink sink, void* ctx);
  // A dump of every attached thread — its stack across tiers and the tasks
  // of its scheduler with what each waits on — taken with the world
  // stopped (m: the calling thread's mutator, attached to this runtime's
  // heap): what `runa run` prints on SIGQUIT and the native runtime_dump
  // returns (docs/concurrency.md, "Dumps").
  std::string dump(heap::Mutator& m);

  [[nodiscard]] RuntimeImpl& impl() { return *impl_; }

 private:
  explicit Runtime(std::unique_ptr<RuntimeImpl> impl);
  std::unique_ptr<RuntimeImpl> impl_;
};

// The C ABI's objects (runatime/c/bridge.h) as the C++ ones, for engines
// that offer a C entry of their own (engines/tier0/rt_tier0.h).
Runtime& runtime_of(rt_runtime* runtime);
Thread& thread_of(rt_thread* thread);

}  // namespace runa::rt
