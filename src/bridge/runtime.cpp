// Runtime: the bridge's front (runatime/runtime.hpp) over RuntimeImpl —
// creation, threads, tiers and their entries, calls through entries, main,
// uncaught exceptions, frame walking and the profile dump.
#include <cinttypes>
#include <cstddef>
#include <string>

#include "bridge/piece_cache.hpp"
#include "bridge/runtime_impl.hpp"
#include "bridge/scheduler.hpp"
#include "bridge/stacks.hpp"
#include "types/text.hpp"

namespace runa::rt {

// Thread::roots covers exception and trace as one range.
static_assert(offsetof(Thread, trace) == offsetof(Thread, exception) + sizeof(Value));

RuntimeImpl::RuntimeImpl(RuntimeOptions options, std::unique_ptr<heap::Heap> heap,
                         std::unique_ptr<types::TypeSystem> types)
    : options_(std::move(options)),
      heap_(std::move(heap)),
      types_(std::move(types)),
      fixed_roots_(heap_->add_roots(fixed_, kFixedCount)) {
  bridge::add_core_natives(natives_);
  host_behaviours_.add_native(natives_);
  modules_ = std::make_unique<bridge::Modules>(*types_, natives_, options_.module_path);
  builtins_ = std::make_unique<bridge::BuiltinMethods>(natives_);
  shapes_.function = types_->closures().function_type();
  shapes_.closure = types_->closures().closure_type();
  shapes_.cell = types_->closures().cell_type();
  shapes_.list = types_->lists().list_type();
  shapes_.iterator = types_->iterators().iterator_type();
  shapes_.numbers = &types_->context();
  policy_ = std::make_unique<bridge::Policy>(*this, options_.policy);
  heap::set_stack_describer(*heap_, &bridge::describe_stack, nullptr);
}

RuntimeImpl::~RuntimeImpl() {
  policy_.reset();  // joins the compiler thread before the tiers go
  heap::set_stack_describer(*heap_, nullptr, nullptr);
  for (auto& r : records_) heap_->remove_roots(r->roots);
  if (native_roots_ != 0) heap_->remove_roots(native_roots_);
  heap_->remove_roots(fixed_roots_);
}

std::uint32_t RuntimeImpl::add_tier(const TierInfo& tier) {
  std::lock_guard lock(mu_);
  tiers_.push_back(std::make_unique<TierInfo>(tier));
  return static_cast<std::uint32_t>(tiers_.size() - 1);
}

bool RuntimeImpl::add_native(std::string_view name, std::uint32_t arity, bridge::NativeFn fn,
                             const void* context) {
  std::lock_guard lock(mu_);
  return !started_ && natives_.add(name, arity, fn, context);
}

void RuntimeImpl::install(const FunctionInfo& f, std::uint32_t tier, void* code,
                          std::uint32_t osr_offset) {
  auto e = std::make_unique<Entry>(Entry{tier, code, osr_offset});
  Entry* raw = e.get();
  {
    std::lock_guard lock(entries_mu_);
    entries_.push_back(std::move(e));
  }
  (osr_offset == kNoOsr ? f.entry : f.osr).store(raw, std::memory_order_release);
}

bool RuntimeImpl::start(Thread& t) {
  // Every attach comes here, already a mutator, and the lock's holder may
  // be collecting (a load allocates under it; so does the first start). So
  // wait for it in a native region, as adopt() does, or that collection
  // waits for this thread while this thread waits for the lock: seen as a
  // hang when an actor worker attached while the main thread loaded a
  // module (Tier0Test.ABehaviourThatThrowsStopsItsActor).
  std::unique_lock lock(mu_, std::defer_lock);
  {
    heap::NativeRegion region(*t.m);
    lock.lock();
  }
  if (started_) return true;
  started_ = true;
  heap::Mutator& m = *t.m;
  const auto& all = natives_.all();
  native_objects_ = std::make_unique<Value[]>(all.size());
  native_roots_ = heap_->add_roots(native_objects_.get(), all.size());
  std::size_t i = 0;
  for (const auto& [name, native] : all) {
    module::Function& def = native_defs_.emplace_back();
    def.name = name;
    def.flags = module::kFnNative;
    auto f = make_function(nullptr, 0, &def);
    f->params = native.arity;
    f->native = &native;
    f->object = &native_objects_[i];
    const Value o = types_->closures().make_function(m, reinterpret_cast<std::uint64_t>(f.get()),
                                                     native.arity, false, 0);
    if (o == types::kNothing) return false;
    native_objects_[i++] = o;
    natives_by_native_.emplace(&native, std::move(f));
  }
  fixed_[kOom] = types_->exceptions().make(m, types_->exceptions().type("OutOfMemory"),
                                           "the heap is exhausted");
  fixed_[kArguments] = types_->lists().make(m, options_.arguments.size());
  if (fixed_[kOom] == types::kNothing || fixed_[kArguments] == types::kNothing) return false;
  for (const std::string& a : options_.arguments) {
    heap::HandleScope scope(m);
    heap::Handle s(m, types_->strings().make(m, a));
    heap::Handle list(m, fixed_[kArguments]);
    if (s.value() == types::kNothing || !types_->lists().append(m, list, s)) return false;
  }
  return true;
}

const FunctionInfo* RuntimeImpl::native_function(const bridge::Native* n) const {
  auto it = natives_by_native_.find(n);
  return it == natives_by_native_.end() ? nullptr : it->second.get();
}

const FunctionInfo* RuntimeImpl::method_function(const types::MethodDesc* md) const {
  const ModuleInfo* m = module_info(md->module);
  return m == nullptr ? nullptr : m->functions[md->function].get();
}

const ModuleInfo* RuntimeImpl::module_info(const types::ModuleTypes* mt) const {
  std::lock_guard lock(mu_);
  auto it = by_types_.find(mt);
  return it == by_types_.end() ? nullptr : &it->second->info;
}

std::vector<const ModuleRecord*> RuntimeImpl::modules() const {
  std::lock_guard lock(mu_);
  std::vector<const ModuleRecord*> out;
  for (const auto& r : records_) out.push_back(r.get());
  return out;
}

std::unique_ptr<FunctionInfo> RuntimeImpl::make_function(const ModuleInfo* owner,
                                                         std::uint32_t index,
                                                         const module::Function* def) {
  auto f = std::make_unique<FunctionInfo>();
  f->module = owner;
  f->index = index;
  f->def = def;
  f->params = static_cast<std::uint32_t>(def->params.size());
  f->varargs = (def->flags & module::kFnVarargs) != 0;
  const std::uint32_t n = tier_count();
  f->prepared = std::make_unique<std::atomic<void*>[]>(n == 0 ? 1 : n);
  std::uint32_t lowest = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (tiers_[i]->level < tiers_[lowest]->level) lowest = i;
  }
  install(*f, lowest, nullptr);
  return f;
}

