package neo4jstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/kg"
	"github.com/policygraph/policygraph/neo4jstore"
)

// tlItem is a dated relationship or Event of a crafted file, as the reference sees it.
type tlItem struct {
	id, relType, from, to string // relType "" for an Event
	start, end            string
}

// craftTimeline writes a file of n relationships and n/5 Events with random partial dates
// (year, month or day; some without a start or an end) over 2018-2021, and returns its items.
func craftTimeline(t *testing.T, s *neo4jstore.Store, seed uint64, n int) []tlItem {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	date := func() string {
		d := fmt.Sprintf("%d-%02d-%02d", 2018+r.IntN(4), 1+r.IntN(12), 1+r.IntN(28))
		switch r.IntN(3) {
		case 0:
			return d[:4]
		case 1:
			return d[:7]
		}
		return d
	}
	span := func(event bool) (string, string) {
		a, b := date(), date()
		first := func(d string) string { f, _, _ := kg.DateRange(d); return f }
		last := func(d string) string { _, l, _ := kg.DateRange(d); return l }
		if last(b) < first(a) {
			a, b = b, a
		}
		if last(b) < first(a) { // e.g. "2019" and "2019-06": keep one
			b = a
		}
		switch x := r.IntN(10); {
		case x < 2 && !event:
			return "", b // only an end
		case x < 5:
			return a, "" // open, or a point in time (Event)
		case x < 7:
			return a, a // one-off
		}
		return a, b
	}
	var nodes, rels []string
	var items []tlItem
	nodes = append(nodes, `{"id":"source:s","type":"Source","name":"S","kind":"ARTICLE"}`)
	for i := range 10 {
		nodes = append(nodes, fmt.Sprintf(`{"id":"org:o%d","type":"Organization","name":"O%d","kind":"NGO"}`, i, i))
	}
	opt := func(k, v string) string {
		if v == "" {
			return ""
		}
		return fmt.Sprintf(`,%q:%q`, k, v)
	}
	for i := range n / 5 {
		a, b := span(true)
		if a == "" {
			a = b
		}
		id := fmt.Sprintf("event:e%03d", i)
		nodes = append(nodes, fmt.Sprintf(`{"id":%q,"type":"Event","name":"E%d","kind":"OTHER"%s%s}`, id, i, opt("startDate", a), opt("endDate", b)))
		items = append(items, tlItem{id: id, start: a, end: b})
	}
	types := []string{"OPPOSES", "SUPPORTS", "PARTICIPATES_IN"}
	for i := range n {
		a, b := span(false)
		ty := types[r.IntN(len(types))]
		a0 := r.IntN(10)
		from, to := fmt.Sprintf("org:o%d", a0), fmt.Sprintf("org:o%d", (a0+1+r.IntN(9))%10)
		if ty == "PARTICIPATES_IN" && n/5 > 0 {
			to = fmt.Sprintf("event:e%03d", r.IntN(n/5))
		}
		id := fmt.Sprintf("rel:t%04d", i)
		rels = append(rels, fmt.Sprintf(`{"id":%q,"type":%q,"from":%q,"to":%q%s%s,"citations":[{"source":"source:s","quote":"q"}]}`,
			id, ty, from, to, opt("startDate", a), opt("endDate", b)))
		items = append(items, tlItem{id: id, relType: ty, from: from, to: to, start: a, end: b})
	}
	doc := `{"format":"policygraph/v1","nodes":[` + strings.Join(nodes, ",\n") + `],"relationships":[` + strings.Join(rels, ",\n") + `]}`
	if err := importJSON(t, s, doc); err != nil {
		t.Fatal(err)
	}
	return items
}

// tlRef is the timeline as the documentation states it, computed from the items with day
// ranges (kg.DateRange) rather than the string comparisons the store uses.
type tlRef struct{ kind, date, sortDate, id string }

