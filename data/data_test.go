package data_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/policygraph/policygraph/data"
	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/kg"
)

// seedArticle is the article the bundled dataset is built from (../shared/seeds beside the
// repository; always present in CI).
const seedArticle = "../../shared/seeds/000_e487cc8a1b7c8fbe.txt"

func bundled(t *testing.T) map[string]*kg.Validated {
	t.Helper()
	sets, err := data.Bundled()
	if err != nil || len(sets) == 0 {
		t.Fatalf("bundled datasets: %d, %v", len(sets), err)
	}
	out := map[string]*kg.Validated{}
	for _, d := range sets {
		if len(d.External) > 0 {
			t.Errorf("%s refers to ids it does not define: %v", d.Name, d.External)
		}
		out[d.Name] = d.Validated
	}
	return out
}

// Every citation's quote appears verbatim in the article it cites.
func TestQuotesAreVerbatim(t *testing.T) {
	raw, err := os.ReadFile(seedArticle)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("seed article missing in CI: %v", err)
		}
		abs, _ := filepath.Abs(seedArticle)
		t.Skipf("seed article not found at %s: the quote check needs ../shared/seeds beside the repository", abs)
	}
	article := string(raw)
	checked := 0
	for name, v := range bundled(t) {
		check := func(where string, cs []kg.Citation) {
			for i, c := range cs {
				if c.SourceID != "source:justsecurity-virtual-wall" {
					continue
				}
				checked++
				if !strings.Contains(article, c.Quote) {
					t.Errorf("%s: %s citation %d quote is not in the article: %q", name, where, i, c.Quote)
				}
			}
		}
		for _, n := range v.Nodes {
			check(n.ID, n.Citations)
		}
		for _, r := range v.Relationships {
			check(r.ID, r.Citations)
		}
	}
	if checked < 100 {
		t.Errorf("only %d citations checked: the dataset should cite the article throughout", checked)
	}
}

// Every relationship and statistic is cited; dates are valid and vague dates stay vague.
func TestEveryFactCited(t *testing.T) {
	for name, v := range bundled(t) {
		for _, r := range v.Relationships {
			if len(r.Citations) == 0 {
				t.Errorf("%s: %s has no citation", name, r.ID)
			}
		}
		for _, n := range v.Nodes {
			if n.Type == kg.TypeStatistic && len(n.Citations) == 0 {
				t.Errorf("%s: statistic %s has no citation", name, n.ID)
			}
		}
	}
}

// After import, the graph holds what the file says: node counts by type, relationship
// counts by type, and every citation.
func TestImportedCounts(t *testing.T) {
	s := neo4jtest.Store(t)
	neo4jtest.LoadBundled(t, s)
	wantNodes, wantRels, wantCitations := map[string]int64{}, map[string]int64{}, int64(0)
	for _, v := range bundled(t) {
		for _, n := range v.Nodes {
			wantNodes[n.Type]++
			wantCitations += int64(len(n.Citations))
		}
		for _, r := range v.Relationships {
			wantRels[r.Type]++
			wantCitations += int64(len(r.Citations))
		}
	}
	nodes, rels, citations, err := s.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for typ, n := range wantNodes {
		if nodes[typ] != n {
			t.Errorf("%s nodes: %d in the graph, %d in the file", typ, nodes[typ], n)
		}
	}
	for typ, n := range wantRels {
		if rels[typ] != n {
			t.Errorf("%s relationships: %d in the graph, %d in the file", typ, rels[typ], n)
		}
	}
	if citations != wantCitations {
		t.Errorf("citations: %d in the graph, %d in the file", citations, wantCitations)
	}
	// Every type the model has is represented in the dataset.
	for _, typ := range kg.NodeTypes {
		if nodes[typ] == 0 {
			t.Errorf("no %s in the bundled dataset", typ)
		}
	}
	t.Logf("nodes %v; relationships %v; citations %d", nodes, rels, citations)
}

// foldName lowers a name and drops Spanish accents and curly double quotes, so that
// "Instituto Nacional de Migración" matches the article's "Instituto Nacional de Migracion".
var foldName = strings.NewReplacer("á", "a", "é", "e", "í", "i", "ó", "o", "ú", "u", "ü", "u", "ñ", "n",
	"Á", "a", "É", "e", "Í", "i", "Ó", "o", "Ú", "u", "Ñ", "n", "“", "", "”", "")

// A typed name that is not flagged inferred is one the article itself uses (accents aside);
// every other name (general knowledge, our translations) must say it is inferred, and why.
func TestNamesFromArticleOrInferred(t *testing.T) {
	raw, err := os.ReadFile(seedArticle)
	if err != nil {
		t.Skipf("seed article not found: %v", err)
	}
	article := strings.ToLower(foldName.Replace(string(raw)))
	named := 0
	for name, v := range bundled(t) {
		for _, n := range v.Nodes {
			for _, nm := range n.Names {
				named++
				if nm.Inferred {
					continue
				}
				if !strings.Contains(article, strings.ToLower(foldName.Replace(nm.Value))) {
					t.Errorf("%s: %s name %q is not in the article and not marked inferred", name, n.ID, nm.Value)
				}
			}
		}
	}
	if named == 0 {
		t.Error("no typed names in the bundled datasets")
	}
}

// No fact says more than its quotes about signing or ruling: a SIGNS edge or a PARTY_TO edge
// with role SIGNATORY needs a quote that speaks of signing, and a RULED_ON edge is never an
// oral argument (a hearing is an Event of kind HEARING, not a ruling).
func TestSigningAndRulingsAsQuoted(t *testing.T) {
	for name, v := range bundled(t) {
		for _, r := range v.Relationships {
			if r.Type == "SIGNS" || (r.Type == "PARTY_TO" && r.Role == "SIGNATORY") {
				signed := false
				for _, c := range r.Citations {
					if strings.Contains(strings.ToLower(c.Quote), "sign") {
						signed = true
					}
				}
				if !signed {
					t.Errorf("%s: %s says someone signed, but no quote speaks of signing", name, r.ID)
				}
			}
			if r.Type == "RULED_ON" && r.Outcome == "HEARD_ARGUMENT" {
				t.Errorf("%s: %s records an oral argument as a ruling", name, r.ID)
			}
		}
	}
}

// An undated Event has undated participants: a dated PARTICIPATES_IN edge into an Event the
// source does not date would claim a date the source does not give.
func TestUndatedEventsHaveUndatedParticipants(t *testing.T) {
	for name, v := range bundled(t) {
		undated := map[string]bool{}
		for _, n := range v.Nodes {
			if n.Type == kg.TypeEvent && n.StartDate == "" {
				undated[n.ID] = true
			}
		}
		for _, r := range v.Relationships {
			if r.Type == "PARTICIPATES_IN" && undated[r.To] && (r.StartDate != "" || r.EndDate != "") {
				t.Errorf("%s: %s is dated but the event %s is not", name, r.ID, r.To)
			}
		}
	}
}
