// Module records: a loaded, linked module as the tiers see it (ModuleInfo)
// — its functions with their entries and profile records, its constants,
// globals and Function objects in root slots — and running its
// initializer (docs/bytecode.md §2.6, "Module initializer").
//
// Loading order for one module: the bridge's Modules loads, verifies and
// links it (once per file); adopt() gives it a record, fills the root
// slots (which may collect: the slots are registered as roots first, all
// `nothing`), then runs `__init__`. A record whose initializer threw is
// dropped from the index, so a later load tries again; the record itself
// stays (Function objects of it may have escaped into other objects).
#include <algorithm>
#include <cstring>

#include "bridge/runtime_impl.hpp"

namespace runa::rt {

namespace {

using bridge::load_error;

// The names of the module's globals (metadata 0x21; the verifier checked it).
std::vector<std::string> global_names(const module::Module& m) {
  std::vector<std::string> names;
  for (const module::MetadataEntry& e : m.metadata) {
    if (e.type != module::kMetaGlobals) continue;
    const std::uint8_t* p = e.data.data();
    auto u32 = [&p] {
      std::uint32_t v = 0;
      std::memcpy(&v, p, 4);
      p += 4;
      return v;
    };
    const std::uint32_t count = u32();
    for (std::uint32_t i = 0; i < count; ++i) {
      const std::uint32_t length = u32();
      names.emplace_back(reinterpret_cast<const char*>(p), length);
      p += length;
      u32();  // the type id
    }
  }
  return names;
}

bool is_branch(bytecode::Op op) {
  return op == bytecode::Op::kJumpIfTrue || op == bytecode::Op::kJumpIfFalse;
}
bool is_allocation(bytecode::Op op) {
  using bytecode::Op;
  return op == Op::kNew || op == Op::kNewList || op == Op::kNewMap || op == Op::kClosure ||
         op == Op::kLambda;
}

// The profile record's sites, in code order (tiers find theirs by offset).
void size_profile(FunctionInfo& f) {
  Profile& p = f.profile;
  for (std::uint32_t pc = 0; pc < f.code.size();) {
    auto ins = bytecode::decode(f.code, pc);
    if (!ins) break;  // verified code decodes; nothing more to count
    if (is_branch(ins->op)) p.branch_offsets.push_back(pc);
    if (is_allocation(ins->op)) p.allocation_offsets.push_back(pc);
    if (ins->op == bytecode::Op::kCallMethod) p.receiver_offsets.push_back(pc);
    pc += ins->length;
  }
  p.branches = std::make_unique<BranchCounts[]>(p.branch_offsets.size());
  p.allocations = std::make_unique<std::atomic<std::uint32_t>[]>(p.allocation_offsets.size());
  p.receivers = std::make_unique<ReceiverProfile[]>(p.receiver_offsets.size());
}

}  // namespace

const FunctionInfo* ModuleInfo::function(std::string_view wanted) const {
  for (const auto& f : functions) {
    if (f->def->name == wanted && (f->def->flags & module::kFnMethod) == 0) return f.get();
  }
  return nullptr;
}

const FunctionInfo* ModuleInfo::by_id(std::uint32_t id) const {
  auto it =
      std::lower_bound(ids.begin(), ids.end(), std::pair<std::uint32_t, std::uint32_t>{id, 0});
  return it != ids.end() && it->first == id ? functions[it->second].get() : nullptr;
}

std::pair<std::string_view, std::uint32_t> ModuleInfo::where(const FunctionInfo& f,
                                                             std::uint32_t offset) const {
  const module::DebugInfo& debug = module->debug;
  const std::uint32_t at = f.def->code_offset + offset;
  const module::LineEntry* best = nullptr;
  for (const module::LineEntry& e : debug.lines) {
    if (e.offset > at) break;
    if (e.offset >= f.def->code_offset) best = &e;
  }
  if (best == nullptr) return {{}, 0};
  for (const module::SourceFile& file : debug.files) {
    if (file.id == best->file) return {file.path, best->line};
  }
  return {{}, best->line};
}

Result<ModuleRecord*> RuntimeImpl::load_path(Thread& t, const std::string& path) {
  const bridge::LoadedModule* loaded = nullptr;
  {
    // Loading may wait for another thread's load: in a native region, so
    // a collection never waits for this thread meanwhile.
    heap::NativeRegion region(*t.m);
    auto l = modules_->load_file(path);
    if (!l) return l.error();
    loaded = *l;
  }
  return adopt(t, loaded);
}

Result<ModuleRecord*> RuntimeImpl::load_named(Thread& t, std::string_view name) {
  const bridge::LoadedModule* loaded = nullptr;
  {
    heap::NativeRegion region(*t.m);
    auto l = modules_->load_name(name);
    if (!l) return l.error();
    loaded = *l;
  }
  return adopt(t, loaded);
}

Result<ModuleRecord*> RuntimeImpl::adopt(Thread& t, const bridge::LoadedModule* loaded) {
  std::unique_lock lock(mu_, std::defer_lock);
  {
    heap::NativeRegion region(*t.m);
    lock.lock();
  }
  if (auto it = by_loaded_.find(loaded); it != by_loaded_.end()) {
    return it->second;  // loaded, or its initializer is running (a cycle: as it is)
  }
  auto owned = std::make_unique<ModuleRecord>();
  ModuleRecord& r = *owned;
  r.loaded = loaded;
  r.info.name = loaded->name;
  r.info.path = loaded->path;
  r.info.module = &loaded->module;
  r.info.internal = &r;
  r.info.global_names = global_names(loaded->module);
  const module::Module& m = loaded->module;
  const std::size_t slots = m.constants.size() + r.info.global_names.size() + m.functions.size();
  r.slots = std::make_unique<Value[]>(slots);  // all nothing
  r.info.constants = r.slots.get();
  r.info.globals = r.slots.get() + m.constants.size();
  r.roots = heap_->add_roots(r.slots.get(), slots);
  for (std::uint32_t i = 0; i < m.functions.size(); ++i) {
    const module::Function& def = m.functions[i];
    auto f = make_function(&r.info, i, &def);
    f->code = std::span<const std::uint8_t>(m.code).subspan(def.code_offset, def.code_length);
    const module::FunctionFacts& facts = loaded->facts.functions[i];
    f->frame_slots = facts.frame_slots;
    f->max_stack = facts.max_stack;
    f->upvalues = facts.upvalues;
    f->native = loaded->function_natives[i];
    f->object = r.info.globals + r.info.global_names.size() + i;
    size_profile(*f);
    r.info.functions.push_back(std::move(f));
    r.info.ids.emplace_back(def.id, i);
  }
  std::sort(r.info.ids.begin(), r.info.ids.end());
  records_.push_back(std::move(owned));
  by_loaded_.emplace(loaded, &r);
  by_types_.emplace(loaded->types, &r);
  if (!fill(t, r)) {
    by_loaded_.erase(loaded);
    ops::out_of_memory(t);
    return load_error(loaded->path, "the heap cannot hold the module's constants");
  }
  if (const FunctionInfo* init = r.info.function("__init__"); init != nullptr) {
    heap::HandleScope scope(*t.m);
    heap::Handle result(*t.m, types::kNothing);
    if (!t.runtime->call(t, init->object, nullptr, 0, result.slot())) {
      by_loaded_.erase(loaded);
      return load_error(loaded->path, "its initializer __init__ threw");
    }
  }
  return &r;
}

// Function objects first (Function constants are they), then constants.
bool RuntimeImpl::fill(Thread& t, ModuleRecord& r) {
  heap::Mutator& m = *t.m;
  const module::Module& mod = r.loaded->module;
  for (const auto& f : r.info.functions) {
    const Value o = types_->closures().make_function(m, reinterpret_cast<std::uint64_t>(f.get()),
                                                     f->params, f->varargs, f->upvalues);
    if (o == types::kNothing) return false;
    *f->object = o;
  }
  for (std::size_t i = 0; i < mod.constants.size(); ++i) {
    const module::Constant& c = mod.constants[i];
    Value v = types::kNothing;
    switch (c.kind) {
      case module::ConstKind::kInteger:
        v = types::make_int(types_->context(), m, c.integer);
        break;
      case module::ConstKind::kDecimal:
        v = types::make_float(types_->context(), m, c.decimal);
        break;
      case module::ConstKind::kBoolean:
        v = types::make_boolean(c.boolean);
        break;
      case module::ConstKind::kText:
        v = types_->strings().make(m, c.text);
        break;
      case module::ConstKind::kFunction:
        v = *r.info.by_id(c.ref)->object;
        break;
      case module::ConstKind::kType:
        v = types_->type_values().get(m, r.loaded->types->by_id.at(c.ref));
        break;
      case module::ConstKind::kExternal:
        if (const bridge::Native* n = r.loaded->constant_natives[i]; n != nullptr) {
          v = *native_function(n)->object;
        }
        break;
      case module::ConstKind::kNull:
      case module::ConstKind::kList:  // made anew by each PUSH_CONST
      case module::ConstKind::kMap:
        continue;
    }
    if (v == types::kNothing && c.kind != module::ConstKind::kExternal) return false;
    r.info.constants[i] = v;
  }
  return true;
}

}  // namespace runa::rt