// ---- Runtime ---------------------------------------------------------------------------

Runtime::Runtime(std::unique_ptr<RuntimeImpl> impl) : impl_(std::move(impl)) {
  impl_->start_threads(*this);
}
// Program threads still running end before anything they use does; then
// the pool tasks stop being polled (pool_tasks.hpp, "Shutdown") and the
// actors they may have sent to stop, while the pool's workers can detach;
// what pool tasks are left goes once the pool has ended.
Runtime::~Runtime() {
  finish();
}

void Runtime::finish() {
  impl_->program_threads().join_all();
  impl_->pool_tasks().close();
  impl_->actors().shut_down();
  impl_->pool_tasks().release();
}

Result<std::unique_ptr<Runtime>> Runtime::create(const RuntimeOptions& options) {
  auto heap = heap::Heap::create(options.heap);
  if (!heap) return heap.error();
  auto types = types::TypeSystem::create(**heap);
  if (!types) return types.error();
  return std::unique_ptr<Runtime>(
      new Runtime(std::make_unique<RuntimeImpl>(options, std::move(*heap), std::move(*types))));
}

heap::Heap& Runtime::heap() {
  return impl_->heap();
}
const RuntimeOptions& Runtime::options() const {
  return impl_->options();
}
std::uint32_t Runtime::register_tier(const TierInfo& tier) {
  return impl_->add_tier(tier);
}
const TierInfo& Runtime::tier(std::uint32_t index) const {
  return impl_->tier(index);
}
std::uint32_t Runtime::tier_count() const {
  return impl_->tier_count();
}

Thread& Runtime::attach(std::string_view name) {
  auto* t = new Thread;
  t->runtime = this;
  t->m = &impl_->heap().attach();
  {
    ThreadRegistry& all = impl_->threads();
    std::lock_guard lock(all.mu);
    t->id = ++all.attached;
    t->name = name.empty() ? "thread " + std::to_string(t->id) : std::string(name);
    all.all.push_back(t);
  }
  t->tier_state.assign(impl_->tier_count(), nullptr);
  t->roots = impl_->heap().add_roots(&t->exception, 2);
  bridge::set_current_thread(t);
  if (!impl_->start(*t)) {
    std::fprintf(stderr, "runa: the heap cannot hold the runtime's own objects\n");
    std::abort();
  }
  return *t;
}

