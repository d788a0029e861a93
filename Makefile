# Developer entry points for RunaTime. Builds go through CMakePresets.json into
# build/<preset>/. Run `make help` for the list of targets.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
# The steps of a target depend on each other's order; never run them in parallel.
.NOTPARALLEL:

# Parallel jobs for builds and ctest: the number of cores, capped at 2.
JOBS := $(shell n=$$(nproc 2>/dev/null || echo 1); echo $$((n < 2 ? n : 2)))
# The parts whose tests `make test` also runs under ThreadSanitizer: those with
# threads. (`make tsan` runs everything under it.)
TSAN_PARTS := memory concurrency io types bridge tier0
empty :=
space := $(empty) $(empty)
# Seconds each fuzz target runs for in `make fuzz`.
FUZZ_SECONDS ?= 60

FORMAT_DIRS := src include engines tools tests bench fuzz
# Evaluated when used, so files created meanwhile are included.
FORMAT_FILES = $(shell find $(FORMAT_DIRS) -type f -not -path '*/node_modules/*' \
  \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.c' \) 2>/dev/null | sort)
# Code that clang-tidy checks (it needs the compile commands of a configured build).
TIDY_FILES_REGEX := $(CURDIR)/(src|tools|engines)/

# $(call build,<preset>): configure and build one preset.
define build
cmake --preset $(1)
cmake --build --preset $(1) --parallel $(JOBS)
endef

# $(call executables,<dir>,<name-pattern>): bash snippet that sets the array `found`
# to the executables directly in <dir> whose name matches <name-pattern>.
define executables
mapfile -t found < <(find $(1) -maxdepth 1 -type f -perm -u+x -name '$(2)' 2>/dev/null | sort)
endef

.PHONY: help setup deps build demo test tsan bench bench-gc bench-concurrency bench-types bench-engine fuzz fuzz-regress format format-check tidy clean

help:
	@echo "make setup         install missing Debian packages (scripts/setup)"
	@echo "make build         configure and build the release preset"
	@echo "make demo          build, then run scripts/demo (runa run on real programs, asm/verify/dis)"
	@echo "make test          build and test the release and asan-ubsan presets"
	@echo "make tsan          build and test the tsan preset"
	@echo "make bench         build release and run build/release/bench/bench_*"
	@echo "make bench-gc      memory benchmarks at equal memory beside malloc, mimalloc, Boehm, the JVM, Go"
	@echo "make bench-concurrency  pool, channels and actors beside oneTBB, OpenMP, moodycamel, CAF, Erlang; programs' tasks on the pool"
	@echo "make bench-types   Dictionary beside absl and std, dispatch costs (docs/types.md)"
	@echo "make bench-engine  six programs on tier 0 beside CPython, Lua, node --jitless, java -Xint"
	@echo "make fuzz          run each fuzz target for FUZZ_SECONDS (default 60) s"
	@echo "make fuzz-regress  run each fuzz target once over fuzz/regressions/<target>/"
	@echo "make format        clang-format -i the C/C++ sources"
	@echo "make format-check  fail if any source is not clang-formatted"
	@echo "make tidy          clang-tidy src/, tools/ and engines/"
	@echo "make clean         remove build/"

setup:
	scripts/setup

# Cheap check first; the full setup (apt-get) runs only when a package is missing.
deps:
	@scripts/setup --check || scripts/setup

build:
	$(call build,release)

demo: deps
	$(call build,release)
	scripts/demo

test: deps
	@for preset in release asan-ubsan; do \
	  echo "== test: $$preset =="; \
	  { cmake --preset $$preset \
	    && cmake --build --preset $$preset --parallel $(JOBS) \
	    && ctest --preset $$preset --parallel $(JOBS); } \
	  || { echo "== test: $$preset FAILED ==" >&2; exit 1; }; \
	done
	@echo "== test: tsan (the parts with threads: $(TSAN_PARTS)) =="
	@{ cmake --preset tsan \
	  && cmake --build --preset tsan --parallel $(JOBS) \
	       $(foreach p,$(TSAN_PARTS),--target runatime_$(p)_tests) \
	  && ctest --preset tsan --parallel $(JOBS) -L '^($(subst $(space),|,$(TSAN_PARTS)))$$'; } \
	  || { echo "== test: tsan FAILED ==" >&2; exit 1; }
	@echo "== test: all presets passed =="

tsan: deps
	@echo "== test: tsan =="
	$(call build,tsan)
	ctest --preset tsan --parallel $(JOBS)

bench:
	$(call build,release)
	@$(call executables,build/release/bench,bench_*); \
	(($${#found[@]})) || { echo "bench: no build/release/bench/bench_* (is there a bench/CMakeLists.txt?)" >&2; exit 1; }; \
	for bench in "$${found[@]}"; do \
	  echo "== bench: $${bench##*/} =="; \
	  "$$bench"; \
	done

# Each target keeps its growing corpus in build/fuzz/corpus/<target>/ and reads seeds
# from fuzz/corpus/<target>/ and examples/. Crashes are written to the repository root.
bench-gc: deps
	scripts/bench-gc-peers
	scripts/bench-heap-observers

bench-concurrency: deps
	scripts/bench-concurrency
	$(MAKE) build
	scripts/bench-pool-tasks

bench-types: deps
	$(call build,release)
	build/release/bench/bench_dictionary
	build/release/bench/bench_strings
	build/release/bench/bench_dispatch --benchmark_repetitions=3 --benchmark_report_aggregates_only=true

bench-engine: deps
	$(call build,release)
	scripts/bench-engine

fuzz:
	$(call build,fuzz)
	@$(call executables,build/fuzz/fuzz,*); \
	(($${#found[@]})) || { echo "fuzz: no fuzz targets in build/fuzz/fuzz/ (is there a fuzz/CMakeLists.txt?)" >&2; exit 1; }; \
	for target in "$${found[@]}"; do \
	  name=$${target##*/}; \
	  corpus=build/fuzz/corpus/$$name; \
	  mkdir -p "$$corpus"; \
	  seeds=(); \
	  for dir in fuzz/corpus/$$name examples; do \
	    if [[ -d $$dir ]]; then seeds+=("$$dir"); fi; \
	  done; \
	  dict=(); \
	  if [[ -f fuzz/$$name.dict ]]; then dict=(-dict=fuzz/$$name.dict); fi; \
	  echo "== fuzz: $$name for $(FUZZ_SECONDS) s =="; \
	  "$$target" -max_total_time=$(FUZZ_SECONDS) "$${dict[@]}" "$$corpus" "$${seeds[@]}"; \
	done

fuzz-regress:
	$(call build,fuzz)
	@$(call executables,build/fuzz/fuzz,*); \
	(($${#found[@]})) || { echo "fuzz-regress: no fuzz targets in build/fuzz/fuzz/" >&2; exit 1; }; \
	for target in "$${found[@]}"; do \
	  name=$${target##*/}; \
	  inputs=(); \
	  if [[ -d fuzz/regressions/$$name ]]; then \
	    mapfile -t inputs < <(find fuzz/regressions/$$name -type f | sort); \
	  fi; \
	  if (($${#inputs[@]} == 0)); then \
	    echo "== fuzz-regress: $$name: no inputs in fuzz/regressions/$$name/ =="; \
	    continue; \
	  fi; \
	  echo "== fuzz-regress: $$name: $${#inputs[@]} input(s) =="; \
	  "$$target" "$${inputs[@]}"; \
	done

format:
	$(if $(FORMAT_FILES),clang-format -i $(FORMAT_FILES),@echo "format: no sources")

format-check:
	$(if $(FORMAT_FILES),clang-format --dry-run --Werror $(FORMAT_FILES),@echo "format-check: no sources")

tidy:
	cmake --preset release
	run-clang-tidy -p build/release -j $(JOBS) -quiet '$(TIDY_FILES_REGEX)'

clean:
	rm -rf build
