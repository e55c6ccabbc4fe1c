package graph_test

import (
	"encoding/json"
	"strings"
	"testing"
)

type searchHit struct {
	Cursor string  `json:"cursor"`
	Score  float64 `json:"score"`
	Node   struct {
		ID string `json:"id"`
	} `json:"node"`
}

func (e *env) search(query string, first int, after string) (hits []searchHit, hasNext bool) {
	e.t.Helper()
	vars := map[string]any{"q": query, "first": first}
	if after != "" {
		vars["after"] = after
	}
	var out struct {
		Search struct {
			Edges    []searchHit `json:"edges"`
			PageInfo struct {
				HasNextPage bool `json:"hasNextPage"`
			} `json:"pageInfo"`
		} `json:"search"`
	}
	data := e.data(`query($q: String!, $first: Int, $after: String) { search(query: $q, first: $first, after: $after) {
		edges { cursor score node { id } } pageInfo { hasNextPage } } }`, vars)
	if err := json.Unmarshal(data, &out); err != nil {
		e.t.Fatal(err)
	}
	return out.Search.Edges, out.Search.PageInfo.HasNextPage
}

// The searches a new user tried on the bundled dataset, in English and Spanish: the node meant
// comes first.
func TestSearchFindsWhatPeopleType(t *testing.T) {
	e := setup(t)
	for _, tc := range []struct{ query, want string }{
		{"Remain in Mexico", "policy:migrant-protection-protocols"},
		{"Supreme Court of Mexico", "org:suprema-corte-de-justicia-de-la-nacion"},
		{"Organization of American States", "org:oas"},
		{"Center for Constitutional Rights", "org:center-for-constitutional-rights"},
		{"MPP", "policy:migrant-protection-protocols"},
		{"INM", "org:instituto-nacional-de-migracion"},
		{"ACLU", "org:aclu"},
		{"Quédate en México", "policy:migrant-protection-protocols"},
		{"tercer país seguro", "policy:mexico-safe-third-country"},
		{"Estados Unidos", "country:us"},
	} {
		hits, _ := e.search(tc.query, 3, "")
		if len(hits) == 0 || hits[0].Node.ID != tc.want {
			t.Errorf("%q: want %s first, got %+v", tc.query, tc.want, hits)
		}
	}
	// Stop words only: no hits, no error. Empty: an error naming the argument.
	if hits, more := e.search("de la the", 5, ""); len(hits) != 0 || more {
		t.Errorf("stop words only: want nothing, got %+v", hits)
	}
	msg, code := e.errorOf(`{ search(query: " ") { edges { cursor } } }`, nil)
	if code != "BAD_USER_INPUT" || !strings.Contains(msg, "query") {
		t.Errorf("empty query: got %q (%s)", msg, code)
	}
}

// Paging search results by cursor gives the hits of one big page, in order.
func TestSearchPagingThroughGraphQL(t *testing.T) {
	e := setup(t)
	all, _ := e.search("asylum", 100, "")
	if len(all) < 6 {
		t.Fatalf("want at least 6 hits for asylum, got %d", len(all))
	}
	var paged []searchHit
	after := ""
	for range 50 {
		hits, more := e.search("asylum", 4, after)
		paged = append(paged, hits...)
		if !more {
			break
		}
		after = hits[len(hits)-1].Cursor
	}
	if len(paged) != len(all) {
		t.Fatalf("paged %d hits, one page has %d", len(paged), len(all))
	}
	for i := range all {
		if paged[i].Node.ID != all[i].Node.ID || paged[i].Score != all[i].Score {
			t.Fatalf("hit %d: paged %+v, one page %+v", i, paged[i], all[i])
		}
		if i > 0 && all[i].Score > all[i-1].Score {
			t.Errorf("scores not descending at %d", i)
		}
	}
}

