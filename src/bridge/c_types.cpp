// The run-time types' C ABI (include/runatime/c/types.h) over the C++ API
// (runatime/types.hpp). rt_type is the descriptor itself, cast; the info
// structs are filled from the C++ views, whose strings live as long as the
// runtime. Values passed in are held in handles for calls that may collect.
#include <memory>
#include <string>

#include "bridge/runtime_impl.hpp"
#include "runatime.h"
#include "runatime/types.hpp"
#include "services/c_abi.hpp"

struct rt_inline_cache {
  runa::rt::InlineCache cache;
};

namespace {

using runa::c_abi::fail;
using runa::c_abi::guarded;
using runa::c_abi::null_argument;
namespace rt = runa::rt;

static_assert(RT_TYPE_NOTHING == static_cast<int>(rt::TypeKind::kNothing) &&
              RT_TYPE_TUPLE == static_cast<int>(rt::TypeKind::kTuple) &&
              RT_TYPE_STRUCT == static_cast<int>(rt::TypeKind::kStruct) &&
              RT_TYPE_EXTERNAL == static_cast<int>(rt::TypeKind::kExternal));

rt::Type as_type(const rt_type* t) {
  return rt::Type::of(t);
}
const rt_type* as_c(rt::Type t) {
  return static_cast<const rt_type*>(t.descriptor());
}
rt::Thread& as_thread(rt_thread* t) {
  return rt::thread_of(t);
}
rt::Types types_of(rt_runtime* r) {
  return rt::Types(rt::runtime_of(r));
}
rt::Types types_of(rt::Thread& t) {
  return rt::Types(*t.runtime);
}

rt_status thrown(const char* fn) {
  return fail(RT_ERROR_THROWN, fn, "a Runa exception was raised (rt_exception_text says which)");
}

// The info structs' sizes are checked as rt_runtime_create checks its options.
template <typename Info>
rt_status check_size(const char* fn, const Info* info) {
  if (info->size != sizeof(Info)) {
    return fail(RT_ERROR_INVALID_ARGUMENT, fn, "the struct's size field is not its sizeof");
  }
  return RT_OK;
}

void fill(rt_field_info* out, const rt::Field& f) {
  out->name = f.name.data();
  out->type = as_c(f.type);
  out->owner = as_c(f.owner);
  out->slot = f.slot;
  out->flags = (f.readonly ? RT_FIELD_READONLY : 0U) | (f.is_private ? RT_FIELD_PRIVATE : 0U) |
               (f.weak ? RT_FIELD_WEAK : 0U);
}

void fill(rt_method_info* out, const rt::Method& m) {
  out->name = m.name.data();
  out->selector = m.selector;
  out->owner = as_c(m.owner);
  out->constructor = m.constructor ? 1 : 0;
  out->function = reinterpret_cast<const rt_function*>(m.function);
}

}  // namespace

extern "C" {

rt_status rt_type_info_init(rt_type_info* info) noexcept {
  if (info == nullptr) return null_argument("rt_type_info_init", "info");
  *info = rt_type_info{};
  info->size = sizeof(rt_type_info);
  return RT_OK;
}

rt_status rt_type_get_info(rt_runtime* runtime, const rt_type* type, rt_type_info* out) noexcept {
  constexpr const char* fn = "rt_type_get_info";
  return guarded(fn, [&]() -> rt_status {
    if (runtime == nullptr) return null_argument(fn, "runtime");
    if (type == nullptr) return null_argument(fn, "type");
    if (out == nullptr) return null_argument(fn, "out");
    if (rt_status s = check_size(fn, out); s != RT_OK) return s;
    const rt::Type t = as_type(type);
    const rt::Types types = types_of(runtime);
    out->kind = static_cast<rt_type_kind>(t.kind());
    out->name = t.name().data();
    out->serial = t.serial();
    out->super = as_c(t.super());
    out->depth = t.depth();
    out->field_count = t.field_count();
    out->method_count = rt::Types::method_count(t);
    out->arg_count = t.arg_count();
    out->result = as_c(t.result());
    out->module = reinterpret_cast<const rt_module*>(types.module(t));
    return RT_OK;
  });
}

rt_status rt_type_count(rt_runtime* runtime, uint32_t* out) noexcept {
  constexpr const char* fn = "rt_type_count";
  return guarded(fn, [&]() -> rt_status {
    if (runtime == nullptr) return null_argument(fn, "runtime");
    if (out == nullptr) return null_argument(fn, "out");
    *out = types_of(runtime).count();
    return RT_OK;
  });
}

rt_status rt_type_at(rt_runtime* runtime, uint32_t serial, const rt_type** out) noexcept {
  constexpr const char* fn = "rt_type_at";
  return guarded(fn, [&]() -> rt_status {
    if (runtime == nullptr) return null_argument(fn, "runtime");
    if (out == nullptr) return null_argument(fn, "out");
    const rt::Type t = types_of(runtime).at(serial);
    if (!t) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  "no type has serial " + std::to_string(serial) + " (serials run from 1 to " +
                      std::to_string(types_of(runtime).count()) + ")");
    }
    *out = as_c(t);
    return RT_OK;
  });
}