func timelineReference(items []tlItem, q kg.TimelineQuery) []tlRef {
	w0, w1 := q.Time.Since, q.Time.Until
	if w0 == "" {
		w0 = "0000-01-01"
	}
	if w1 == "" {
		w1 = "9999-12-31"
	}
	rng := func(d string) (string, string) { f, l, _ := kg.DateRange(d); return f, l }
	overlaps := func(d string) bool { f, l := rng(d); return d != "" && f <= w1 && l >= w0 }
	before := func(d string) bool { _, l := rng(d); return d != "" && l < w0 }
	after := func(d string) bool { f, _ := rng(d); return d != "" && f > w1 }
	ongoing := q.IncludeOngoing && q.Time.Since != ""
	type row struct {
		tlRef
		key string
	}
	involved := map[string]bool{} // Events joined to a given node are among its entries
	for _, it := range items {
		if it.relType != "" && (slices.Contains(q.IDs, it.from) || slices.Contains(q.IDs, it.to)) {
			involved[it.from], involved[it.to] = true, true
		}
	}
	var rows []row
	for _, it := range items {
		event := it.relType == ""
		if event && len(q.Types) > 0 || !event && len(q.Types) > 0 && !slices.Contains(q.Types, it.relType) {
			continue
		}
		if len(q.IDs) > 0 && !(slices.Contains(q.IDs, it.from) || slices.Contains(q.IDs, it.to) || slices.Contains(q.IDs, it.id) || event && involved[it.id]) {
			continue
		}
		var kind, date string
		switch {
		case overlaps(it.start):
			kind, date = kg.TimelineStarts, it.start
		case overlaps(it.end) && (it.start == "" || before(it.start)):
			kind, date = kg.TimelineEnds, it.end
		case ongoing && before(it.start) && (!event && (it.end == "" || after(it.end)) || event && after(it.end)):
			kind, date = kg.TimelineOngoing, it.start
		default:
			continue
		}
		day, _ := rng(date)
		group := "0"
		if kind == kg.TimelineOngoing {
			group = "1"
		} else if day < w0 {
			day = w0
		}
		prec := map[int]string{10: "0", 7: "1", 4: "2"}[len(date)]
		rows = append(rows, row{tlRef{kind, date, day, it.id}, group + day[:7] + prec + day})
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].key != rows[j].key {
			return rows[i].key < rows[j].key
		}
		return rows[i].id < rows[j].id
	})
	out := make([]tlRef, len(rows))
	for i, r := range rows {
		out[i] = r.tlRef
	}
	return out
}

// walkTimeline pages through a timeline and returns every entry.
func walkTimeline(t *testing.T, s *neo4jstore.Store, q kg.TimelineQuery) []tlRef {
	t.Helper()
	var out []tlRef
	for pages := 0; ; pages++ {
		p, err := s.Timeline(context.Background(), q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		if len(p.Entries) > q.First || len(p.Entries) < q.First && p.HasNext {
			t.Fatalf("%+v: page of %d entries, hasNext %v", q, len(p.Entries), p.HasNext)
		}
		for _, e := range p.Entries {
			id := ""
			if e.Relationship != nil {
				id = e.Relationship.ID
			} else {
				id = e.Event.ID
			}
			out = append(out, tlRef{e.Kind, e.Date, e.SortDate, id})
		}
		if !p.HasNext || pages > 1000 {
			return out
		}
		q.After = p.Cursors[len(p.Cursors)-1]
	}
}

// The timeline of crafted random dates, paged with cursors, equals the documented order
// entry for entry: every kind, window shape, page size, with and without ongoing entries,
// over the whole graph (the full-text indexes), by types and by ids.
func TestTimelineMatchesReference(t *testing.T) {
	s := neo4jtest.Store(t)
	items := craftTimeline(t, s, 7, 150)
	windows := [][2]string{{"", ""}, {"2019", ""}, {"", "2019-06"}, {"2019-06", "2019-06"}, {"2019-06-10", "2020-02-20"},
		{"2020", "2020"}, {"2020-01", "2020-01"}, {"2018-03-05", "2018-03-05"}, {"2021-07", ""}}
	for _, w := range windows {
		for _, ongoing := range []bool{false, true} {
			for _, first := range []int{9, 100} {
				tf, err := kg.NewTimeFilter("", w[0], w[1])
				if err != nil {
					t.Fatal(err)
				}
				q := kg.TimelineQuery{Time: tf, IncludeOngoing: ongoing, First: first}
				name := fmt.Sprintf("since=%s,until=%s,ongoing=%v,first=%d", w[0], w[1], ongoing, first)
				compareTimeline(t, name, walkTimeline(t, s, q), timelineReference(items, q))
				if first == 9 {
					q.Types = []string{"SUPPORTS", "PARTICIPATES_IN"}
					compareTimeline(t, name+",types", walkTimeline(t, s, q), timelineReference(items, q))
					q.Types, q.IDs = nil, []string{"org:o3", "event:e007"}
					compareTimeline(t, name+",ids", walkTimeline(t, s, q), timelineReference(items, q))
				}
			}
		}
	}
}

func compareTimeline(t *testing.T, name string, got, want []tlRef) {
	t.Helper()
	if len(want) == 0 {
		t.Errorf("%s: the reference is empty (a useless case)", name)
	}
	for i := range max(len(got), len(want)) {
		var g, w tlRef
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("%s: %d entries, want %d; first difference at %d: got %+v, want %+v", name, len(got), len(want), i, g, w)
			return
		}
	}
}

