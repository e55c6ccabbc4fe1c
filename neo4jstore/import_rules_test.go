package neo4jstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/policygraph/policygraph/data"
	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/kg"
	"github.com/policygraph/policygraph/neo4jstore"
)

// The import format's own rules, enforced on the whole import path (kg.ReadDatasetFile, then
// Store.Import) against the real Neo4j: each bad file is rejected with an error naming the
// record and the field, and nothing is written.

const (
	rulesSource = `{"id":"source:rules","type":"Source","name":"Rules","kind":"ARTICLE"}`
	rulesCite   = `[{"source":"source:rules","quote":"q"}]`
)

// writeFile writes name under dir and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func doc(nodes, rels string) string {
	return `{"format":"policygraph/v1","nodes":[` + nodes + `],"relationships":[` + rels + `]}`
}

// importFiles runs the import path of `policygraph import a.json b.json ...`.
func importFiles(s *neo4jstore.Store, paths ...string) error {
	var vs []*kg.Validated
	for _, p := range paths {
		v, err := kg.ReadDatasetFile(p)
		if err != nil {
			return err
		}
		vs = append(vs, v)
	}
	_, err := s.Import(context.Background(), vs...)
	return err
}

// totals counts nodes and relationships in the graph.
func totals(t *testing.T, s *neo4jstore.Store) (nodes, rels int64) {
	t.Helper()
	ns, rs, _, err := s.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		nodes += n
	}
	for _, r := range rs {
		rels += r
	}
	return nodes, rels
}