rt_status rt_type_builtin(rt_runtime* runtime, rt_type_kind kind, const rt_type** out) noexcept {
  constexpr const char* fn = "rt_type_builtin";
  return guarded(fn, [&]() -> rt_status {
    if (runtime == nullptr) return null_argument(fn, "runtime");
    if (out == nullptr) return null_argument(fn, "out");
    if (kind < RT_TYPE_NOTHING || kind > RT_TYPE_TUPLE) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  "kind " + std::to_string(kind) + " has no built-in type (0 to 8 have)");
    }
    *out = as_c(types_of(runtime).builtin(static_cast<rt::TypeKind>(kind)));
    return RT_OK;
  });
}

rt_status rt_type_find(rt_runtime* runtime, const rt_module* module, const char* name,
                       const rt_type** out) noexcept {
  constexpr const char* fn = "rt_type_find";
  return guarded(fn, [&]() -> rt_status {
    if (runtime == nullptr) return null_argument(fn, "runtime");
    if (module == nullptr) return null_argument(fn, "module");
    if (name == nullptr) return null_argument(fn, "name");
    if (out == nullptr) return null_argument(fn, "out");
    *out = as_c(rt::Types::find(*reinterpret_cast<const rt::ModuleInfo*>(module), name));
    return RT_OK;
  });
}

rt_status rt_type_arg(const rt_type* type, uint32_t i, const rt_type** out) noexcept {
  constexpr const char* fn = "rt_type_arg";
  if (type == nullptr) return null_argument(fn, "type");
  if (out == nullptr) return null_argument(fn, "out");
  const rt::Type t = as_type(type);
  if (i >= t.arg_count()) {
    return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                std::string(t.name()) + " has " + std::to_string(t.arg_count()) + " components");
  }
  *out = as_c(t.arg(i));
  return RT_OK;
}

rt_status rt_type_is_subtype(const rt_type* s, const rt_type* t, int* out) noexcept {
  constexpr const char* fn = "rt_type_is_subtype";
  if (s == nullptr) return null_argument(fn, "s");
  if (t == nullptr) return null_argument(fn, "t");
  if (out == nullptr) return null_argument(fn, "out");
  *out = as_type(s).is_subtype_of(as_type(t)) ? 1 : 0;
  return RT_OK;
}

rt_status rt_field_info_init(rt_field_info* info) noexcept {
  if (info == nullptr) return null_argument("rt_field_info_init", "info");
  *info = rt_field_info{};
  info->size = sizeof(rt_field_info);
  return RT_OK;
}

rt_status rt_type_field(const rt_type* type, uint32_t i, rt_field_info* out) noexcept {
  constexpr const char* fn = "rt_type_field";
  return guarded(fn, [&]() -> rt_status {
    if (type == nullptr) return null_argument(fn, "type");
    if (out == nullptr) return null_argument(fn, "out");
    if (rt_status s = check_size(fn, out); s != RT_OK) return s;
    const rt::Type t = as_type(type);
    if (i >= t.field_count()) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  std::string(t.name()) + " has " + std::to_string(t.field_count()) + " fields");
    }
    fill(out, t.field(i));
    return RT_OK;
  });
}

rt_status rt_type_field_named(const rt_type* type, const char* name, rt_field_info* out,
                              int* found) noexcept {
  constexpr const char* fn = "rt_type_field_named";
  return guarded(fn, [&]() -> rt_status {
    if (type == nullptr) return null_argument(fn, "type");
    if (name == nullptr) return null_argument(fn, "name");
    if (out == nullptr) return null_argument(fn, "out");
    if (found == nullptr) return null_argument(fn, "found");
    if (rt_status s = check_size(fn, out); s != RT_OK) return s;
    const std::optional<rt::Field> f = as_type(type).field(name);
    *found = f ? 1 : 0;
    if (f) fill(out, *f);
    return RT_OK;
  });
}

rt_status rt_method_info_init(rt_method_info* info) noexcept {
  if (info == nullptr) return null_argument("rt_method_info_init", "info");
  *info = rt_method_info{};
  info->size = sizeof(rt_method_info);
  return RT_OK;
}

