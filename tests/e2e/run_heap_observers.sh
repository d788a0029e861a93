#!/usr/bin/env bash
# runa run's heap observers end to end: --heap-profile read back by
# `go tool pprof`, --heap-snapshot at exit and on SIGUSR2 parsed as JSON
# with the counts they announce, --gc-trace read as JSON, --leak-check on a
# leaking and a steady program, and clear errors for unwritable files.
#   run_heap_observers.sh RUNA SOURCE_DIR
source "$(dirname "$0")/lib.sh"
runa=$1 src=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export HOME=$dir GOCACHE=$dir/go-cache GOPATH=$dir/go  # go tool pprof in a clean CI

# A .heapsnapshot is well formed: its arrays hold the announced counts, each
# edge points at a node, and every node's name is a string of the table.
check_snapshot() {
  /usr/bin/python3 - "$1" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
meta = s["snapshot"]["meta"]
nf, ef = len(meta["node_fields"]), len(meta["edge_fields"])
nodes, edges, strings = s["nodes"], s["edges"], s["strings"]
assert len(nodes) == nf * s["snapshot"]["node_count"], "node count"
assert len(edges) == ef * s["snapshot"]["edge_count"], "edge count"
assert sum(nodes[i + 4] for i in range(0, len(nodes), nf)) == s["snapshot"]["edge_count"]
assert all(e % nf == 0 and e < len(nodes) for e in edges[2::ef]), "edge targets"
assert all(nodes[i + 1] < len(strings) for i in range(0, len(nodes), nf)), "names"
assert "(Thread 1)" in strings, "root category"
print(len(nodes) // nf, "nodes")
PY
}

run "$runa" run --sample-bytes=4k --heap-profile "$dir/trees.pb.gz" --heap-snapshot "$dir/exit.heapsnapshot" \
  "$src/examples/binary_trees.runas" 4
expect 0 "binary_trees with --heap-profile and --heap-snapshot"
run go tool pprof -top -sample_index=alloc_space "$dir/trees.pb.gz"
expect 0 "go tool pprof -top reads the profile"
expect_out "Node" "the allocated type is a frame"
expect_out "bottom_up_tree" "the allocating function is a frame"
run go tool pprof -traces "$dir/trees.pb.gz"
expect_out "main" "main is in the traces"
run check_snapshot "$dir/exit.heapsnapshot"
expect 0 "the snapshot at exit is well formed"

# SIGUSR2 while the program waits for a line: FILE-1 and FILE-2.
mkfifo "$dir/in"
"$runa" run --heap-snapshot "$dir/wait.heapsnapshot" "$src/tests/e2e/programs/wait_for_line.runas" \
  a b c <"$dir/in" >"$dir/wait.out" 2>&1 &
pid=$!
exec 7>"$dir/in"
# Signal only once the program waits for its line (it printed "waiting":
# runa blocks SIGUSR2 before it runs anything, and `args` is live then).
wait_for "$dir/wait.out" '^waiting$'
for n in 1 2; do
  for _ in $(seq 100); do  # the signal thread may not be waiting yet: retry
    kill -USR2 "$pid"
    sleep 0.1
    [[ -s $dir/wait-$n.heapsnapshot ]] && break
  done
done
echo done >&7
exec 7>&-
wait "$pid"
status=$?
out=$(cat "$dir/wait.out")
expect 3 "the program ran to its end after the signals"
for f in wait-1 wait-2 wait; do
  run check_snapshot "$dir/$f.heapsnapshot"
  expect 0 "$f.heapsnapshot is well formed"
done

# memlab (tools/heapsnapshot-reader, installed by scripts/setup) reads
# them too, and finds every node, edge and type the file announces.
reader=$src/tools/heapsnapshot-reader
for f in exit wait-1; do
  run node "$reader/read.js" "$dir/$f.heapsnapshot"
  expect 0 "memlab reads $f.heapsnapshot (scripts/setup installs it)"
  echo "$out" >"$dir/$f.memlab.json"
  run /usr/bin/python3 - "$dir/$f.heapsnapshot" "$dir/$f.memlab.json" <<'PY'
import json, sys
s, m = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert m["nodes"] == s["snapshot"]["node_count"], (m["nodes"], s["snapshot"]["node_count"])
assert m["edges"] == s["snapshot"]["edge_count"], (m["edges"], s["snapshot"]["edge_count"])
assert m["by_name"]["List"]["count"] >= 1 and m["by_name"]["(Root sets)"]["count"] == 1, m
PY
  expect 0 "memlab's counts agree with $f.heapsnapshot"
done

run "$runa" run --leak-check "$src/tests/e2e/programs/leaky_cache.runas"
expect 0 "a leaking program runs to its end"
expect_err "1 suspect type(s)" "one suspect"
expect_err "String: 1603 live" "the growing type, with its count"
expect_err "path: (Root sets) -> List.0 -> ListStorage[" "the path through the global list"
run "$runa" run --gc-trace "$dir/trace.json" "$src/tests/e2e/programs/leaky_cache.runas" steady
expect 0 "a program with --gc-trace"
run /usr/bin/python3 -c '
import json, sys
events = json.load(open(sys.argv[1]))["traceEvents"]
names = [e["name"] for e in events if e["ph"] == "X"]
assert names.count("major collection") >= 8, names
assert "mark" in names and "sweep" in names, names
print(len(names), "events")' "$dir/trace.json"
expect 0 "the trace is JSON with the eight major collections and their phases"
run "$runa" run --gc-trace /nonexistent/t.json "$src/examples/add.runas"
expect 1 "an unwritable trace"
expect_err "/nonexistent/t.json" "the error names the file"
run "$runa" run --leak-check "$src/tests/e2e/programs/leaky_cache.runas" steady
expect 0 "a steady program runs to its end"
expect_err "0 suspect type(s)" "a steady heap is not flagged"

run "$runa" run --heap-profile /nonexistent/p.pb.gz "$src/examples/add.runas"
expect 1 "an unwritable profile"
expect_err "/nonexistent/p.pb.gz" "the error names the file"
run "$runa" run --heap-snapshot /nonexistent/s.heapsnapshot "$src/examples/add.runas"
expect 1 "an unwritable snapshot"
expect_err "/nonexistent/s.heapsnapshot" "the error names the file"
run "$runa" run --heap-profile
expect 2 "--heap-profile without a value"
finish