// rejected checks that err is an invalid-input error mentioning every want, and that the
// graph still holds exactly nodes and rels.
func rejected(t *testing.T, s *neo4jstore.Store, err error, nodes, rels int64, want ...string) {
	t.Helper()
	if err == nil || !errors.Is(err, kg.ErrInvalid) {
		t.Fatalf("accepted or wrong error: %v", err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	if n, r := totals(t, s); n != nodes || r != rels {
		t.Errorf("a rejected import wrote: %d nodes and %d relationships, want %d and %d", n, r, nodes, rels)
	}
}

func TestImportRejectsForbiddenEndpoints(t *testing.T) {
	s := neo4jtest.Store(t)
	dir := t.TempDir()
	ends := rulesSource + `,{"id":"country:mx","type":"Country","name":"Mexico","country":"MX"},
		{"id":"org:sre","type":"Organization","name":"SRE","kind":"AGENCY"}`
	holds := `{"type":"HOLDS_POSITION","from":"country:mx","to":"org:sre","citations":` + rulesCite + `}`

	// Both ends in the file: kg's validation.
	err := importFiles(s, writeFile(t, dir, "both.json", doc(ends, holds)))
	rejected(t, s, err, 0, 0, `relationships[0] (country:mx HOLDS_POSITION org:sre)`, `field "from"`,
		`"country:mx" is a Country, but HOLDS_POSITION joins only Person -> Organization`)

	// Both ends already in the graph: the store's check.
	if err := importFiles(s, writeFile(t, dir, "ends.json", doc(ends, ""))); err != nil {
		t.Fatal(err)
	}
	relOnly := writeFile(t, dir, "rel.json", doc("", holds))
	err = importFiles(s, relOnly)
	rejected(t, s, err, 3, 0, `relationships[0] (country:mx HOLDS_POSITION org:sre)`, `field "from"`, `is a Country`)

	// The end at fault is named: a Person may hold a position, but not in a Country.
	err = importFiles(s, writeFile(t, dir, "to.json", doc(`{"id":"person:e","type":"Person","name":"E"}`,
		`{"type":"HOLDS_POSITION","from":"person:e","to":"country:mx","citations":`+rulesCite+`}`)))
	rejected(t, s, err, 3, 0, `field "to"`, `"country:mx" is a Country`)
}

func TestImportRejectsOversizedFields(t *testing.T) {
	s := neo4jtest.Store(t)
	dir := t.TempDir()
	huge := strings.Repeat("x", 20<<20) // a 20 MB description
	err := importFiles(s, writeFile(t, dir, "huge.json", doc(rulesSource+
		`,{"id":"org:big","type":"Organization","name":"Big","kind":"NGO","description":"`+huge+`"}`, "")))
	rejected(t, s, err, 0, 0, `nodes[1] "org:big"`, `field "description"`, "the limit is 2000")

	aliases := `"a"` + strings.Repeat(`,"a"`, kg.MaxAliases)
	err = importFiles(s, writeFile(t, dir, "aliases.json", doc(rulesSource+
		`,{"id":"org:many","type":"Organization","name":"Many","kind":"NGO","aliases":[`+aliases+`]}`, "")))
	rejected(t, s, err, 0, 0, `nodes[1] "org:many"`, `field "aliases"`, "the limit is 100")

	long := strings.Repeat("q", kg.MaxQuoteLength+1)
	err = importFiles(s, writeFile(t, dir, "quote.json", doc(rulesSource+`,{"id":"org:a","type":"Organization","name":"A","kind":"NGO"},
		{"id":"policy:p","type":"Policy","name":"P","kind":"LAW"}`,
		`{"type":"OPPOSES","from":"org:a","to":"policy:p","citations":[{"source":"source:rules","quote":"`+long+`"}]}`)))
	rejected(t, s, err, 0, 0, `relationships[0]`, `field "citations[0].quote"`)
}

func TestImportRejectsTrailingData(t *testing.T) {
	s := neo4jtest.Store(t)
	dir := t.TempDir()
	err := importFiles(s, writeFile(t, dir, "trailing.json", doc(rulesSource, "")+"\n{\"format\":\"policygraph/v1\"}\n"))
	rejected(t, s, err, 0, 0, "file: line 2: unexpected data after the JSON document")
	err = importFiles(s, writeFile(t, dir, "garbage.json", doc(rulesSource, "")+" xyz"))
	rejected(t, s, err, 0, 0, "unexpected data after the JSON document")
	// White space after the document is fine.
	if err := importFiles(s, writeFile(t, dir, "ok.json", doc(rulesSource, "")+"\n\n")); err != nil {
		t.Fatal(err)
	}
}

// `policygraph import a.json b.json` writes both or neither; b may use a's nodes.
func TestImportSeveralFilesAllOrNothing(t *testing.T) {
	s := neo4jtest.Store(t)
	dir := t.TempDir()
	a := writeFile(t, dir, "a.json", doc(rulesSource+`,{"id":"org:a","type":"Organization","name":"A","kind":"NGO"}`, ""))
	badB := writeFile(t, dir, "b.json", doc(`{"id":"policy:p","type":"Policy","name":"P","kind":"LAW"}`,
		`{"type":"OPPOSES","from":"org:a","to":"policy:p","citations":`+rulesCite+`},
		 {"type":"OPPOSES","from":"org:missing","to":"policy:p","citations":`+rulesCite+`}`))
	err := importFiles(s, a, badB)
	rejected(t, s, err, 0, 0, badB+`: reference "org:missing"`, `field "relationships[1].from"`)

	// A file that fails validation stops the import before anything is written, too.
	invalidB := writeFile(t, dir, "invalid.json", doc(`{"id":"policy:p","type":"Policy","name":"P"}`, ""))
	err = importFiles(s, a, invalidB)
	rejected(t, s, err, 0, 0, `nodes[0] "policy:p"`, `field "kind"`)

	// Cross-file references resolve within one import: b relates a's organization.
	goodB := writeFile(t, dir, "good.json", doc(`{"id":"policy:p","type":"Policy","name":"P","kind":"LAW"}`,
		`{"type":"OPPOSES","from":"org:a","to":"policy:p","citations":`+rulesCite+`}`))
	if err := importFiles(s, a, goodB); err != nil {
		t.Fatal(err)
	}
	if n, r := totals(t, s); n != 3 || r != 1 {
		t.Errorf("after a.json and b.json: %d nodes, %d relationships; want 3 and 1", n, r)
	}
}

// seedArticle is the article the bundled dataset is built from (../shared/seeds beside the
// repository). The project does not redistribute it, so the check runs at test time only.
const seedArticle = "../../shared/seeds/000_e487cc8a1b7c8fbe.txt"

func article(t *testing.T) []byte {
	t.Helper()
	raw, err := os.ReadFile(seedArticle)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("seed article missing in CI: %v", err)
		}
		t.Skipf("seed article not found (%v): the source-text check needs ../shared/seeds beside the repository", err)
	}
	return raw
}

