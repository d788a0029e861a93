// Little-endian byte access shared by the reader, the writer, the decoder and
// the assembler. ByteReader never reads past its span: every read reports
// whether the bytes were there, so that truncated input is an error, never
// an out-of-bounds read.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace runa {

static_assert(std::endian::native == std::endian::little,
              "RunaTime targets little-endian machines (x86-64, AArch64)");

template <class T>
T load_le(const std::uint8_t* p) {
  static_assert(std::is_trivially_copyable_v<T>);
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Lower-case hex of the low `digits` nibbles of v.
std::string hex(std::uint64_t v, int digits);
// Lower-case hex of every byte, no separators.
std::string hex_bytes(std::span<const std::uint8_t> bytes);

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  [[nodiscard]] std::size_t position() const { return pos_; }
  [[nodiscard]] std::size_t remaining() const { return bytes_.size() - pos_; }
  [[nodiscard]] const std::uint8_t* here() const { return bytes_.data() + pos_; }

  bool skip(std::size_t n) {
    if (n > remaining()) return false;
    pos_ += n;
    return true;
  }
  // Reads a little-endian T into out (widened to out's type).
  template <class T, class Out>
  bool read(Out& out) {
    if (sizeof(T) > remaining()) return false;
    out = static_cast<Out>(load_le<T>(here()));
    pos_ += sizeof(T);
    return true;
  }
  template <class Out>
  bool u8(Out& out) {
    return read<std::uint8_t>(out);
  }
  template <class Out>
  bool u16(Out& out) {
    return read<std::uint16_t>(out);
  }
  template <class Out>
  bool u32(Out& out) {
    return read<std::uint32_t>(out);
  }
  bool bytes(std::size_t n, std::span<const std::uint8_t>& out) {
    if (n > remaining()) return false;
    out = bytes_.subspan(pos_, n);
    pos_ += n;
    return true;
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

class ByteWriter {
 public:
  [[nodiscard]] std::size_t size() const { return out_.size(); }
  std::vector<std::uint8_t>& bytes() { return out_; }

  template <class T>
  void put(T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::array<std::uint8_t, sizeof v> b{};
    std::memcpy(b.data(), &v, sizeof v);
    out_.insert(out_.end(), b.begin(), b.end());
  }
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { put(v); }
  void u32(std::uint32_t v) { put(v); }
  void raw(std::span<const std::uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void raw(std::string_view s) { out_.insert(out_.end(), s.begin(), s.end()); }
  // Overwrites 4 bytes at `at` (a length written before its contents).
  void patch_u32(std::size_t at, std::uint32_t v) { std::memcpy(out_.data() + at, &v, sizeof v); }

 private:
  std::vector<std::uint8_t> out_;
};

}  // namespace runa
