// The subcommands of `runa`: each takes the arguments after its name and
// returns the process exit status (cli.hpp, Exit).
#pragma once

#include <span>

namespace runa::cli {

int cmd_verify(std::span<char*> args);
int cmd_dis(std::span<char*> args);
int cmd_asm(std::span<char*> args);
int cmd_run(std::span<char*> args);

}  // namespace runa::cli