// bundledWithText writes the bundled dataset to dir with its article given as the Source's
// textFile (and its hash), after edit has changed the records, and returns the file's path.
func bundledWithText(t *testing.T, dir string, edit func(d *kg.Dataset)) string {
	t.Helper()
	raw := article(t)
	writeFile(t, dir, "article.txt", string(raw))
	src, err := data.Files.ReadFile("virtual-wall.json")
	if err != nil {
		t.Fatal(err)
	}
	var d kg.Dataset
	if err := json.Unmarshal(src, &d); err != nil {
		t.Fatal(err)
	}
	found := false
	for i := range d.Nodes {
		if d.Nodes[i].Type == kg.TypeSource {
			d.Nodes[i].TextFile, d.Nodes[i].SHA256 = "article.txt", kg.SHA256Hex(string(raw))
			found = true
		}
	}
	if !found {
		t.Fatal("the bundled dataset has no Source")
	}
	if edit != nil {
		edit(&d)
	}
	out, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, dir, "virtual-wall.json", string(out))
}

func TestImportChecksQuotesAgainstSourceText(t *testing.T) {
	s := neo4jtest.Store(t)
	dir := t.TempDir()

	// The bundled dataset, with its article as the source text, imports whole.
	if err := importFiles(s, bundledWithText(t, dir, nil)); err != nil {
		t.Fatalf("bundled dataset with its article: %v", err)
	}
	nodes, rels := totals(t, s)
	if nodes == 0 || rels == 0 {
		t.Fatalf("nothing imported: %d nodes, %d relationships", nodes, rels)
	}
	// The Source keeps its text and hash for later writes; reads do not return the text.
	raw := article(t)
	res, err := s.Node(context.Background(), "source:justsecurity-virtual-wall")
	if err != nil || res.Text != "" {
		t.Errorf("a read returns the source text (or fails): %v", err)
	}

	// A quote changed by one word is rejected, naming the record and the field.
	neo4jtest.Reset(t, s)
	var where string
	changed := bundledWithText(t, dir, func(d *kg.Dataset) {
		r := &d.Relationships[3]
		r.Citations[0].Quote = strings.Replace(r.Citations[0].Quote, " ", " not ", 1)
		where = "relationships[3]"
	})
	rejected(t, s, importFiles(s, changed), 0, 0, where, `field "citations[0].quote"`, "is not in the text of source:justsecurity-virtual-wall")

	// Curly quotes must match exactly; white space need not.
	curly := bundledWithText(t, dir, func(d *kg.Dataset) {
		for i := range d.Relationships {
			q := d.Relationships[i].Citations[0].Quote
			if strings.ContainsAny(q, "’“”") {
				d.Relationships[i].Citations[0].Quote = strings.NewReplacer("’", "'", "“", `"`, "”", `"`).Replace(q)
				where = "relationships[" + strconv.Itoa(i) + "]"
				return
			}
		}
		t.Fatal("no quote with curly quotes in the bundled dataset")
	})
	rejected(t, s, importFiles(s, curly), 0, 0, where, "citations[0].quote")
	spaced := bundledWithText(t, dir, func(d *kg.Dataset) {
		q := &d.Relationships[0].Citations[0].Quote
		*q = "  " + strings.ReplaceAll(*q, " ", "\n  ") + " "
	})
	if err := importFiles(s, spaced); err != nil {
		t.Errorf("a quote differing in white space only: %v", err)
	}

	// A later file citing the stored Source is checked against the stored text.
	later := writeFile(t, dir, "later.json", doc(`{"id":"org:later","type":"Organization","name":"Later","kind":"NGO"}`,
		`{"type":"OPPOSES","from":"org:later","to":"policy:virtual-wall","citations":[{"source":"source:justsecurity-virtual-wall","quote":"words the article never wrote"}]}`))
	nodes, rels = totals(t, s)
	rejected(t, s, importFiles(s, later), nodes, rels, `relationships[0] (org:later OPPOSES policy:virtual-wall)`, `field "citations[0].quote"`)

	// A text that is not the one the file was written against is rejected by its hash.
	wrong := writeFile(t, dir, "wrong.json", doc(`{"id":"source:other","type":"Source","name":"Other","kind":"ARTICLE",
		"text":"Some text.","sha256":"`+kg.SHA256Hex(string(raw))+`"}`, ""))
	rejected(t, s, importFiles(s, wrong), nodes, rels, `nodes[0] "source:other"`, `field "text"`, "sha256 says")
}
