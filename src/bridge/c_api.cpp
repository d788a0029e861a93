// The bridge's C ABI (include/runatime/c/bridge.h) over the C++ bridge
// (the concurrency part, concurrency.h, is c_concurrency.cpp).
//
// rt_runtime owns the C++ Runtime and the C side of what was registered
// through the ABI (natives, tiers): trampolines turn the C++ callbacks into
// the C ones. rt_thread, rt_module and rt_function are the C++ Thread,
// ModuleInfo and FunctionInfo themselves, cast.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "bridge/runtime_impl.hpp"
#include "runatime.h"
#include "runatime/heap_options.hpp"
#include "services/c_abi.hpp"

namespace {

using runa::c_abi::fail;
using runa::c_abi::guarded;
using runa::c_abi::null_argument;
namespace rt = runa::rt;

struct CNative {
  rt_native_fn fn;
  void* context;
};

struct CTier {
  rt_tier_callbacks callbacks;
  void* self;
  std::uint32_t index = 0;  // the runtime's index of the tier
};

// The frames of a C tier's activation, innermost first: its function alone
// at the offset the tier last reported (rt_frame_at), else where it began;
// or the positions the tier reported with rt_frames_at when its code runs
// inlined callees. frames[count - 1] is always the activation's function.
struct CFrame {
  const rt::FunctionInfo* f = nullptr;
  std::uint32_t offset = 0;
};
struct CFrames {
  std::uint32_t count = 1;
  CFrame frames[RT_MAX_FRAMES_PER_ACTIVATION];
};

}  // namespace

struct rt_runtime {
  std::unique_ptr<rt::Runtime> runtime;
  std::deque<CNative> natives;
  std::deque<CTier> tiers;
};

namespace {

rt::Thread& as_thread(rt_thread* t) {
  return *reinterpret_cast<rt::Thread*>(t);
}
const rt::FunctionInfo& as_function(const rt_function* f) {
  return *reinterpret_cast<const rt::FunctionInfo*>(f);
}
const rt_function* as_c(const rt::FunctionInfo& f) {
  return reinterpret_cast<const rt_function*>(&f);
}
rt_thread* as_c(rt::Thread& t) {
  return reinterpret_cast<rt_thread*>(&t);
}

// What the heap calls for a frame enumerator added with
// rt_thread_frames_add (ctx: its rt::HostFrames record).
void call_host_frames(void* ctx, runa::heap::RootVisitor& v) {
  const auto* h = static_cast<const rt::HostFrames*>(ctx);
  h->fn(h->context, reinterpret_cast<rt_root_visitor*>(&v));
}

rt_status thrown(const char* fn) {
  return fail(RT_ERROR_THROWN, fn, "the Runa code threw an exception nothing caught");
}

// ---- trampolines ---------------------------------------------------------------------------

runa::bridge::NativeStatus c_native(runa::bridge::NativeCall& call) {
  const auto* native = static_cast<const CNative*>(call.native->context);
  std::vector<rt_value> args(call.args.size());
  for (std::size_t i = 0; i < args.size(); ++i) args[i] = *call.args[i];
  rt_native_call c{as_c(*call.thread), args.data(), static_cast<std::uint32_t>(args.size()), 0};
  const rt_status s = native->fn(native->context, &c);
  if (s == RT_OK) {
    call.result = c.result;
    return runa::bridge::NativeStatus::kReturn;
  }
  if (s == RT_ERROR_THROWN && call.thread->exception != 0) {
    call.thrown = call.thread->exception;
    return runa::bridge::NativeStatus::kThrow;
  }
  return runa::bridge::raise(call, "ValueError",
                             call.native->name + " failed: " + rt_status_name(s));
}

// A C tier's status as the C++ callbacks' result: RT_OK is true; anything
// else is false with an exception in flight (the tier's own, or a
// NotAvailable naming the status when it threw none).
bool tier_result(rt_status s, rt::Thread& t, const rt::FunctionInfo& f) {
  if (s == RT_OK) return true;
  if (t.exception == 0) {
    runa::rt::ops::raise(
        t, "NotAvailable",
        std::string("a tier failed to run ") + std::string(f.name()) + ": " + rt_status_name(s));
  }
  return false;
}

// The trampolines around invoke and enter push an activation holding its
// CFrames, so that Runtime::walk (traces, dumps, profilers) sees the C
// tier's frames between the frames of the tiers it was called from and
// calls into; tier_walk reports them. Only frames[0] and the count are
// written per call: the rest are read only below a count rt_frames_at set.
class CActivation {
 public:
  CActivation(rt::Thread& t, const CTier& tier, const rt::FunctionInfo& f, std::uint32_t offset)
      : t_(t), act_{t.activations, tier.index, &frames_} {
    frames_.frames[0] = CFrame{&f, offset};
    t.activations = &act_;
  }
  ~CActivation() { t_.activations = act_.previous; }
  CActivation(const CActivation&) = delete;
  CActivation& operator=(const CActivation&) = delete;
  CActivation(CActivation&&) = delete;
  CActivation& operator=(CActivation&&) = delete;

