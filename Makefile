# ropescope: the two README commands (`make run`, `make test`) and a few extras.
BUILD_DIR ?= build/release
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
EXE := $(BUILD_DIR)/app/ropescope

.PHONY: all deps configure build run test bench bench-torch golden fuzz asan clean

all: build

deps:
	@bash cmake/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) --log-level=WARNING

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(EXE) $(ARGS)

# The tests also run tools/capture_qk.py's test on a tiny torch model (python3-torch, python3-numpy).
test: build
	@bash cmake/install-deps.sh python3-numpy python3-torch
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 1200

# Benchmarks are separate from tests: figures, never assertions.
bench: build
	$(EXE) bench --scenario all
	$(BUILD_DIR)/bench/rope_microbench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

# Side-by-side with PyTorch CPU (needs python3-torch from Debian).
bench-torch: build
	@bash cmake/install-deps.sh python3-numpy python3-torch libopenblas0-pthread
	OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 bench/torch_pipeline.py --ropescope $(EXE)

# Regenerates the float64 golden values exactly as committed (needs python3-numpy; ~30 min).
golden:
	@bash cmake/install-deps.sh python3-numpy
	/usr/bin/python3 tests/golden/make_golden.py --certify-64k

fuzz:
	@bash cmake/install-deps.sh clang libclang-rt-14-dev
	cmake --preset fuzz && cmake --build --preset fuzz --target fuzzers -j $(JOBS)
	@echo "fuzzers are in build/fuzz/fuzz/; e.g. mkdir -p /tmp/npy_corpus && build/fuzz/fuzz/fuzz_npy \
	  -max_len=4096 -malloc_limit_mb=16 -max_total_time=600 -dict=tests/data/fuzz_corpus/npy.dict /tmp/npy_corpus tests/data/fuzz_corpus/npy"

# Everything but the GL tests and the two smoke tests that wait, with wall-clock deadlines, for
# 131072-token softmax maps (ASan makes those computations take minutes).
asan: deps
	cmake --preset asan && cmake --build --preset asan -j $(JOBS) && \
	  ctest --preset asan -j $(JOBS) -LE gl -E 'GuiSmoke.LongSoftmaxShows'

clean:
	rm -rf build