rt_status rt_type_method(rt_runtime* runtime, const rt_type* type, uint32_t i,
                         rt_method_info* out) noexcept {
  constexpr const char* fn = "rt_type_method";
  return guarded(fn, [&]() -> rt_status {
    if (runtime == nullptr) return null_argument(fn, "runtime");
    if (type == nullptr) return null_argument(fn, "type");
    if (out == nullptr) return null_argument(fn, "out");
    if (rt_status s = check_size(fn, out); s != RT_OK) return s;
    const rt::Types types = types_of(runtime);
    const rt::Type t = as_type(type);
    if (i >= rt::Types::method_count(t)) {
      return fail(RT_ERROR_INVALID_ARGUMENT, fn,
                  std::string(t.name()) + " has " + std::to_string(rt::Types::method_count(t)) +
                      " methods");
    }
    fill(out, types.method(t, i));
    return RT_OK;
  });
}

rt_status rt_value_type(rt_thread* thread, rt_value v, const rt_type** out) noexcept {
  constexpr const char* fn = "rt_value_type";
  return guarded(fn, [&]() -> rt_status {
    if (thread == nullptr) return null_argument(fn, "thread");
    if (out == nullptr) return null_argument(fn, "out");
    *out = as_c(types_of(as_thread(thread)).of(v));
    return RT_OK;
  });
}

rt_status rt_value_instance_of(rt_thread* thread, rt_value v, const rt_type* type,
                               int* out) noexcept {
  constexpr const char* fn = "rt_value_instance_of";
  return guarded(fn, [&]() -> rt_status {
    if (thread == nullptr) return null_argument(fn, "thread");
    if (type == nullptr) return null_argument(fn, "type");
    if (out == nullptr) return null_argument(fn, "out");
    *out = types_of(as_thread(thread)).instance_of(v, as_type(type)) ? 1 : 0;
    return RT_OK;
  });
}

rt_status rt_value_cast(rt_thread* thread, rt_value v, const rt_type* type,
                        rt_value* out) noexcept {
  constexpr const char* fn = "rt_value_cast";
  return guarded(fn, [&]() -> rt_status {
    if (thread == nullptr) return null_argument(fn, "thread");
    if (type == nullptr) return null_argument(fn, "type");
    if (out == nullptr) return null_argument(fn, "out");
    rt::Thread& t = as_thread(thread);
    runa::heap::HandleScope scope(*t.m);
    runa::heap::Handle value(*t.m, v);
    runa::heap::Handle result(*t.m, rt::Value{0});
    if (!rt::Types::cast(t, value.slot(), as_type(type), result.slot())) return thrown(fn);
    *out = result.value();
    return RT_OK;
  });
}

rt_status rt_type_new(rt_thread* thread, const rt_type* type, rt_value* out) noexcept {
  constexpr const char* fn = "rt_type_new";
  return guarded(fn, [&]() -> rt_status {
    if (thread == nullptr) return null_argument(fn, "thread");
    if (type == nullptr) return null_argument(fn, "type");
    if (out == nullptr) return null_argument(fn, "out");
    rt::Thread& t = as_thread(thread);
    rt::Value v = 0;
    if (!rt::Types::make(t, as_type(type), &v)) return thrown(fn);
    *out = v;
    return RT_OK;
  });
}

rt_status rt_field_get(rt_thread* thread, rt_value object, const char* name,
                       rt_value* out) noexcept {
  constexpr const char* fn = "rt_field_get";
  return guarded(fn, [&]() -> rt_status {
    if (thread == nullptr) return null_argument(fn, "thread");
    if (name == nullptr) return null_argument(fn, "name");
    if (out == nullptr) return null_argument(fn, "out");
    rt::Thread& t = as_thread(thread);
    rt::Value v = 0;
    if (!types_of(t).get_field(t, &object, name, &v)) return thrown(fn);
    *out = v;
    return RT_OK;
  });
}

rt_status rt_field_set(rt_thread* thread, rt_value object, const char* name,
                       rt_value value) noexcept {
  constexpr const char* fn = "rt_field_set";
  return guarded(fn, [&]() -> rt_status {
    if (thread == nullptr) return null_argument(fn, "thread");
    if (name == nullptr) return null_argument(fn, "name");
    rt::Thread& t = as_thread(thread);
    runa::heap::HandleScope scope(*t.m);
    runa::heap::Handle o(*t.m, object);
    runa::heap::Handle v(*t.m, value);
    return types_of(t).set_field(t, o.slot(), name, v.slot()) ? RT_OK : thrown(fn);
  });
}

