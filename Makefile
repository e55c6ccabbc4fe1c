# policygraph developer tasks. The scripts in scripts/ do the work; each documents its variables.
# Variables come from the environment or the command line (make run NEO4J_BOLT_PORT=7688):
#   NEO4J_URI        make run: use this Neo4j instead of starting the local one (if not local)
#   NEO4J_BOLT_PORT  7687          local Neo4j Bolt port (make run, neo4j-*)
#   NEO4J_DATA_DIR   .neo4j-data   local Neo4j data, kept between runs (make reset deletes it)
#   NEO4J_PASSWORD   policygraph   password of user neo4j (at least 8 characters)
#   NEO4J_HEAP (1g), NEO4J_PAGECACHE_MB (512), NEO4J_JAVA_OPTS, NEO4J_START_TIMEOUT (90 s)
#   GO_TEST_FLAGS    extra flags for go test (make test GO_TEST_FLAGS='-run TestX -v')
#   BENCH (.), BENCHTIME (1s)      make bench
SHELL := /bin/bash

.PHONY: help run test faults bench generate neo4j-build neo4j-start neo4j-stop neo4j-status reset

help:
	@echo "make run           server on a local Neo4j (started and stopped around it unless NEO4J_URI is set)"
	@echo "make test          throw-away Neo4j + gqlgen check + go vet + go test -race ./..."
	@echo "make faults        fault suite: the server binary against its own Neo4j, stopped, frozen, SIGTERM, 64 clients"
	@echo "make bench         benchmarks against a throw-away Neo4j (BENCH, BENCHTIME)"
	@echo "make generate      regenerate gqlgen code in graph/"
	@echo "make neo4j-start   start the local Neo4j (port NEO4J_BOLT_PORT, data .neo4j-data/)"
	@echo "make neo4j-stop    stop it;  make neo4j-status;  make neo4j-build (Maven, neo4j/)"
	@echo "make reset         stop the local Neo4j and delete its data (.neo4j-data/)"

run:
	@bash scripts/run.sh

test:
	@bash scripts/test.sh test

# The fault suite (faults/, docs/reliability.md) starts and stops a Neo4j of its own; CI runs it
# after make test. Its figures are printed (-v), never asserted.
faults:
	POLICYGRAPH_FAULTS=1 go test -count=1 -v -timeout 20m $(GO_TEST_FLAGS) ./faults/

bench:
	@bash scripts/test.sh bench

generate:
	go run github.com/99designs/gqlgen generate

neo4j-build:
	@bash scripts/neo4j.sh build

neo4j-start:
	@bash scripts/neo4j.sh start

neo4j-stop:
	@bash scripts/neo4j.sh stop

neo4j-status:
	@bash scripts/neo4j.sh status

reset:
	@bash scripts/neo4j.sh reset
