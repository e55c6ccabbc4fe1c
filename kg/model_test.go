package kg

import (
	"errors"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
)

// docs/data-format.md's relationship table is written from Rels: same types, same endpoint
// combinations, same dated flags.
func TestDocEndpointTableMatchesModel(t *testing.T) {
	raw, err := os.ReadFile("../docs/data-format.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(raw), "### Relationship types")
	if !ok {
		t.Fatal("docs/data-format.md has no relationship type table")
	}
	row := regexp.MustCompile("(?m)^\\| `([A-Z_]+)` \\| ([^|]+) \\| (yes|no) \\|")
	documented := map[string][2]string{}
	for _, m := range row.FindAllStringSubmatch(table, -1) {
		documented[m[1]] = [2]string{strings.TrimSpace(m[2]), m[3]}
	}
	for _, r := range Rels {
		dated := map[bool]string{true: "yes", false: "no"}[r.Dated]
		got, ok := documented[r.Type]
		switch {
		case !ok:
			t.Errorf("%s is not in the documented table", r.Type)
		case got != [2]string{r.EndsText(), dated}:
			t.Errorf("%s: documented %q (dated %s), kg.Rels says %q (dated %s)", r.Type, got[0], got[1], r.EndsText(), dated)
		}
		delete(documented, r.Type)
	}
	for t2 := range documented {
		t.Errorf("the documented table lists %s, which kg.Rels does not", t2)
	}
}

func TestCheckEnds(t *testing.T) {
	cases := []struct {
		rel, from, to string
		want          string // "" = allowed
	}{
		{"HOLDS_POSITION", TypePerson, TypeOrganization, ""},
		{"HOLDS_POSITION", TypeCountry, TypeOrganization, `from: "a" is a Country, but HOLDS_POSITION joins only Person -> Organization`},
		{"HOLDS_POSITION", TypePerson, TypeCountry, `to: "b" is a Country`},
		{"PART_OF", TypePolicy, TypePolicy, ""},
		{"PART_OF", TypeOrganization, TypePolicy, `to: "b" is a Policy, but PART_OF joins only Organization -> Organization, Policy -> Policy`},
		{"MEASURES", TypeStatistic, TypeCountry, ""},
		{"MEASURES", TypeStatistic, TypeSource, `to: "b" is a Source`},
		{"CONCERNS", TypeEvent, TypeLegalCase, ""},
	}
	for _, c := range cases {
		err := CheckEnds(c.rel, "a", c.from, "b", c.to)
		if (err == nil) != (c.want == "") || (err != nil && (!errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want))) {
			t.Errorf("%s %s -> %s: got %v, want %q", c.rel, c.from, c.to, err, c.want)
		}
	}
}

// endless yields n bytes of spaces.
type endless struct{ n int }

func (e *endless) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, io.EOF
	}
	k := min(len(p), e.n)
	for i := range p[:k] {
		p[i] = ' '
	}
	e.n -= k
	return k, nil
}

func TestDecodeLimitsAndTrailingData(t *testing.T) {
	if _, err := DecodeDataset(&endless{MaxFileBytes + 1}); err == nil || !strings.Contains(err.Error(), "file: is larger than 64 MiB") {
		t.Errorf("oversized file: %v", err)
	}
	for _, doc := range []string{`{"format":"policygraph/v1"} {}`, `{"format":"policygraph/v1"}]`, `{"format":"policygraph/v1"}x`} {
		if _, err := DecodeDataset(strings.NewReader(doc)); err == nil || !strings.Contains(err.Error(), "unexpected data after the JSON document") {
			t.Errorf("%s: %v", doc, err)
		}
	}
	if _, err := DecodeDataset(strings.NewReader("{\"format\":\"policygraph/v1\"}\n \t\n")); err != nil {
		t.Errorf("white space after the document: %v", err)
	}
}

func TestSourceTexts(t *testing.T) {
	const text = "The wall is “virtual”,\n  said the minister."
	src := func(extra string) string {
		return `{"id":"source:s","type":"Source","name":"S","kind":"ARTICLE"` + extra + `}`
	}
	rel := func(quote string) string {
		return `{"type":"OPPOSES","from":"org:a","to":"policy:p","citations":[{"source":"source:s","quote":` + quote + `}]}`
	}
	nodes := `,{"id":"org:a","type":"Organization","name":"A","kind":"NGO"},{"id":"policy:p","type":"Policy","name":"P","kind":"LAW"}`
	file := func(srcExtra, quote string) string {
		return `{"format":"policygraph/v1","nodes":[` + src(srcExtra) + nodes + `],"relationships":[` + rel(quote) + `]}`
	}
	inline := `,"text":` + jsonString(text)
	cases := []struct{ doc, want string }{
		{file(inline, `"is “virtual”, said the"`), ""},
		{file(inline, `"  is “virtual”,\n said\tthe "`), ""},
		{file(inline, `"is \"virtual\", said the"`), `relationships[0] (org:a OPPOSES policy:p): field "citations[0].quote": is not in the text of source:s`},
		{file(inline, `"The wall is real"`), `field "citations[0].quote"`},
		{file(inline+`,"sha256":"`+SHA256Hex(text)+`"`, `"The wall"`), ""},
		{file(inline+`,"sha256":"`+SHA256Hex("other")+`"`, `"The wall"`), `field "text": has SHA-256`},
		{file(`,"sha256":"`+SHA256Hex(text)+`"`, `"anything: no text to check against"`), ""},
		{file(`,"sha256":"ABC"`, `"q"`), `field "sha256"`},
		{file(inline+`,"textFile":"t.txt"`, `"q"`), `give the text inline (text) or in a file (textFile), not both`},
		{file(`,"textFile":"t.txt"`, `"q"`), `field "textFile": was not read`},
		{`{"format":"policygraph/v1","nodes":[{"id":"org:a","type":"Organization","name":"A","kind":"NGO","text":"x"}]}`, `field "text": text, textFile and sha256 apply only to a Source`},
	}
	for _, c := range cases {
		d, err := DecodeDataset(strings.NewReader(c.doc))
		if err == nil {
			_, err = d.Validate()
		}
		if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s:\n got %v\nwant %q", c.doc, err, c.want)
		}
	}

	// textFile is read through LoadTexts, relative paths only, and then checked like text.
	d, _ := DecodeDataset(strings.NewReader(file(`,"textFile":"texts/s.txt"`, `"said the minister."`)))
	var asked string
	if err := d.LoadTexts(func(p string) ([]byte, error) { asked = p; return []byte(text), nil }); err != nil {
		t.Fatal(err)
	}
	v, err := d.Validate()
	if err != nil || asked != "texts/s.txt" || v.Nodes[0].Text != text || v.Nodes[0].TextSHA256 != SHA256Hex(text) {
		t.Errorf("textFile: asked %q, %+v, %v", asked, v, err)
	}
	for _, p := range []string{"/etc/passwd", `C:\t.txt`, `a\b.txt`} {
		d, _ := DecodeDataset(strings.NewReader(file(`,"textFile":`+jsonString(p), `"q"`)))
		if err := d.LoadTexts(func(string) ([]byte, error) { return nil, nil }); err == nil || !strings.Contains(err.Error(), "must be a relative path") {
			t.Errorf("textFile %q: %v", p, err)
		}
	}
}

func jsonString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}