rt_status rt_method_invoke(rt_thread* thread, rt_value receiver, const char* name,
                           const rt_value* args, uint32_t n, rt_value* out) noexcept {
  constexpr const char* fn = "rt_method_invoke";
  return guarded(fn, [&]() -> rt_status {
    if (thread == nullptr) return null_argument(fn, "thread");
    if (name == nullptr) return null_argument(fn, "name");
    if (args == nullptr && n > 0) return null_argument(fn, "args");
    if (out == nullptr) return null_argument(fn, "out");
    rt::Thread& t = as_thread(thread);
    // invoke() roots the receiver and the arguments itself before anything
    // may collect; only the result needs a slot here.
    runa::heap::HandleScope scope(*t.m);
    runa::heap::Handle result(*t.m, rt::Value{0});
    if (!types_of(t).invoke(t, &receiver, name, args, n, result.slot())) return thrown(fn);
    *out = result.value();
    return RT_OK;
  });
}

rt_status rt_selector(rt_runtime* runtime, const char* name, uint32_t* out) noexcept {
  constexpr const char* fn = "rt_selector";
  return guarded(fn, [&]() -> rt_status {
    if (runtime == nullptr) return null_argument(fn, "runtime");
    if (name == nullptr) return null_argument(fn, "name");
    if (out == nullptr) return null_argument(fn, "out");
    *out = types_of(runtime).selector(name);
    return RT_OK;
  });
}

rt_status rt_method_lookup(rt_runtime* runtime, const rt_type* type, uint32_t selector,
                           rt_method_info* out, int* found) noexcept {
  constexpr const char* fn = "rt_method_lookup";
  return guarded(fn, [&]() -> rt_status {
    if (runtime == nullptr) return null_argument(fn, "runtime");
    if (type == nullptr) return null_argument(fn, "type");
    if (out == nullptr) return null_argument(fn, "out");
    if (found == nullptr) return null_argument(fn, "found");
    if (rt_status s = check_size(fn, out); s != RT_OK) return s;
    const std::optional<rt::Method> m = types_of(runtime).lookup(as_type(type), selector);
    *found = m ? 1 : 0;
    if (m) fill(out, *m);
    return RT_OK;
  });
}

rt_status rt_method_slot(rt_runtime* runtime, const rt_type* type, uint32_t selector,
                         uint32_t* out) noexcept {
  constexpr const char* fn = "rt_method_slot";
  return guarded(fn, [&]() -> rt_status {
    if (runtime == nullptr) return null_argument(fn, "runtime");
    if (type == nullptr) return null_argument(fn, "type");
    if (out == nullptr) return null_argument(fn, "out");
    *out = rt::Types::slot(as_type(type), selector);
    return RT_OK;
  });
}

rt_status rt_inline_cache_create(rt_inline_cache** out) noexcept {
  constexpr const char* fn = "rt_inline_cache_create";
  return guarded(fn, [&]() -> rt_status {
    if (out == nullptr) return null_argument(fn, "out");
    *out =
        std::make_unique<rt_inline_cache>().release();  // guarded() turns bad_alloc into a status
    return RT_OK;
  });
}

rt_status rt_inline_cache_destroy(rt_inline_cache* cache) noexcept {
  if (cache == nullptr) return null_argument("rt_inline_cache_destroy", "cache");
  delete cache;
  return RT_OK;
}

rt_status rt_inline_cache_find(const rt_inline_cache* cache, const rt_type* type, uintptr_t* data,
                               int* found) noexcept {
  constexpr const char* fn = "rt_inline_cache_find";
  if (cache == nullptr) return null_argument(fn, "cache");
  if (type == nullptr) return null_argument(fn, "type");
  if (data == nullptr) return null_argument(fn, "data");
  if (found == nullptr) return null_argument(fn, "found");
  *found = cache->cache.find(as_type(type), data) ? 1 : 0;
  return RT_OK;
}

rt_status rt_inline_cache_record(rt_inline_cache* cache, const rt_type* type, uintptr_t data,
                                 int* cached) noexcept {
  constexpr const char* fn = "rt_inline_cache_record";
  if (cache == nullptr) return null_argument(fn, "cache");
  if (type == nullptr) return null_argument(fn, "type");
  if (cached == nullptr) return null_argument(fn, "cached");
  *cached = cache->cache.record(as_type(type), data) ? 1 : 0;
  return RT_OK;
}

rt_status rt_inline_cache_state(const rt_inline_cache* cache, uint32_t* out) noexcept {
  if (cache == nullptr) return null_argument("rt_inline_cache_state", "cache");
  if (out == nullptr) return null_argument("rt_inline_cache_state", "out");
  *out = cache->cache.state();
  return RT_OK;
}

}  // extern "C"