 private:
  rt::Thread& t_;
  CFrames frames_;  // NOLINT(cppcoreguidelines-pro-type-member-init): see above
  rt::Activation act_;
};

void tier_walk(void* /*self*/, rt::Thread& /*t*/, void* activation, rt::FrameSink sink, void* ctx) {
  const auto* frames = static_cast<const CFrames*>(activation);
  for (std::uint32_t i = 0; i < frames->count; ++i) {
    if (!sink(ctx, rt::FrameInfo{frames->frames[i].f, frames->frames[i].offset})) return;
  }
}

bool tier_invoke(void* self, rt::Thread& t, const rt::FunctionInfo& f, rt::Value* callee,
                 rt::Value* args, std::uint32_t n, rt::Value* out) {
  const auto* tier = static_cast<const CTier*>(self);
  const CActivation running(t, *tier, f, 0);
  return tier_result(tier->callbacks.invoke(tier->self, as_c(t), as_c(f), callee, args, n, out), t,
                     f);
}

void* tier_prepare(void* self, const rt::FunctionInfo& f, std::uint32_t osr) {
  const auto* tier = static_cast<const CTier*>(self);
  return tier->callbacks.prepare == nullptr ? nullptr
                                            : tier->callbacks.prepare(tier->self, as_c(f), osr);
}

void tier_release(void* self, const rt::FunctionInfo& f, void* code) {
  const auto* tier = static_cast<const CTier*>(self);
  if (tier->callbacks.release != nullptr) tier->callbacks.release(tier->self, as_c(f), code);
}

bool tier_enter(void* self, rt::Thread& t, const rt::FunctionInfo& f, void* code,
                std::uint32_t offset, rt::Value* frame, std::uint32_t slots, std::uint32_t stack,
                rt::Value* out) {
  const auto* tier = static_cast<const CTier*>(self);
  const CActivation running(t, *tier, f, offset);
  return tier_result(
      tier->callbacks.enter(tier->self, as_c(t), as_c(f), code, offset, frame, slots, stack, out),
      t, f);
}

}  // namespace

namespace runa::rt {

Runtime& runtime_of(rt_runtime* runtime) {
  return *runtime->runtime;
}
Thread& thread_of(rt_thread* thread) {
  return as_thread(thread);
}

}  // namespace runa::rt

extern "C" {

rt_status rt_runtime_options_init(rt_runtime_options* options) noexcept {
  if (options == nullptr) return null_argument("rt_runtime_options_init", "options");
  *options = rt_runtime_options{};
  options->size = sizeof(rt_runtime_options);
  return RT_OK;
}

rt_status rt_runtime_create(const rt_runtime_options* options, rt_runtime** out) noexcept {
  constexpr const char* fn = "rt_runtime_create";
  return guarded(fn, [&]() -> rt_status {
    if (options == nullptr) return null_argument(fn, "options");
    if (out == nullptr) return null_argument(fn, "out");
    if (options->size != sizeof(rt_runtime_options)) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn, "options->size is not sizeof(rt_runtime_options)");
    }
    rt::RuntimeOptions o;
    auto heap = runa::heap::options_from_env();
    if (!heap) return fail(RT_ERROR_INVALID_ARGUMENT, fn, heap.error().describe());
    if (options->heap_options != nullptr) {
      heap = runa::heap::parse_options(options->heap_options, *heap);
      if (!heap) return fail(RT_ERROR_INVALID_ARGUMENT, fn, heap.error().describe());
    }
    o.heap = *heap;
    for (std::size_t i = 0; i < options->module_path_count; ++i) {
      o.module_path.emplace_back(options->module_path[i]);
    }
    for (std::size_t i = 0; i < options->argument_count; ++i) {
      o.arguments.emplace_back(options->arguments[i]);
    }
    if (options->call_threshold != 0) o.policy.call_threshold = options->call_threshold;
    if (options->backedge_threshold != 0) o.policy.backedge_threshold = options->backedge_threshold;
    if (options->speculation_budget != 0) o.policy.speculation_budget = options->speculation_budget;
    o.policy.log = options->tier_log != 0 ? stderr : nullptr;
    auto r = rt::Runtime::create(o);
    if (!r) return fail(RT_ERROR_INVALID_ARGUMENT, fn, r.error().describe());
    auto made = std::make_unique<rt_runtime>();
    made->runtime = std::move(*r);
    *out = made.release();
    return RT_OK;
  });
}

rt_status rt_runtime_destroy(rt_runtime* runtime) noexcept {
  return guarded("rt_runtime_destroy", [&]() -> rt_status {
    if (runtime == nullptr) return null_argument("rt_runtime_destroy", "runtime");
    delete runtime;
    return RT_OK;
  });
}

