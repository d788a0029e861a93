// Loading a large module: read, verify, and both, on a deterministic module of
// about 10 MB with 100,000 functions generated in memory. The goal is
// read + verify in under 200 ms.
//
// The generated code is varied the way compiled programs are: arithmetic on
// parameters and locals, calls, branches, counted loops, iteration, try
// statements (catch, finally, both), closures and lambdas, switches, struct
// fields, globals, lists and maps, conversions; with constants of every
// common kind, struct and composite types, line tables and variable debug
// entries. It passes verify(), which is checked once at startup.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "runatime/bytecode.hpp"
#include "runatime/module.hpp"

namespace {

using runa::module::Bytes;
using runa::module::Constant;
using runa::module::ConstKind;
using runa::module::Function;
using runa::module::Module;
using runa::module::TypeDef;
using runa::module::TypeKind;

constexpr std::uint32_t kFunctions = 100'000;
constexpr std::uint32_t kLibrary = 4096;        // callable by CALL through a Function constant
constexpr std::uint32_t kClosureTargets = 512;  // created by CLOSURE, one upvalue each
constexpr std::uint32_t kLambdaTargets = 256;   // created by LAMBDA, one upvalue each
constexpr std::uint32_t kStructs = 2000;
constexpr std::uint32_t kGlobals = 16;
constexpr std::uint32_t kFiles = 16;

// Type ids.
constexpr std::uint32_t kInteger = 1, kFloat = 2, kBoolean = 3, kString = 4, kNothing = 5, kAny = 6;
constexpr std::uint32_t kFnType0 = 10;  // kFnType0 + n: n Integers -> Integer
constexpr std::uint32_t kFirstStruct = 100;

// Constant indices.
constexpr std::uint16_t kIntZero = 0, kIntOne = 1, kFirstInt = 2, kInts = 1024;
constexpr std::uint16_t kFirstFloat = kInts, kFloats = 256;
constexpr std::uint16_t kFirstText = kFirstFloat + kFloats, kTexts = 512;
constexpr std::uint16_t kFirstLibraryRef = kFirstText + kTexts;
constexpr std::uint16_t kFirstLambdaRef = kFirstLibraryRef + kLibrary;
constexpr std::uint16_t kListConst = kFirstLambdaRef + kLambdaTargets;
constexpr std::uint16_t kMapConst = kListConst + 1;
constexpr std::uint16_t kAnyTypeConst = kMapConst + 1;

// Function ids are index + 1.
constexpr std::uint32_t kFirstClosureTarget = kLibrary;
constexpr std::uint32_t kFirstLambdaTarget = kFirstClosureTarget + kClosureTargets;
constexpr std::uint32_t kFirstGeneral = kFirstLambdaTarget + kLambdaTargets;

class Rng {  // splitmix64: deterministic across platforms
 public:
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>(next() % n); }

 private:
  std::uint64_t state_ = 0x52554e4142595443ULL;
};

using Op = runa::bytecode::Op;
using enum runa::bytecode::Op;

constexpr std::uint32_t kNone = 0xFFFFFFFF;

// One function's code, with branch targets patched once they are known.
class Code {
 public:
  std::uint32_t here() const { return static_cast<std::uint32_t>(b_.size()); }
  const Bytes& bytes() const { return b_; }

  Code& op(Op o) {
    b_.push_back(static_cast<std::uint8_t>(o));
    return *this;
  }
  Code& u8(std::uint8_t v) {
    b_.push_back(v);
    return *this;
  }
  Code& u16(std::uint16_t v) { return le(v, 2); }
  Code& u32(std::uint32_t v) { return le(v, 4); }
  Code& i64(std::int64_t v) { return le(static_cast<std::uint64_t>(v), 8); }
  Code& op16(Op o, std::uint16_t v) { return op(o).u16(v); }
  // Reserves a u32 for a branch target known later; returns where to patch it.
  std::uint32_t hole() {
    const std::uint32_t at = here();
    u32(0);
    return at;
  }
  void patch(std::uint32_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) b_[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
  }

