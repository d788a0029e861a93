// `runa` — the command users run: dispatches to one subcommand per verb.
#include <cstdio>
#include <cstring>
#include <span>
#include <string_view>

#include "cli.hpp"
#include "commands.hpp"

namespace {

constexpr const char* kUsage =
    "usage: runa COMMAND [ARGS]\n"
    "\n"
    "Commands:\n"
    "  run FILE [ARGS...]      run a program's main (.runab, or .runas assembled first)\n"
    "  verify FILE...          check modules (.runab, or .runas assembled first)\n"
    "  dis FILE [-o OUT]       disassemble a module into .runas text\n"
    "  asm FILE.runas -o OUT   assemble .runas text into a verified .runab module\n"
    "  help [COMMAND]          this text, or a command's own help\n"
    "\n"
    "Each command takes --help. Exit status: 0 success, 1 bad input, 2 usage error\n"
    "(run: what the program's main returns).\n";

struct Command {
  std::string_view name;
  int (*run)(std::span<char*>);
};
constexpr Command kCommands[] = {
    {"run", runa::cli::cmd_run},
    {"verify", runa::cli::cmd_verify},
    {"dis", runa::cli::cmd_dis},
    {"asm", runa::cli::cmd_asm},
};

const Command* find(std::string_view name) {
  for (const Command& c : kCommands) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  std::span<char*> args(argv, static_cast<std::size_t>(argc));
  if (args.size() < 2) {
    std::fputs(kUsage, stderr);
    return runa::cli::kUsage;
  }
  std::string_view verb = args[1];
  if (verb == "-h" || verb == "--help" || verb == "help") {
    if (verb == "help" && args.size() > 2) {
      if (const Command* c = find(args[2])) {
        char help[] = "--help";
        char* sub[] = {help};
        return c->run(std::span<char*>(sub));
      }
      return runa::cli::usage_error("help", "no command named '" + std::string(args[2]) + "'");
    }
    std::fputs(kUsage, stdout);
    return runa::cli::kOk;
  }
  if (verb == "--version") {
    std::printf("runa (RunaTime) 0.1.0, reads .runab %u.%u\n",
                unsigned{runa::module::kFormatVersion.major},
                unsigned{runa::module::kFormatVersion.minor});
    return runa::cli::kOk;
  }
  if (const Command* c = find(verb)) return c->run(args.subspan(2));
  std::fprintf(stderr, "runa: unknown command '%s'\n\n%s", args[1], kUsage);
  return runa::cli::kUsage;
}
