// runatime/result.hpp — the error and result types of RunaTime's C++ API.
//
// Every operation on outside input (reading, verifying or assembling a
// module, and later every service) reports failure as a value, never as a
// C++ exception or a crash: an Error says what is wrong and where, precisely
// enough that a person can find the byte or the line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace runa {

// Where and what. Only the fields that apply are set: a binary module error
// has a section and usually a byte offset, an assembler error a line and a
// column, a bytecode error also the function it was found in.
struct Error {
  std::string section;                    // "header", "constants", ..., or a .runas file name
  std::optional<std::uint32_t> function;  // function id, for problems inside a function
  std::optional<std::uint64_t> offset;    // byte offset from the start of the file
  std::optional<std::uint32_t> line;      // 1-based, for text input
  std::optional<std::uint32_t> column;    // 1-based, for text input
  std::string message;

  // One line for a person: "functions: function 3: byte 0x1a4: what is wrong".
  [[nodiscard]] std::string describe() const;
};

// A value or the Error that prevented it.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  [[nodiscard]] T& value() & { return std::get<0>(v_); }
  [[nodiscard]] const T& value() const& { return std::get<0>(v_); }
  [[nodiscard]] T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }

  [[nodiscard]] const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace runa