 private:
  Code& le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    return *this;
  }
  Bytes b_;
};

class Generator {
 public:
  Module make() {
    header();
    types();
    constants();
    for (std::uint32_t i = 0; i < kFunctions; ++i) function(i);
    metadata();
    return std::move(m_);
  }

 private:
  void header() {
    m_.header.created = 1764000000;
    m_.header.flags = runa::module::kHasDebugInfo | runa::module::kOptimized;
    m_.header.source_hash = runa::module::Hash{0x52, 0x55, 0x4e, 0x41};
    m_.header.native_libraries = {"libm.so.6"};
    for (std::uint32_t f = 1; f <= kFiles; ++f) {
      m_.debug.files.push_back({f, "src/module_" + std::to_string(f) + ".runa", std::nullopt});
    }
  }

  TypeDef& type(std::uint32_t id, TypeKind kind, std::string name) {
    TypeDef& t = m_.types.emplace_back();
    t.id = id;
    t.kind = kind;
    t.name = std::move(name);
    return t;
  }

  void types() {
    const char* primitives[] = {"Integer", "Float", "Boolean", "String", "Nothing", "Any"};
    for (std::uint32_t i = 0; i < 6; ++i) type(i + 1, TypeKind::kPrimitive, primitives[i]);
    for (std::uint32_t n = 0; n <= 4; ++n) {
      std::string name = "(";
      for (std::uint32_t p = 0; p < n; ++p) name += p == 0 ? "Integer" : ",Integer";
      TypeDef& t = type(kFnType0 + n, TypeKind::kFunction, name + ")->Integer");
      t.refs.assign(n, kInteger);
      t.result = kInteger;
    }
    type(20, TypeKind::kList, "List[Integer]").refs = {kInteger};
    type(21, TypeKind::kMap, "Map[String,Integer]").refs = {kString, kInteger};
    type(22, TypeKind::kOptional, "Integer?").refs = {kInteger};
    type(23, TypeKind::kUnion, "Integer|String").refs = {kInteger, kString};
    const std::uint32_t field_types[] = {kInteger, kFloat, kBoolean, kString, kAny, kNothing};
    for (std::uint32_t s = 0; s < kStructs; ++s) {
      TypeDef& t = type(kFirstStruct + s, TypeKind::kStruct, "Record" + std::to_string(s));
      const std::uint32_t fields = 1 + rng_.below(6);
      for (std::uint32_t f = 0; f < fields; ++f) {
        t.fields.push_back({"f" + std::to_string(f), field_types[rng_.below(6)], 8 * f,
                            static_cast<std::uint8_t>(f > 0 && rng_.below(4) == 0 ? 1 : 0)});
      }
    }
  }

  Constant& constant(ConstKind kind) {
    Constant& k = m_.constants.emplace_back();
    k.kind = kind;
    return k;
  }

  void constants() {
    constant(ConstKind::kInteger).integer = 0;
    constant(ConstKind::kInteger).integer = 1;
    for (std::uint16_t i = kFirstInt; i < kInts; ++i) {
      constant(ConstKind::kInteger).integer =
          i % 8 == 0 ? static_cast<std::int64_t>(rng_.next()) : 2 + rng_.below(1000);
    }
    for (std::uint16_t i = 0; i < kFloats; ++i) {
      constant(ConstKind::kDecimal).decimal = static_cast<double>(rng_.below(100000)) / 64.0;
    }
    for (std::uint16_t i = 0; i < kTexts; ++i) {
      constant(ConstKind::kText).text = "text constant " + std::to_string(i);
    }
    for (std::uint32_t f = 0; f < kLibrary; ++f) constant(ConstKind::kFunction).ref = f + 1;
    for (std::uint32_t f = 0; f < kLambdaTargets; ++f) {
      constant(ConstKind::kFunction).ref = kFirstLambdaTarget + f + 1;
    }
    constant(ConstKind::kList).items = {kFirstInt, kFirstInt + 1, kFirstInt + 2, kFirstInt + 3};
    constant(ConstKind::kMap).items = {kFirstText, kFirstInt, kFirstText + 1, kFirstInt + 1};
    constant(ConstKind::kType).ref = kAny;
  }

