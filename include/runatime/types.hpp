// runatime/types.hpp — the run-time types' C++ API: type descriptors,
// reflection and dispatch over one Runtime (docs/types.md, "The public
// API"). The C ABI (runatime/c/types.h) is this, function for function.
//
// A Type names one descriptor: made once, immutable, as long-lived as its
// runtime, so a Type may be copied, compared and kept anywhere, and read
// from any thread without a lock. Two Types are the same type exactly when
// they compare equal (structural types are interned: `List[Integer]` is
// one descriptor whichever module names it).
//
// Reflection stands outside every module: PRIVATE fields are listed (with
// their flag) but never read or stored by name, READONLY fields are never
// stored, and a stored value must be of the field's declared type.
// Failures of a program's kind (no such field, a wrong type) are raised
// as Runa exceptions on the thread, as the bytecode would raise them; the
// call returns false and t.exception holds the exception.
//
// Dispatch: a selector is a method name interned once; `lookup` goes
// through the runtime's global method cache (lock-free on a hit; naming the
// method's FunctionInfo then takes the runtime's module lock), so a tier
// keeps its answers in an InlineCache per call site or field site, shared
// by every thread running the code (its protocol is written above it).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>

#include "runatime/heap.hpp"

namespace runa::types {
struct TypeDesc;
}  // namespace runa::types

namespace runa::rt {

using heap::Value;

class Runtime;
struct Thread;
struct ModuleInfo;
struct FunctionInfo;

// The kinds of RUNAB-1.2's type section, plus the built-in Set and Tuple.
enum class TypeKind : std::uint8_t {
  kNothing,
  kBoolean,
  kInteger,
  kFloat,
  kCharacter,
  kString,
  kAny,
  kSet,
  kTuple,
  kStruct,
  kList,
  kMap,
  kOptional,
  kUnion,
  kFunction,
  kExternal,
};

struct Field;

class Type {
 public:
  constexpr Type() = default;
  // The Type of a descriptor runatime/ops.hpp handed out (ops::type).
  static Type of(const void* descriptor) {
    return Type(static_cast<const types::TypeDesc*>(descriptor));
  }

  explicit operator bool() const { return d_ != nullptr; }
  friend bool operator==(Type a, Type b) { return a.d_ == b.d_; }
  // What runatime/ops.hpp takes (ops::instance_of, ops::cast).
  [[nodiscard]] const void* descriptor() const { return d_; }

  [[nodiscard]] TypeKind kind() const;
  [[nodiscard]] std::string_view name() const;
  // Dense from 1 in creation order: Types::at(serial) gives it back.
  [[nodiscard]] std::uint32_t serial() const;
  // A struct's supertype (none for a root struct and other kinds), and its
  // depth below its root (0 for a root).
  [[nodiscard]] Type super() const;
  [[nodiscard]] std::uint32_t depth() const;
  // Components: a List's element, a Map's key and value, an Optional's
  // base, a Union's members (by serial), a Function's parameters.
  [[nodiscard]] std::uint32_t arg_count() const;
  [[nodiscard]] Type arg(std::uint32_t i) const;
  [[nodiscard]] Type result() const;  // a Function type's; none otherwise

  // A struct's fields, inherited first: field i is value slot i of every
  // instance of the type and of its subtypes.
  [[nodiscard]] std::uint32_t field_count() const;
  [[nodiscard]] Field field(std::uint32_t i) const;
  [[nodiscard]] std::optional<Field> field(std::string_view field_name) const;

  // The relation of docs/bytecode.md §2.5.5 (TYPE_CHECK, CAST): Any, the
  // type itself, a supertype, an Optional or Union admitting it. Between
  // structs it is one load and one compare (a Cohen display, its first
  // eight levels inline; deeper, one bounds check more).
  [[nodiscard]] bool is_subtype_of(Type t) const;

 private:
  explicit Type(const types::TypeDesc* d) : d_(d) {}
  friend class Types;
  const types::TypeDesc* d_ = nullptr;
};

struct Field {
  std::string_view name;
  Type type;
  Type owner;  // the struct that declared it (a supertype for inherited fields)
  std::uint32_t slot = 0;
  bool readonly = false;  // stored only by the owner's constructors
  bool is_private = false;
  bool weak = false;
};

// A method name, interned: finding a method compares integers. 0 is no
// name (a name no module and no caller has interned).
using Selector = std::uint32_t;

struct Method {
  std::string_view name;
  Selector selector = 0;
  Type owner;  // the struct that declared it (a supertype for inherited ones)
  bool constructor = false;
  const FunctionInfo* function = nullptr;  // what rt::Runtime::call runs
};

// The types of one runtime: enumeration, reflection, dispatch. Cheap to
// make (one pointer); every member may be called from any attached thread.
class Types {
 public:
  explicit Types(Runtime& r) : r_(&r) {}

  // ---- enumeration -------------------------------------------------------------------------
  // Descriptors made so far (built-in ones included); at(1 .. count()).
  [[nodiscard]] std::uint32_t count() const;
  [[nodiscard]] Type at(std::uint32_t serial) const;
  // The built-in types of kinds kNothing .. kTuple; none for the others.
  [[nodiscard]] Type builtin(TypeKind k) const;
  // A type the module declares under that name (its type section), or none.
  [[nodiscard]] static Type find(const ModuleInfo& m, std::string_view name);
  // The loaded module that declares a struct or External type; nullptr for
  // built-in and structural types and the runtime's own exception types.
  [[nodiscard]] const ModuleInfo* module(Type t) const;
  // Interned structural types, made on first use.
  Type list_of(Type element);
  Type map_of(Type key, Type value);
  Type optional_of(Type base);

