// A fixture for tier-0 tests of async code: main runs some setup, then an
// ASYNC function `body` (function id 9 of the module, an `end` label
// appended to it) as a task under task_run, after the test's prelude.
#pragma once

#include <string>
#include <string_view>

#include "tier0_fixture.hpp"

namespace runa::tier0 {

class TaskBodyTest : public Tier0Test {
 protected:
  explicit TaskBodyTest(std::string_view prelude) : prelude_(prelude) {}

  // `setup` in main, then `body` as the task: the outcome as eval() says.
  std::string run_body(std::string_view setup, std::string_view body) {
    const std::string main = std::string(setup) +
                             "PUSH_CONST extern \"task_run\"\nPUSH_CONST function body\n"
                             "CALL 0\nCALL 1\nRETURN";
    return eval(main, std::string(prelude_) + ".function 9 body type \"()->Any\" flags ASYNC\n" +
                          std::string(body) + "\nend:\n.end\n");
  }

 private:
  std::string_view prelude_;
};

}  // namespace runa::tier0