rt_status rt_thread_attach(rt_runtime* runtime, rt_thread** out) noexcept {
  return guarded("rt_thread_attach", [&]() -> rt_status {
    if (runtime == nullptr) return null_argument("rt_thread_attach", "runtime");
    if (out == nullptr) return null_argument("rt_thread_attach", "out");
    *out = as_c(runtime->runtime->attach());
    return RT_OK;
  });
}

rt_status rt_thread_detach(rt_runtime* runtime, rt_thread* thread) noexcept {
  return guarded("rt_thread_detach", [&]() -> rt_status {
    if (runtime == nullptr) return null_argument("rt_thread_detach", "runtime");
    if (thread == nullptr) return null_argument("rt_thread_detach", "thread");
    runtime->runtime->detach(as_thread(thread));
    return RT_OK;
  });
}

rt_status rt_module_load(rt_thread* thread, const char* path, const rt_module** out) noexcept {
  constexpr const char* fn = "rt_module_load";
  return guarded(fn, [&]() -> rt_status {
    if (thread == nullptr) return null_argument(fn, "thread");
    if (path == nullptr) return null_argument(fn, "path");
    if (out == nullptr) return null_argument(fn, "out");
    rt::Thread& t = as_thread(thread);
    auto m = t.runtime->load(t, path);
    if (!m) {
      return fail(t.exception != 0 ? RT_ERROR_THROWN : RT_ERROR_INVALID_ARGUMENT, fn,
                  m.error().describe());
    }
    *out = reinterpret_cast<const rt_module*>(*m);
    return RT_OK;
  });
}

rt_status rt_module_function(const rt_module* module, const char* name,
                             const rt_function** out) noexcept {
  constexpr const char* fn = "rt_module_function";
  return guarded(fn, [&]() -> rt_status {
    if (module == nullptr) return null_argument(fn, "module");
    if (name == nullptr) return null_argument(fn, "name");
    if (out == nullptr) return null_argument(fn, "out");
    const auto* m = reinterpret_cast<const rt::ModuleInfo*>(module);
    const rt::FunctionInfo* f = m->function(name);
    if (f == nullptr) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn, m->name + " has no function " + name);
    }
    *out = reinterpret_cast<const rt_function*>(f);
    return RT_OK;
  });
}

}  // extern "C"

namespace {

// Runs `run(callee, args)` with f's Function value and a copy of args[0..n)
// as one contiguous root range, as tiers receive their arguments.
template <class Run>
bool with_rooted_call(rt::Thread& t, const rt::FunctionInfo& f, const rt_value* args,
                      std::uint32_t n, Run run) {
  runa::heap::HandleScope scope(*t.m);
  runa::heap::Handle callee(*t.m, *f.object);
  std::vector<rt::Value> slots(args, args + n);
  const std::uint64_t roots = t.runtime->heap().add_roots(slots.data(), n);
  const bool ok = run(callee.slot(), slots.data());
  t.runtime->heap().remove_roots(roots);
  return ok;
}

}  // namespace

extern "C" {

rt_status rt_call(rt_thread* thread, const rt_function* f, const rt_value* args, uint32_t n,
                  rt_value* out) noexcept {
  constexpr const char* fn = "rt_call";
  return guarded(fn, [&]() -> rt_status {
    if (thread == nullptr) return null_argument(fn, "thread");
    if (f == nullptr) return null_argument(fn, "f");
    if (args == nullptr && n > 0) return null_argument(fn, "args");
    if (out == nullptr) return null_argument(fn, "out");
    rt::Thread& t = as_thread(thread);
    runa::heap::HandleScope scope(*t.m);
    runa::heap::Handle result(*t.m, runa::types::kNothing);
    const bool ok =
        with_rooted_call(t, as_function(f), args, n, [&](rt::Value* callee, rt::Value* a) {
          return t.runtime->call(t, callee, a, n, result.slot());
        });
    if (!ok) return thrown(fn);
    *out = result.value();
    return RT_OK;
  });
}

rt_status rt_execute_request_init(rt_execute_request* request) noexcept {
  if (request == nullptr) return null_argument("rt_execute_request_init", "request");
  *request = rt_execute_request{};
  request->size = sizeof(rt_execute_request);
  request->tier = RT_ANY_TIER;
  return RT_OK;
}

rt_status rt_execute_result_init(rt_execute_result* result) noexcept {
  if (result == nullptr) return null_argument("rt_execute_result_init", "result");
  *result = rt_execute_result{};
  result->size = sizeof(rt_execute_result);
  return RT_OK;
}

rt_status rt_execute(rt_thread* thread, const rt_execute_request* request,
                     rt_execute_result* result) noexcept {
  constexpr const char* fn = "rt_execute";
  return guarded(fn, [&]() -> rt_status {
    if (thread == nullptr) return null_argument(fn, "thread");
    if (request == nullptr) return null_argument(fn, "request");
    if (result == nullptr) return null_argument(fn, "result");
    if (request->size != sizeof(rt_execute_request)) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn, "request->size is not sizeof(rt_execute_request)");
    }
    if (result->size != sizeof(rt_execute_result)) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn, "result->size is not sizeof(rt_execute_result)");
    }
    if (request->function == nullptr) return null_argument(fn, "request->function");
    if (request->args == nullptr && request->count > 0) return null_argument(fn, "request->args");
    rt::Thread& t = as_thread(thread);
    rt::ExecuteResult r;
    const bool ok = with_rooted_call(t, as_function(request->function), request->args,
                                     request->count, [&](rt::Value* callee, rt::Value* a) {
                                       rt::ExecuteRequest q;
                                       q.callee = callee;
                                       q.args = a;
                                       q.n = request->count;
                                       q.tier = request->tier;
                                       q.fallback = request->no_fallback == 0;
                                       q.speculation_budget = request->speculation_budget;
                                       return t.runtime->execute(t, q, r);
                                     });
    result->value = r.value;
    result->tier = r.tier;
    result->deoptimized = r.deoptimized ? 1 : 0;
    result->promoted = r.promoted ? 1 : 0;
    result->budget_left = r.budget_left;
    result->run_ns = r.run_ns;
    result->compile_ns = r.compile_ns;
    return ok ? RT_OK : thrown(fn);
  });
}

