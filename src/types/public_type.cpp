// The public Type and InlineCache (include/runatime/types.hpp) over the
// descriptors: what needs no runtime. The rest of the public API (lookup
// by module, reflection on values, methods as functions) is the bridge's
// (src/bridge/types_api.cpp), which knows the loaded modules.
#include "runatime/module.hpp"
#include "runatime/types.hpp"
#include "types/type_desc.hpp"

namespace runa::rt {

namespace {

namespace ty = runa::types;

Field field_of(const ty::FieldDesc& f) {
  Field out;
  out.name = f.name;
  out.type = Type::of(f.type);
  out.owner = Type::of(f.owner);
  out.slot = f.slot;
  out.readonly = (f.flags & module::kFieldReadonly) != 0;
  out.is_private = (f.flags & module::kFieldPrivate) != 0;
  out.weak = (f.flags & module::kFieldWeak) != 0;
  return out;
}

}  // namespace

TypeKind Type::kind() const {
  return d_->kind;
}
std::string_view Type::name() const {
  return d_->name;
}
std::uint32_t Type::serial() const {
  return d_->serial;
}
Type Type::super() const {
  return Type(d_->super);
}
std::uint32_t Type::depth() const {
  return d_->depth;
}
std::uint32_t Type::arg_count() const {
  return static_cast<std::uint32_t>(d_->args.size());
}
Type Type::arg(std::uint32_t i) const {
  return i < d_->args.size() ? Type(d_->args[i]) : Type();
}
Type Type::result() const {
  return Type(d_->result);
}
std::uint32_t Type::field_count() const {
  return static_cast<std::uint32_t>(d_->fields.size());
}
Field Type::field(std::uint32_t i) const {
  return i < d_->fields.size() ? field_of(d_->fields[i]) : Field{};
}
std::optional<Field> Type::field(std::string_view field_name) const {
  const ty::FieldDesc* f = d_->field(field_name);
  if (f == nullptr) return std::nullopt;
  return field_of(*f);
}
bool Type::is_subtype_of(Type t) const {
  return ty::is_subtype(d_, t.d_);
}

bool InlineCache::record(Type receiver, std::uintptr_t data) {
  while (writing_.test_and_set(std::memory_order_acquire)) writing_.wait(true);
  bool cached = true;
  const std::uint32_t n = count_.load(std::memory_order_relaxed);
  bool seen = false;
  for (std::uint32_t i = 0; i < n && i < kEntries; ++i) {
    seen = seen || entries_[i].type.load(std::memory_order_relaxed) == receiver.descriptor();
  }
  if (seen) {
    // A racing record() added it: it stays cached, whatever the state.
  } else if (n >= kEntries) {
    count_.store(kMegamorphic, std::memory_order_release);
    cached = false;
  } else {
    entries_[n].data.store(data, std::memory_order_relaxed);
    entries_[n].type.store(receiver.descriptor(), std::memory_order_release);
    count_.store(n + 1, std::memory_order_release);
  }
  writing_.clear(std::memory_order_release);
  writing_.notify_one();
  return cached;
}

}  // namespace runa::rt
