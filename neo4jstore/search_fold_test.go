package neo4jstore

import (
	"slices"
	"testing"

	"github.com/policygraph/policygraph/kg"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Quédate en México":               "quedate en mexico",
		"Instituto Nacional de Migración": "instituto nacional de migracion",
		"U.S.":                            "u s",
		"EE. UU.":                         "ee uu",
		"Straße, Øresund, Łódź":           "strasse oresund lodz",
		"AÑO  Niño—CIDH":                  "ano nino cidh",
		"":                                "",
	} {
		if got := searchKey(in); got != want {
			t.Errorf("searchKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseQuery(t *testing.T) {
	for _, tc := range []struct {
		in, key, lucene string
		words           []string
	}{
		{"Remain in Mexico", "remain in mexico", "(remain OR remain*) AND (mexico OR mexico*)", []string{"remain", "mexico"}},
		{"Quédate en México", "quedate en mexico", "(quedate OR quedate*) AND (mexico OR mexico*)", []string{"quedate", "mexico"}},
		{"de la los y the of", "de la los y the of", "", []string{}},
		// Lucene syntax is dropped: only words reach the index, and AND/OR/NOT are stop words.
		{`name:"x" OR * AND NOT z~2 \ (`, "name x or and not z 2", "(name OR name*) AND (x OR x*) AND (z OR z*) AND (2 OR 2*)", []string{"name", "x", "z", "2"}},
		{"?!", "", "", []string{}},
	} {
		q := parseQuery(tc.in)
		if q.key != tc.key || q.lucene != tc.lucene || !slices.Equal(q.words, tc.words) {
			t.Errorf("parseQuery(%q) = %+v, want key %q, lucene %q, words %v", tc.in, q, tc.key, tc.lucene, tc.words)
		}
	}
}

func TestSearchTextStored(t *testing.T) {
	p := map[string]any{}
	addSearchText(p, kg.Node{Name: "Migrant Protection Protocols", Aliases: []string{"MPP"},
		Names: []kg.Name{{Value: "Quédate en México", Lang: "es"}}, Description: "A U.S. policy.",
		Citations: []kg.Citation{{Quote: "Mexico “sold its soul”"}, {Quote: "a | b"}}})
	want := map[string]any{"searchNames": "migrant protection protocols | mpp | quedate en mexico",
		"searchDesc": "a u s policy", "quoteText": "mexico sold its soul | a b"}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("%s = %q, want %q", k, p[k], v)
		}
	}
}
