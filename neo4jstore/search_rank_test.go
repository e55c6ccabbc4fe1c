package neo4jstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/kg"
	"github.com/policygraph/policygraph/neo4jstore"
)

// bundled gives a store holding the bundled dataset.
func bundled(t *testing.T) *neo4jstore.Store {
	t.Helper()
	s := neo4jtest.Store(t)
	neo4jtest.LoadBundled(t, s)
	return s
}

func search(t *testing.T, s *neo4jstore.Store, text string, first int, after string) *kg.NodePage {
	t.Helper()
	page, err := s.Search(context.Background(), kg.SearchQuery{Text: text, First: first, After: after})
	if err != nil {
		t.Fatalf("search %q: %v", text, err)
	}
	return page
}

// TestSearch runs the read-only search tests over one load of the bundled dataset.
func TestSearch(t *testing.T) {
	s := bundled(t)
	t.Run("RanksWhatPeopleTypeFirst", func(t *testing.T) { searchRanksWhatPeopleTypeFirst(t, s) })
	t.Run("Tiers", func(t *testing.T) { searchTiers(t, s) })
	t.Run("StopWordsAndEmpty", func(t *testing.T) { searchStopWordsAndEmpty(t, s) })
	t.Run("PagingMatchesOnePage", func(t *testing.T) { searchPagingMatchesOnePage(t, s) })
	t.Run("CitationsFindsQuotes", func(t *testing.T) { searchCitationsFindsQuotes(t, s) })
	t.Run("CitationsPaging", func(t *testing.T) { searchCitationsPaging(t, s) })
}

// What people type, in English and Spanish, and the node they mean: it must come first.
func searchRanksWhatPeopleTypeFirst(t *testing.T, s *neo4jstore.Store) {
	for _, tc := range []struct{ query, want string }{
		{"Remain in Mexico", "policy:migrant-protection-protocols"},
		{"remain in méxico", "policy:migrant-protection-protocols"},
		{"Supreme Court of Mexico", "org:suprema-corte-de-justicia-de-la-nacion"},
		{"Organization of American States", "org:oas"},
		{"Center for Constitutional Rights", "org:center-for-constitutional-rights"},
		{"MPP", "policy:migrant-protection-protocols"},
		{"mpp", "policy:migrant-protection-protocols"},
		{"INM", "org:instituto-nacional-de-migracion"},
		{"ACLU", "org:aclu"},
		{"Quédate en México", "policy:migrant-protection-protocols"},
		{"quedate en mexico", "policy:migrant-protection-protocols"},
		{"tercer país seguro", "policy:mexico-safe-third-country"},
		{"Estados Unidos", "country:us"},
		{"EE. UU.", "country:us"},
		{"Organización de los Estados Americanos", "org:oas"},
		{"Suprema Corte de Justicia de la Nación", "org:suprema-corte-de-justicia-de-la-nacion"},
		{"suprema corte", "org:suprema-corte-de-justicia-de-la-nacion"},
		{"Instituto Nacional de Migracion", "org:instituto-nacional-de-migracion"},
		{"lopez obrador", "person:andres-manuel-lopez-obrador"},
		{"AMLO", "person:andres-manuel-lopez-obrador"},
		{"México", "country:mx"},
		{"Unión Americana de Libertades Civiles", "org:aclu"},
	} {
		page := search(t, s, tc.query, 5, "")
		if len(page.Nodes) == 0 {
			t.Errorf("%q: no results, want %s first", tc.query, tc.want)
			continue
		}
		if got := page.Nodes[0].ID; got != tc.want {
			var ids []string
			for _, n := range page.Nodes {
				ids = append(ids, n.ID)
			}
			t.Errorf("%q: first is %s, want %s (top: %v)", tc.query, got, tc.want, ids)
		}
	}
}

