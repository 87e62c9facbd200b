# SPDX-License-Identifier: GPL-2.0-or-later
# Thin wrapper for the README's commands; the real build is Meson.
#   make demo    install what is missing, build, run the article's demo in the X.25 VM
#   make demo-xot  install what is missing, build, then XOT between two X.25 VMs joined by a
#                virtual link (vm/x25lo-vm pair): a call from site a to site b, then the stress
#                test across the sites (scripts/demo-xot.sh; DEMO_XOT_ARGS="-T 10" and the like)
#   make check   install what is missing, build, then three meson test runs (scripts/check.sh):
#                the unit suite on the ASan+UBSan build, the fuzz suite (each libFuzzer
#                target for a short while) on the clang build, the vm and lint suites on
#                the normal build; ends with "N passed, N failed"
#   make unit-check / vm-check / lint / fuzz-check   one suite
#   make fuzz    build the libFuzzer targets with clang and fuzz each FUZZ_SECONDS
#   make deb     the Debian packages (scripts/build-deb.sh: dpkg-buildpackage on a copy of the
#                tree, then lintian) in DEB_OUT
#   make soak    the soak in one X.25 VM (scripts/soak.sh): 100,000 calls both ways while 100
#                SIGHUP reloads add and remove a third route whose TUN flaps 20 times, stats
#                polled, capture rotating; SOAK_SANITIZE=1 runs the ASan+UBSan x25lo of ASAN_BUILD;
#                SOAK_ARGS="--calls 20000 --reloads 20 --flaps 4" and the like
BUILD        ?= build
ASAN_BUILD   ?= build-asan
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := fuzz_config fuzz_packet fuzz_relay fuzz_http
DEMO_ARGS    ?=
DEMO_XOT_ARGS ?=
SOAK_ARGS    ?=
DEB_OUT      ?= build-deb

.PHONY: all deps build build-asan build-fuzz check unit-check vm-check lint fuzz-check fuzz demo demo-xot soak deb clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

$(FUZZ_BUILD)/build.ninja:
	CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true

build: deps $(BUILD)/build.ninja
	meson compile -C $(BUILD)

build-asan: deps $(ASAN_BUILD)/build.ninja
	meson compile -C $(ASAN_BUILD)

# Only the fuzz targets: the rest of the project is built (and checked) by gcc. Regenerating
# build.ninja first lets meson find targets added since the directory was set up.
build-fuzz: deps $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD) build.ninja
	meson compile -C $(FUZZ_BUILD) $(FUZZ_TARGETS)

check: build build-asan build-fuzz
	@scripts/check.sh $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

unit-check: build-asan
	meson test -C $(ASAN_BUILD) --suite unit --print-errorlogs

vm-check: build
	@tests/vm/run-vm-tests $(BUILD)

lint: build
	meson test -C $(BUILD) --suite lint --print-errorlogs

fuzz-check: build-fuzz
	meson test -C $(FUZZ_BUILD) --suite fuzz --no-rebuild --print-errorlogs

fuzz: build-fuzz
	@tests/fuzz/run-fuzz.sh --no-build $(FUZZ_BUILD) $(FUZZ_SECONDS)

demo: build
	@scripts/demo.sh $(BUILD) $(DEMO_ARGS)

demo-xot: build
	@scripts/demo-xot.sh $(BUILD) $(DEMO_XOT_ARGS)

soak: build $(if $(SOAK_SANITIZE),build-asan)
	@scripts/soak.sh $(if $(SOAK_SANITIZE),--sanitize $(ASAN_BUILD)) $(BUILD) $(SOAK_ARGS)

deb: deps
	@scripts/build-deb.sh $(DEB_OUT)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