  // ---- values --------------------------------------------------------------------------------
  // Integer, Float..., List[Any] for a List, Dictionary[Any, Any], a
  // struct's own type; none for an object no type describes. Never collects.
  [[nodiscard]] Type of(Value v) const;
  [[nodiscard]] bool instance_of(Value v, Type t) const;  // never collects
  // CAST: *out is *v when it is of t, an Integer converted when t is Float;
  // otherwise TypeError ("cannot cast Integer 1 to String"). MAY COLLECT;
  // v and out are root slots.
  static bool cast(Thread& t, Value* v, Type type, Value* out);

  // ---- reflection ------------------------------------------------------------------------------
  // A new instance of a struct type, every field nothing, as NEW makes it
  // (a constructor is a method: invoke it next). TypeError for another
  // kind. MAY COLLECT; out is a root slot.
  static bool make(Thread& t, Type type, Value* out);
  // Field `name` of the struct instance in *object. TypeError when the value
  // is no struct or has no visible field of that name. Never collects.
  bool get_field(Thread& t, const Value* object, std::string_view name, Value* out) const;
  // Stores *value: TypeError for a missing, PRIVATE or READONLY field or a
  // value not of the field's type. object and value are root slots.
  bool set_field(Thread& t, Value* object, std::string_view name, Value* value) const;
  // A struct's methods in vtable order (inherited first, overrides in
  // their supertype's slot).
  [[nodiscard]] static std::uint32_t method_count(Type t);
  [[nodiscard]] Method method(Type t, std::uint32_t i) const;
  // Calls method `name` of *receiver with args[0..n) through the method's
  // entry, as CALL_METHOD would (built-in types' methods included).
  // TypeError when there is none or the count is wrong. MAY COLLECT;
  // receiver and args are copied into roots before anything may collect,
  // out is a root slot.
  bool invoke(Thread& t, const Value* receiver, std::string_view name, const Value* args,
              std::uint32_t n, Value* out) const;

  // ---- dispatch --------------------------------------------------------------------------------
  // The selector of a method name, interned on first use.
  Selector selector(std::string_view name);
  // The method `s` names on a struct type (inherited ones included), by the
  // global method cache; none when the type has no such method.
  [[nodiscard]] std::optional<Method> lookup(Type receiver, Selector s) const;
  // The vtable slot `s` names on a struct type, or kNoSlot. A slot is the
  // same in every subtype that inherits or overrides the method, so a tier
  // may resolve it once per hierarchy and call method(receiver, slot).
  static constexpr std::uint32_t kNoSlot = 0xFFFFFFFF;
  [[nodiscard]] static std::uint32_t slot(Type receiver, Selector s);

 private:
  [[nodiscard]] Method method_of(const void* method) const;
  Runtime* r_;
};

// The inline cache a tier keeps per call site or field site
// (docs/types.md, "Dispatch"): empty → monomorphic → polymorphic (up to
// kEntries receiver types) → megamorphic, after which find() misses for
// every new type and the site asks Types::lookup. Each entry maps a
// receiver type to one word: a FunctionInfo* for a call site, a slot for a
// field site.
//
// Protocol between threads sharing a site: entries are written once, in
// order, each published on its own — the data first, then the type with a
// release store; find() loads a type with acquire and reads the data only
// when the type matches, so the interleaving "a reader sees the type of an
// entry whose data is not yet written" cannot happen. record() serialises
// writers with the site's own spin flag (misses are rare and short); a
// racing record() of the same type finds it and adds nothing. No entry is
// ever rewritten, so a reader racing with the change to megamorphic still
// gets a right answer, and the types already seen keep hitting.
class InlineCache {
 public:
  static constexpr std::uint32_t kEntries = 4;
  static constexpr std::uint32_t kMegamorphic = kEntries + 1;

  // Whether the site has seen `receiver`, with its data in *data then.
  // Lock-free: a call's fast path.
  [[nodiscard]] bool find(Type receiver, std::uintptr_t* data) const {
    const void* key = receiver.descriptor();
    // The monomorphic hit first, straight-line: the common case of a site.
    if (entries_[0].type.load(std::memory_order_acquire) == key) [[likely]] {
      *data = entries_[0].data.load(std::memory_order_relaxed);
      return true;
    }
    for (std::uint32_t i = 1; i < kEntries; ++i) {
      const void* seen = entries_[i].type.load(std::memory_order_acquire);
      if (seen == key) {
        *data = entries_[i].data.load(std::memory_order_relaxed);
        return true;
      }
      if (seen == nullptr) break;
    }
    return false;
  }
  // The data recorded for `receiver`, or `miss`.
  [[nodiscard]] std::uintptr_t find(Type receiver, std::uintptr_t miss = 0) const {
    std::uintptr_t data = 0;
    return find(receiver, &data) ? data : miss;
  }
  // Records `data` for `receiver` after a miss; false once the site is (or
  // now becomes) megamorphic.
  bool record(Type receiver, std::uintptr_t data);
  // 0 empty, 1 monomorphic, 2..kEntries polymorphic, kMegamorphic.
  [[nodiscard]] std::uint32_t state() const { return count_.load(std::memory_order_acquire); }

 private:
  struct Entry {
    std::atomic<const void*> type{nullptr};
    std::atomic<std::uintptr_t> data{0};
  };
  std::array<Entry, kEntries> entries_{};
  std::atomic<std::uint32_t> count_{0};
  std::atomic_flag writing_;
};

}  // namespace runa::rt