// Ranking order: an exact name before a name that starts with the words, before a match in
// the description only.
func searchTiers(t *testing.T, s *neo4jstore.Store) {
	page := search(t, s, "Estados Unidos", 100, "")
	pos := map[string]int{}
	for i, n := range page.Nodes {
		pos[n.ID] = i
	}
	// country:mx is "Estados Unidos Mexicanos": the words start its name, but it is not the name.
	us, okUS := pos["country:us"]
	mx, okMX := pos["country:mx"]
	if !okUS || !okMX || us > mx {
		t.Fatalf("want country:us before country:mx, got positions %d (%v), %d (%v)", us, okUS, mx, okMX)
	}
	if page.Scores[us] < 2 || page.Scores[mx] >= 2 || page.Scores[mx] < 1 {
		t.Errorf("want an exact-name score (>= 2) for country:us and a name-words score in [1,2) for country:mx, got %v and %v",
			page.Scores[us], page.Scores[mx])
	}
	for i := 1; i < len(page.Scores); i++ {
		if page.Scores[i] > page.Scores[i-1] {
			t.Fatalf("scores not descending at %d: %v", i, page.Scores)
		}
	}
	// A word found only in a description ranks below every name match.
	for i, n := range page.Nodes {
		if page.Scores[i] < 1 && i < mx {
			t.Errorf("%s (description match, score %v) ranks before the name match country:mx", n.ID, page.Scores[i])
		}
	}
}

// Stop words are ignored, so a query of stop words only (or of punctuation only) finds
// nothing, without error; an empty query is an error naming the argument.
func searchStopWordsAndEmpty(t *testing.T, s *neo4jstore.Store) {
	for _, q := range []string{"de la", "the of and", "los y en", "!!! ???"} {
		if page := search(t, s, q, 10, ""); len(page.Nodes) != 0 || page.HasNext {
			t.Errorf("%q: want no results, got %d", q, len(page.Nodes))
		}
	}
	// A stop word next to real words changes nothing.
	a, b := search(t, s, "Supreme Court Mexico", 10, ""), search(t, s, "the Supreme Court of Mexico", 10, "")
	if len(a.Nodes) == 0 || len(a.Nodes) != len(b.Nodes) {
		t.Fatalf("stop words changed the hits: %d vs %d", len(a.Nodes), len(b.Nodes))
	}
	for _, q := range []string{"", "   "} {
		_, err := s.Search(context.Background(), kg.SearchQuery{Text: q, First: 10})
		var inv *kg.InvalidError
		if !errors.As(err, &inv) || !strings.Contains(inv.Error(), "query") {
			t.Errorf("%q: want an invalid-argument error naming query, got %v", q, err)
		}
	}
}

// Paging by cursor visits the same hits in the same order as one big page.
func searchPagingMatchesOnePage(t *testing.T, s *neo4jstore.Store) {
	all := search(t, s, "mexico", 100, "")
	if len(all.Nodes) < 8 {
		t.Fatalf("want at least 8 hits for mexico, got %d", len(all.Nodes))
	}
	var got []string
	after := ""
	for range 100 {
		page := search(t, s, "mexico", 3, after)
		for _, n := range page.Nodes {
			got = append(got, n.ID)
		}
		if !page.HasNext {
			break
		}
		after = page.Cursors[len(page.Cursors)-1]
	}
	if len(got) != len(all.Nodes) {
		t.Fatalf("paged %d hits, one page has %d", len(got), len(all.Nodes))
	}
	for i, n := range all.Nodes {
		if got[i] != n.ID {
			t.Fatalf("hit %d: paged %s, one page %s", i, got[i], n.ID)
		}
	}
	// A cursor of another list is refused with a message naming `after`.
	_, err := s.Search(context.Background(), kg.SearchQuery{Text: "mexico", First: 3, After: kg.Cursor{Order: "NAME", ID: "x"}.Encode()})
	var inv *kg.InvalidError
	if !errors.As(err, &inv) || !strings.Contains(inv.Error(), "after") {
		t.Errorf("want an invalid-argument error naming after, got %v", err)
	}
}

