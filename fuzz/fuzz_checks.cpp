// The fuzz targets' invariants (see fuzz_checks.hpp).
#include "fuzz_checks.hpp"

#include <algorithm>

#include "runatime/module.hpp"

namespace runa::fuzz {
namespace {

using module::Module;

// An error a person can act on: it names where and what.
std::optional<std::string> unclear(const char* step, const Error& e) {
  if (!e.section.empty() && !e.message.empty()) return std::nullopt;
  return std::string(step) + " failed without a section or a message: \"" + e.describe() + "\"";
}

// Every listing of a module the reader or assembler produced is non-empty.
std::optional<std::string> check_listings(const Module& m) {
  if (module::disassemble(m).empty()) return "the annotated listing is empty";
  if (module::disassemble(m, module::ListingOptions{.annotate = false}).empty()) {
    return "the plain listing is empty";
  }
  return std::nullopt;
}

// `m` writes to exactly `bytes`.
std::optional<std::string> check_writes_to(const Module& m, std::span<const std::uint8_t> bytes) {
  Result<module::Bytes> w = module::write(m);
  if (!w.ok()) return "write failed: " + w.error().describe();
  if (!std::equal(w->begin(), w->end(), bytes.begin(), bytes.end())) {
    return "write gave " + std::to_string(w->size()) + " bytes that differ from the " +
           std::to_string(bytes.size()) + " read";
  }
  return std::nullopt;
}

// A verified module's listing assembles back to the same module.
std::optional<std::string> check_text_round_trip(const Module& m) {
  const std::string listing = module::disassemble(m);
  Result<Module> again = module::assemble(listing, "fuzz.runas");
  if (!again.ok()) return "the listing does not assemble: " + again.error().describe();
  if (again.value() != m) return "the listing assembles to a different module";
  const std::string plain = module::disassemble(m, module::ListingOptions{.annotate = false});
  Result<Module> plain_again = module::assemble(plain, "fuzz.runas");
  if (!plain_again.ok()) {
    return "the plain listing does not assemble: " + plain_again.error().describe();
  }
  if (plain_again.value() != m) return "the plain listing assembles to a different module";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> check_read_verify(std::span<const std::uint8_t> bytes) {
  Result<Module> r = module::read(bytes);
  if (!r.ok()) return unclear("read", r.error());
  if (auto failure = check_listings(r.value())) return failure;
  if (auto failure = check_writes_to(r.value(), bytes)) return failure;
  Result<module::Verified> v = module::verify(r.value());
  if (!v.ok()) return unclear("verify", v.error());
  if (v->functions.size() != r->functions.size()) {
    return "verify described " + std::to_string(v->functions.size()) + " functions of " +
           std::to_string(r->functions.size());
  }
  return check_text_round_trip(r.value());
}

std::optional<std::string> check_assemble(std::string_view text) {
  Result<Module> a = module::assemble(text, "fuzz.runas");
  if (!a.ok()) return unclear("assemble", a.error());
  if (auto failure = check_listings(a.value())) return failure;
  Result<module::Verified> v = module::verify(a.value());
  if (!v.ok()) return unclear("verify", v.error());
  Result<module::Bytes> w = module::write(a.value());
  if (!w.ok()) return "write failed: " + w.error().describe();
  Result<Module> r = module::read(w.value());
  if (!r.ok()) return "read of the written module failed: " + r.error().describe();
  if (r.value() != a.value()) return "read(write(m)) differs from m";
  if (auto failure = check_writes_to(r.value(), w.value())) return "second " + *failure;
  return check_text_round_trip(a.value());
}

}  // namespace runa::fuzz