void Runtime::detach(Thread& t) {
  {
    ThreadRegistry& all = impl_->threads();
    std::lock_guard lock(all.mu);
    std::erase(all.all, &t);
  }
  for (std::uint32_t i = 0; i < t.tier_state.size(); ++i) {
    const TierInfo& tier = impl_->tier(i);
    if (t.tier_state[i] != nullptr && tier.callbacks.thread_exit != nullptr) {
      tier.callbacks.thread_exit(tier.data, t);
    }
  }
  bridge::Scheduler::release(t);
  impl_->thread_locals().release(t);  // the thread's values die with it
  bridge::PieceCache::release(t);
  for (const std::uint64_t id : t.host_roots) impl_->heap().remove_roots(id);
  impl_->heap().remove_roots(t.roots);
  bridge::set_current_thread(nullptr);
  impl_->heap().detach(*t.m);
  delete &t;
}

Result<const ModuleInfo*> Runtime::load(Thread& t, const std::string& path) {
  auto r = impl_->load_path(t, path);
  if (!r) return r.error();
  return &(*r)->info;
}

bool Runtime::call(Thread& t, Value* callee, Value* args, std::uint32_t n, Value* out) {
  const FunctionInfo* f = ops::callee(t, *callee, n);
  if (f == nullptr) return false;
  if (f->native != nullptr) return ops::call_native(t, *f, args, n, out);
  if ((f->def->flags & (module::kFnGenerator | module::kFnAsync)) != 0) {
    return ops::suspended_call(t, *f, callee, args, n, out);
  }
  const Entry& e = f->current();
  const TierInfo& tier = impl_->tier(e.tier);
  return tier.callbacks.invoke(tier.data, t, *f, callee, args, n, out);
}

int Runtime::run_main(Thread& t, const ModuleInfo& m) {
  const FunctionInfo* main = m.function("main");
  if (main == nullptr) {
    std::fprintf(stderr, "runa: %s has no function main: it is a library, not a program\n",
                 m.path.c_str());
    return 1;
  }
  heap::HandleScope scope(*t.m);
  heap::Handle callee(*t.m, *main->object);
  heap::Handle arg(*t.m, *impl_->arguments_slot());
  heap::Handle result(*t.m, types::kNothing);
  if (!call(t, callee.slot(), arg.slot(), main->params, result.slot())) return -1;
  // An ASYNC main returned its Coroutine: run it, and the tasks it spawns.
  if ((main->def->flags & module::kFnAsync) != 0 &&
      !ops::run_coroutine(t, result.slot(), result.slot())) {
    return -1;
  }
  const Value v = result.value();
  if (v == types::kNothing) return 0;
  if (types::is_int(impl_->types().context(), v)) {
    return static_cast<int>(static_cast<std::uint64_t>(types::as_int(v)) & 0xFF);
  }
  std::string text;
  impl_->types().text().append_literal(v, text);
  std::fprintf(stderr, "runa: main returned %s, not an Integer or nothing: exit status 1\n",
               text.c_str());
  return 1;
}

void Runtime::report_uncaught(Thread& t, std::FILE* to) {
  const types::TypeSystem& ts = impl_->types();
  const Value e = t.exception;
  std::string line;
  Value trace = t.trace;
  if (ts.exceptions().is_exception(e)) {
    const auto* type =
        static_cast<const types::TypeDesc*>(impl_->heap().descriptor_of(heap::as_object(e)));
    line = "uncaught " + (type != nullptr ? type->name : std::string("exception"));
    const Value message = types::Exceptions::message(e);
    if (ts.strings().is_string(message)) {
      line += ": ";
      ts.strings().append_to(message, line);
    }
    trace = types::Exceptions::trace(e);
  } else {
    line = "uncaught value ";
    ts.text().append_literal(e, line);
  }
  std::fprintf(to, "%s\n", line.c_str());
  if (!ts.lists().is_list(trace)) return;
  for (std::uint64_t i = 0;; ++i) {
    auto frame = types::Lists::get(trace, i);
    if (!frame) break;
    std::string where = "    at ";
    ts.strings().append_to(*types::Tuples::get(*frame, 0), where);
    const Value file = *types::Tuples::get(*frame, 1);
    const std::int64_t ln = types::as_int(*types::Tuples::get(*frame, 2));
    if (ts.strings().is_string(file) && ln > 0) {
      where += " (";
      ts.strings().append_to(file, where);
      where += ":" + std::to_string(ln) + ")";
    }
    std::fprintf(to, "%s\n", where.c_str());
  }
}

void Runtime::install(const FunctionInfo& f, std::uint32_t tier, void* code) {
  impl_->install(f, tier, code);
}