rt_status rt_run_main(rt_thread* thread, const rt_module* module, int* exit_status) noexcept {
  constexpr const char* fn = "rt_run_main";
  return guarded(fn, [&]() -> rt_status {
    if (thread == nullptr) return null_argument(fn, "thread");
    if (module == nullptr) return null_argument(fn, "module");
    if (exit_status == nullptr) return null_argument(fn, "exit_status");
    rt::Thread& t = as_thread(thread);
    const int status = t.runtime->run_main(t, *reinterpret_cast<const rt::ModuleInfo*>(module));
    if (status < 0) return thrown(fn);
    *exit_status = status;
    return RT_OK;
  });
}

rt_status rt_thread_roots_add(rt_thread* thread, rt_value* slots, size_t count,
                              uint64_t* id) noexcept {
  constexpr const char* fn = "rt_thread_roots_add";
  return guarded(fn, [&]() -> rt_status {
    if (thread == nullptr) return null_argument(fn, "thread");
    if (slots == nullptr && count > 0) return null_argument(fn, "slots");
    if (id == nullptr) return null_argument(fn, "id");
    rt::Thread& t = as_thread(thread);
    *id = t.runtime->heap().add_roots(slots, count);
    t.host_roots.push_back(*id);
    return RT_OK;
  });
}

rt_status rt_thread_roots_remove(rt_thread* thread, uint64_t id) noexcept {
  constexpr const char* fn = "rt_thread_roots_remove";
  return guarded(fn, [&]() -> rt_status {
    if (thread == nullptr) return null_argument(fn, "thread");
    rt::Thread& t = as_thread(thread);
    auto it = std::find(t.host_roots.begin(), t.host_roots.end(), id);
    if (it == t.host_roots.end()) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  "id " + std::to_string(id) + " is no root set this thread added");
    }
    t.host_roots.erase(it);
    t.runtime->heap().remove_roots(id);
    return RT_OK;
  });
}

rt_status rt_thread_frames_add(rt_thread* thread, rt_frame_enumerator enumerator, void* context,
                               uint64_t* id) noexcept {
  constexpr const char* fn = "rt_thread_frames_add";
  return guarded(fn, [&]() -> rt_status {
    if (thread == nullptr) return null_argument(fn, "thread");
    if (enumerator == nullptr) return null_argument(fn, "enumerator");
    if (id == nullptr) return null_argument(fn, "id");
    rt::Thread& t = as_thread(thread);
    // The record first, then the heap's enumerator: the heap never holds a
    // record that is not in the list.
    auto& h = t.host_frames.emplace_back(
        std::make_unique<rt::HostFrames>(rt::HostFrames{enumerator, context, 0}));
    try {
      h->id = t.runtime->heap().add_frame_enumerator(*t.m, &call_host_frames, h.get());
    } catch (...) {
      t.host_frames.pop_back();
      throw;
    }
    *id = h->id;
    return RT_OK;
  });
}

rt_status rt_thread_frames_remove(rt_thread* thread, uint64_t id) noexcept {
  constexpr const char* fn = "rt_thread_frames_remove";
  return guarded(fn, [&]() -> rt_status {
    if (thread == nullptr) return null_argument(fn, "thread");
    rt::Thread& t = as_thread(thread);
    auto it = std::find_if(t.host_frames.begin(), t.host_frames.end(),
                           [id](const auto& h) { return h->id == id; });
    if (it == t.host_frames.end()) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  "id " + std::to_string(id) + " is no frame enumerator this thread added");
    }
    // The heap forgets it before the record goes (the reverse of adding).
    t.runtime->heap().remove_frame_enumerator(*t.m, id);
    t.host_frames.erase(it);
    return RT_OK;
  });
}

