package graph_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/policygraph/policygraph/graph"
)

// Checklist S15: Cypher-injection strings in every string argument (as literals and as
// variables) leave the graph unchanged and never reach Neo4j as Cypher: each is a parameter
// value, or refused by validation with a clear error.
func TestInjectionStringsLeaveTheGraphUnchanged(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	nodesBefore, relsBefore, citesBefore, err := e.store.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	payloads := []string{
		`' }) DETACH DELETE n //`,
		`"}) MATCH (n) DETACH DELETE n RETURN 1 //`,
		`org:aclu"}) DETACH DELETE n WITH 1 AS x MATCH (m) RETURN m //`,
		"x` DETACH DELETE n //",
		`\' OR 1=1 --`,
		`$id }) CALL { MATCH (n) DETACH DELETE n } //`,
		`2019"; MATCH (n) DETACH DELETE n; //`,
	}
	queries := []string{
		`query($s: String!) { search(query: $s) { edges { node { id } } } }`,
		`query($s: ID!) { node(id: $s) { id } }`,
		`query($s: String!) { nodes(filter: {nameContains: $s}, first: 5) { edges { node { id } } } }`,
		`query($s: ID!) { neighborhood(id: $s) { nodes { id } } }`,
		`query($s: ID!) { paths(from: "org:aclu", to: $s) { paths { length } } }`,
		`query($s: ID!) { network(ids: ["org:aclu", $s]) { nodes { id } } }`,
		`query($s: ID!) { commonConnections(ids: ["org:aclu", $s]) { connections { node { id } } } }`,
		`query($s: ID!) { timeline(ids: [$s]) { edges { node { date } } } }`,
		`query($s: PartialDate!) { timeline(since: $s) { edges { node { date } } } }`,
		`query($s: String!) { organizations(filter: {country: $s}, first: 1) { edges { node { id } } } }`,
		`query($s: String!) { nodes(first: 1, after: $s) { edges { node { id } } } }`,
	}
	for _, p := range payloads {
		for _, q := range queries {
			res, status := e.post(q, map[string]any{"s": p})
			if status >= 500 {
				t.Errorf("%s with %q: HTTP %d", q, p, status)
			}
			for _, er := range res.Errors {
				code, _ := er.Extensions["code"].(string)
				if code == "GRAPHQL_VALIDATION_FAILED" && !strings.Contains(er.Message, "$s") {
					t.Errorf("%s: the test query itself is invalid: %s", q, er.Message)
				}
				if code == "INTERNAL_SERVER_ERROR" {
					t.Errorf("%s with %q: internal error (a Cypher syntax error would show here): %s", q, p, er.Message)
				}
			}
		}
		// The same strings as literals inside the document.
		lit := fmt.Sprintf(`{ search(query: %q) { edges { node { id } } } node(id: %q) { id } }`, p, p)
		if res, status := e.post(lit, nil); status >= 500 || len(res.Errors) > 0 && res.Errors[0].Extensions["code"] == "INTERNAL_SERVER_ERROR" {
			t.Errorf("literal %q: HTTP %d %+v", p, status, res.Errors)
		}
	}
	nodesAfter, relsAfter, citesAfter, err := e.store.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(nodesBefore, nodesAfter) || !maps.Equal(relsBefore, relsAfter) || citesBefore != citesAfter {
		t.Fatalf("the graph changed: nodes %v -> %v, relationships %v -> %v", nodesBefore, nodesAfter, relsBefore, relsAfter)
	}
	if strings.Contains(e.logs.String(), "SyntaxError") {
		t.Error("a payload reached Neo4j as Cypher text (syntax error logged)")
	}
}

// Checklist S12: every mutation without credentials is refused with UNAUTHENTICATED and
// changes nothing (nodes, relationships, citations and history counted before and after), over
// the real handler with no principal in the request. (S11, mutations over GET: the HTTP layer's
// tests.)
func TestNoWritesWithoutCredentials(t *testing.T) {
	e := setup(t)
	before := counts(t, e.store)
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	if schema.Mutation == nil {
		t.Fatal("no Mutation type")
	}
	tested := map[string]bool{}
	for _, q := range []string{
		`mutation { createSource(input: {name: "S", kind: ARTICLE, reason: "r"}) { node { id } } }`,
		`mutation { createNode(input: {type: Person, name: "P", citations: [{source: "source:x", quote: "q"}], reason: "r"}) { node { id } } }`,
		`mutation { updateNode(input: {id: "org:aclu", expectedVersion: 1, set: {description: "x"}, reason: "r"}) { node { id } } }`,
		`mutation { deleteNode(input: {id: "org:aclu", expectedVersion: 1, reason: "r"}) { id } }`,
		`mutation { createRelationship(input: {type: OPPOSES, from: "org:aclu", to: "policy:mpp", citations: [{source: "source:x", quote: "q"}], reason: "r"}) { relationship { id } } }`,
		`mutation { updateRelationship(input: {id: "rel:x", expectedVersion: 1, set: {role: "x"}, reason: "r"}) { relationship { id } } }`,
		`mutation { deleteRelationship(input: {id: "rel:x", expectedVersion: 1, reason: "r"}) { id } }`,
		`mutation { addCitation(input: {record: "org:aclu", expectedVersion: 1, citation: {source: "source:x", quote: "q"}, reason: "r"}) { node { id } } }`,
		`mutation { removeCitation(input: {record: "org:aclu", expectedVersion: 1, source: "source:x", quote: "q", reason: "r"}) { node { id } } }`,
		`mutation { mergeNodes(input: {keep: "org:aclu", keepVersion: 1, merge: "org:cbp", mergeVersion: 1, reason: "r"}) { node { id } } }`,
		`mutation { revert(input: {revisionId: "rev:1", force: true, reason: "r"}) { revision { id } } }`,
	} {
		name, _, _ := strings.Cut(strings.TrimPrefix(q, "mutation { "), "(")
		tested[name] = true
		res, _ := e.post(q, nil)
		if len(res.Errors) == 0 || res.Errors[0].Extensions["code"] != graph.CodeUnauthenticated {
			t.Errorf("%s without credentials: %+v %s", name, res.Errors, res.Data)
		}
	}
	for _, f := range schema.Mutation.Fields {
		if !strings.HasPrefix(f.Name, "__") && !tested[f.Name] {
			t.Errorf("mutation %s is not tested here", f.Name)
		}
	}
	if after := counts(t, e.store); after != before {
		t.Errorf("a refused mutation changed the graph or its history: %v -> %v", before, after)
	}
}
