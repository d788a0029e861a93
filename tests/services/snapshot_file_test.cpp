// SnapshotFile (services/snapshot_file.hpp): every byte appended reaches
// the file in order, whichever way it is written (directly to the device,
// over an existing file in place, through a pipe), an existing file is cut
// to the new length, and the appender never refills a buffer the writing
// thread still writes from.
#include "services/snapshot_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace runa::services {
namespace {

std::string temp_path(const char* tag) {
  return ::testing::TempDir() + "snapshot_file_" + tag + "_" + std::to_string(::getpid());
}

std::string contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Texts of every size class the file meets: empty, a few bytes, a chunk's
// text of a few MiB, longer than a buffer; each byte tells where it is.
std::vector<std::string> texts(unsigned seed, std::size_t total) {
  std::mt19937 rng(seed);
  std::vector<std::string> r;
  std::size_t sum = 0;
  while (sum < total) {
    std::size_t n = 0;
    switch (rng() % 4) {
      case 0:
        n = rng() % 8;
        break;
      case 1:
        n = rng() % 5000;
        break;
      case 2:
        n = rng() % (std::size_t{3} << 20);
        break;
      default:
        n = (std::size_t{4} << 20) + rng() % 4096;
        break;
    }
    std::string t(n, '\0');
    for (std::size_t i = 0; i < n; ++i) t[i] = static_cast<char>('a' + (sum + i) * 7919 % 26);
    sum += n;
    r.push_back(std::move(t));
  }
  return r;
}

std::string write_all(const std::string& path, const std::vector<std::string>& parts,
                      bool* direct = nullptr) {
  SnapshotFile f;
  EXPECT_TRUE(f.open(path));
  std::string all;
  for (const std::string& p : parts) {
    f.append(p);
    all += p;
  }
  if (direct != nullptr) *direct = f.direct();
  EXPECT_TRUE(f.finish());
  return all;
}

TEST(SnapshotFile, ANewFileGetsEveryByteInOrder) {
  const std::string p = temp_path("new");
  std::remove(p.c_str());
  std::string want = write_all(p, texts(1, std::size_t{20} << 20));
  EXPECT_EQ(contents(p), want);
  std::remove(p.c_str());
}

TEST(SnapshotFile, ACachedFileIsWrittenOverInPlaceAndCutToLength) {
  const std::string p = temp_path("cached");
  {
    std::ofstream old(p, std::ios::binary);
    old << std::string(std::size_t{30} << 20, 'x');  // longer than the new text, in the cache
  }
  struct stat before {};
  ASSERT_EQ(::stat(p.c_str(), &before), 0);
  bool direct = true;
  std::string want = write_all(p, texts(2, std::size_t{12} << 20), &direct);
  EXPECT_FALSE(direct);  // its pages are reused
  EXPECT_EQ(contents(p), want);
  struct stat after {};
  ASSERT_EQ(::stat(p.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);
  std::remove(p.c_str());
}

TEST(SnapshotFile, AShorterOldFileGrows) {
  const std::string p = temp_path("grows");
  { std::ofstream(p, std::ios::binary) << "old"; }
  std::string want = write_all(p, texts(3, std::size_t{9} << 20));
  EXPECT_EQ(contents(p), want);
  // Written again over what it wrote (directly or not): the same bytes.
  std::string again = write_all(p, texts(4, std::size_t{5} << 20));
  EXPECT_EQ(contents(p), again);
  std::remove(p.c_str());
}

TEST(SnapshotFile, AnUnwritablePathFailsToOpen) {
  SnapshotFile f;
  EXPECT_FALSE(f.open("/nonexistent-dir/x"));
}

TEST(SnapshotFile, NothingAppendedIsAnEmptyFile) {
  const std::string p = temp_path("empty");
  { std::ofstream(p, std::ios::binary) << "old bytes"; }
  EXPECT_EQ(write_all(p, {}), "");
  EXPECT_EQ(contents(p), "");
  std::remove(p.c_str());
}

// The interleaving the protocol excludes (snapshot_file.hpp): the writing
// thread blocked in write() on a pipe nobody reads yet, while the
// appender fills every buffer and must wait for the one being written
// rather than refill it. The reader starts late and checks every byte.
TEST(SnapshotFile, AStalledWriteKeepsItsBufferUntilItReturns) {
  const std::string p = temp_path("fifo");
  std::remove(p.c_str());
  ASSERT_EQ(::mkfifo(p.c_str(), 0600), 0);
  const std::vector<std::string> parts = texts(5, std::size_t{24} << 20);
  std::string got;
  std::thread reader([&] {
    std::ifstream in(p, std::ios::binary);  // opens once the writer has
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ostringstream s;
    s << in.rdbuf();
    got = s.str();
  });
  std::string want = write_all(p, parts);
  reader.join();
  EXPECT_EQ(got, want);
  std::remove(p.c_str());
}

// Many small appends: hand-offs at every buffer boundary, again and again,
// each one racing the thread's write of the previous buffer.
TEST(SnapshotFile, StressManySmallAppends) {
  const std::string p = temp_path("small");
  for (unsigned round = 0; round < 4; ++round) {
    std::remove(p.c_str());
    std::mt19937 rng(round);
    std::vector<std::string> parts;
    std::size_t sum = 0;
    while (sum < (std::size_t{14} << 20)) {
      std::string t(rng() % 200, static_cast<char>('A' + round));
      if (!t.empty()) t[0] = static_cast<char>('0' + parts.size() % 10);
      sum += t.size();
      parts.push_back(std::move(t));
    }
    std::string want = write_all(p, parts);
    ASSERT_EQ(contents(p), want) << "round " << round;
  }
  std::remove(p.c_str());
}

}  // namespace
}  // namespace runa::services
