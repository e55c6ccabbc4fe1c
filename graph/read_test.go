package graph_test

import (
	"encoding/json"
	"strings"
	"testing"
)

const relFields = `id type role outcome startDate endDate startDay endDay from { id name } to { id name } citations { quote source { id name } }`

// Golden payloads of the read API through the real handler.
func TestReadAPIGolden(t *testing.T) {
	e := setup(t)
	cases := map[string]string{
		"node_aclu": `{ node(id: "org:aclu") { __typename id name aliases description degree
			... on Organization { kind country }
			relationships(first: 50) { edges { direction other { id __typename } node { ` + relFields + ` } } pageInfo { hasNextPage } } } }`,
		"organizations_ngo":  `{ organizations(kinds: [NGO], first: 100) { totalCount edges { node { id name kind country } } pageInfo { hasNextPage } } }`,
		"policies_by_degree": `{ policies(orderBy: DEGREE, first: 5) { totalCount edges { node { id name kind status startDate endDate degree } } } }`,
		"statistics": `{ statistics(orderBy: START_DATE, first: 100) { edges { node { id name value unit measure qualifier country startDate endDate
			citations { quote source { id } } relationships(types: [MEASURES], direction: OUT) { edges { other { id } } } } } } }`,
		"legal_cases": `{ legalCases { edges { node { id name status startDate
			relationships(first: 50) { edges { direction other { id __typename } node { type role outcome } } } } } } }`,
		"source_supports": `{ sources { edges { node { id name kind publisher publishedDate
			supports(first: 5) { edges { node { id type from { id } to { id } citations { quote } } } pageInfo { hasNextPage } }
			citedBy(first: 100) { totalCount edges { node { id __typename } } } } } } }`,
		"events_in_2019_06": `{ events(filter: {since: "2019-06", until: "2019-06"}) { totalCount edges { node { id name kind startDate endDate } } } }`,
	}
	for name, q := range cases {
		t.Run(name, func(t *testing.T) {
			e.t = t
			golden(t, name, e.data(q, nil))
		})
	}
}

// Facts from different parts of the article, reachable with the sentence that supports them.
func TestArticleFactsWithQuotes(t *testing.T) {
	e := setup(t)
	type rel struct {
		Type      string
		Role      *string
		From, To  struct{ ID string }
		Citations []struct {
			Quote  string
			Source struct{ ID string }
		}
	}
	var out struct {
		Node struct {
			Relationships struct {
				Edges []struct{ Node rel }
			}
		}
	}
	has := func(id, relType, from, to, quotePart string) {
		t.Helper()
		decode(t, e.data(`query($id: ID!) { node(id: $id) { relationships(first: 100) { edges { node { `+relFields+` } } } } }`,
			map[string]any{"id": id}), &out)
		for _, edge := range out.Node.Relationships.Edges {
			r := edge.Node
			if r.Type != relType || r.From.ID != from || r.To.ID != to {
				continue
			}
			for _, c := range r.Citations {
				if strings.Contains(c.Quote, quotePart) && c.Source.ID == "source:justsecurity-virtual-wall" {
					return
				}
			}
			t.Errorf("%s %s %s found but no citation quotes %q", from, relType, to, quotePart)
			return
		}
		t.Errorf("no %s relationship %s -> %s on %s", relType, from, to, id)
	}
	// The MPP lawsuit (litigation section).
	has("org:aclu", "PARTY_TO", "org:aclu", "case:mpp-lawsuit", "sued to block the Migrant Protection Protocol")
	has("case:mpp-lawsuit", "CHALLENGES", "case:mpp-lawsuit", "policy:migrant-protection-protocols", "sued to block")
	// The interim regulation, enjoined in San Francisco and allowed by the Supreme Court.
	has("org:us-supreme-court", "RULED_ON", "org:us-supreme-court", "policy:asylum-transit-bar-interim-rule", "Supreme Court allowed the regulation")
	// Mexican enforcement: the National Guard deployed against migrants.
	has("org:guardia-nacional", "ENFORCES", "org:guardia-nacional", "policy:mexico-migration-enforcement-2019", "deployed south")
	// Ebrard, the Foreign Minister.
	has("person:marcelo-ebrard", "HOLDS_POSITION", "person:marcelo-ebrard", "org:gobierno-de-mexico", "Foreign Minister Marcelo Ebrard")
}

// Search is full-text, case- and accent-insensitive, and finds people through aliases.
func TestSearch(t *testing.T) {
	e := setup(t)
	var out struct {
		Search struct {
			Edges []struct {
				Score float64
				Node  struct{ ID string }
			}
		}
	}
	find := func(q string) []string {
		t.Helper()
		decode(t, e.data(`query($q: String!) { search(query: $q, first: 10) { edges { score node { id } } } }`, map[string]any{"q": q}), &out)
		var ids []string
		for _, edge := range out.Search.Edges {
			ids = append(ids, edge.Node.ID)
		}
		return ids
	}
	amlo := "person:andres-manuel-lopez-obrador"
	for _, q := range []string{"Lopez-Obrador", "López Obrador", "LOPEZ OBRADOR", "amlo", "andrés manuel"} {
		if ids := find(q); len(ids) == 0 || ids[0] != amlo {
			t.Errorf("search %q: got %v, want %s first", q, ids, amlo)
		}
	}
	if ids := find("Migración"); !contains(ids, "org:instituto-nacional-de-migracion") {
		t.Errorf("search Migración: got %v", ids)
	}
	if ids := find("migracion"); !contains(ids, "org:instituto-nacional-de-migracion") {
		t.Errorf("search migracion (no accent): got %v", ids)
	}
	// Lucene syntax in user input is neutralised, not an error.
	if _, code := e.post(`{ search(query: "amlo) OR *:* AND \"") { edges { node { id } } } }`, nil); code != 200 {
		t.Errorf("search with Lucene syntax: HTTP %d", code)
	}
	if msg, code := e.errorOf(`{ search(query: "  ") { edges { node { id } } } }`, nil); code != "BAD_USER_INPUT" || !strings.Contains(msg, "query") {
		t.Errorf("empty search: %s %s", code, msg)
	}
}

