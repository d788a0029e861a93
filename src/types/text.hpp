// Text forms: the text a value shows in TEXT_CONCAT and `print`
// (docs/types.md, "Text forms").
//
// The text is built in a C++ string first and becomes a Runa String with
// one allocation at the end, so walking the value (which reads objects
// through raw references) happens with no collection possible. Containers
// that contain themselves print `[...]` / `{...}` where they recur.
#pragma once

#include <string>
#include <vector>

#include "runatime/heap.hpp"
#include "runatime/values.hpp"
#include "types/dictionary.hpp"
#include "types/list.hpp"
#include "types/strings.hpp"

namespace runa::types {

struct TextRules {
  const heap::Heap* heap = nullptr;
  const Context* cx = nullptr;
  const Strings* strings = nullptr;
  const Lists* lists = nullptr;
  const Dictionaries* dicts = nullptr;

  // The text form of v: a String as itself, numbers in decimal (Floats as
  // the shortest text that reads back as the same double, with ".0" when
  // it would look like an Integer), `true`, `false`, `nothing`, a
  // Character as itself, containers with their elements as literals
  // (Strings quoted), any other object as `<Name object>` with its heap
  // layout's name (a struct's is the struct's name). Never collects.
  void append_text(Value v, std::string& out) const;
  // A value as it would be written in source: Strings and Characters in
  // double quotes with the `.runas` escapes (a Character is its
  // one-Character String); otherwise as append_text.
  void append_literal(Value v, std::string& out) const;
  // The text form as a flat String (v itself when it is a flat String);
  // nothing when the heap is exhausted. MAY COLLECT.
  Value text_of(heap::Mutator& m, const heap::Handle& v) const;

 private:
  void append(Value v, bool literal, std::string& out, std::vector<Value>& open) const;
};

// The shortest decimal that reads back as d ("1.0", "0.1", "1e+300",
// "inf", "-inf", "nan").
void append_float(double d, std::string& out);
// The UTF-8 encoding of scalar value c.
void append_utf8(std::uint32_t c, std::string& out);

}  // namespace runa::types