func TestNamesInLanguages(t *testing.T) {
	e := setup(t)
	var out struct {
		Node struct {
			Name, Es, EsMX, Fr, En string
			Names                  []struct {
				Value, Kind    string
				Lang           *string
				Inferred       bool
				InferredReason *string
			}
			Inferred bool
		} `json:"node"`
	}
	data := e.data(`{ node(id: "country:us") { name es: name(lang: "es") esMX: name(lang: "es-MX") fr: name(lang: "fr") en: name(lang: "EN")
		names { value lang kind inferred inferredReason } inferred } }`, nil)
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	n := out.Node
	// Official before common: "Estados Unidos de América" over "Estados Unidos"; es matches es-MX's primary subtag.
	if n.Name != "United States" || n.Es != "Estados Unidos de América" || n.EsMX != n.Es || n.Fr != n.Name || n.En != "United States of America" {
		t.Errorf("names by language: %+v", n)
	}
	kinds := map[string]bool{}
	for _, nm := range n.Names {
		kinds[nm.Kind] = true
		if nm.Lang == nil || nm.Value == "" {
			t.Errorf("name without value or language: %+v", nm)
		}
	}
	if !kinds["OFFICIAL"] || !kinds["COMMON"] || !kinds["ACRONYM"] {
		t.Errorf("want official, common and acronym names, got %v", kinds)
	}
	msg, code := e.errorOf(`{ node(id: "country:us") { name(lang: "en us!") } }`, nil)
	if code != "BAD_USER_INPUT" || !strings.Contains(msg, "lang") {
		t.Errorf("bad lang: got %q (%s)", msg, code)
	}
}

// Inference flags reach the API on nodes and relationships, with their reasons.
func TestInferredFlags(t *testing.T) {
	e := setup(t)
	var out struct {
		Node struct {
			Inferred       bool    `json:"inferred"`
			InferredReason *string `json:"inferredReason"`
		} `json:"node"`
		Trump struct {
			Relationships struct {
				Edges []struct {
					Node struct {
						Inferred       bool    `json:"inferred"`
						InferredReason *string `json:"inferredReason"`
						To             struct{ ID string }
					} `json:"node"`
				} `json:"edges"`
			} `json:"relationships"`
		} `json:"trump"`
	}
	data := e.data(`{ node(id: "policy:mexico-safe-third-country") { inferred inferredReason }
		trump: node(id: "person:donald-trump") { relationships(types: [NEGOTIATES_WITH], direction: OUT, first: 100) {
			edges { node { inferred inferredReason to { id } } } } } }`, nil)
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	if !out.Node.Inferred || out.Node.InferredReason == nil || *out.Node.InferredReason == "" {
		t.Errorf("policy:mexico-safe-third-country: want inferred with a reason, got %+v", out.Node)
	}
	found := false
	for _, ed := range out.Trump.Relationships.Edges {
		if ed.Node.To.ID == "org:us-congress" {
			found = true
			if !ed.Node.Inferred || ed.Node.InferredReason == nil || !strings.Contains(*ed.Node.InferredReason, "our reading") {
				t.Errorf("Trump NEGOTIATES_WITH Congress: want inferred with its reason, got %+v", ed.Node)
			}
		} else if ed.Node.Inferred != (ed.Node.InferredReason != nil) {
			t.Errorf("inferred and inferredReason disagree: %+v", ed.Node)
		}
	}
	if !found {
		t.Error("Trump NEGOTIATES_WITH Congress not found")
	}
}

func TestSearchCitations(t *testing.T) {
	e := setup(t)
	var out struct {
		SearchCitations struct {
			Edges []struct {
				Score        float64
				Quote        string
				Source       struct{ ID string }
				Relationship *struct {
					Type string
					From struct{ ID string }
					To   struct{ ID string }
				}
				Node *struct{ ID string }
			}
		} `json:"searchCitations"`
	}
	data := e.data(`{ searchCitations(query: "sold its soul", first: 10) { edges { score quote source { id }
		relationship { type from { id } to { id } } node { id } } pageInfo { hasNextPage } } }`, nil)
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	edges := out.SearchCitations.Edges
	if len(edges) == 0 || !strings.Contains(edges[0].Quote, "sold its soul") {
		t.Fatalf(`"sold its soul": want the quote first, got %+v`, edges)
	}
	rel := false
	for _, ed := range edges {
		if (ed.Relationship == nil) == (ed.Node == nil) {
			t.Errorf("hit %q: want exactly one of relationship and node", ed.Quote)
		}
		if r := ed.Relationship; r != nil && r.Type == "CRITICIZES" && r.From.ID == "person:carlos-heredia" && r.To.ID == "org:gobierno-de-mexico" &&
			ed.Source.ID == "source:justsecurity-virtual-wall" {
			rel = true
		}
	}
	if !rel {
		t.Errorf("want the relationship Heredia CRITICIZES the Mexican government among the hits, got %+v", edges)
	}
	for _, q := range []string{`{ searchCitations(query: "soul", first: 0) { edges { quote } } }`, `{ searchCitations(query: "soul", first: 101) { edges { quote } } }`} {
		msg, code := e.errorOf(q, nil)
		if code != "BAD_USER_INPUT" || !strings.Contains(msg, "first") {
			t.Errorf("%s: got %q (%s)", q, msg, code)
		}
	}
}