func contains(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// Cursor pagination through the API: every organization exactly once, in order, and the
// cursor of one order refused for another.
func TestCursorPagination(t *testing.T) {
	e := setup(t)
	type page struct {
		Organizations struct {
			TotalCount int
			Edges      []struct{ Node struct{ ID string } }
			PageInfo   struct {
				HasNextPage bool
				EndCursor   *string
			}
		}
	}
	var all []string
	var after any
	total := 0
	for i := 0; i < 50; i++ {
		var p page
		decode(t, e.data(`query($after: String) { organizations(first: 4, orderBy: DEGREE, after: $after) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }`,
			map[string]any{"after": after}), &p)
		total = p.Organizations.TotalCount
		for _, edge := range p.Organizations.Edges {
			all = append(all, edge.Node.ID)
		}
		if !p.Organizations.PageInfo.HasNextPage {
			break
		}
		after = *p.Organizations.PageInfo.EndCursor
	}
	seen := map[string]bool{}
	for _, id := range all {
		if seen[id] {
			t.Fatalf("%s listed twice", id)
		}
		seen[id] = true
	}
	if len(all) != total || total < 10 {
		t.Fatalf("paged through %d organizations, totalCount %d", len(all), total)
	}
	msg, code := e.errorOf(`query($after: String) { organizations(first: 4, orderBy: NAME, after: $after) { edges { node { id } } } }`, map[string]any{"after": after})
	if code != "BAD_USER_INPUT" || !strings.Contains(msg, "argument after") {
		t.Errorf("cursor of another order: %s %s", code, msg)
	}
	msg, code = e.errorOf(`{ organizations(after: "garbage") { edges { node { id } } } }`, nil)
	if code != "BAD_USER_INPUT" || !strings.Contains(msg, "not a cursor") {
		t.Errorf("garbage cursor: %s %s", code, msg)
	}
}

// A nested query over many rows costs a constant number of Cypher round trips: one for the
// list, one batched query for every row's relationships, one for every source's supports.
func TestNestedFieldsAreBatched(t *testing.T) {
	e := setup(t)
	var out struct {
		Nodes struct{ Edges []json.RawMessage }
	}
	n := e.roundTrips(func() {
		decode(t, e.data(`{ nodes(first: 100) { edges { node { id relationships(first: 5) { edges { other { id } node { citations { source { id } } } } } } } } }`, nil), &out)
	})
	if len(out.Nodes.Edges) < 80 {
		t.Fatalf("want many rows, got %d", len(out.Nodes.Edges))
	}
	if n != 2 {
		t.Errorf("nested relationships over %d rows took %d Cypher round trips, want 2", len(out.Nodes.Edges), n)
	}
	// Two different argument sets on the same rows: one batch each.
	n = e.roundTrips(func() {
		e.data(`{ organizations(first: 50) { edges { node { a: relationships(types: [PARTY_TO]) { edges { node { id } } }
			b: relationships(direction: IN) { edges { node { id } } } } } } }`, nil)
	})
	if n != 3 {
		t.Errorf("two aliased relationship fields took %d round trips, want 3", n)
	}
	n = e.roundTrips(func() {
		e.data(`{ sources { edges { node { supports { edges { node { id } } } citedBy { edges { node { id } } } } } } }`, nil)
	})
	if n != 3 {
		t.Errorf("sources with supports and citedBy took %d round trips, want 3", n)
	}
}

func TestNodeNotFoundIsNull(t *testing.T) {
	e := setup(t)
	if got := string(e.data(`{ node(id: "org:nobody") { id } }`, nil)); got != `{"node":null}` {
		t.Errorf("got %s", got)
	}
}

// Lists and search read only the selected parts of each node, and find every selected part
// wherever it is selected: directly, in an inline fragment or in a named fragment.
func TestListsFetchSelectedPartsThroughFragments(t *testing.T) {
	e := setup(t)
	type node struct {
		ID          string
		Description *string
		Degree      int
		Citations   []struct{ Quote string }
	}
	var out struct {
		Stats, Search, Orgs struct{ Edges []struct{ Node node } }
	}
	decode(t, e.data(`{
  stats: nodes(types: [Statistic], first: 3) { edges { node { id ...D ... on Statistic { citations { quote } } } } }
  orgs: organizations(first: 3) { edges { node { id ...D } } }
  search(query: "ACLU", types: [Organization], first: 1) { edges { node { id ... on Organization { description degree } } } }
}
fragment D on Node { description degree }`, nil), &out)
	if len(out.Stats.Edges) == 0 || len(out.Orgs.Edges) == 0 || len(out.Search.Edges) == 0 {
		t.Fatalf("empty lists: %+v", out)
	}
	for _, ed := range out.Stats.Edges {
		if n := ed.Node; n.Degree == 0 || len(n.Citations) == 0 || n.Citations[0].Quote == "" {
			t.Errorf("statistic %s: degree %d, %d citations", n.ID, n.Degree, len(n.Citations))
		}
	}
	for _, ed := range append(out.Orgs.Edges, out.Search.Edges...) {
		if n := ed.Node; n.Description == nil || *n.Description == "" || n.Degree == 0 {
			t.Errorf("organization %s: description %v, degree %d", n.ID, n.Description, n.Degree)
		}
	}
}