rt_status rt_exception_text(rt_thread* thread, char* buffer, size_t capacity,
                            size_t* length) noexcept {
  constexpr const char* fn = "rt_exception_text";
  return guarded(fn, [&]() -> rt_status {
    if (thread == nullptr) return null_argument(fn, "thread");
    if (buffer == nullptr && capacity > 0) return null_argument(fn, "buffer");
    rt::Thread& t = as_thread(thread);
    if (t.exception == 0) return fail(RT_ERROR_INVALID_STATE, fn, "no exception is in flight");
    char* text = nullptr;
    std::size_t size = 0;
    std::FILE* f = open_memstream(&text, &size);
    if (f == nullptr) return fail(RT_ERROR_OUT_OF_MEMORY, fn, "cannot open a memory stream");
    t.runtime->report_uncaught(t, f);
    std::fclose(f);
    if (capacity > 0) {
      const std::size_t n = size < capacity - 1 ? size : capacity - 1;
      std::memcpy(buffer, text, n);
      buffer[n] = '\0';
    }
    if (length != nullptr) *length = size;
    std::free(text);  // NOLINT(cppcoreguidelines-no-malloc): open_memstream's buffer
    return RT_OK;
  });
}

rt_status rt_exception_clear(rt_thread* thread) noexcept {
  if (thread == nullptr) return null_argument("rt_exception_clear", "thread");
  as_thread(thread).exception = 0;
  as_thread(thread).trace = 0;
  return RT_OK;
}

rt_status rt_integer_new(rt_thread* thread, int64_t i, rt_value* out) noexcept {
  if (thread == nullptr) return null_argument("rt_integer_new", "thread");
  if (out == nullptr) return null_argument("rt_integer_new", "out");
  rt::Thread& t = as_thread(thread);
  const rt::Value v = runa::types::make_int(t.runtime->impl().types().context(), *t.m, i);
  if (v == runa::types::kNothing)
    return fail(RT_ERROR_OUT_OF_MEMORY, "rt_integer_new", "the heap is full");
  *out = v;
  return RT_OK;
}

rt_status rt_integer_get(rt_thread* thread, rt_value v, int64_t* out) noexcept {
  if (thread == nullptr) return null_argument("rt_integer_get", "thread");
  if (out == nullptr) return null_argument("rt_integer_get", "out");
  if (!runa::types::is_int(as_thread(thread).runtime->impl().types().context(), v)) {
    return fail(RT_ERROR_INVALID_ARGUMENT, "rt_integer_get", "the value is not an Integer");
  }
  *out = runa::types::as_int(v);
  return RT_OK;
}

rt_status rt_string_new(rt_thread* thread, const char* utf8, size_t length,
                        rt_value* out) noexcept {
  constexpr const char* fn = "rt_string_new";
  return guarded(fn, [&]() -> rt_status {
    if (thread == nullptr) return null_argument(fn, "thread");
    if (utf8 == nullptr && length > 0) return null_argument(fn, "utf8");
    if (out == nullptr) return null_argument(fn, "out");
    rt::Thread& t = as_thread(thread);
    const auto s = t.runtime->impl().types().strings().make_checked(*t.m, {utf8, length});
    if (!s) return fail(RT_ERROR_INVALID_ARGUMENT, fn, "the bytes are not UTF-8");
    if (*s == runa::types::kNothing) return fail(RT_ERROR_OUT_OF_MEMORY, fn, "the heap is full");
    *out = *s;
    return RT_OK;
  });
}

rt_status rt_string_get(rt_thread* thread, rt_value v, char* buffer, size_t capacity,
                        size_t* length) noexcept {
  constexpr const char* fn = "rt_string_get";
  return guarded(fn, [&]() -> rt_status {
    if (thread == nullptr) return null_argument(fn, "thread");
    if (buffer == nullptr && capacity > 0) return null_argument(fn, "buffer");
    const auto& strings = as_thread(thread).runtime->impl().types().strings();
    if (!strings.is_string(v))
      return fail(RT_ERROR_INVALID_ARGUMENT, fn, "the value is not a String");
    std::string text;
    strings.append_to(v, text);
    if (capacity > 0) {
      const std::size_t n = text.size() < capacity - 1 ? text.size() : capacity - 1;
      std::memcpy(buffer, text.data(), n);
      buffer[n] = '\0';
    }
    if (length != nullptr) *length = text.size();
    return RT_OK;
  });
}

