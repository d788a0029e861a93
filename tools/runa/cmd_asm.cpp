// `runa asm FILE.runas -o OUT.runab`: assembles text into a verified module.
#include <cstdio>

#include "cli.hpp"
#include "commands.hpp"

namespace runa::cli {

namespace {

constexpr std::string_view kFlags[] = {"--no-verify"};

constexpr const char* kHelp =
    "usage: runa asm FILE.runas -o OUT.runab [--no-verify]\n"
    "\n"
    "Assembles .runas text (grammar: docs/bytecode.md, section 4) into a .runab\n"
    "module. The module is verified before it is written, so that OUT is always a\n"
    "module RunaTime accepts; OUT is replaced atomically.\n"
    "\n"
    "  -o OUT        the module to write (required)\n"
    "  --no-verify   write the module even if the verifier rejects it (for making\n"
    "                test inputs)\n"
    "\n"
    "Exit status: 0 on success, 1 if the text does not assemble or the module does\n"
    "not verify (nothing is written), 2 on a usage error.\n";

}  // namespace

int cmd_asm(std::span<char*> argv) {
  Args a = parse(argv, kFlags, true);
  if (a.error) return usage_error("asm", *a.error);
  if (a.help) {
    std::fputs(kHelp, stdout);
    return kOk;
  }
  if (a.operands.size() != 1) return usage_error("asm", "give exactly one .runas file");
  if (!a.output) return usage_error("asm", "no output file: add -o OUT.runab");
  const std::string path(a.operands[0]);
  auto text = module::read_file(path);
  if (!text) return input_error("asm", text.error().message);
  std::string_view source(reinterpret_cast<const char*>(text->data()), text->size());
  Result<module::Module> m = module::assemble(source, path);
  if (!m.ok()) return input_error("asm", m.error().describe());
  if (!has(a, "--no-verify")) {
    Result<module::Verified> v = module::verify(*m);
    if (!v.ok()) {
      return input_error("asm", path + ": the module does not verify: " + v.error().describe());
    }
  }
  Result<module::Bytes> bytes = module::write(*m);
  if (!bytes.ok()) return input_error("asm", path + ": " + bytes.error().describe());
  std::string error;
  if (!write_file_atomic(std::string(*a.output), *bytes, error)) return input_error("asm", error);
  return kOk;
}

}  // namespace runa::cli
