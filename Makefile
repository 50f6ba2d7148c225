# dockerfile-dotenv: `make test` runs everything a fresh machine can run.

GO       ?= go
BIN      := $(CURDIR)/bin

.PHONY: all test unit vet build
all: build

build:
	$(GO) build ./...

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt needed'; exit 1; }
	$(GO) vet ./...

unit:
	$(GO) test -short ./...

test: vet unit
