# rtsec — build, run and test. `make run` (as root, or with sudo) runs the
# exporter on this host; `make test` (as root) installs what the tests need
# and runs them all.

# Go, at least go.mod's version: scripts/go.sh finds it (in PATH, which sudo
# resets, in /usr/local/go, or where it installed one) or, on a machine
# without one, installs it first (README: Quick start).
ifeq ($(origin GO),undefined)
GO := $(shell scripts/go.sh)
endif
ifeq ($(GO),)
$(error no Go toolchain: scripts/go.sh failed, see above)
endif
export PATH := $(dir $(GO)):$(PATH)

VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BRANCH   ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
# The commit's time: every timestamp in the image, which makes it reproducible.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
LDFLAGS  := -X github.com/prometheus/common/version.Version=$(VERSION) \
            -X github.com/prometheus/common/version.Revision=$(REVISION) \
            -X github.com/prometheus/common/version.Branch=$(BRANCH)

RUN_ARGS ?= --web.listen-address=:9730
# One package at a time: the e2e harness, the integration tests and promtool each
# load the 2-core machine, and exact counts and alert timings want it calm.
TEST_FLAGS ?= -count=1 -timeout 20m -p 1

.PHONY: k8s-test k8s-tools all build run deps generate generate-bpf generate-mixin generate-docs generate-deploy image vmlinux test lint fuzz soak e2e stack scenario bench bench-scrape clean

all: build

# CGO_ENABLED=0: only a build without cgo can drop capabilities on every
# thread (--privileges.drop).
build:
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o rtsec_exporter ./exporter

# The exporter's OCI image, without a container engine: an OCI image layout
# in rtsec_exporter.oci/ holding an image index, one image per architecture
# of IMAGE_ARCHES (cross-compiled: the BPF objects are built for both), to
# push with crane or skopeo (docs/deploy.md).
IMAGE_ARCHES ?= amd64 arm64
image:
	@mkdir -p .build
	for arch in $(IMAGE_ARCHES); do \
		CGO_ENABLED=0 GOOS=linux GOARCH=$$arch $(GO) build -ldflags "$(LDFLAGS)" -o .build/rtsec_exporter-$$arch ./exporter || exit 1; \
	done
	$(GO) run ./deploy/image/build -o rtsec_exporter.oci $(foreach arch,$(IMAGE_ARCHES),-binary $(arch)=.build/rtsec_exporter-$(arch)) \
		-version $(VERSION) -revision $(REVISION) -created $(SOURCE_DATE_EPOCH)

run: build
	./rtsec_exporter $(RUN_ARGS)

deps:
	scripts/deps.sh

# Rebuilds every generated file from its source. Tests fail when the
# committed files differ from what this produces.
generate: generate-bpf generate-mixin generate-docs generate-deploy

generate-bpf: deps
	$(GO) generate ./bpf

generate-mixin:
	$(GO) run ./mixin/generate

# docs/metrics.md from exporter/metricdef, the README's flag table from the
# exporter's flags.
generate-docs:
	$(GO) run ./exporter/metricdef/gendoc
	$(GO) run ./exporter --write-documentation=README.md

# The values table of the Helm chart's README, from its values.yaml. The
# PrometheusRule and the dashboards are not copied into deploy/: kustomize
# reads alerts/ and dashboards/, the chart links to them (docs/deploy.md).
generate-deploy:
	$(GO) run ./deploy/generate

# Refreshes the CO-RE type header from the running kernel's BTF. Not part of
# generate: the header is an input, kept stable across build machines.
vmlinux:
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > bpf/src/headers/vmlinux.h

# gofmt, go vet, and go.mod/go.sum exactly as go mod tidy leaves them (a
# direct dependency marked indirect, or a stale go.sum line, fails).
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: the files above need formatting"; exit 1; }
	$(GO) vet ./...
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }

# k8s-tools first: on a new machine, the control plane's cold build (docs/deploy.md)
# runs once here, outside the tests' timeout; later it costs under a second.
test: deps lint fuzz k8s-tools
	$(GO) test $(TEST_FLAGS) ./...

k8s-tools:
	GO=$(GO) scripts/k8s-tools.sh >/dev/null

# A short run of every fuzz target (FUZZTIME each; longer: make fuzz
# FUZZTIME=10m). Their seed corpora run in every go test as well.
FUZZTIME ?= 3s
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

# The exporter under container churn, exec/file/network load and scrapes
# for DURATION; fails on monotonic growth of RSS, goroutines, fds, series or
# map entries. make test runs it for 90s.
DURATION ?= 1h
soak: deps build
	RTSEC_SOAK_DURATION=$(DURATION) $(GO) test -count=1 -v -timeout 0 -run 'TestSoak$$' ./test/soak/

# The end-to-end detection harness alone (also part of make test).
e2e: deps
	$(GO) test -count=1 -v -run 'TestE2E' ./test/e2e/

# Exporter + Prometheus + Alertmanager on 127.0.0.1 for a person; Ctrl-C stops all.
stack: deps
	$(GO) run ./test/e2e/cmd/stack

# The real control-plane test alone (opt-in): kube-apiserver, etcd, the
# Prometheus Operator and Prometheus built from source by scripts/k8s-tools.sh.
k8s-test: deps k8s-tools
	$(GO) test -count=1 -v -timeout 20m ./test/k8s/

# Runs one attack or benign scenario (NAME=…) against the running stack.
scenario:
	$(GO) run ./test/e2e/cmd/scenario $(NAME)

# The overhead table (test/bench/overhead, docs/benchmarks.md: "The overhead
# table") and the collectors' Go benchmarks. Root; not part of `make test`.
bench: deps
	$(GO) test -run '^$$' -bench . -benchtime 20x ./exporter/...
	$(GO) run ./test/bench/overhead

# The cost of one whole /metrics scrape at 100, 1 000 and 5 000 containers,
# and the exporter's CPU under a storm of 100 000 counted events/s
# (docs/benchmarks.md). Root; creates and removes the containers' cgroups.
bench-scrape: deps
	$(GO) test -run '^$$' -bench 'Scrape' -benchtime 5x -timeout 30m ./test/bench/scrape/
	$(GO) test -run '^$$' -bench 'StormCPU' -benchtime 1x -timeout 10m ./test/bench/scrape/

clean:
	rm -rf rtsec_exporter rtsec_exporter.oci .build
