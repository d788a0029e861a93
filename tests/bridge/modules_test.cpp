// Loading and linking modules (src/bridge/modules.hpp): the examples load
// with their natives bound; a file is loaded once whatever the spelling of
// its path; names are found through the module path; and each way a module
// can be refused gives an error that names the file and the problem — an
// unknown native, a module that does not verify, entry points with the
// wrong parameters, a bad module name, a missing file.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "bridge/modules.hpp"

namespace runa::bridge {
namespace {

const std::string kExamples = std::string(RUNA_SOURCE_DIR) + "/examples";
// A module's start up to main's body: `main() -> Integer`.
const std::string kMain =
    ".type 1 primitive Integer\n.type 2 function \"()->Integer\" params returns Integer\n"
    ".function 1 main type \"()->Integer\"\n";

class ModulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    heap_ = std::move(heap::Heap::create(heap::Options{}).value());
    ts_ = std::move(types::TypeSystem::create(*heap_).value());
    add_core_natives(natives_);
    dir_ = std::filesystem::temp_directory_path() /
           ("runa_modules_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const std::filesystem::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  std::string refused(Modules& modules, const std::string& path) {
    auto r = modules.load_file(path);
    EXPECT_FALSE(r.ok()) << path;
    return r.ok() ? "" : r.error().describe();
  }

  std::unique_ptr<heap::Heap> heap_;
  std::unique_ptr<types::TypeSystem> ts_;
  Natives natives_;
  std::filesystem::path dir_;
};

TEST_F(ModulesTest, TheExamplesLoadWithTheirNativesBound) {
  Modules modules(*ts_, natives_, {kExamples});
  for (const char* name : {"fib", "word_count", "shapes", "exceptions", "closures", "loops"}) {
    auto m = modules.load_name(name);
    ASSERT_TRUE(m.ok()) << m.error().describe();
    const LoadedModule& lm = **m;
    EXPECT_EQ(lm.name, name);
    EXPECT_GE(lm.function("main"), 0) << name;
    EXPECT_NE(lm.types, nullptr);
    bool print_bound = false;
    for (std::size_t i = 0; i < lm.module.constants.size(); ++i) {
      const module::Constant& c = lm.module.constants[i];
      if (c.kind == module::ConstKind::kExternal && c.ref == 0) {
        ASSERT_NE(lm.constant_natives[i], nullptr) << name << " constant " << i;
        EXPECT_EQ(lm.constant_natives[i]->name, c.text);
        print_bound = print_bound || c.text == "print";
      } else {
        EXPECT_EQ(lm.constant_natives[i], nullptr);
      }
    }
    EXPECT_TRUE(print_bound) << name << " prints";
  }
}

TEST_F(ModulesTest, AFileIsLoadedOnceWhateverThePathSpelling) {
  Modules modules(*ts_, natives_, {kExamples});
  auto a = modules.load_file(kExamples + "/fib.runas");
  auto b = modules.load_file(kExamples + "/./../examples/fib.runas");
  auto c = modules.load_name("fib");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*a, *c);
  EXPECT_EQ((*a)->function("fib"), 0);
  EXPECT_EQ((*a)->function("nope"), -1);
}

TEST_F(ModulesTest, TheModulePathIsSearchedInOrderAndBadNamesAreRefused) {
  write("lib.runas", kMain + "  PUSH_CONST 1\n  RETURN\n.end\n");
  Modules modules(*ts_, natives_, {kExamples, dir_.string()});
  auto lib = modules.load_name("lib");
  ASSERT_TRUE(lib.ok()) << lib.error().describe();
  EXPECT_EQ((*lib)->path, std::filesystem::canonical(dir_ / "lib.runas").string());
  auto missing = modules.load_name("nothing_here");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().describe(),
            "module path: no module \"nothing_here\" in " + kExamples + ", " + dir_.string());
  for (const char* bad : {"", "../fib", "a/b", ".hidden", "sp ace"}) {
    auto r = modules.load_name(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("is not a module name"), std::string::npos) << bad;
  }
}

TEST_F(ModulesTest, EveryRefusalNamesTheFileAndTheProblem) {
  Modules modules(*ts_, natives_, {});
  const std::string unknown =
      write("unknown.runas", kMain +
                                 "  PUSH_CONST extern \"prnt\"\n  PUSH_CONST 1\n  CALL 1\n"
                                 "  POP\n  PUSH_CONST 0\n  RETURN\n.end\n");
  EXPECT_NE(
      refused(modules, unknown).find("names the native \"prnt\", which RunaTime does not have"),
      std::string::npos);
  const std::string bad = write("bad.runas", kMain + "  ADD\n  RETURN\n.end\n");
  const std::string why = refused(modules, bad);
  EXPECT_EQ(why.rfind(bad + ": ", 0), 0u) << why;
  EXPECT_NE(why.find("does not verify"), std::string::npos) << why;
  const std::string init = write("init.runas",
                                 ".type 1 primitive Integer\n.type 2 primitive Nothing\n"
                                 ".type 3 function \"(Integer)->Nothing\" params Integer returns "
                                 "Nothing\n.function 1 __init__ type \"(Integer)->Nothing\"\n"
                                 "  .param x type Integer\n  PUSH_CONST null\n  RETURN\n.end\n");
  EXPECT_NE(refused(modules, init).find("a module initializer takes none"), std::string::npos);
  const std::string main2 = write(
      "main2.runas",
      ".type 1 primitive Integer\n.type 2 function \"(Integer,Integer)->Integer\" params "
      "Integer Integer returns Integer\n.function 1 main type \"(Integer,Integer)->Integer\"\n"
      "  .param a type Integer\n  .param b type Integer\n  LOAD_LOCAL a\n  RETURN\n.end\n");
  EXPECT_NE(refused(modules, main2).find("main takes none or one"), std::string::npos);
  const std::string gone = (dir_ / "gone.runab").string();
  EXPECT_EQ(refused(modules, gone), "file: " + gone + ": cannot open: No such file or directory");
}

}  // namespace
}  // namespace runa::bridge
