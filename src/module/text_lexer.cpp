// The `.runas` lexer (see text_lexer.hpp). Works on bytes: the text need not
// be UTF-8, and string contents are copied byte for byte except for escapes.
#include "module/text_lexer.hpp"

#include "module/bytes.hpp"
#include "module/utf8.hpp"

namespace runa::module::text {
namespace {

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

void append_utf8(std::string& out, std::uint32_t cp) {
  std::uint8_t buf[4];
  out.append(reinterpret_cast<const char*>(buf), encode_utf8(cp, buf));
}

class Lexer {
 public:
  Lexer(std::string_view src, std::string_view file) : s_(src), file_(file) {}

  Result<std::vector<Token>> run() {
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (c == '\n') {
        newline();
        continue;
      }
      if (c == ' ' || c == '\t' || c == '\r') {
        ++i_;
        continue;
      }
      if (c == ';') {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
        continue;
      }
      start_ = i_;
      if (!token(c)) return *err_;
    }
    if (!out_.empty() && out_.back().kind != Tok::kNewline) push(Tok::kNewline, "");
    start_ = i_;
    push(Tok::kEnd, "");
    return std::move(out_);
  }

 private:
  bool token(char c) {
    if (is_alpha(c)) {
      push(Tok::kIdent, std::string(word()));
      return true;
    }
    if (c == '.' && i_ + 1 < s_.size() && is_alpha(s_[i_ + 1])) {
      ++i_;
      push(Tok::kDirective, std::string(word()));
      return true;
    }
    if (is_digit(c) || ((c == '-' || c == '+') && i_ + 1 < s_.size() && is_digit(s_[i_ + 1]))) {
      push(Tok::kNumber, std::string(number()));
      return true;
    }
    switch (c) {
      case '"':
        return string();
      case '#':
        return digits(Tok::kConstIndex, is_digit, "'#' must be followed by a constant index");
      case '@':
        return digits(Tok::kOffset, is_hex, "'@' must be followed by a hex offset");
      case ':':
        return single(Tok::kColon);
      case ',':
        return single(Tok::kComma);
      case '|':
        return single(Tok::kPipe);
      case '*':
        return single(Tok::kStar);
      default:
        break;
    }
    const auto byte = static_cast<unsigned char>(c);
    return fail(i_, byte >= 0x21 && byte < 0x7F ? "unexpected character '" + std::string(1, c) + "'"
                                                : "unexpected byte 0x" + hex(byte, 2));
  }

  std::string_view word() {
    const std::size_t from = i_;
    while (i_ < s_.size() &&
           (is_alpha(s_[i_]) || is_digit(s_[i_]) || s_[i_] == '.' || s_[i_] == '$')) {
      ++i_;
    }
    return s_.substr(from, i_ - from);
  }

  // A number's spelling: sign, then letters, digits, dots, and a sign right
  // after a decimal exponent's 'e'. Its meaning is checked where it is used.
  std::string_view number() {
    const std::size_t from = i_;
    ++i_;
    const bool hex_form = s_.substr(from).starts_with("0x") || s_.substr(from).starts_with("0X") ||
                          s_.substr(from + 1).starts_with("0x");
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (is_alpha(c) || is_digit(c) || c == '.') {
        ++i_;
      } else if ((c == '-' || c == '+') && !hex_form && (s_[i_ - 1] == 'e' || s_[i_ - 1] == 'E')) {
        ++i_;
      } else {
        break;
      }
    }
    return s_.substr(from, i_ - from);
  }

  bool digits(Tok kind, bool (*accept)(char), const char* message) {
    ++i_;
    const std::size_t from = i_;
    while (i_ < s_.size() && accept(s_[i_])) ++i_;
    if (i_ == from) return fail(start_, message);
    push(kind, std::string(s_.substr(from, i_ - from)));
    return true;
  }

  bool single(Tok kind) {
    ++i_;
    push(kind, "");
    return true;
  }

  bool string() {
    std::string out;
    ++i_;
    while (true) {
      if (i_ >= s_.size() || s_[i_] == '\n') {
        return fail(start_, "unterminated string: the line ends before the closing '\"'");
      }
      const char c = s_[i_];
      if (c == '"') {
        ++i_;
        break;
      }
      if (c != '\\') {
        out += c;
        ++i_;
        continue;
      }
      if (!escape(out)) return false;
    }
    push(Tok::kString, std::move(out));
    return true;
  }