  void metadata() {
    auto text = [](std::string_view s) { return Bytes(s.begin(), s.end()); };
    m_.metadata.push_back({runa::module::kMetaSourcePath, text("src/module_1.runa")});
    m_.metadata.push_back({runa::module::kMetaCompilerVersion, text("runac 0.1 (bench)")});
    m_.metadata.push_back({runa::module::kMetaCompileOptions, text("{\"opt\": 2}")});
    Bytes globals;
    auto put32 = [&](std::uint32_t v) {
      for (int i = 0; i < 4; ++i) globals.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    };
    put32(kGlobals);
    for (std::uint32_t g = 0; g < kGlobals; ++g) {
      const std::string name = "global_" + std::to_string(g);
      put32(static_cast<std::uint32_t>(name.size()));
      globals.insert(globals.end(), name.begin(), name.end());
      put32(kInteger);
    }
    m_.metadata.push_back({runa::module::kMetaGlobals, std::move(globals)});
  }

  // ---- Code ----

  std::uint16_t some_int() { return static_cast<std::uint16_t>(kFirstInt + rng_.below(kInts - 2)); }
  std::uint16_t some_float() {
    return static_cast<std::uint16_t>(kFirstFloat + rng_.below(kFloats));
  }
  std::uint16_t some_text() { return static_cast<std::uint16_t>(kFirstText + rng_.below(kTexts)); }

  // Pushes an Integer: a parameter when there is one, else a constant.
  void operand(Code& c) {
    if (params_ > 0 && rng_.below(2) == 0) {
      c.op16(kLoadLocal, static_cast<std::uint16_t>(rng_.below(params_)));
    } else {
      c.op16(kPushConst, some_int());
    }
  }
  // A slot for a local; the function declares the locals it uses.
  std::uint16_t local() { return use(params_ + rng_.below(locals_)); }
  std::uint16_t any_slot() { return use(rng_.below(params_ + locals_)); }
  std::uint16_t use(std::uint32_t slot) {
    if (slot >= params_) used_ = std::max(used_, slot - params_ + 1);
    return static_cast<std::uint16_t>(slot);
  }

  // Pushes one value computed from operands: a small expression tree.
  void expression(Code& c, int depth) {
    if (depth == 0 || rng_.below(3) == 0) {
      operand(c);
      return;
    }
    expression(c, depth - 1);
    expression(c, depth - 1);
    const Op ops[] = {kAdd, kSub, kMul, kAdd, kDiv, kMod};
    c.op(ops[rng_.below(6)]);
  }