void Runtime::install_osr(const FunctionInfo& f, std::uint32_t tier, void* code,
                          std::uint32_t offset) {
  impl_->install(f, tier, code, offset);
}

void Runtime::hot(Thread& /*t*/, const FunctionInfo& f, std::uint32_t osr_offset) {
  if (f.module == nullptr) return;
  impl_->policy().hot(f, osr_offset);
}

void Runtime::deoptimize(const FunctionInfo& f, std::string_view reason) {
  impl_->policy().deoptimize(f, reason);
}

bool Runtime::deoptimize_frame(Thread& t, const FunctionInfo& f, std::string_view reason,
                               std::uint32_t offset, Value* frame, std::uint32_t slots,
                               std::uint32_t stack, Value* out) {
  impl_->policy().deoptimize(f, reason);
  const TierInfo& lowest = impl_->tier(f.current().tier);
  if (lowest.callbacks.enter == nullptr) {
    return ops::raise(t, "NotAvailable",
                      lowest.name + " takes no running frame (" + std::string(f.name()) + ")");
  }
  return lowest.callbacks.enter(lowest.data, t, f, nullptr, offset, frame, slots, stack, out);
}

void Runtime::walk(Thread& t, FrameSink sink, void* ctx) {
  struct Stop {
    FrameSink sink = nullptr;
    void* ctx = nullptr;
    bool stopped = false;
  } stop{sink, ctx};
  auto relay = [](void* c, const FrameInfo& f) {
    auto* s = static_cast<Stop*>(c);
    if (!s->sink(s->ctx, f)) s->stopped = true;
    return !s->stopped;
  };
  for (Activation* a = t.activations; a != nullptr && !stop.stopped; a = a->previous) {
    const TierInfo& tier = impl_->tier(a->tier);
    if (tier.callbacks.walk != nullptr) tier.callbacks.walk(tier.data, t, a->frames, relay, &stop);
  }
}

void Runtime::dump_profiles(std::FILE* to) const {
  std::fprintf(to, "{\"functions\": [");
  const char* sep = "\n";
  for (const ModuleRecord* r : impl_->modules()) {
    for (const auto& f : r->info.functions) {
      if (f->code.empty()) continue;
      const Profile& p = f->profile;
      std::fprintf(to,
                   "%s  {\"module\": \"%s\", \"function\": \"%s\", \"tier\": \"%s\", "
                   "\"calls\": %" PRIu32 ", \"backedges\": %" PRIu32 ", \"deopts\": %" PRIu32
                   ", \"branches\": [",
                   sep, r->info.name.c_str(), f->def->name.c_str(),
                   impl_->tier(f->current().tier).name.c_str(), p.calls.load(), p.backedges.load(),
                   f->deopts.load());
      for (std::size_t i = 0; i < p.branch_offsets.size(); ++i) {
        std::fprintf(
            to, "%s{\"offset\": %" PRIu32 ", \"taken\": %" PRIu32 ", \"not_taken\": %" PRIu32 "}",
            i == 0 ? "" : ", ", p.branch_offsets[i], p.branches[i].taken.load(),
            p.branches[i].not_taken.load());
      }
      std::fprintf(to, "], \"allocations\": [");
      for (std::size_t i = 0; i < p.allocation_offsets.size(); ++i) {
        std::fprintf(to, "%s{\"offset\": %" PRIu32 ", \"count\": %" PRIu32 "}", i == 0 ? "" : ", ",
                     p.allocation_offsets[i], p.allocations[i].load());
      }
      std::fprintf(to, "], \"receivers\": [");
      for (std::size_t i = 0; i < p.receiver_offsets.size(); ++i) {
        const ReceiverProfile& site = p.receivers[i];
        const std::uint32_t state = site.state.load();
        std::fprintf(to, "%s{\"offset\": %" PRIu32 ", \"state\": \"%s\", \"types\": [",
                     i == 0 ? "" : ", ", p.receiver_offsets[i],
                     state == 0                               ? "empty"
                     : state == 1                             ? "monomorphic"
                     : state == ReceiverProfile::kMegamorphic ? "megamorphic"
                                                              : "polymorphic");
        for (std::uint32_t k = 0; k < ReceiverProfile::kTypes; ++k) {
          const void* type = site.types[k].load();
          if (type == nullptr) break;
          std::fprintf(to, "%s\"%s\"", k == 0 ? "" : ", ",
                       static_cast<const types::TypeDesc*>(type)->name.c_str());
        }
        std::fprintf(to, "]}");
      }
      std::fprintf(to, "]}");
      sep = ",\n";
    }
  }
  std::fprintf(to, "\n]}\n");
}

}  // namespace runa::rt
