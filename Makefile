# The two commands of the README: make run, make test. Plus make bench.
GO ?= go
BIN := bin/coxswain
DEMO := demo
# The sample org's latest export is 2026-11-15 06:00 UTC: building as of
# that instant makes the demo reproducible, whatever today is.
AS_OF := 2026-11-15T06:00:00Z
# The last complete month at that instant.
MONTH := 2026-10

.PHONY: run test test-iceberg bench bench-history build clean pollock fuzz faults

# The commit goes into coxswain version (and so into bug reports).
COMMIT := $(shell c=$$(git rev-parse --short HEAD 2>/dev/null) && { git diff --quiet HEAD 2>/dev/null || c=$$c-dirty; echo $$c; })

build:
	$(GO) build -ldflags "-X coxswain.Commit=$(COMMIT)" -o $(BIN) ./cmd/coxswain

# Generate the sample org, load it into a warehouse, and show its status.
run: build
	rm -rf $(DEMO)
	$(BIN) sample --dir $(DEMO)
	$(BIN) build --config $(DEMO)/coxswain.yaml --as-of $(AS_OF)
	$(BIN) status --config $(DEMO)/coxswain.yaml
	$(BIN) report --config $(DEMO)/coxswain.yaml --month $(MONTH)
	$(BIN) verify $(DEMO)/packs/$(MONTH)
	$(BIN) send --config $(DEMO)/coxswain.yaml --month $(MONTH) --dry-run
	@echo
	@echo "Results: the report $(DEMO)/packs/$(MONTH)/report.html and its e-mail $(DEMO)/packs/$(MONTH).eml;"
	@echo "the pack $(DEMO)/packs/$(MONTH)/; the warehouse $(DEMO)/warehouse.duckdb; the feeds $(DEMO)/export/ (Parquet) and $(DEMO)/iceberg/ (Iceberg)"

# make test leaves the Iceberg feed out (-tags noiceberg): iceberg-go and
# Arrow double the time coxswain takes to compile from an empty cache, and
# CI starts from one. make test-iceberg builds and tests it; .ci/run runs
# both. go build and make build include it.
test:
	$(GO) vet -tags noiceberg ./...
	$(GO) test -tags noiceberg -count=1 -timeout 20m ./...

# The Iceberg feed: its package's tests, and the end-to-end tests that read
# the tables of a build back through iceberg-go.
test-iceberg:
	$(GO) vet ./pipelines/feed ./pipelines/build ./cmd/coxswain
	$(GO) test -count=1 -timeout 20m ./pipelines/feed
	$(GO) test -count=1 -timeout 20m -run 'TestPack_HandWorkedEdges|TestRun_FilesAreNotWorldReadable|TestRun_BuildLoadOnly|TestRun_SampleBuildStatus' ./cmd/coxswain

# Benchmarks, on data generated once into bench/ (about 4 GB):
# - load: a 2M-row Salesforce Lead export, coxswain build against DuckDB's
#   own CREATE TABLE AS read_csv with the same column types;
# - org: 2M leads, 10M activities, 300k opportunities, a full build and a
#   report, with their peak memory;
# - history: 52 weekly exports of one org, a nightly after each: the
#   warehouse against one snapshot's, the last nightly against DuckDB's read.
bench:
	$(GO) test -tags bench -run TestBenchLoad -v -count=1 -timeout 60m ./pipelines/ingest/
	$(GO) test -tags bench -run TestBenchOrg -v -count=1 -timeout 60m ./cmd/coxswain/
	$(GO) test -tags bench -run TestBenchHistory -v -count=1 -timeout 90m ./cmd/coxswain/

# The history case alone: a year of weekly exports of one org, a nightly
# after each (BENCH_HISTORY_LEADS, BENCH_HISTORY_EXTRA_ACTIVITIES, BENCH_HISTORY_WEEKS)
bench-history:
	$(GO) test -tags bench -run TestBenchHistory -v -count=1 -timeout 90m ./cmd/coxswain/

# The dialect sniffing measured on the Pollock benchmark
# (github.com/HPI-Information-Systems/Pollock): POLLOCK names its
# polluted_files folder. Prints the detection's accuracy against its
# annotations, and Pollock's scores for coxswain inspect --csv-dir beside
# DuckDB's own sniffer.
pollock:
	POLLOCK=$(POLLOCK) $(GO) test -tags pollock -run 'TestPollock' -v -count=1 -timeout 60m ./pipelines/ingest/

# Fuzzing: each fuzz target (package:Target) for FUZZTIME, one after the
# other; make fuzz FUZZ_TARGETS=./pipelines/warehouse:FuzzSalesforceID runs
# one. A failing input is written to the package's testdata/fuzz/<Target>/:
# keep it (commit it with the fix), it is then a seed that every go test runs.
# Plain go test runs every target's seeds only.
FUZZTIME ?= 30s
FUZZ_TARGETS ?= \
	.:FuzzParseConfig \
	./pipelines/ingest:FuzzScanReader \
	./pipelines/ingest:FuzzLineEnds \
	./pipelines/ingest:FuzzSplitRecords \
	./pipelines/ingest:FuzzDetectLayout \
	./pipelines/ingest:FuzzSniff \
	./pipelines/ingest:FuzzExcerpt \
	./pipelines/ingest:FuzzDatetimeExpr \
	./pipelines/ingest:FuzzDatetimeRoundTrip \
	./pipelines/ingest:FuzzGuessTimestampFormat \
	./pipelines/ingest:FuzzLoadDatetimes \
	./pipelines/warehouse:FuzzSalesforceID \
	./pipelines/warehouse:FuzzIDMacros \
	./cmd/coxswain:FuzzParseTime \
	./cmd/coxswain:FuzzMonthJustEnded \
	./reports/pack:FuzzMonths

# Every target runs even when one fails; make fuzz fails if any did.
# -fuzzminimizetime: shrinking each new input must not eat a short run.
fuzz:
	@failed=; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "== $$name ($$pkg)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 10s $$pkg || failed="$$failed $$name"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: failed:$$failed"; exit 1; fi

# The long kill test: SIGKILL at some fifty points of build and report (extraction,
# load, models, export, report), each followed by build and report to
# completion, checked against a run without kills; prints a table.
faults:
	$(GO) test -tags faults -run TestFaults -v -count=1 -timeout 60m ./cmd/coxswain/

clean:
	rm -rf bin $(DEMO) bench