  // Statements: start and end with an empty operand stack.
  void statement(Code& c) {
    if (c.here() > 0) line(c);
    switch (rng_.below(6)) {
      case 0:
      case 1:  // local = expression
        expression(c, 2);
        c.op16(kStoreLocal, local());
        break;
      case 2: {  // counted loop over a local
        const std::uint16_t i = local();
        c.op16(kPushConst, kIntZero).op16(kStoreLocal, i);
        const std::uint32_t loop = c.here();
        c.op16(kLoadLocal, i).op16(kPushConst, some_int()).op(kLt).op(kJumpIfFalse);
        const std::uint32_t exit = c.hole();
        c.op16(kLoadLocal, i).op16(kPushConst, kIntOne).op(kAdd).op16(kStoreLocal, i);
        c.op(kJump).u32(loop);
        c.patch(exit, c.here());
        break;
      }
      case 3: {                                     // try statement: catch, finally, or both
        const std::uint32_t shape = rng_.below(3);  // 0 catch, 1 finally, 2 both
        c.op(kTryBegin);
        const std::uint32_t catch_at = c.hole();
        const std::uint32_t finally_at = c.hole();
        expression(c, 2);
        c.op16(kStoreLocal, local());
        c.op(kTryEnd);
        c.patch(catch_at, shape == 1 ? kNone : c.here());
        if (shape != 1) {
          const std::uint32_t clauses = 1 + rng_.below(2);
          for (std::uint32_t k = 0; k < clauses; ++k) {
            c.op16(kCatchBegin, k + 1 < clauses ? kAnyTypeConst : 0xFFFF);
            c.op(kPop).op(kCatchEnd);
          }
        }
        c.patch(finally_at, shape == 0 ? kNone : c.here());
        if (shape != 0) {
          c.op(kFinallyBegin).op16(kLoadLocal, local()).op(kPop).op(kFinallyEnd);
        }
        break;
      }
      case 4: {  // global += 1
        const auto g = static_cast<std::uint16_t>(rng_.below(kGlobals));
        c.op16(kLoadGlobal, g).op16(kPushConst, kIntOne).op(kAdd).op16(kStoreGlobal, g);
        break;
      }
      default: {  // call a library function, keep the result
        const std::uint32_t callee = rng_.below(kLibrary);
        const std::uint32_t arity = callee % 4;
        c.op16(kPushConst, static_cast<std::uint16_t>(kFirstLibraryRef + callee));
        for (std::uint32_t a = 0; a < arity; ++a) operand(c);
        c.op(kCall).u8(static_cast<std::uint8_t>(arity)).op16(kStoreLocal, local());
        break;
      }
    }
  }

  // The function's last part: ends every path with RETURN.
  void ending(Code& c, bool may_call) {
    switch (rng_.below(may_call ? 10 : 7)) {
      case 0:  // return an expression
        expression(c, 2);
        c.op(kReturn);
        break;
      case 1: {  // if (a < b) return x else return y
        operand(c);
        operand(c);
        c.op(kLt).op(kJumpIfFalse);
        const std::uint32_t other = c.hole();
        expression(c, 1);
        c.op(kReturn);
        c.patch(other, c.here());
        expression(c, 1);
        c.op(kReturn);
        break;
      }
      case 2: {  // switch over an operand
        operand(c);
        const std::uint32_t cases = 2 + rng_.below(3);
        c.op(kSwitchTable).u32(cases);
        std::vector<std::uint32_t> holes;
        for (std::uint32_t k = 0; k < cases; ++k) {
          c.i64(static_cast<std::int64_t>(k) * 3 + 1);
          holes.push_back(c.hole());
        }
        c.op16(kPushConst, some_int()).op(kReturn);
        for (std::uint32_t h : holes) {
          c.patch(h, c.here());
          c.op16(kPushConst, some_int()).op(kReturn);
        }
        break;
      }
      case 3: {  // iterate a constant list, return the last item
        const std::uint16_t v = local();
        c.op16(kPushConst, kListConst).op(kIterCreate);
        const std::uint32_t loop = c.here();
        c.op(kIterNext);
        const std::uint32_t done = c.hole();
        c.op16(kStoreLocal, v).op(kJump).u32(loop);
        c.patch(done, c.here());
        c.op16(kLoadLocal, v).op(kReturn);
        break;
      }
      case 4: {  // a struct instance's first field
        const std::uint32_t s = kFirstStruct + rng_.below(kStructs);
        c.op(kNew).u32(s).op(kDup);
        operand(c);
        c.op16(kStoreField, 0).op16(kLoadField, 0).op(kReturn);
        break;
      }
      case 5:  // list element, map element, text or float conversion
        switch (rng_.below(4)) {
          case 0:
            operand(c);
            operand(c);
            c.op(kNewList).u8(2).op16(kPushConst, kIntOne).op(kGetItem).op(kReturn);
            break;
          case 1:
            c.op16(kPushConst, kMapConst).op16(kPushConst, kFirstText).op(kGetItem).op(kReturn);
            break;
          case 2:
            c.op16(kPushConst, some_text());
            operand(c);
            c.op(kTextConcat).u8(2).op(kReturn);
            break;
          default:
            operand(c);
            c.op(kIntToDouble).op16(kPushConst, some_float()).op(kMul).op(kDoubleToInt);
            c.op(kReturn);
            break;
        }
        break;
      case 6:  // return a local
        c.op16(kLoadLocal, any_slot()).op(kReturn);
        break;
      case 7: {  // call a library function
        const std::uint32_t callee = rng_.below(kLibrary);
        const std::uint32_t arity = callee % 4;
        c.op16(kPushConst, static_cast<std::uint16_t>(kFirstLibraryRef + callee));
        for (std::uint32_t a = 0; a < arity; ++a) expression(c, 1);
        c.op(kCall).u8(static_cast<std::uint8_t>(arity)).op(kReturn);
        break;
      }
      case 8: {  // a closure sharing a slot, called once
        const std::uint32_t target = kFirstClosureTarget + next_closure_++ % kClosureTargets;
        const std::uint16_t f = local();
        c.op(kClosure).u32(target + 1).u8(1).u8(0).u16(any_slot());
        c.op16(kStoreLocal, f).op16(kLoadLocal, f);
        operand(c);
        c.op(kCall).u8(1).op(kReturn);
        break;
      }
      default: {  // a lambda copying a slot, called once
        const std::uint32_t target = next_lambda_++ % kLambdaTargets;
        c.op16(kPushConst, static_cast<std::uint16_t>(kFirstLambdaRef + target));
        c.op(kLambda).u8(1).u8(0).u16(any_slot());
        operand(c);
        c.op(kCall).u8(1).op(kReturn);
        break;
      }
    }
  }