  bool escape(std::string& out) {
    const std::size_t at = i_;
    ++i_;
    const char e = i_ < s_.size() ? s_[i_] : '\n';
    ++i_;
    switch (e) {
      case 'n':
        out += '\n';
        return true;
      case 't':
        out += '\t';
        return true;
      case 'r':
        out += '\r';
        return true;
      case '0':
        out += '\0';
        return true;
      case '\\':
        out += '\\';
        return true;
      case '"':
        out += '"';
        return true;
      case 'x': {
        if (i_ + 1 >= s_.size() || !is_hex(s_[i_]) || !is_hex(s_[i_ + 1])) {
          return fail(at, "bad escape: \\x must be followed by exactly two hex digits");
        }
        out += static_cast<char>(hex_value(s_[i_]) * 16 + hex_value(s_[i_ + 1]));
        i_ += 2;
        return true;
      }
      case 'u': {
        if (i_ >= s_.size() || s_[i_] != '{') {
          return fail(at, "bad escape: \\u must be followed by {hex digits}, as in \\u{e9}");
        }
        ++i_;
        std::uint32_t cp = 0;
        std::size_t n = 0;
        while (i_ < s_.size() && is_hex(s_[i_]) && n < 7) {
          cp = cp * 16 + static_cast<std::uint32_t>(hex_value(s_[i_]));
          ++i_;
          ++n;
        }
        if (n == 0 || n > 6 || i_ >= s_.size() || s_[i_] != '}') {
          return fail(at, "bad escape: \\u{...} takes 1 to 6 hex digits and a closing '}'");
        }
        ++i_;
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
          return fail(at, "bad escape: \\u{" + hex(cp, static_cast<int>(n)) +
                              "} is not a Unicode scalar value (use \\xHH for raw bytes)");
        }
        append_utf8(out, cp);
        return true;
      }
      default:
        return fail(at, std::string("bad escape '\\") +
                            (e == '\n' ? std::string("") : std::string(1, e)) +
                            "': expected one of \\n \\t \\r \\0 \\\\ \\\" \\xHH \\u{H...}");
    }
  }

  void newline() {
    if (!out_.empty() && out_.back().kind != Tok::kNewline) {
      start_ = i_;
      push(Tok::kNewline, "");
    }
    ++i_;
    ++line_;
    line_start_ = i_;
  }

  void push(Tok kind, std::string text) {
    out_.push_back(Token{kind, std::move(text), line_, column(start_)});
  }
  [[nodiscard]] std::uint32_t column(std::size_t at) const {
    return static_cast<std::uint32_t>(at - line_start_ + 1);
  }
  bool fail(std::size_t at, std::string message) {
    Error e;
    e.section = std::string(file_);
    e.line = line_;
    e.column = column(at);
    e.message = std::move(message);
    err_ = std::move(e);
    return false;
  }

  std::string_view s_;
  std::string_view file_;
  std::size_t i_ = 0;
  std::size_t start_ = 0;
  std::size_t line_start_ = 0;
  std::uint32_t line_ = 1;
  std::vector<Token> out_;
  std::optional<Error> err_;
};

}  // namespace

std::string describe(const Token& t) {
  switch (t.kind) {
    case Tok::kIdent:
      return "'" + t.text + "'";
    case Tok::kDirective:
      return "'." + t.text + "'";
    case Tok::kNumber:
      return "number " + t.text;
    case Tok::kString:
      return "a string";
    case Tok::kConstIndex:
      return "'#" + t.text + "'";
    case Tok::kOffset:
      return "'@" + t.text + "'";
    case Tok::kColon:
      return "':'";
    case Tok::kComma:
      return "','";
    case Tok::kPipe:
      return "'|'";
    case Tok::kStar:
      return "'*'";
    case Tok::kNewline:
      return "the end of the line";
    case Tok::kEnd:
      return "the end of the file";
  }
  return "a token";
}

Result<std::vector<Token>> lex(std::string_view source, std::string_view file_name) {
  return Lexer(source, file_name).run();
}

}  // namespace runa::module::text