rt_status rt_native_register(rt_runtime* runtime, const char* name, uint32_t arity,
                             rt_native_fn native, void* context) noexcept {
  constexpr const char* fn = "rt_native_register";
  return guarded(fn, [&]() -> rt_status {
    if (runtime == nullptr) return null_argument(fn, "runtime");
    if (name == nullptr) return null_argument(fn, "name");
    if (native == nullptr) return null_argument(fn, "fn");
    rt::RuntimeImpl& impl = runtime->runtime->impl();
    if (impl.started()) {
      return fail(RT_ERROR_INVALID_STATE, fn, "natives are registered before a thread attaches");
    }
    CNative& c = runtime->natives.emplace_back(CNative{native, context});
    if (!impl.add_native(name, arity, c_native, &c)) {
      runtime->natives.pop_back();
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  std::string("a native named ") + name + " exists already");
    }
    return RT_OK;
  });
}

rt_status rt_native_lookup(rt_thread* thread, const char* name, const rt_function** out) noexcept {
  constexpr const char* fn = "rt_native_lookup";
  if (thread == nullptr) return null_argument(fn, "thread");
  if (name == nullptr) return null_argument(fn, "name");
  if (out == nullptr) return null_argument(fn, "out");
  const rt::FunctionInfo* f = as_thread(thread).runtime->impl().native_function(name);
  if (f == nullptr) return fail(RT_ERROR_INVALID_ARGUMENT, fn, std::string("no native ") + name);
  *out = reinterpret_cast<const rt_function*>(f);
  return RT_OK;
}

rt_status rt_native_throw(rt_native_call* call, const char* type, const char* message) noexcept {
  constexpr const char* fn = "rt_native_throw";
  return guarded(fn, [&]() -> rt_status {
    if (call == nullptr) return null_argument(fn, "call");
    if (type == nullptr) return null_argument(fn, "type");
    rt::Thread& t = as_thread(call->thread);
    if (t.runtime->impl().types().exceptions().type(type) == nullptr) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  std::string(type) + " is no runtime exception type");
    }
    rt::ops::raise(t, type, message != nullptr ? message : "");
    return RT_ERROR_THROWN;
  });
}

rt_status rt_tier_callbacks_init(rt_tier_callbacks* callbacks) noexcept {
  if (callbacks == nullptr) return null_argument("rt_tier_callbacks_init", "callbacks");
  *callbacks = rt_tier_callbacks{};
  callbacks->size = sizeof(rt_tier_callbacks);
  return RT_OK;
}

rt_status rt_tier_register(rt_runtime* runtime, const char* name, uint32_t level,
                           const rt_tier_callbacks* callbacks, void* self,
                           uint32_t* index) noexcept {
  constexpr const char* fn = "rt_tier_register";
  return guarded(fn, [&]() -> rt_status {
    if (runtime == nullptr) return null_argument(fn, "runtime");
    if (name == nullptr) return null_argument(fn, "name");
    if (callbacks == nullptr) return null_argument(fn, "callbacks");
    if (index == nullptr) return null_argument(fn, "index");
    if (callbacks->size != sizeof(rt_tier_callbacks) || callbacks->invoke == nullptr) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  "callbacks need their size (rt_tier_callbacks_init) and an invoke");
    }
    if (runtime->runtime->impl().started()) {
      return fail(RT_ERROR_INVALID_STATE, fn, "tiers are registered before a thread attaches");
    }
    CTier& c = runtime->tiers.emplace_back(CTier{*callbacks, self});
    rt::TierInfo info;
    info.name = name;
    info.level = level;
    info.data = &c;
    info.callbacks.invoke = tier_invoke;
    info.callbacks.prepare = tier_prepare;
    info.callbacks.release = tier_release;
    if (callbacks->enter != nullptr) info.callbacks.enter = tier_enter;
    info.callbacks.walk = tier_walk;
    c.index = runtime->runtime->register_tier(info);
    *index = c.index;
    return RT_OK;
  });
}

rt_status rt_frames_at(rt_thread* thread, const rt_frame_position* positions,
                       uint32_t count) noexcept {
  constexpr const char* fn = "rt_frames_at";
  if (thread == nullptr) return null_argument(fn, "thread");
  if (positions == nullptr) return null_argument(fn, "positions");
  rt::Thread& t = as_thread(thread);
  rt::Activation* a = t.activations;
  if (a == nullptr || t.runtime->tier(a->tier).callbacks.walk != tier_walk) {
    return fail(RT_ERROR_INVALID_STATE, fn, "no C tier's frame is this thread's innermost");
  }
  auto* frames = static_cast<CFrames*>(a->frames);
  // The activation's function: the outermost frame, whatever was reported before.
  const rt::FunctionInfo* own = frames->frames[frames->count - 1].f;
  if (count == 0 || count > RT_MAX_FRAMES_PER_ACTIVATION) {
    return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                "count " + std::to_string(count) + " is not between 1 and " +
                    std::to_string(RT_MAX_FRAMES_PER_ACTIVATION));
  }
  if (positions[count - 1].function != as_c(*own)) {
    return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                "the outermost position is not in " + std::string(own->name()) +
                    ", the function the activation runs");
  }
  for (std::uint32_t i = 0; i < count; ++i) {
    if (positions[i].function == nullptr) return null_argument(fn, "positions[i].function");
    const rt::FunctionInfo& f = as_function(positions[i].function);
    if (positions[i].offset >= f.code.size()) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  "offset " + std::to_string(positions[i].offset) + " is past the code of " +
                      std::string(f.name()));
    }
  }
  for (std::uint32_t i = 0; i < count; ++i) {
    frames->frames[i] = CFrame{&as_function(positions[i].function), positions[i].offset};
  }
  frames->count = count;
  return RT_OK;
}

