# catalogd - the two commands a newcomer needs:
#   make run    install what is missing, build, start catalogd on 127.0.0.1:4599
#   make test   install what is missing, then every check CI runs
#   make demo   (with catalogd running) create the tutorial's users, portfolio and product
# Everything else here is a step of those two.

BUILD      ?= build
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
DATA_DIR   ?= var/data
PYTHON     ?= /usr/bin/python3

.PHONY: all build deps run demo test gen check-gen format check-format lint unit api api-pg console-test asan fuzz bench bench-wrk bench-pg bench-scale clean

all: build

build:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

deps:
	@scripts/install-deps.sh

run: deps build
	@mkdir -p $(dir $(DATA_DIR))
	exec $(BUILD)/catalogd serve --data-dir $(DATA_DIR) --template-dir $(CURDIR)/data/templates

demo:
	@$(PYTHON) tools/demo_data.py --data-dir $(DATA_DIR)

test:
	@scripts/install-deps.sh test
	@scripts/test.sh

gen:
	$(PYTHON) tools/gen_model.py

check-gen:
	@scripts/check-gen.sh

format:
	@clang-format -i $$(scripts/c-files.sh)

check-format:
	@clang-format --dry-run -Werror $$(scripts/c-files.sh)

lint:
	@scripts/lint.sh

unit: build
	@cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

api: build
	@CATALOGD_BIN=$(abspath $(BUILD))/catalogd $(PYTHON) -m pytest -q tests/api

# the API tests on PostgreSQL: they start a cluster of their own (the postgresql package)
api-pg: build
	@CATALOGD_TEST_BACKEND=postgres CATALOGD_BIN=$(abspath $(BUILD))/catalogd $(PYTHON) -m pytest -q \
	    -p no:cacheprovider -n $(JOBS) --dist loadfile tests/api

console-test: build
	@BUILD=$(abspath $(BUILD)) tests/console/run.sh

# the HTTP and flow benchmarks with the C load generator, as ratios (bench/README.md)
bench: build
	@$(PYTHON) bench/bench.py

# the older wrk benchmark of the request path (bench/run.sh)
bench-wrk: build
	@bench/run.sh

# PostgreSQL next to SQLite, one node next to two (a cluster of its own; about 15 min)
bench-pg: build
	@$(PYTHON) bench/pg_bench.py

# a catalog of millions (bench/scale_catalog.py; SCALE=1 writes ~25 GB under DIR and takes
# hours on this machine; SCALE=0.01 a minute): generate, then time the lists and describes
SCALE ?= 0.01
bench-scale: build
	@SCALE=$(SCALE) CATALOGD_BIN=$(abspath $(BUILD))/catalogd $(PYTHON) bench/scale_catalog.py

clean:
	rm -rf build build-asan build-fuzz
