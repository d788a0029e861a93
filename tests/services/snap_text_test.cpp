// SnapText (services/heapsnapshot.hpp): nodes and edges formatted exactly
// as std::to_string writes their numbers, at every digit count and at the
// boundaries where the formatter changes method (two digits, 32 bits, the
// split at 10^4).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "services/heapsnapshot.hpp"

namespace runa::services {
namespace {

std::vector<std::uint64_t> numbers() {
  std::vector<std::uint64_t> r = {0, UINT32_MAX, std::uint64_t{UINT32_MAX} + 1, UINT64_MAX};
  for (std::uint64_t p = 1; p <= UINT64_MAX / 10; p *= 10) {
    for (std::uint64_t d : {p - 1, p, p + 1, 2 * p - 1, 9 * p, 10 * p - 1}) r.push_back(d);
  }
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) r.push_back(rng() >> (rng() % 64));
  return r;
}

TEST(SnapText, NodesHaveTheirNumbersInDecimal) {
  SnapText t;
  std::string want;
  for (std::uint64_t v : numbers()) {
    t.node(SnapNode::kObject, static_cast<std::uint32_t>(v), v, v, static_cast<std::uint32_t>(v));
    want += ",\n3," + std::to_string(static_cast<std::uint32_t>(v)) + "," + std::to_string(v) +
            "," + std::to_string(v) + "," + std::to_string(static_cast<std::uint32_t>(v)) + ",0,0";
  }
  EXPECT_EQ(t.text(), want);
}

TEST(SnapText, EdgesHaveTheirNumbersInDecimal) {
  SnapText t;
  std::string want;
  std::uint64_t n = 0;
  for (std::uint64_t v : numbers()) {
    std::uint64_t to = v / kNodeFields;
    t.edge(SnapEdge::kProperty, v, to);
    want += std::string(n++ % 16 == 0 ? ",\n" : ",") + "2," + std::to_string(v) + "," +
            std::to_string(to * kNodeFields);
  }
  EXPECT_EQ(t.text(), want);
}

}  // namespace
}  // namespace runa::services
