# rtsec — build, run and test. `sudo make run` runs the exporter on this
# host; `make test` (as root) installs what the tests need and runs them all.

# sudo resets PATH: find Go where the machine installs it.
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
export PATH := $(dir $(GO)):$(PATH)

VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BRANCH   ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -X github.com/prometheus/common/version.Version=$(VERSION) \
            -X github.com/prometheus/common/version.Revision=$(REVISION) \
            -X github.com/prometheus/common/version.Branch=$(BRANCH)

RUN_ARGS ?= --web.listen-address=:9730
TEST_FLAGS ?= -count=1 -timeout 15m

.PHONY: all build run deps generate generate-bpf vmlinux test unit lint bench clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o rtsec_exporter ./exporter

run: build
	./rtsec_exporter $(RUN_ARGS)

deps:
	scripts/deps.sh

# Rebuilds every generated file from its source. Tests fail when the
# committed files differ from what this produces.
generate: generate-bpf

generate-bpf: deps
	$(GO) generate ./bpf

# Refreshes the CO-RE type header from the running kernel's BTF. Not part of
# generate: the header is an input, kept stable across build machines.
vmlinux:
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > bpf/src/headers/vmlinux.h

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: the files above need formatting"; exit 1; }
	$(GO) vet ./...

test: deps lint
	$(GO) test $(TEST_FLAGS) ./...

bench: deps
	$(GO) test -run '^$$' -bench . -benchtime 20x ./exporter/...
	$(GO) run ./test/bench/execoverhead

clean:
	rm -f rtsec_exporter