// Vague dates stay vague and sort after the precise ones of the month they are placed in: a
// year after the months and days of January (or of a window's first month), a month after its
// days. An item dated "2020" overlaps a March window and is shown there as "2020".
func TestTimelineVagueDatesSortAfterPreciseOnes(t *testing.T) {
	s := neo4jtest.Store(t)
	rel := func(id, start, end string) string {
		d := fmt.Sprintf(`{"id":%q,"type":"OPPOSES","from":"org:a","to":"policy:p","startDate":%q`, id, start)
		if end != "" {
			d += fmt.Sprintf(`,"endDate":%q`, end)
		}
		return d + `,"citations":[{"source":"source:s","quote":"q"}]}`
	}
	doc := `{"format":"policygraph/v1","nodes":[
 {"id":"source:s","type":"Source","name":"S","kind":"ARTICLE"},
 {"id":"org:a","type":"Organization","name":"A","kind":"NGO"},
 {"id":"policy:p","type":"Policy","name":"P","kind":"REGULATION"},
 {"id":"event:year","type":"Event","name":"Y","kind":"OTHER","startDate":"2020"}],
 "relationships":[` + strings.Join([]string{
		rel("rel:a-year", "2020", ""), rel("rel:b-month", "2020-01", "2020-01"), rel("rel:c-day20", "2020-01-20", "2020-01-20"),
		rel("rel:d-day05", "2020-01-05", ""), rel("rel:e-feb", "2020-02-01", "2020-02-01"), rel("rel:f-mar", "2020-03-10", "2020-03-10"),
		rel("rel:g-old", "2019-05", "2020-03"), rel("rel:h-open", "2018", ""),
	}, ",") + `]}`
	if err := importJSON(t, s, doc); err != nil {
		t.Fatal(err)
	}
	check := func(since, until string, ongoing bool, want ...string) {
		t.Helper()
		tf, err := kg.NewTimeFilter("", since, until)
		if err != nil {
			t.Fatal(err)
		}
		for _, first := range []int{1, 100} {
			var got []string
			for _, e := range walkTimeline(t, s, kg.TimelineQuery{Time: tf, IncludeOngoing: ongoing, First: first}) {
				got = append(got, e.kind+" "+e.date+" "+e.sortDate+" "+e.id)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("since %q until %q ongoing %v first %d:\n got %q\nwant %q", since, until, ongoing, first, got, want)
			}
		}
	}
	check("2020", "2020", false,
		"STARTS 2020-01-05 2020-01-05 rel:d-day05",
		"STARTS 2020-01-20 2020-01-20 rel:c-day20",
		"STARTS 2020-01 2020-01-01 rel:b-month",
		"STARTS 2020 2020-01-01 event:year",
		"STARTS 2020 2020-01-01 rel:a-year",
		"STARTS 2020-02-01 2020-02-01 rel:e-feb",
		"STARTS 2020-03-10 2020-03-10 rel:f-mar",
		"ENDS 2020-03 2020-03-01 rel:g-old")
	// A March window: the year-dated ones are placed at its first day, after March's dated ones.
	check("2020-03", "2020-03", true,
		"STARTS 2020-03-10 2020-03-10 rel:f-mar",
		"ENDS 2020-03 2020-03-01 rel:g-old",
		"STARTS 2020 2020-03-01 event:year",
		"STARTS 2020 2020-03-01 rel:a-year",
		"ONGOING 2018 2018-01-01 rel:h-open",
		"ONGOING 2020-01-05 2020-01-05 rel:d-day05")
	// Without a window: everything at its start (one-off acts once), in the same order.
	check("", "", false,
		"STARTS 2018 2018-01-01 rel:h-open",
		"STARTS 2019-05 2019-05-01 rel:g-old",
		"STARTS 2020-01-05 2020-01-05 rel:d-day05",
		"STARTS 2020-01-20 2020-01-20 rel:c-day20",
		"STARTS 2020-01 2020-01-01 rel:b-month",
		"STARTS 2020 2020-01-01 event:year",
		"STARTS 2020 2020-01-01 rel:a-year",
		"STARTS 2020-02-01 2020-02-01 rel:e-feb",
		"STARTS 2020-03-10 2020-03-10 rel:f-mar")
}

// The full-text index of relationship dates (migration 003) covers every allowed relationship
// type: a type left out would be missing from every timeline without ids.
func TestTimelineIndexesCoverRelTypes(t *testing.T) {
	b, err := os.ReadFile("migrations/003_network.cypher")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`CREATE FULLTEXT INDEX rel_dates IF NOT EXISTS FOR \(\)-\[r:([A-Z_|]+)\]-\(\)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no rel_dates index in migrations/003_network.cypher")
	}
	got := strings.Split(string(m[1]), "|")
	if !slices.Equal(got, kg.RelTypes) {
		t.Errorf("rel_dates covers %v, want kg.RelTypes %v", got, kg.RelTypes)
	}
}
