// The receiver types of the dispatch benchmark and tests, as `.runas` text:
// a root struct R with the method `m`, eight subtypes S0..S7 that override
// it (method S_i.m returns i, R.m returns 8), and a chain D0..D{depth-1}
// below S0 for subtype tests (bench/bench_dispatch.cpp,
// tests/types/dispatch_test.cpp).
#pragma once

#include <string>

namespace runa::bench {

inline std::string dispatch_family(int depth) {
  std::string text = ".type 1 primitive Integer\n.type 10 struct R\n";
  std::string supers = ".meta supertypes";
  for (int i = 0; i < 8; ++i) {
    text += ".type " + std::to_string(11 + i) + " struct S" + std::to_string(i) + "\n";
    supers += std::string(i == 0 ? " " : ", ") + "S" + std::to_string(i) + " R";
  }
  for (int d = 0; d < depth; ++d) {
    text += ".type " + std::to_string(50 + d) + " struct D" + std::to_string(d) + "\n";
    supers += ", D" + std::to_string(d) + (d == 0 ? " S0" : " D" + std::to_string(d - 1));
  }
  text += supers + "\n";
  for (int i = 0; i <= 8; ++i) {
    const std::string self = i == 8 ? "R" : "S" + std::to_string(i);
    text += ".type " + std::to_string(30 + i) + " function \"(" + self + ")->Integer\" params " +
            self + " returns Integer\n";
    text += ".function " + std::to_string(1 + i) + " m type \"(" + self +
            ")->Integer\" flags METHOD\n  .param self type " + self + "\n  PUSH_CONST " +
            std::to_string(i) + "\n  RETURN\n.end\n";
  }
  return text;
}

}  // namespace runa::bench