func searchCitationsFindsQuotes(t *testing.T, s *neo4jstore.Store) {
	page, err := s.SearchCitations(context.Background(), kg.SearchQuery{Text: "sold its soul", First: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Hits) == 0 {
		t.Fatal(`"sold its soul": no cited sentence found`)
	}
	for _, h := range page.Hits {
		if h.Citation.Source == nil || h.Citation.Source.Type != kg.TypeSource {
			t.Errorf("hit %q has no source node", h.Citation.Quote)
		}
		if (h.Node == nil) == (h.Relationship == nil) {
			t.Errorf("hit %q: want exactly one of node and relationship", h.Citation.Quote)
		}
		if h.Relationship != nil && (h.Relationship.FromNode == nil || h.Relationship.ToNode == nil) {
			t.Errorf("hit %q: relationship %s without its ends", h.Citation.Quote, h.Relationship.ID)
		}
	}
	if q := page.Hits[0].Citation.Quote; !containsFold(q, "sold its soul") {
		t.Errorf("first hit does not hold the phrase: %q", q)
	}
	// Accents and case do not matter; stop words only find nothing.
	if p, err := s.SearchCitations(context.Background(), kg.SearchQuery{Text: "SOLD ITS SOUL", First: 1}); err != nil || len(p.Hits) == 0 {
		t.Errorf("upper case: %v, %+v", err, p)
	}
	if p, err := s.SearchCitations(context.Background(), kg.SearchQuery{Text: "of the", First: 5}); err != nil || len(p.Hits) != 0 {
		t.Errorf("stop words only: want nothing, got %v, %d hits", err, len(p.Hits))
	}
}

// Paging through citation hits gives every hit once, in the order of one big page.
func searchCitationsPaging(t *testing.T, s *neo4jstore.Store) {
	ctx := context.Background()
	all, err := s.SearchCitations(ctx, kg.SearchQuery{Text: "Mexico", First: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Hits) < 10 {
		t.Fatalf("want at least 10 quotes with Mexico, got %d", len(all.Hits))
	}
	var got []kg.CitationHit
	after := ""
	for range 100 {
		p, err := s.SearchCitations(ctx, kg.SearchQuery{Text: "Mexico", First: 25, After: after})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p.Hits...)
		if !p.HasNext {
			break
		}
		after = p.Hits[len(p.Hits)-1].Cursor
		if len(got) >= len(all.Hits) {
			break
		}
	}
	if len(got) < len(all.Hits) || (!all.HasNext && len(got) != len(all.Hits)) {
		t.Fatalf("paged %d hits, one page has %d (more: %v)", len(got), len(all.Hits), all.HasNext)
	}
	for i := range all.Hits {
		if got[i].Cursor != all.Hits[i].Cursor {
			t.Fatalf("hit %d differs between paging and one page", i)
		}
		if !containsFold(got[i].Citation.Quote, "mexic") {
			t.Errorf("hit %d does not hold the word: %q", i, got[i].Citation.Quote)
		}
	}
}

// Migrate stores the search texts on a graph written before migration 004.
func TestMigrateBackfillsSearchText(t *testing.T) {
	s := bundled(t)
	ctx := context.Background()
	cfg := neo4jtest.Config(t)
	d, err := neo4j.NewDriverWithContext(cfg.URI, neo4j.BasicAuth(cfg.User, cfg.Password, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close(ctx)
	for _, q := range []string{`MATCH (n:Node) REMOVE n.searchNames, n.searchDesc, n.quoteText`, `MATCH ()-[r]->() REMOVE r.quoteText`} {
		if _, err := neo4j.ExecuteQuery(ctx, d, q, nil, neo4j.EagerResultTransformer, neo4j.ExecuteQueryWithDatabase(cfg.Database)); err != nil {
			t.Fatal(err)
		}
	}
	if page := search(t, s, "MPP", 5, ""); len(page.Nodes) != 0 {
		t.Fatalf("texts removed, yet search found %d nodes", len(page.Nodes))
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// Search reads node_search; node_text stays only for tools that name it (see 001).
	items, err := s.Schema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, it := range items {
		found = found || it.Name == "node_search"
	}
	if !found {
		t.Errorf("node_search missing after migration: %+v", items)
	}
	if page := search(t, s, "Quédate en México", 5, ""); len(page.Nodes) == 0 || page.Nodes[0].ID != "policy:migrant-protection-protocols" {
		t.Errorf("after backfill, want MPP first for Quédate en México, got %+v", page.Nodes)
	}
	if p, err := s.SearchCitations(ctx, kg.SearchQuery{Text: "sold its soul", First: 5}); err != nil || len(p.Hits) == 0 {
		t.Errorf("after backfill, want the quote found: %v", err)
	}
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
