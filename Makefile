# Two commands set up and run everything on a fresh machine: `make demo` and `make test`.
# Each installs what is missing, is safe to repeat, and fails on any error.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
STORE ?= sqlite
KEEP ?= 0
SMOKE ?= 0

ADDON := native/build/Release/weft_netns.node

.PHONY: all deps-demo deps-test deps-bench build addon demo test bench lint clean

all: build

deps-demo:
	scripts/install-deps.sh demo $(if $(filter etcd,$(STORE)),etcd-server) $(if $(filter zookeeper,$(STORE)),zookeeper)

deps-test:
	scripts/install-deps.sh test

deps-bench:
	scripts/install-deps.sh bench

build:
	npx --no-install tsc -p tsconfig.json
	@$(MAKE) --no-print-directory addon

# The DNS socket addon. If it cannot build, weftd falls back to the IPC handoff (slower).
addon:
	@if [ -f native/binding.gyp ]; then \
	  if [ ! -f $(ADDON) ] || [ -n "$$(find native/src native/binding.gyp -newer $(ADDON))" ]; then \
	    npx --no-install node-gyp rebuild -C native --nodedir=/usr --silent >&2 || echo "warning: setns addon did not build; DNS sockets use the IPC fallback" >&2; \
	  fi; \
	fi

demo: deps-demo
	@$(MAKE) --no-print-directory build
	STORE=$(STORE) KEEP=$(KEEP) scripts/demo.sh

test: deps-test
	@$(MAKE) --no-print-directory build
	npx --no-install eslint src test
	node --test --test-concurrency=1 --test-timeout=600000 $$(find dist/test -name '*.test.js' | sort)

bench: deps-bench
	@$(MAKE) --no-print-directory build
	SMOKE=$(SMOKE) node dist/bench/run.js

lint:
	npx --no-install eslint src test

clean:
	rm -rf dist native/build
