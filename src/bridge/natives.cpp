#include "bridge/natives.hpp"

namespace runa::bridge {

bool Natives::add(std::string_view name, std::uint32_t arity, NativeFn fn, const void* context) {
  return by_name_.try_emplace(std::string(name), Native{std::string(name), arity, fn, context})
      .second;
}

bool Natives::add(std::string_view name, std::uint32_t arity, NativeFn fn, NativeFastFn fast) {
  return by_name_
      .try_emplace(std::string(name), Native{std::string(name), arity, fn, nullptr, fast})
      .second;
}

const Native* Natives::find(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : &it->second;
}

NativeStatus Natives::call(const Native& native, NativeCall& call) {
  if (call.args.size() != native.arity) {
    return raise(call, "TypeError",
                 native.name + " takes " + std::to_string(native.arity) + " argument" +
                     (native.arity == 1 ? "" : "s") + ", got " + std::to_string(call.args.size()));
  }
  call.native = &native;
  return native.fn(call);
}

NativeStatus raise(NativeCall& call, std::string_view type, std::string_view message) {
  const types::Exceptions& ex = call.types.exceptions();
  const Value e = ex.make(call.m, ex.type(type), message);
  if (e == types::kNothing) return NativeStatus::kOutOfMemory;
  call.thrown = e;
  return NativeStatus::kThrow;
}

NativeStatus wrong_argument(NativeCall& call, std::string_view native, std::size_t index,
                            std::string_view wanted) {
  std::string message = std::string(native) + ": argument " + std::to_string(index + 1) +
                        " must be " + std::string(wanted) + ", not " +
                        call.types.describe(*call.args[index]);
  return raise(call, "TypeError", message);
}

}  // namespace runa::bridge
