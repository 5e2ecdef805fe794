# Hogwild — the two quick-start commands:
#   make run    build (release) and train + evaluate on MovieLens 100k
#   make test   run the test suite
# Data sets are read from $(HOGWILD_DATA) (default: ../shared/data when it exists) or ~/.cache/hogwild,
# where a missing one is downloaded on first use.

HOGWILD_DATA ?= $(abspath $(wildcard $(CURDIR)/../shared/data))
export HOGWILD_DATA

.PHONY: deps build run test tsan bench perf clean fuzz-smoke

deps:
	@scripts/install-deps.sh

build: deps
	swift build -c release --product hogwild

# `hogwild download` finds ml-100k in $HOGWILD_DATA or the cache, or fetches it into the cache
# (checked against its published SHA-256). Without it and without network, it says so in one
# line and the main job still runs: on the built-in synthetic set.
run: build
	@if .build/release/hogwild download ml-100k >/dev/null; then \
	  set -x; .build/release/hogwild train --data ml-100k --baseline popularity --baseline random; \
	else \
	  echo "make run: training on the built-in synthetic set instead (README: Quick start)"; \
	  set -x; .build/release/hogwild train --data synthetic --baseline popularity --baseline random; \
	fi

# Every public declaration documented, the suite, the in-process suites under ThreadSanitizer, then a
# short fuzz of every reader. The CLI tests run the release `hogwild`
# (HOGWILD_BIN; they do not link it): they train on ml-100k, ~40× slower in a debug build.
test: deps
	scripts/check-docs.sh
	swift build -c release --product hogwild
	@scripts/test-data.sh .build/release/hogwild
	HOGWILD_BIN=$(CURDIR)/.build/release/hogwild swift test --disable-xctest
	$(MAKE) --no-print-directory tsan
	$(MAKE) --no-print-directory fuzz-smoke

# The in-process suites under ThreadSanitizer. HOGWILD_TSAN leaves out only the multi-worker
# training tests, whose item-row races are the Hogwild algorithm (see HogwildTrainer's
# documentation). TrainerTests are skipped: they run the release `hogwild` as a subprocess, which
# the sanitizer does not instrument, so a second run would only repeat the first.
tsan: deps
	HOGWILD_TSAN=1 swift test --disable-xctest --sanitize=thread --scratch-path .build-tsan --skip '^TrainerTests\.'

# The libFuzzer targets of perf/fuzz (text and binary interaction files, model files, feature
# files), each over its seed corpus and then 20,000 mutated inputs; a crash, hang, leak or
# oversized allocation fails it (the input is kept in perf/fuzz/crashes/). Long runs and their
# figures: perf/fuzz/run.sh (perf/fuzz/README.md).
fuzz-smoke:
	SMOKE=1 perf/fuzz/run.sh all 20000

bench: build
	.build/release/hogwild bench --data ml-100k --threads 1,2 --repeats 5 --report perf/results/bench-ml-100k.json

clean:
	rm -rf .build .build-tsan
