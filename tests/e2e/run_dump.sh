#!/usr/bin/env bash
# runa run's thread dump on SIGQUIT: while the program waits for a line of
# input, SIGQUIT prints every thread's stack and tasks to standard error,
# twice, and the program then runs to its end (the signal does not kill it).
# Then a stream of SIGQUITs while the program ends: the watcher thread is
# neither woken nor joined at exit (dump_on_signal.hpp), so a dump under way
# must hold the runtime's teardown back and a later one dump nothing, the
# program ending with its own status, every dump whole.
#   run_dump.sh RUNA SOURCE_DIR
source "$(dirname "$0")/lib.sh"
runa=$1 src=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

mkfifo "$dir/in"
"$runa" run "$src/tests/e2e/programs/wait_for_line.runas" a b c <"$dir/in" \
  >"$dir/out" 2>"$dir/err" &
pid=$!
exec 7>"$dir/in"
# runa blocks SIGQUIT before any thread starts, so a signal sent any time
# after "waiting" is printed waits for the dump thread: no retries needed.
wait_for "$dir/out" '^waiting$'
for n in 1 2; do
  kill -QUIT "$pid"
  for _ in $(seq 600); do
    (($(grep -c '^RunaTime thread dump' "$dir/err") >= n)) && break
    sleep 0.05
  done
done
echo done >&7
exec 7>&-
wait "$pid"
status=$?
out=$(cat "$dir/out") err=$(cat "$dir/err")
expect 3 "the program ran to its end after two SIGQUITs"
[[ $(grep -c '^RunaTime thread dump: 1 thread$' "$dir/err") == 2 ]] || fail "two dumps, one thread each"
expect_err 'thread 1 "main"' "the main thread is named"
expect_err "    at main" "its Runa frame (main waits in read_line)"

: >"$dir/out"
"$runa" run "$src/tests/e2e/programs/wait_for_line.runas" a b c <"$dir/in" \
  >"$dir/out" 2>"$dir/err" &
pid=$!
exec 7>"$dir/in"
wait_for "$dir/out" '^waiting$'
(for _ in $(seq 300); do kill -QUIT "$pid" 2>/dev/null || break; done) &
signals=$!
kill -QUIT "$pid"
wait_for "$dir/err" '^RunaTime thread dump'
echo done >&7
exec 7>&-
wait "$pid"
status=$?
wait "$signals"
out=$(cat "$dir/out") err=$(cat "$dir/err")
expect 3 "the program ended with its own status while SIGQUITs kept coming"
headers=$(grep -c '^RunaTime thread dump: 1 thread$' "$dir/err")
((headers >= 1)) || fail "at least the first dump"
# Each dump's one thread: in main, or past it once main has returned.
whole=$(grep -c -e '^    at main' -e '^    (no Runa frames)$' "$dir/err")
[[ $whole == "$headers" ]] || fail "every dump whole ($headers begun, $whole with their thread)"
finish
