# dockerfile-dotenv: `make test` runs everything a fresh machine can run.

GO       ?= go
BIN      := $(CURDIR)/bin
# Static builds everywhere: the unit tests, go vet and the dev image of make up
# (hack/dev-image.sh) then share one Go build cache.
export CGO_ENABLED ?= 0

.PHONY: all test unit vet build e2e fuzz bounds
all: build

build:
	$(GO) build ./...

# ./loader again with cgo: its bridge to the C loader's parts (cgo only).
vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt needed'; exit 1; }
	$(GO) vet ./...
	CGO_ENABLED=1 $(GO) vet ./loader/

# Everything but e2e/, which needs the stack: its files carry the build tag
# e2e, so a plain `go test ./...` is hermetic too. ./loader again with cgo,
# under AddressSanitizer (leaks too) and UndefinedBehaviorSanitizer: the
# differential tests call the C loader's parts through it. That run is all
# of ./loader's tests (the same list as a plain cgo run): the black-box
# ones build the program with hack/build-loader.sh as the image has it and
# with the sanitizers whatever -asan says, so a plain cgo run would only
# repeat them, with the bridge unsanitized.
unit:
	$(GO) test ./...
	CGO_ENABLED=1 CGO_CFLAGS='-O1 -g -fsanitize=undefined -fno-sanitize-recover=all' \
		CGO_LDFLAGS=-fsanitize=undefined $(GO) test -asan ./loader/

# End-to-end: real builds through the stack of `make up` (root).
e2e: up
	. .local/env && PATH=$(BIN):$$PATH BUILDKITD_LOG=$(CURDIR)/.local/logs/buildkitd.log $(GO) test -tags e2e -count=1 -timeout 30m ./e2e/

# Long runs, outside make test. fuzz: each fuzz target for FUZZTIME;
# bounds: a 5,000-RUN Dockerfile with a 500 KB _env through the stack.
FUZZTIME ?= 10m
fuzz:
	$(GO) test ./frontend -run XXX -fuzz FuzzConvert -fuzztime $(FUZZTIME)
	$(GO) test ./frontend -run XXX -fuzz FuzzConfig -fuzztime $(FUZZTIME)
	$(GO) test ./dotenv -run XXX -fuzz FuzzParse -fuzztime $(FUZZTIME)
	$(GO) test ./mask -run XXX -fuzz FuzzWriter -fuzztime $(FUZZTIME)
	$(GO) test ./mask -run XXX -fuzz FuzzPatterns -fuzztime $(FUZZTIME)
	CGO_ENABLED=1 $(GO) test ./loader -run XXX -fuzz FuzzParseMatchesGo -fuzztime $(FUZZTIME)

bounds: up
	. .local/env && PATH=$(BIN):$$PATH BOUNDS_RUNS=5000 $(GO) test -tags e2e -count=1 -timeout 3h -run TestBounds -v ./e2e/

# tools first: the unit tests run the loader under busybox sh. Whatever the
# result (failure, Ctrl-C), make test stops what it started (make down).
test:
	@trap 'hack/down.sh' EXIT; trap 'exit 130' INT TERM; $(MAKE) test-steps

.PHONY: test-steps
test-steps: tools vet unit e2e e2e-engine e2e-scale conformance-fast

# The local stack (hack/): pinned tools in bin/, buildkitd + registry + images
# under .local/ (`. .local/env` afterwards), the AIchor example built through it.
.PHONY: tools up down demo
tools:
	hack/tools.sh

up: tools
	hack/up.sh

down:
	hack/down.sh

# Where users build (hack/engine.sh, hack/scale.sh; make down stops both).
# e2e-engine: Debian's Docker Engine 20.10 (embedded BuildKit 0.8) on its own
# socket, driven by its own docker CLI and by buildx's docker driver.
# e2e-scale: a buildx builder of two buildkitd nodes, linux/amd64 and
# linux/arm64 (emulated), sharing a registry cache.
.PHONY: up-engine e2e-engine up-scale e2e-scale
# ENGINE_CURRENT=1: also a current Engine built from the Go module proxy
# (about 11 CPU-minutes the first time; hack/engine.sh).
up-engine: up
	hack/engine.sh up
	if [ -n "$(ENGINE_CURRENT)" ]; then ENGINE_FLAVOR=current hack/engine.sh up; fi

e2e-engine: up-engine
	. .local/env && . .local/engine.env && PATH=$(BIN):$$PATH E2E_REQUIRED=1 $(GO) test -tags e2e -count=1 -timeout 20m -run '^TestEngine' ./e2e/
	if [ -n "$(ENGINE_CURRENT)" ]; then . .local/env && . .local/engine-current.env && \
		PATH=$(BIN):$$PATH E2E_REQUIRED=1 $(GO) test -tags e2e -count=1 -timeout 20m -run '^TestEngine' ./e2e/; fi

up-scale: up
	hack/scale.sh up

e2e-scale: up-scale
	. .local/env && . .local/scale.env && PATH=$(BIN):$$PATH E2E_REQUIRED=1 $(GO) test -tags e2e -count=1 -timeout 20m -run '^TestScale' ./e2e/

demo: up
	hack/demo.sh

# BuildKit's own Dockerfile integration suite against our image (root,
# linux/amd64; conformance/run.sh). conformance: ours and upstream's image,
# both built by buildkitd from ./Dockerfile, and the difference; then the e2e
# core scenarios on older buildkitd releases (conformance/daemons.sh).
# conformance-fast: a subset of the suite, ours only.
.PHONY: conformance conformance-fast
conformance: up
	. .local/env && ours=$$FRONTEND_IMAGE@$$($(BIN)/crane digest $$FRONTEND_IMAGE) && \
		upstream=$$(bench/image.sh upstream) && \
		OURS_IMAGE_REF=$$ours UPSTREAM_IMAGE_REF=$$upstream conformance/run.sh full
	conformance/daemons.sh

conformance-fast: up
	. .local/env && OURS_IMAGE_REF=$$FRONTEND_IMAGE conformance/run.sh fast

# Performance against upstream's frontend image (built as ours) and the
# builtin frontend, side by side on the stack of make up: one table, the plot
# bench/pass-cost.svg (bench/bench.sh; BENCH_* set the rounds; BENCHMARKS.md).
.PHONY: bench
bench: up
	bench/bench.sh

# Releasing (hack/release.sh; README "Releasing"): every platform of upstream's
# frontend image, attested, signed with COSIGN_PRIVATE_KEY, tagged x, x.y, x.y.z.
# release-check (its own target: the 11-platform build does not fit make test's
# hour on 2 cores with a cold BuildKit cache): a release of the current tree to the
# stack's registry with a throwaway key, then e2e/release_test.go on it.
.PHONY: release release-check
release:
	hack/tools.sh release
	VERSION=$(VERSION) REGISTRY=$(REGISTRY) hack/release.sh

release-check: up
	hack/tools.sh release
	hack/release-check.sh
