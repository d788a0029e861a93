#include "types/keys.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iterator>

#include "module/utf8.hpp"
#include "types/text_hash.hpp"

namespace runa::types {

namespace {

constexpr std::uint64_t kNanHash = 0x7ff8000000000001ULL;
constexpr double kTwo63 = 9223372036854775808.0;

std::uint64_t hash_double(double d) {
  if (std::isnan(d)) return kNanHash;
  // Integral and in range: hash as the Integer it equals (-0.0 as 0).
  if (d == std::trunc(d) && d >= -kTwo63 && d < kTwo63) {
    return hash_int(static_cast<std::int64_t>(d));
  }
  return fold_mul(std::bit_cast<std::uint64_t>(d) ^ kHashK2, kHashK1);
}

// Whether the Character c equals the flat String s.
bool char_equals_string(std::uint32_t c, Value s) {
  std::uint8_t buf[4];
  const std::size_t n = module::encode_utf8(c, buf);
  const std::string_view t = Strings::view(s);
  return t.size() == n && std::memcmp(t.data(), buf, n) == 0;
}

}  // namespace

void KeyRules::forbid(std::uint32_t type) {
  auto* free = std::ranges::find(unhashable, 0U);
  if (free == std::end(unhashable)) std::abort();  // more mutable containers than room: a bug here
  *free = type;
}

bool KeyRules::hashable(Value v) const {
  if (!heap::is_ref(v)) return true;
  if (is_tuple(v)) {
    heap::Object* t = heap::as_object(v);
    const Value* e = heap::array_slots(t);
    return std::all_of(e, e + heap::array_length(t), [this](Value x) { return hashable(x); });
  }
  const std::uint32_t t = heap::hdr::type_of(heap::as_object(v)->load_header());
  return std::ranges::none_of(unhashable, [t](std::uint32_t u) { return u != 0 && u == t; });
}

std::uint64_t KeyRules::hash_other(Value v) const {
  if (is_immediate_float(v)) return hash_double(immediate_float_value(v));
  if (is_character(v)) {
    // 16 bytes: hash_bytes reads words, and the compiler cannot see that an
    // encoding is at most 4 bytes long.
    std::uint8_t buf[16] = {};
    return hash_bytes(buf, module::encode_utf8(as_character(v), buf));
  }
  if (!heap::is_ref(v)) return fold_mul(v ^ kHashSeed, kHashK2);  // nothing, Booleans
  if (strings->is_flat(v)) return Strings::hash(v);
  if (is_boxed_int(*cx, v)) return hash_int(as_int(v));
  if (is_boxed_float(*cx, v)) return hash_double(as_double(v));
  if (is_tuple(v)) {
    heap::Object* t = heap::as_object(v);
    const std::uint64_t n = heap::array_length(t);
    std::uint64_t h = hash_int(static_cast<std::int64_t>(n));
    for (std::uint64_t i = 0; i < n; ++i) h = fold_mul(h ^ hash(heap::array_slots(t)[i]), kHashK2);
    return h;
  }
  return hash_int(heap::identity_hash(heap::as_object(v)));
}

bool KeyRules::equal_slow(Value a, Value b) const {
  // Strings first: the commonest object keys, and never numbers.
  const bool sa = strings->is_flat(a);
  const bool sb = strings->is_flat(b);
  if (sa && sb) return Strings::equal(a, b);
  if (is_number(*cx, a) && is_number(*cx, b)) {
    const Order o = compare(*cx, a, b);
    if (o == Order::kEqual) return true;
    return o == Order::kUnordered && std::isnan(is_float(*cx, a) ? as_double(a) : 0.0) &&
           std::isnan(is_float(*cx, b) ? as_double(b) : 0.0);
  }
  if (sa && is_character(b)) return char_equals_string(as_character(b), a);
  if (sb && is_character(a)) return char_equals_string(as_character(a), b);
  if (is_tuple(a) && is_tuple(b)) {
    heap::Object* x = heap::as_object(a);
    heap::Object* y = heap::as_object(b);
    const std::uint64_t n = heap::array_length(x);
    if (heap::array_length(y) != n) return false;
    for (std::uint64_t i = 0; i < n; ++i) {
      if (!equal(heap::array_slots(x)[i], heap::array_slots(y)[i])) return false;
    }
    return true;
  }
  return false;  // identity, already compared
}

}  // namespace runa::types
