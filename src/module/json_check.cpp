// The JSON checker (see json_check.hpp): a recogniser for the RFC 8259
// grammar that builds nothing. It is iterative: an explicit stack of open
// containers replaces recursion, and holds at most kJsonMaxDepth entries,
// so hostile input costs linear time and bounded memory.
#include "module/json_check.hpp"

#include <vector>

#include "module/utf8.hpp"

namespace runa::module {
namespace {

class Checker {
 public:
  explicit Checker(std::string_view text) : s_(text) {}

  std::optional<std::string> run() {
    if (!valid_utf8(s_)) return "not valid UTF-8";
    std::vector<char> open;  // '{' or '[' for each container not yet closed
    // After a value: what may follow depends on the innermost container.
    bool expect_value = true;
    for (;;) {
      ws();
      if (expect_value) {
        if (!value(open)) return err_;
        // An opened container continues with its first member or its close.
        if (just_opened_) {
          just_opened_ = false;
          ws();
          if (peek() == (open.back() == '{' ? '}' : ']')) {
            ++i_;
            open.pop_back();
            expect_value = false;
          } else if (open.back() == '{' && !key()) {
            return err_;
          }
          continue;  // otherwise the first member's value follows
        }
        expect_value = false;
        continue;
      }
      if (open.empty()) {
        if (i_ != s_.size()) return fail("unexpected text after the JSON value");
        return std::nullopt;
      }
      const char close = open.back() == '{' ? '}' : ']';
      if (peek() == ',') {
        ++i_;
        if (open.back() == '{' && !key()) return err_;
        expect_value = true;
      } else if (peek() == close) {
        ++i_;
        open.pop_back();
      } else {
        return fail(std::string("expected ',' or '") + close + "'");
      }
    }
  }

 private:
  [[nodiscard]] char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  [[nodiscard]] bool at_end() const { return i_ >= s_.size(); }

  void ws() {
    while (i_ < s_.size() &&
           (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) {
      ++i_;
    }
  }

  std::optional<std::string> fail(const std::string& what) {
    err_ = what + " at byte " + std::to_string(i_);
    return err_;
  }
  bool fail_false(const std::string& what) {
    fail(what);
    return false;
  }

  // An object member's key and its ':' (the value comes next).
  bool key() {
    ws();
    if (peek() != '"') return fail_false("expected a string key");
    if (!string()) return false;
    ws();
    if (peek() != ':') return fail_false("expected ':'");
    ++i_;
    return true;
  }

  // One value; a container is only opened (its contents follow).
  bool value(std::vector<char>& open) {
    if (at_end()) return fail_false("expected a value");
    const char c = s_[i_];
    if (c == '{' || c == '[') {
      if (open.size() == kJsonMaxDepth) {
        return fail_false("containers nested deeper than " + std::to_string(kJsonMaxDepth));
      }
      open.push_back(c);
      ++i_;
      just_opened_ = true;
      return true;
    }
    if (c == '"') return string();
    if (c == '-' || (c >= '0' && c <= '9')) return number();
    for (std::string_view word : {"true", "false", "null"}) {
      if (s_.substr(i_, word.size()) == word) {
        i_ += word.size();
        return true;
      }
    }
    return fail_false("expected a value");
  }

  bool string() {
    ++i_;  // the opening quote
    while (!at_end()) {
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return fail_false("unescaped control character in a string");
      if (c != '\\') {
        ++i_;
        continue;
      }
      ++i_;
      const char e = peek();
      if (e == 'u') {
        for (int k = 1; k <= 4; ++k) {
          const char h = i_ + k < s_.size() ? s_[i_ + k] : '\0';
          const bool hex =
              (h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F');
          if (!hex) return fail_false("\\u needs four hex digits");
        }
        i_ += 5;
      } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                 e == 'r' || e == 't') {
        ++i_;
      } else {
        return fail_false("unknown escape in a string");
      }
    }
    return fail_false("unterminated string");
  }

  bool digits() {
    const std::size_t start = i_;
    while (peek() >= '0' && peek() <= '9') ++i_;
    return i_ > start;
  }

  bool number() {
    if (peek() == '-') ++i_;
    if (peek() == '0') {
      ++i_;
    } else if (!digits()) {
      return fail_false("expected a digit");
    }
    if (peek() == '.') {
      ++i_;
      if (!digits()) return fail_false("expected a digit after '.'");
    }
    if (peek() == 'e' || peek() == 'E') {
      ++i_;
      if (peek() == '+' || peek() == '-') ++i_;
      if (!digits()) return fail_false("expected a digit in the exponent");
    }
    return true;
  }

  std::string_view s_;
  std::size_t i_ = 0;
  bool just_opened_ = false;
  std::string err_;
};

}  // namespace

std::optional<std::string> check_json(std::string_view text) {
  return Checker(text).run();
}

}  // namespace runa::module
