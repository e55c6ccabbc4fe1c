// Package bench holds policygraph's benchmarks against a real Neo4j over a synthetic graph
// (package synth): one benchmark per query shape of neo4jstore, plus the whole GraphQL path for
// a few shapes. It has no code of its own; see bench_test.go and docs/benchmarks.md.
//
//	POLICYGRAPH_TEST_NEO4J_URI=bolt://127.0.0.1:7687 POLICYGRAPH_BENCH_NODES=100000 \
//	    go test -run '^$' -bench . -benchtime 20x ./bench/
//
// The benchmarks skip when POLICYGRAPH_TEST_NEO4J_URI is unset. They load the synthetic graph
// once, and only when the database does not already hold it completely (its marker node and
// node count), so repeated runs on the same database start at once.
package bench