rt_status rt_frame_at(rt_thread* thread, uint32_t offset) noexcept {
  constexpr const char* fn = "rt_frame_at";
  if (thread == nullptr) return null_argument(fn, "thread");
  rt::Thread& t = as_thread(thread);
  rt::Activation* a = t.activations;
  if (a == nullptr || t.runtime->tier(a->tier).callbacks.walk != tier_walk) {
    return fail(RT_ERROR_INVALID_STATE, fn, "no C tier's frame is this thread's innermost");
  }
  const auto* frames = static_cast<const CFrames*>(a->frames);
  const rt_frame_position own{as_c(*frames->frames[frames->count - 1].f), offset};
  return rt_frames_at(thread, &own, 1);
}

rt_status rt_function_info_init(rt_function_info* info) noexcept {
  if (info == nullptr) return null_argument("rt_function_info_init", "info");
  *info = rt_function_info{};
  info->size = sizeof(rt_function_info);
  return RT_OK;
}

rt_status rt_function_get_info(const rt_function* f, rt_function_info* out) noexcept {
  constexpr const char* fn = "rt_function_get_info";
  if (f == nullptr) return null_argument(fn, "f");
  if (out == nullptr) return null_argument(fn, "out");
  if (out->size != sizeof(rt_function_info)) {
    return fail(RT_ERROR_INVALID_ARGUMENT, fn, "out->size is not sizeof(rt_function_info)");
  }
  const rt::FunctionInfo& info = as_function(f);
  const rt::Entry& e = info.current();
  out->name = info.def->name.c_str();
  out->code = info.code.data();
  out->code_length = info.code.size();
  out->params = info.params;
  out->frame_slots = info.frame_slots;
  out->max_stack = info.max_stack;
  out->tier = e.tier;
  out->tier_code = e.code;
  return RT_OK;
}

rt_status rt_profile_init(rt_profile* profile) noexcept {
  if (profile == nullptr) return null_argument("rt_profile_init", "profile");
  *profile = rt_profile{};
  profile->size = sizeof(rt_profile);
  return RT_OK;
}

rt_status rt_profile_query(const rt_function* f, rt_profile* out) noexcept {
  constexpr const char* fn = "rt_profile_query";
  if (f == nullptr) return null_argument(fn, "f");
  if (out == nullptr) return null_argument(fn, "out");
  if (out->size != sizeof(rt_profile)) {
    return fail(RT_ERROR_INVALID_ARGUMENT, fn, "out->size is not sizeof(rt_profile)");
  }
  const rt::FunctionInfo& info = as_function(f);
  out->calls = info.profile.calls.load(std::memory_order_relaxed);
  out->backedges = info.profile.backedges.load(std::memory_order_relaxed);
  out->deopts = info.deopts.load(std::memory_order_relaxed);
  out->branches = static_cast<std::uint32_t>(info.profile.branch_offsets.size());
  out->allocation_sites = static_cast<std::uint32_t>(info.profile.allocation_offsets.size());
  out->method_sites = static_cast<std::uint32_t>(info.profile.receiver_offsets.size());
  return RT_OK;
}

rt_status rt_profile_branch(const rt_function* f, uint32_t index, uint32_t* offset, uint32_t* taken,
                            uint32_t* not_taken) noexcept {
  constexpr const char* fn = "rt_profile_branch";
  if (f == nullptr) return null_argument(fn, "f");
  const rt::Profile& p = as_function(f).profile;
  if (index >= p.branch_offsets.size()) {
    return fail(
        RT_ERROR_INVALID_ARGUMENT, fn,
        "branch " + std::to_string(index) + " of " + std::to_string(p.branch_offsets.size()));
  }
  if (offset != nullptr) *offset = p.branch_offsets[index];
  if (taken != nullptr) *taken = p.branches[index].taken.load(std::memory_order_relaxed);
  if (not_taken != nullptr) {
    *not_taken = p.branches[index].not_taken.load(std::memory_order_relaxed);
  }
  return RT_OK;
}

