// A test-only builder of small modules in memory, independent of the
// assembler: a minimal valid module (primitive types, a few function types,
// a struct, `main` returning a constant) that a test changes in one place to
// break exactly one rule. Also the assertions the verifier tests share.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runatime/bytecode.hpp"
#include "runatime/module.hpp"

namespace runa::verify_test {

using bytecode::Op;
using module::Bytes;
using module::Constant;
using module::ConstKind;
using module::Field;
using module::Function;
using module::Local;
using module::Module;
using module::Param;
using module::TypeDef;
using module::TypeKind;

// Type ids of the builder's types.
inline constexpr std::uint32_t kInt = 1;
inline constexpr std::uint32_t kString = 2;
inline constexpr std::uint32_t kNothing = 3;
inline constexpr std::uint32_t kBool = 4;
inline constexpr std::uint32_t kFnInt = 10;        // () -> Integer
inline constexpr std::uint32_t kFnIntInt = 11;     // (Integer) -> Integer
inline constexpr std::uint32_t kFnPointInt = 12;   // (Point) -> Integer
inline constexpr std::uint32_t kFnListInt = 13;    // (List[Integer]) -> Integer
inline constexpr std::uint32_t kFnIntIntInt = 14;  // (Integer, Integer) -> Integer
inline constexpr std::uint32_t kPoint = 20;        // struct Point { x: Integer, y: Integer }
inline constexpr std::uint32_t kListInt = 21;      // List[Integer]

// Constant indices of the builder's pool.
inline constexpr std::uint16_t kConst7 = 0;      // Integer 7
inline constexpr std::uint16_t kConstName = 1;   // Text "size"
inline constexpr std::uint16_t kConstPoint = 2;  // Type reference to Point
inline constexpr std::uint16_t kConstTrue = 3;   // Boolean true

// Instruction bytes, little-endian.
class Code {
 public:
  Code& op(Op o) { return u8(static_cast<std::uint8_t>(o)); }
  Code& u8(std::uint8_t v) {
    bytes_.push_back(v);
    return *this;
  }
  Code& u16(std::uint16_t v) { return raw(&v, sizeof v); }
  Code& u32(std::uint32_t v) { return raw(&v, sizeof v); }
  Code& i64(std::int64_t v) { return raw(&v, sizeof v); }
  // Overwrites the u32 at `at` (a forward branch target, once known).
  void patch(std::uint32_t at, std::uint32_t v) { std::memcpy(bytes_.data() + at, &v, sizeof v); }
  [[nodiscard]] std::uint32_t pc() const { return static_cast<std::uint32_t>(bytes_.size()); }
  [[nodiscard]] const Bytes& bytes() const { return bytes_; }

  // PUSH_CONST #k; RETURN
  Code& ret(std::uint16_t k = kConst7) { return op(Op::kPushConst).u16(k).op(Op::kReturn); }

