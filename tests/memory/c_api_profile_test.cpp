// The heap C ABI's observers (runatime/c/heap_profile.h): a snapshot with
// its counts, sampling switched on and off, a C stack describer, and the
// profile's errors.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "c_api_fixture.hpp"

namespace runa::capi_test {
namespace {

std::string temp(const char* tag) {
  return ::testing::TempDir() + "capi_" + tag + "_" + std::to_string(::getpid());
}

TEST(CApiProfile, SnapshotOfAHandleKeptList) {
  CHeap h;
  rt_handle_scope scope;
  ASSERT_RT_OK(rt_handle_scope_open(h.m, &scope));
  rt_handle head;
  ASSERT_RT_OK(rt_handle_new(h.m, 0, &head));
  for (int i = 0; i < 10; ++i) {
    rt_value n = h.new_node(static_cast<std::uint64_t>(i));
    rt_value was = 0;
    ASSERT_RT_OK(rt_handle_get(head, &was));
    ASSERT_RT_OK(rt_write(h.m, n, rt_object_slots(n), was));
    ASSERT_RT_OK(rt_handle_set(head, n));
  }
  std::string path = temp("snap") + ".heapsnapshot";
  rt_snapshot_info info{};
  info.size = sizeof info;
  ASSERT_RT_OK(rt_heap_write_snapshot(h.heap, h.m, path.c_str(), &info));
  EXPECT_EQ(info.objects, 10u);
  EXPECT_EQ(info.bytes, 240u);
  // 4 root categories + 1 handle + 9 links
  EXPECT_EQ(info.edges, 14u);
  EXPECT_EQ(info.nodes, 15u);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("\"node\""), std::string::npos);
  std::remove(path.c_str());

  EXPECT_EQ(rt_heap_write_snapshot(h.heap, h.m, "/nonexistent/x", nullptr), RT_ERROR_INVALID_STATE);
  EXPECT_NE(last_error().find("/nonexistent/x"), std::string::npos);
  EXPECT_EQ(rt_heap_write_snapshot(h.heap, h.m, nullptr, nullptr), RT_ERROR_INVALID_ARGUMENT);
  ASSERT_RT_OK(rt_handle_scope_close(&scope));
}

int g_calls = 0;

void describer(void* context, rt_mutator*, rt_frame_sink sink, void* sink_context) {
  ++g_calls;
  sink(sink_context, static_cast<const char*>(context), "lib.c", 42);
}

TEST(CApiProfile, SamplingWithACDescriber) {
  CHeap h;
  std::string path = temp("profile") + ".pb.gz";
  // Never started: an error that says so.
  EXPECT_EQ(rt_heap_write_allocation_profile(h.heap, h.m, path.c_str(), nullptr),
            RT_ERROR_INVALID_STATE);
  EXPECT_NE(last_error().find("took no sample"), std::string::npos);

  static const char kFunction[] = "build_nodes";
  ASSERT_RT_OK(rt_heap_set_stack_describer(h.heap, describer, const_cast<char*>(kFunction)));
  ASSERT_RT_OK(rt_heap_sample_allocations(h.heap, h.m, 1024));
  for (int i = 0; i < 20000; ++i) h.new_node(1);  // 480 KB: about 470 samples
  ASSERT_RT_OK(rt_heap_sample_allocations(h.heap, h.m, 0));
  int calls = g_calls;
  for (int i = 0; i < 20000; ++i) h.new_node(1);  // off: no samples
  EXPECT_EQ(g_calls, calls);
  EXPECT_GT(calls, 300);

  rt_allocation_profile_info info{};
  info.size = sizeof info;
  ASSERT_RT_OK(rt_heap_write_allocation_profile(h.heap, h.m, path.c_str(), &info));
  EXPECT_EQ(info.samples, static_cast<std::uint64_t>(calls));
  EXPECT_NEAR(static_cast<double>(info.alloc_bytes), 480000.0, 480000.0 * 0.2);
  std::ifstream in(path, std::ios::binary);
  std::string head(2, '\0');
  in.read(head.data(), 2);
  EXPECT_EQ(head, std::string("\x1f\x8b"));  // gzip
  std::remove(path.c_str());
  ASSERT_RT_OK(rt_heap_set_stack_describer(h.heap, nullptr, nullptr));
}

TEST(CApiProfile, LeakReportAsTextAndJson) {
  CHeap h;
  ASSERT_RT_OK(rt_heap_start_leak_detection(h.heap));
  rt_handle_scope scope;
  ASSERT_RT_OK(rt_handle_scope_open(h.m, &scope));
  rt_handle head;
  ASSERT_RT_OK(rt_handle_new(h.m, 0, &head));
  for (int round = 0; round < 6; ++round) {
    for (int i = 0; i < 100; ++i) {
      rt_value n = h.new_node(1);
      rt_value was = 0;
      ASSERT_RT_OK(rt_handle_get(head, &was));
      ASSERT_RT_OK(rt_write(h.m, n, rt_object_slots(n), was));
      ASSERT_RT_OK(rt_handle_set(head, n));
    }
    ASSERT_RT_OK(rt_collect(h.heap, h.m, 1));
  }
  std::size_t needed = 0;
  ASSERT_RT_OK(rt_heap_leak_report(h.heap, h.m, RT_REPORT_JSON, nullptr, 0, &needed));
  std::string json(needed, '\0');
  ASSERT_RT_OK(rt_heap_leak_report(h.heap, h.m, RT_REPORT_JSON, json.data(), json.size(), &needed));
  EXPECT_NE(json.find("\"type\":\"node\",\"count\":600"), std::string::npos) << json;
  char text[4096];
  ASSERT_RT_OK(rt_heap_leak_report(h.heap, h.m, RT_REPORT_TEXT, text, sizeof text, &needed));
  EXPECT_NE(std::string(text).find("node: 600 live"), std::string::npos) << text;
  ASSERT_RT_OK(rt_heap_analysis(h.heap, h.m, RT_REPORT_JSON, text, sizeof text, &needed));
  EXPECT_NE(
      std::string(text).find(R"({"type":"node","count":600,"bytes":14400,"retained_bytes":14400})"),
      std::string::npos)
      << text;
  rt_value first = 0;
  ASSERT_RT_OK(rt_handle_get(head, &first));
  rt_value third = rt_object_slots(rt_object_slots(first)[0])[0];
  std::uint64_t retained = 0;
  ASSERT_RT_OK(rt_heap_retention(h.heap, h.m, third, &retained, text, sizeof text, &needed));
  EXPECT_EQ(retained, 598u * 24);
  EXPECT_STREQ(text, "(Thread 1) -> node.0 -> node.0 -> node");
  EXPECT_EQ(rt_heap_retention(h.heap, h.m, third, nullptr, text, sizeof text, &needed),
            RT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(rt_heap_leak_report(h.heap, h.m, 7, text, sizeof text, &needed),
            RT_ERROR_INVALID_ARGUMENT);
  ASSERT_RT_OK(rt_handle_scope_close(&scope));
}

}  // namespace
}  // namespace runa::capi_test