rt_status rt_profile_receivers(const rt_function* f, uint32_t index, uint32_t* offset,
                               uint32_t* state, const char** names, uint32_t capacity) noexcept {
  constexpr const char* fn = "rt_profile_receivers";
  if (f == nullptr) return null_argument(fn, "f");
  if (names == nullptr && capacity > 0) return null_argument(fn, "names");
  const rt::Profile& p = as_function(f).profile;
  if (index >= p.receiver_offsets.size()) {
    return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                "method site " + std::to_string(index) + " of " +
                    std::to_string(p.receiver_offsets.size()));
  }
  const rt::ReceiverProfile& site = p.receivers[index];
  if (offset != nullptr) *offset = p.receiver_offsets[index];
  if (state != nullptr) *state = site.state.load(std::memory_order_relaxed);
  for (std::uint32_t k = 0; k < capacity && k < rt::ReceiverProfile::kTypes; ++k) {
    const void* type = site.types[k].load(std::memory_order_acquire);
    names[k] =
        type == nullptr ? nullptr : static_cast<const runa::types::TypeDesc*>(type)->name.c_str();
  }
  return RT_OK;
}

rt_status rt_tier_promote(rt_thread* thread, const rt_function* f) noexcept {
  return guarded("rt_tier_promote", [&]() -> rt_status {
    if (thread == nullptr) return null_argument("rt_tier_promote", "thread");
    if (f == nullptr) return null_argument("rt_tier_promote", "f");
    rt::Thread& t = as_thread(thread);
    t.runtime->hot(t, as_function(f), rt::kNoOsr);
    return RT_OK;
  });
}

rt_status rt_tier_install(rt_runtime* runtime, const rt_function* f, uint32_t tier,
                          void* code) noexcept {
  return guarded("rt_tier_install", [&]() -> rt_status {
    if (runtime == nullptr) return null_argument("rt_tier_install", "runtime");
    if (f == nullptr) return null_argument("rt_tier_install", "f");
    if (tier >= runtime->runtime->tier_count()) {
      return fail(RT_ERROR_INVALID_ARGUMENT, "rt_tier_install", "no tier " + std::to_string(tier));
    }
    runtime->runtime->install(as_function(f), tier, code);
    return RT_OK;
  });
}

rt_status rt_deoptimize(rt_runtime* runtime, const rt_function* f, const char* reason) noexcept {
  return guarded("rt_deoptimize", [&]() -> rt_status {
    if (runtime == nullptr) return null_argument("rt_deoptimize", "runtime");
    if (f == nullptr) return null_argument("rt_deoptimize", "f");
    runtime->runtime->deoptimize(as_function(f), reason != nullptr ? reason : "");
    return RT_OK;
  });
}

rt_status rt_deoptimize_frame(rt_thread* thread, const rt_function* f, const char* reason,
                              uint32_t offset, rt_value callee, const rt_value* frame,
                              uint32_t slots, uint32_t stack, rt_value* out) noexcept {
  constexpr const char* fn = "rt_deoptimize_frame";
  return guarded(fn, [&]() -> rt_status {
    if (thread == nullptr) return null_argument(fn, "thread");
    if (f == nullptr) return null_argument(fn, "f");
    if (frame == nullptr && slots + std::uint64_t{stack} > 0) return null_argument(fn, "frame");
    if (out == nullptr) return null_argument(fn, "out");
    rt::Thread& t = as_thread(thread);
    runa::heap::HandleScope scope(*t.m);
    runa::heap::Handle result(*t.m, runa::types::kNothing);
    // The callee, slots and operands as one contiguous root range, as the
    // lowest tier's enter receives a frame.
    const std::size_t n = std::size_t{slots} + stack;
    std::vector<rt::Value> values(n + 1);
    values[0] = callee != 0 ? callee : *as_function(f).object;
    if (n > 0) std::copy(frame, frame + n, values.begin() + 1);
    const std::uint64_t roots = t.runtime->heap().add_roots(values.data(), values.size());
    const bool ok =
        t.runtime->deoptimize_frame(t, as_function(f), reason != nullptr ? reason : "", offset,
                                    values.data() + 1, slots, stack, result.slot());
    t.runtime->heap().remove_roots(roots);
    if (!ok) return thrown(fn);
    *out = result.value();
    return RT_OK;
  });
}

rt_status rt_speculation_budget(rt_runtime* runtime, const rt_function* f,
                                uint32_t* remaining) noexcept {
  if (runtime == nullptr) return null_argument("rt_speculation_budget", "runtime");
  if (f == nullptr) return null_argument("rt_speculation_budget", "f");
  if (remaining == nullptr) return null_argument("rt_speculation_budget", "remaining");
  *remaining = runtime->runtime->budget_left(as_function(f));
  return RT_OK;
}

rt_status rt_policy_drain(rt_runtime* runtime) noexcept {
  return guarded("rt_policy_drain", [&]() -> rt_status {
    if (runtime == nullptr) return null_argument("rt_policy_drain", "runtime");
    runtime->runtime->impl().policy().drain();
    return RT_OK;
  });
}

}  // extern "C"
