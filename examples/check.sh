#!/bin/sh
# Assembles and verifies every example; with --run, also runs each one and
# compares its standard output with expected/NAME.out.
#   examples/check.sh [--run] [path/to/runa]
# The default runa is build/examples/tools/runa/runa (see the README).
set -u
run=0
if [ "${1:-}" = "--run" ]; then run=1; shift; fi
here=$(cd "$(dirname "$0")" && pwd)
runa=${1:-$here/../build/examples/tools/runa/runa}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
for src in "$here"/*.runas; do
  name=$(basename "$src" .runas)
  if ! "$runa" asm "$src" -o "$out/$name.runab"; then
    echo "FAIL asm    $name"; status=1; continue
  fi
  if ! "$runa" verify "$out/$name.runab" >/dev/null; then
    "$runa" verify "$out/$name.runab"
    echo "FAIL verify $name"; status=1; continue
  fi
  if [ "$run" = 1 ]; then
    if "$runa" run "$out/$name.runab" >"$out/$name.out" && cmp -s "$out/$name.out" "$here/expected/$name.out"; then
      echo "ok   run    $name"
    else
      diff "$here/expected/$name.out" "$out/$name.out" | head -20
      echo "FAIL run    $name"; status=1
    fi
  else
    echo "ok   verify $name"
  fi
done
exit $status