  void line(Code& c) {
    m_.debug.lines.push_back({static_cast<std::uint32_t>(m_.code.size()) + c.here(), file_, ++line_,
                              static_cast<std::uint16_t>(1 + rng_.below(40))});
  }

  void function(std::uint32_t index) {
    Function f;
    f.id = index + 1;
    f.name = "fn_" + std::to_string(index);
    file_ = 1 + index * kFiles / kFunctions;
    line_ = 10 * index;
    Code c;
    used_ = 0;
    line(c);
    if (index < kLibrary) {
      params_ = index % 4;
      locals_ = 1 + rng_.below(2);
      statement(c);
      ending(c, false);
    } else if (index < kFirstLambdaTarget) {  // closure target: upvalue + argument
      params_ = 1;
      locals_ = 1;
      f.flags = runa::module::kFnAnonymous;
      c.op16(kLoadUpvalue, 0).op16(kLoadLocal, 0).op(kAdd).op(kReturn);
    } else if (index < kFirstGeneral) {  // lambda target: upvalue * argument
      params_ = 1;
      locals_ = 1;
      f.flags = runa::module::kFnAnonymous;
      c.op16(kLoadUpvalue, 0).op16(kLoadLocal, 0).op(kMul).op(kReturn);
    } else {
      params_ = rng_.below(3);
      locals_ = rng_.below(4) == 0 ? 2 : 1;
      const std::uint32_t roll = rng_.below(20);  // 0, 1 or 2 statements: 50%, 35%, 15%
      const std::uint32_t statements = roll < 10 ? 0 : roll < 17 ? 1 : 2;
      for (std::uint32_t s = 0; s < statements; ++s) statement(c);
      ending(c, true);
    }
    f.type = kFnType0 + params_;
    const char* param_names[] = {"a", "b", "c"};
    for (std::uint32_t p = 0; p < params_; ++p) f.params.push_back({param_names[p], kInteger, 0});
    const auto length = static_cast<std::uint32_t>(c.bytes().size());
    for (std::uint32_t l = 0; l < used_; ++l) {
      const auto slot = static_cast<std::uint16_t>(params_ + l);
      f.locals.push_back({"t" + std::to_string(l), l == 0 ? kInteger : kAny, slot, 0, length});
      if (l == 0) m_.debug.vars.push_back({f.id, slot, line_, 5});
    }
    f.code_offset = static_cast<std::uint32_t>(m_.code.size());
    f.code_length = length;
    m_.code.insert(m_.code.end(), c.bytes().begin(), c.bytes().end());
    m_.functions.push_back(std::move(f));
  }

