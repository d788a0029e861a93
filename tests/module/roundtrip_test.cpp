// assemble(disassemble(m)) == m, with and without annotations: on the
// published examples (byte for byte through write()), on a function using
// every opcode, and on a few hundred random modules of every shape.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "runatime/bytecode.hpp"
#include "runatime/module.hpp"

namespace runa::module {
namespace {

Module assembled(const std::string& text) {
  Result<Module> m = assemble(text, "test.runas");
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().describe()) << "\n" << text;
  return m.ok() ? std::move(m).value() : Module{};
}

// Both listings of m assemble back to m, and write the same bytes.
void expect_round_trip(const Module& m) {
  for (bool annotate : {true, false}) {
    const std::string text = disassemble(m, {.annotate = annotate});
    Result<Module> back = assemble(text, "roundtrip.runas");
    ASSERT_TRUE(back.ok()) << back.error().describe() << "\n" << text;
    EXPECT_EQ(back.value(), m) << text;
    Result<Bytes> a = write(m);
    Result<Bytes> b = write(back.value());
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(a.value(), b.value());
  }
}

TEST(RoundTrip, PublishedExamples) {
  expect_round_trip(assembled(R"(
.type 1 primitive Integer
.type 2 function "(Integer,Integer)->Integer" params Integer Integer returns Integer
.function 1 add type "(Integer,Integer)->Integer"
  .param a type Integer
  .param b type Integer
  LOAD_LOCAL 0
  LOAD_LOCAL 1
  ADD
  RETURN
.end
)"));
  expect_round_trip(assembled(R"(
.type 1 primitive Text
.type 2 primitive Integer
.type 3 primitive Boolean
.type 4 struct Person
  .field name type Text
  .field age type Integer
.type 5 function "(Person,Text,Integer)->Person" params Person Text Integer returns Person
.type 6 function "(Person)->Boolean" params Person returns Boolean
.function 1 initialize type 5 flags METHOD|CONSTRUCTOR
  .param self type Person
  .param name type Text
  .param age type Integer
  LOAD_LOCAL self
  LOAD_LOCAL name
  STORE_FIELD Person.name
  LOAD_LOCAL self
  LOAD_LOCAL age
  STORE_FIELD Person.age
  LOAD_LOCAL self
  RETURN
.end
.function 2 is_adult type 6 flags METHOD
  .param self type Person
  LOAD_LOCAL 0
  LOAD_FIELD 1
  PUSH_CONST 18
  GE
  RETURN
.end
)"));
}

TEST(RoundTrip, BinaryThroughReadAndText) {
  const Module m = assembled(R"(
.flags OPTIMIZED
.native "libm.so.6"
.const extern "sin" 1
.type 1 primitive Float
.type 2 function "(Float)->Float" params Float returns Float
.source 3 "a.runa" hash 000102030405060708090a0b0c0d0e0f
.function 1 sin type 2 flags EXTERNAL
  .param x type Float
.end
.function 2 main type 2
  .param x type Float
  .loc 3 1 1
  LOAD_LOCAL x
  INVOKE_FFI sin
  RETURN
.end
.meta source_path "a.runa"
)");
  Result<Bytes> bytes = write(m);
  ASSERT_TRUE(bytes.ok());
  Result<Module> read_back = read(bytes.value());
  ASSERT_TRUE(read_back.ok()) << read_back.error().describe();
  expect_round_trip(read_back.value());
}

// --- random modules ------------------------------------------------------

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) {}

  Module module() {
    Module m;
    header(m.header);
    const bool debug = (m.header.flags & kHasDebugInfo) != 0;
    for (int i = below(6); i > 0; --i) type(m);
    for (int i = below(5); i > 0; --i) function(m);
    for (int i = below(14); i > 0; --i) m.constants.push_back(constant(m));
    for (int i = below(6); i > 0; --i) m.metadata.push_back(metadata(m));
    if (debug) debug_info(m);
    return m;
  }

 private:
  int below(int n) { return static_cast<int>(rng_() % static_cast<std::uint64_t>(n)); }
  bool chance(int percent) { return below(100) < percent; }
  std::uint32_t u32() { return static_cast<std::uint32_t>(rng_()); }
  std::uint32_t small() { return static_cast<std::uint32_t>(below(8)); }

  std::string name() {
    static const char* const kNames[] = {"x",       "Integer", "List[Integer]", "returns",
                                         "42",      "",        "a b",           "caf\xc3\xa9",
                                         "bad\xff", "dup",     "dup",           "none",
                                         "a.b$c",   "\"q\"\n", "local",         "Main"};
    std::string s = kNames[below(static_cast<int>(std::size(kNames)))];
    if (chance(50)) s += std::to_string(below(4));
    return s;
  }
  std::string bytes_text() {
    std::string s;
    for (int i = below(12); i > 0; --i) s += static_cast<char>(rng_());
    return s;
  }
  std::optional<Hash> hash() {
    if (chance(50)) return std::nullopt;
    Hash h{};
    for (auto& b : h) b = static_cast<std::uint8_t>(rng_());
    return h;
  }
  // An existing id most of the time, sometimes one that does not resolve.
  std::uint32_t type_ref(const Module& m) {
    if (m.types.empty() || chance(15)) return chance(50) ? small() : u32();
    return m.types[static_cast<std::size_t>(below(static_cast<int>(m.types.size())))].id;
  }
  std::uint32_t function_ref(const Module& m) {
    if (m.functions.empty() || chance(15)) return small();
    return m.functions[static_cast<std::size_t>(below(static_cast<int>(m.functions.size())))].id;
  }

  void header(Header& h) {
    h.format = {1, static_cast<std::uint16_t>(below(3))};
    h.min_vm = {static_cast<std::uint16_t>(below(3)), static_cast<std::uint16_t>(rng_())};
    h.created = static_cast<std::int64_t>(rng_());
    h.flags = chance(70) ? u32() & 0xFF : u32();
    h.source_hash = hash();
    for (int i = below(3); i > 0; --i) h.native_libraries.push_back(bytes_text());
  }

  Constant constant(const Module& m) {
    Constant k;
    const std::uint32_t before = static_cast<std::uint32_t>(m.constants.size());
    switch (below(10)) {
      case 0:
        k.kind = ConstKind::kInteger;
        k.integer = static_cast<std::int64_t>(rng_());
        break;
      case 1: {
        k.kind = ConstKind::kDecimal;
        static const std::uint64_t kSpecial[] = {0x7ff8000000000001, 0xfff0000000000000,
                                                 0x8000000000000000, 0x0000000000000001,
                                                 0x7ff4000000000000, 0x3ff0000000000000};
        std::uint64_t bits = chance(40) ? kSpecial[below(6)] : rng_();
        if (chance(30)) {
          const double d = static_cast<double>(below(20000) - 10000) / 64;
          std::memcpy(&bits, &d, sizeof d);
        }
        std::memcpy(&k.decimal, &bits, sizeof bits);
        break;
      }
      case 2:
        k.kind = ConstKind::kBoolean;
        k.boolean = chance(50);
        break;
      case 3:
        k.kind = ConstKind::kText;
        k.text = chance(50) ? name() : bytes_text();
        break;
      case 4:
        k.kind = ConstKind::kNull;
        break;
      case 5:
      case 6:
        k.kind = below(2) == 0 ? ConstKind::kList : ConstKind::kMap;
        for (int i = below(3) * 2; i > 0; --i) {
          k.items.push_back(before > 0 && chance(80)
                                ? static_cast<std::uint32_t>(below(static_cast<int>(before)))
                                : u32());
        }
        break;
      case 7:
        k.kind = ConstKind::kFunction;
        k.ref = function_ref(m);
        break;
      case 8:
        k.kind = ConstKind::kType;
        k.ref = type_ref(m);
        break;
      default:
        k.kind = ConstKind::kExternal;
        k.text = name();
        k.ref = small();
    }
    return k;
  }

  void type(Module& m) {
    TypeDef t;
    t.id = chance(90) ? static_cast<std::uint32_t>(m.types.size() + 1) : small();
    t.name = name();
    t.kind = static_cast<TypeKind>(1 + below(8));
    m.types.push_back(t);  // so that types may refer to themselves
    TypeDef& d = m.types.back();
    switch (d.kind) {
      case TypeKind::kStruct:
        for (int i = below(4); i > 0; --i) {
          d.fields.push_back(Field{name(), type_ref(m), u32(), static_cast<std::uint8_t>(rng_())});
        }
        break;
      case TypeKind::kList:
      case TypeKind::kOptional:
        d.refs = {type_ref(m)};
        break;
      case TypeKind::kMap:
        d.refs = {type_ref(m), type_ref(m)};
        break;
      case TypeKind::kFunction:
        for (int i = below(4); i > 0; --i) d.refs.push_back(type_ref(m));
        d.result = type_ref(m);
        break;
      case TypeKind::kUnion:
        for (int i = below(4); i > 0; --i) d.refs.push_back(type_ref(m));
        break;
      case TypeKind::kExternal:
        for (int i = below(5); i > 0; --i) d.layout.push_back(static_cast<std::uint8_t>(rng_()));
        break;
      case TypeKind::kPrimitive:
        break;
    }
  }

  // Straight-line code from the opcode table with plausible operands, now
  // and then followed by bytes that do not decode.
  Bytes code(const Module& m, std::uint32_t& instructions) {
    std::vector<std::uint8_t> ops;
    for (int b = 0; b < 256; ++b) {
      if (bytecode::info(static_cast<std::uint8_t>(b)) != nullptr)
        ops.push_back(static_cast<std::uint8_t>(b));
    }
    Bytes out;
    auto put = [&](std::uint64_t v, int width) {
      for (int i = 0; i < width; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    };
    auto target = [&] { return chance(10) ? 0xFFFFFFFFu : static_cast<std::uint32_t>(below(40)); };
    auto captures = [&](int n) {
      for (int i = 0; i < n; ++i) {
        put(below(2), 1);
        put(small(), 2);
      }
    };
    instructions = static_cast<std::uint32_t>(1 + below(12));
    for (std::uint32_t n = 0; n < instructions; ++n) {
      const std::uint8_t op = ops[static_cast<std::size_t>(below(static_cast<int>(ops.size())))];
      const bytecode::OpInfo& info = *bytecode::info(op);
      out.push_back(op);
      auto fixed = [&](bytecode::Operand o, int width) {
        switch (o) {
          case bytecode::Operand::kTarget:
            put(target(), width);
            break;
          case bytecode::Operand::kType:
            put(type_ref(m), width);
            break;
          case bytecode::Operand::kFunction:
            put(function_ref(m), width);
            break;
          case bytecode::Operand::kConst:
            put(chance(10) ? 0xFFFF : small(), width);
            break;
          default:
            put(chance(10) ? rng_() : small(), width);
        }
      };
      switch (info.shape) {
        case bytecode::Shape::kNone:
          break;
        case bytecode::Shape::kU8:
          fixed(info.a, 1);
          break;
        case bytecode::Shape::kU16:
          fixed(info.a, 2);
          break;
        case bytecode::Shape::kU32:
          fixed(info.a, 4);
          break;
        case bytecode::Shape::kU16U8:
          fixed(info.a, 2);
          fixed(info.b, 1);
          break;
        case bytecode::Shape::kU32U32:
          fixed(info.a, 4);
          fixed(info.b, 4);
          break;
        case bytecode::Shape::kClosure: {
          put(function_ref(m), 4);
          const int k = below(3);
          put(k, 1);
          captures(k);
          break;
        }
        case bytecode::Shape::kCaptures: {
          const int k = below(3);
          put(k, 1);
          captures(k);
          break;
        }
        case bytecode::Shape::kSymbols: {
          const int k = below(3);
          put(k, 2);
          for (int i = 0; i < k; ++i) put(small(), 2);
          break;
        }
        case bytecode::Shape::kSwitch: {
          const int k = below(3);
          put(k, 4);
          for (int i = 0; i < k; ++i) {
            put(rng_(), 8);
            put(target(), 4);
          }
          break;
        }
      }
    }
    if (chance(10)) {
      out.push_back(chance(50) ? 0x00 : 0xFF);
      for (int i = below(4); i > 0; --i) out.push_back(static_cast<std::uint8_t>(rng_()));
    }
    if (chance(5)) out.insert(out.end(), {0x46, 0x01, 0x07, 0x00, 0x00});  // capture kind 7
    return out;
  }

  void function(Module& m) {
    Function f;
    f.id = chance(90) ? static_cast<std::uint32_t>(m.functions.size() + 1) : small();
    f.name = name();
    f.type = type_ref(m);
    f.flags = chance(80) ? u32() & 0xFF : u32();
    for (int i = below(3); i > 0; --i) {
      f.params.push_back(Param{name(), type_ref(m), static_cast<std::uint8_t>(rng_())});
    }
    for (int i = below(3); i > 0; --i) {
      f.locals.push_back(
          Local{name(), type_ref(m), static_cast<std::uint16_t>(small()), small(), small() * 3});
    }
    f.code_offset = static_cast<std::uint32_t>(m.code.size());
    std::uint32_t count = 0;
    const Bytes body = chance(15) ? Bytes{} : code(m, count);
    m.code.insert(m.code.end(), body.begin(), body.end());
    f.code_length = static_cast<std::uint32_t>(body.size());
    m.functions.push_back(std::move(f));
  }

  MetadataEntry metadata(const Module& m) {
    MetadataEntry e;
    auto u32_le = [&](std::uint32_t v) {
      for (int i = 0; i < 4; ++i) e.data.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    };
    auto str = [&](const std::string& s) {
      u32_le(static_cast<std::uint32_t>(s.size()));
      e.data.insert(e.data.end(), s.begin(), s.end());
    };
    static const std::uint8_t kTypes[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                          0x08, 0x09, 0x0A, 0x0B, 0x20, 0x21, 0x77};
    e.type = kTypes[below(static_cast<int>(std::size(kTypes)))];
    const int n = below(3);
    switch (e.type) {
      case kMetaModuleDeps:
        u32_le(static_cast<std::uint32_t>(n));
        for (int i = 0; i < n; ++i) {
          str(name());
          str(bytes_text());
        }
        break;
      case kMetaNativeLibDeps:
        u32_le(static_cast<std::uint32_t>(n));
        for (int i = 0; i < n; ++i) str(bytes_text());
        break;
      case kMetaOptLevel:
        e.data.push_back(static_cast<std::uint8_t>(below(4)));
        break;
      case kMetaSupertypes:
        u32_le(static_cast<std::uint32_t>(n));
        for (int i = 0; i < 2 * n; ++i) u32_le(type_ref(m));
        break;
      case kMetaGlobals:
        u32_le(static_cast<std::uint32_t>(n));
        for (int i = 0; i < n; ++i) {
          str(name());
          u32_le(type_ref(m));
        }
        break;
      default: {
        const std::string s = bytes_text();
        e.data.assign(s.begin(), s.end());
      }
    }
    if (chance(10)) e.data.push_back(0xAB);  // malformed: written raw
    return e;
  }

  void debug_info(Module& m) {
    for (int i = below(3); i > 0; --i) {
      m.debug.files.push_back(SourceFile{small(), bytes_text(), hash()});
    }
    // Line entries at instruction starts, in code order, some sharing one.
    std::vector<std::uint32_t> starts;
    for (const Function& f : m.functions) {
      const std::span<const std::uint8_t> code(m.code.data() + f.code_offset, f.code_length);
      for (std::uint32_t pc = 0; pc < code.size();) {
        starts.push_back(f.code_offset + pc);
        Result<bytecode::Instruction> ins = bytecode::decode(code, pc);
        if (!ins) break;
        pc += ins->length;
      }
    }
    if (!m.functions.empty()) starts.push_back(static_cast<std::uint32_t>(m.code.size()));
    for (std::uint32_t at : starts) {
      for (int i = chance(40) ? 1 + below(2) : 0; i > 0; --i) {
        m.debug.lines.push_back(
            LineEntry{at, small(), u32() % 500, static_cast<std::uint16_t>(small())});
      }
    }
    for (int i = below(3); i > 0; --i) {
      m.debug.vars.push_back(VarDebug{function_ref(m), static_cast<std::uint16_t>(small()), small(),
                                      static_cast<std::uint16_t>(small())});
    }
  }

  std::mt19937_64 rng_;
};

TEST(RoundTrip, RandomModules) {
  Generator g(20240611);
  for (int i = 0; i < 400; ++i) {
    SCOPED_TRACE("module " + std::to_string(i));
    const Module m = g.module();
    expect_round_trip(m);
    if (HasFailure()) break;
  }
}

}  // namespace
}  // namespace runa::module
