// `runa dis FILE`: the module as `.runas` text with a listing in comments.
#include <cstdio>

#include "cli.hpp"
#include "commands.hpp"

namespace runa::cli {

namespace {

constexpr std::string_view kFlags[] = {"--no-annotate"};

constexpr const char* kHelp =
    "usage: runa dis FILE [-o OUT.runas] [--no-annotate]\n"
    "\n"
    "Disassembles a .runab module into .runas text that 'runa asm' turns back into\n"
    "the same bytes. Each instruction line shows its offset, opcode and operands, and\n"
    "in a comment its source line (when the module has debug information) and what it\n"
    "does. Modules that fail verification are still listed as far as they can be\n"
    "decoded (their listing is not guaranteed to reassemble).\n"
    "\n"
    "  -o OUT          write the text to OUT instead of standard output\n"
    "  --no-annotate   leave out offsets, source lines and descriptions\n"
    "\n"
    "Exit status: 0 on success, 1 if the file cannot be read as a module, 2 on a\n"
    "usage error.\n";

}  // namespace

int cmd_dis(std::span<char*> argv) {
  Args a = parse(argv, kFlags, true);
  if (a.error) return usage_error("dis", *a.error);
  if (a.help) {
    std::fputs(kHelp, stdout);
    return kOk;
  }
  if (a.operands.size() != 1) return usage_error("dis", "give exactly one module");
  const std::string path(a.operands[0]);
  Result<module::Module> m = module::load_file(path);
  if (!m.ok()) return input_error("dis", m.error().describe());
  module::ListingOptions options;
  options.annotate = !has(a, "--no-annotate");
  const std::string text = module::disassemble(*m, options);
  if (a.output) {
    std::string error;
    std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(text.data()),
                                        text.size());
    if (!write_file_atomic(std::string(*a.output), bytes, error)) return input_error("dis", error);
    return kOk;
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  return std::fflush(stdout) == 0 ? kOk : input_error("dis", "cannot write to standard output");
}

}  // namespace runa::cli