 private:
  Code& raw(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::uint8_t*>(p);
    bytes_.insert(bytes_.end(), b, b + n);
    return *this;
  }
  Bytes bytes_;
};

inline TypeDef primitive(std::uint32_t id, std::string name) {
  TypeDef t;
  t.id = id;
  t.name = std::move(name);
  return t;
}

inline TypeDef fn_type(std::uint32_t id, std::string name, std::vector<std::uint32_t> params,
                       std::uint32_t result) {
  TypeDef t;
  t.id = id;
  t.kind = TypeKind::kFunction;
  t.name = std::move(name);
  t.refs = std::move(params);
  t.result = result;
  return t;
}

inline Constant integer(std::int64_t v) {
  Constant c;
  c.kind = ConstKind::kInteger;
  c.integer = v;
  return c;
}

inline Constant text(std::string s) {
  Constant c;
  c.kind = ConstKind::kText;
  c.text = std::move(s);
  return c;
}

inline Constant reference(ConstKind kind, std::uint32_t ref) {
  Constant c;
  c.kind = kind;
  c.ref = ref;
  return c;
}

class ModuleBuilder {
 public:
  ModuleBuilder() {
    Module& m = m_;
    m.types = {primitive(kInt, "Integer"),
               primitive(kString, "String"),
               primitive(kNothing, "Nothing"),
               primitive(kBool, "Boolean"),
               fn_type(kFnInt, "()->Integer", {}, kInt),
               fn_type(kFnIntInt, "(Integer)->Integer", {kInt}, kInt),
               fn_type(kFnPointInt, "(Point)->Integer", {kPoint}, kInt),
               fn_type(kFnListInt, "(List[Integer])->Integer", {kListInt}, kInt),
               fn_type(kFnIntIntInt, "(Integer,Integer)->Integer", {kInt, kInt}, kInt)};
    TypeDef point;
    point.id = kPoint;
    point.kind = TypeKind::kStruct;
    point.name = "Point";
    point.fields = {{"x", kInt, 0, 0}, {"y", kInt, 8, 0}};
    m.types.push_back(point);
    TypeDef list;
    list.id = kListInt;
    list.kind = TypeKind::kList;
    list.name = "List[Integer]";
    list.refs = {kInt};
    m.types.push_back(list);

    Constant yes;
    yes.kind = ConstKind::kBoolean;
    yes.boolean = true;
    m.constants = {integer(7), text("size"), reference(ConstKind::kType, kPoint), yes};
    add_function(1, "main", kFnInt, Code().ret());
  }

  Module& m() { return m_; }

  // Appends a function (its code goes after the earlier functions' code) and
  // returns its index in Module::functions.
  std::size_t add_function(std::uint32_t id, std::string name, std::uint32_t type, const Code& code,
                           std::uint32_t flags = 0, std::vector<Param> params = {}) {
    if (params.empty()) {
      for (const TypeDef& t : m_.types) {
        if (t.id != type || t.kind != TypeKind::kFunction) continue;
        for (std::size_t k = 0; k < t.refs.size(); ++k) {
          params.push_back({"p" + std::to_string(k), t.refs[k], 0});
        }
      }
    }
    Function f;
    f.id = id;
    f.name = std::move(name);
    f.type = type;
    f.params = std::move(params);
    f.flags = flags;
    m_.functions.push_back(std::move(f));
    code_.push_back(code.bytes());
    return m_.functions.size() - 1;
  }

  // Replaces the code of function `index`.
  void set_code(std::size_t index, const Code& code) { code_[index] = code.bytes(); }

  // Replaces main's code.
  void main(const Code& code) { set_code(0, code); }

  std::uint16_t add_const(Constant c) {
    m_.constants.push_back(std::move(c));
    return static_cast<std::uint16_t>(m_.constants.size() - 1);
  }

  // The module, with the functions' code laid out back to back.
  [[nodiscard]] Module build() const {
    Module m = m_;
    m.code.clear();
    for (std::size_t i = 0; i < m.functions.size(); ++i) {
      m.functions[i].code_offset = static_cast<std::uint32_t>(m.code.size());
      m.functions[i].code_length = static_cast<std::uint32_t>(code_[i].size());
      m.code.insert(m.code.end(), code_[i].begin(), code_[i].end());
    }
    return m;
  }

 private:
  Module m_;
  std::vector<Bytes> code_;
};

// verify(m) accepts m.
inline ::testing::AssertionResult accepts(const Module& m) {
  auto r = module::verify(m);
  if (r.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "rejected: " << r.error().describe();
}

// verify(m) rejects m in `section`, for `function` (nullopt: none named),
// with a message containing `needle`.
inline ::testing::AssertionResult rejects(const Module& m, std::string_view section,
                                          std::optional<std::uint32_t> function,
                                          std::string_view needle) {
  auto r = module::verify(m);
  if (r.ok()) return ::testing::AssertionFailure() << "accepted, expected: " << needle;
  const Error& e = r.error();
  if (e.section != section || e.function != function ||
      e.message.find(needle) == std::string::npos) {
    return ::testing::AssertionFailure()
           << "got " << e.describe() << "\nexpected section " << section << ", function "
           << (function ? std::to_string(*function) : "none") << ", message with: " << needle;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace runa::verify_test
