// `runa verify FILE...`: loads each module and runs the verifier on it.
#include <cstdio>

#include "cli.hpp"
#include "commands.hpp"

namespace runa::cli {

namespace {

constexpr const char* kHelp =
    "usage: runa verify FILE...\n"
    "\n"
    "Checks each module the way RunaTime does before running it: its structure, that\n"
    "every id and index resolves, and its bytecode (stack heights on every path, jump\n"
    "targets, try/catch/finally nesting). FILE is a .runab module, or .runas text,\n"
    "which is assembled first. Prints one line per file.\n"
    "\n"
    "Exit status: 0 if every module is valid, 1 if any is not, 2 on a usage error.\n";

}  // namespace

int cmd_verify(std::span<char*> argv) {
  Args a = parse(argv, {}, false);
  if (a.error) return usage_error("verify", *a.error);
  if (a.help) {
    std::fputs(kHelp, stdout);
    return kOk;
  }
  if (a.operands.empty()) return usage_error("verify", "no module given");
  int status = kOk;
  for (std::string_view file : a.operands) {
    const std::string path(file);
    Result<module::Module> m = module::load_file(path);
    if (!m.ok()) {
      status = input_error("verify", m.error().describe());
      continue;
    }
    Result<module::Verified> v = module::verify(*m);
    if (!v.ok()) {
      status = input_error("verify", path + ": " + v.error().describe());
      continue;
    }
    std::printf("%s: ok (%zu functions, %zu types, %zu constants, %zu bytes of bytecode)\n",
                path.c_str(), m->functions.size(), m->types.size(), m->constants.size(),
                m->code.size());
  }
  return status;
}

}  // namespace runa::cli