  Module m_;
  Rng rng_;
  std::uint32_t params_ = 0;
  std::uint32_t locals_ = 0;  // locals the code may use
  std::uint32_t used_ = 0;    // locals the code uses
  std::uint32_t file_ = 1;
  std::uint32_t line_ = 0;
  std::uint32_t next_closure_ = 0;
  std::uint32_t next_lambda_ = 0;
};

struct Corpus {
  Bytes bytes;
  Module module;
  std::size_t functions = 0;
};

const Corpus& corpus() {
  static const Corpus c = [] {
    Corpus out;
    out.module = Generator().make();
    out.functions = out.module.functions.size();
    runa::Result<Bytes> w = runa::module::write(out.module);
    if (!w.ok()) {
      std::fprintf(stderr, "bench_module_load: write failed: %s\n", w.error().describe().c_str());
      std::abort();
    }
    out.bytes = std::move(w.value());
    return out;
  }();
  return c;
}

void report(benchmark::State& state) {
  const Corpus& c = corpus();
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(c.bytes.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(c.functions));
}

void BM_Read(benchmark::State& state) {
  const Corpus& c = corpus();
  for (auto _ : state) {
    runa::Result<Module> m = runa::module::read(c.bytes);
    if (!m.ok()) state.SkipWithError("read failed");
    benchmark::DoNotOptimize(m);
  }
  report(state);
}

void BM_Verify(benchmark::State& state) {
  const Corpus& c = corpus();
  for (auto _ : state) {
    runa::Result<runa::module::Verified> v = runa::module::verify(c.module);
    if (!v.ok()) state.SkipWithError("verify failed");
    benchmark::DoNotOptimize(v);
  }
  report(state);
}

void BM_ReadVerify(benchmark::State& state) {
  const Corpus& c = corpus();
  for (auto _ : state) {
    runa::Result<Module> m = runa::module::read(c.bytes);
    if (!m.ok()) state.SkipWithError("read failed");
    runa::Result<runa::module::Verified> v = runa::module::verify(m.value());
    if (!v.ok()) state.SkipWithError("verify failed");
    benchmark::DoNotOptimize(v);
  }
  report(state);
}

BENCHMARK(BM_Read)->Unit(benchmark::kMillisecond)->Repetitions(7)->ReportAggregatesOnly();
BENCHMARK(BM_Verify)->Unit(benchmark::kMillisecond)->Repetitions(7)->ReportAggregatesOnly();
BENCHMARK(BM_ReadVerify)->Unit(benchmark::kMillisecond)->Repetitions(7)->ReportAggregatesOnly();

}  // namespace

int main(int argc, char** argv) {
  const Corpus& c = corpus();
  runa::Result<runa::module::Verified> v = runa::module::verify(c.module);
  if (!v.ok()) {
    std::fprintf(stderr, "bench_module_load: the generated module does not verify: %s\n",
                 v.error().describe().c_str());
    return 1;
  }
  runa::Result<Module> back = runa::module::read(c.bytes);
  if (!back.ok() || back.value() != c.module) {
    std::fprintf(stderr, "bench_module_load: the generated module does not read back\n");
    return 1;
  }
  std::printf(
      "module: %zu bytes (%.1f MB), %zu functions, %zu constants, %zu types, %zu bytes of"
      " code, %zu line entries\n",
      c.bytes.size(), static_cast<double>(c.bytes.size()) / 1e6, c.functions,
      c.module.constants.size(), c.module.types.size(), c.module.code.size(),
      c.module.debug.lines.size());
  std::printf("goal: BM_ReadVerify median under 200 ms\n");
  benchmark::AddCustomContext("module_bytes", std::to_string(c.bytes.size()));
  benchmark::AddCustomContext("module_functions", std::to_string(c.functions));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
