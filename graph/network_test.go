package graph_test

import (
	"strings"
	"testing"
)

const netFields = `nodes { id __typename name } edges { id type from { id } to { id } startDate endDate citations { quote source { id } } } truncated`

// Golden payloads of the relationship queries on the bundled dataset.
func TestNetworkGolden(t *testing.T) {
	e := setup(t)
	cases := map[string]string{
		"neighborhood_aclu":       `{ neighborhood(id: "org:aclu") { ` + netFields + ` } }`,
		"neighborhood_mpp_depth2": `{ neighborhood(id: "policy:migrant-protection-protocols", depth: 2, limit: 40, types: [PARTY_TO, CHALLENGES, RULED_ON, HEARD_IN, IMPLEMENTS, AGREES_TO]) { ` + netFields + ` } }`,
		"paths_aclu_to_inm":       `{ paths(from: "org:aclu", to: "org:instituto-nacional-de-migracion") { truncated paths { length nodes { id } edges { id type from { id } to { id } citations { quote } } } network { nodes { id } edges { id } } } }`,
		"common_aclu_splc":        `{ commonConnections(ids: ["org:aclu", "org:southern-poverty-law-center"]) { truncated connections { node { id name } sharedWith edges { id type role } } network { nodes { id } edges { id } } } }`,
		"network_litigation":      `{ network(ids: ["org:aclu", "case:mpp-lawsuit", "policy:migrant-protection-protocols", "org:us-court-of-appeals-ninth-circuit", "org:nobody-here"]) { ` + netFields + ` } }`,
		"timeline_mpp":            `{ timeline(ids: ["policy:migrant-protection-protocols"], first: 100) { edges { node { kind date sortDate relationship { id type from { id } to { id } } event { id name } } } pageInfo { hasNextPage } } }`,
		"rank_degree_orgs":        `{ rank(measure: DEGREE, nodeTypes: [Organization], first: 10) { rank score node { id } } }`,
	}
	for name, q := range cases {
		t.Run(name, func(t *testing.T) {
			e.t = t
			golden(t, name, e.data(q, nil))
		})
	}
}

type network struct {
	Nodes []struct{ ID string }
	Edges []struct {
		ID, Type  string
		From, To  struct{ ID string }
		Citations []struct{ Quote string }
	}
	Truncated bool
}

func (n network) has(id string) bool {
	for _, x := range n.Nodes {
		if x.ID == id {
			return true
		}
	}
	return false
}

func (n network) edge(from, relType, to string) bool {
	for _, x := range n.Edges {
		if x.From.ID == from && x.Type == relType && x.To.ID == to {
			return true
		}
	}
	return false
}

// Who challenged which policy in which court: the MPP lawsuit's neighbourhood.
func TestWhoChallengedWhatWhere(t *testing.T) {
	e := setup(t)
	var out struct{ Neighborhood network }
	decode(t, e.data(`{ neighborhood(id: "case:mpp-lawsuit") { `+netFields+` } }`, nil), &out)
	n := out.Neighborhood
	for _, want := range [][3]string{
		{"org:aclu", "PARTY_TO", "case:mpp-lawsuit"},
		{"org:innovation-law-lab", "PARTY_TO", "case:mpp-lawsuit"},
		{"case:mpp-lawsuit", "CHALLENGES", "policy:migrant-protection-protocols"},
		{"org:us-court-of-appeals-ninth-circuit", "RULED_ON", "case:mpp-lawsuit"},
	} {
		if !n.edge(want[0], want[1], want[2]) {
			t.Errorf("neighbourhood of the MPP lawsuit lacks %v", want)
		}
	}
	for _, edge := range n.Edges {
		if len(edge.Citations) == 0 || edge.Citations[0].Quote == "" {
			t.Errorf("edge %s has no quoted citation", edge.ID)
		}
	}
}

// The path from a U.S. actor to a Mexican enforcement body, and the same question when only
// some relationship types may be used.
func TestPathFromUSActorToMexicanEnforcement(t *testing.T) {
	e := setup(t)
	var out struct {
		Paths struct {
			Paths []struct {
				Length int
				Nodes  []struct{ ID string }
				Edges  []struct{ From, To struct{ ID string } }
			}
		}
	}
	decode(t, e.data(`{ paths(from: "org:us-government", to: "org:guardia-nacional", maxHops: 4) { paths { length nodes { id } edges { from { id } to { id } } } } }`, nil), &out)
	if len(out.Paths.Paths) == 0 {
		t.Fatal("no path from the U.S. government to the National Guard within 4 hops")
	}
	shortest := out.Paths.Paths[0].Length
	for _, p := range out.Paths.Paths {
		if p.Length != shortest {
			t.Errorf("all-shortest returned a path of length %d and one of %d", shortest, p.Length)
		}
		if len(p.Nodes) != p.Length+1 || p.Nodes[0].ID != "org:us-government" || p.Nodes[len(p.Nodes)-1].ID != "org:guardia-nacional" {
			t.Errorf("malformed path %+v", p)
		}
		// Each edge joins consecutive nodes, in either direction.
		for i, edge := range p.Edges {
			a, b := p.Nodes[i].ID, p.Nodes[i+1].ID
			if !(edge.From.ID == a && edge.To.ID == b || edge.From.ID == b && edge.To.ID == a) {
				t.Errorf("edge %d of a path joins %s-%s, not %s-%s", i, edge.From.ID, edge.To.ID, a, b)
			}
		}
	}
	// k-shortest returns longer paths too, ordered by length.
	decode(t, e.data(`{ paths(from: "org:us-government", to: "org:guardia-nacional", maxHops: 4, kShortest: true, limit: 20) { paths { length nodes { id } edges { from { id } to { id } } } } }`, nil), &out)
	last := 0
	for _, p := range out.Paths.Paths {
		if p.Length < last {
			t.Errorf("k-shortest paths out of order: %d after %d", p.Length, last)
		}
		last = p.Length
	}
	if len(out.Paths.Paths) < 2 || last <= shortest {
		t.Errorf("k-shortest should include paths longer than %d, got lengths up to %d over %d paths", shortest, last, len(out.Paths.Paths))
	}
	// Only BASED_IN edges cannot connect two organizations through anything but countries.
	decode(t, e.data(`{ paths(from: "org:aclu", to: "org:guardia-nacional", types: [BASED_IN]) { paths { length nodes { id } edges { from { id } to { id } } } } }`, nil), &out)
	if len(out.Paths.Paths) != 0 {
		t.Errorf("types filter ignored: %+v", out.Paths.Paths)
	}
}

// The groups connected to both of two NGOs (interlocks), and to at least 2 of 3.
func TestCommonConnections(t *testing.T) {
	e := setup(t)
	var out struct {
		CommonConnections struct {
			Connections []struct {
				Node       struct{ ID string }
				SharedWith []string
			}
			Network network
		}
	}
	decode(t, e.data(`{ commonConnections(ids: ["org:aclu", "org:southern-poverty-law-center"]) { connections { node { id } sharedWith } network { `+netFields+` } } }`, nil), &out)
	found := false
	for _, c := range out.CommonConnections.Connections {
		if len(c.SharedWith) != 2 {
			t.Errorf("%s shared with %v, want both", c.Node.ID, c.SharedWith)
		}
		if c.Node.ID == "case:transit-bar-lawsuit" {
			found = true
		}
	}
	if !found {
		t.Errorf("the lawsuit both brought is not a common connection: %+v", out.CommonConnections.Connections)
	}
	nw := out.CommonConnections.Network
	if !nw.has("org:aclu") || !nw.has("org:southern-poverty-law-center") || !nw.edge("org:aclu", "PARTY_TO", "case:transit-bar-lawsuit") {
		t.Errorf("network of common connections lacks the seeds or the connecting edge: %+v", nw)
	}
	decode(t, e.data(`{ commonConnections(ids: ["org:aclu", "org:southern-poverty-law-center", "org:innovation-law-lab"], minShared: 2) { connections { node { id } sharedWith } } }`, nil), &out)
	ids := map[string]bool{}
	for _, c := range out.CommonConnections.Connections {
		ids[c.Node.ID] = true
		if len(c.SharedWith) < 2 {
			t.Errorf("%s shared with only %v", c.Node.ID, c.SharedWith)
		}
	}
	if !ids["case:transit-bar-lawsuit"] || !ids["case:mpp-lawsuit"] {
		t.Errorf("minShared 2 should find both lawsuits, got %v", ids)
	}
}

// Time filters include and exclude edges by date: the Ninth Circuit's May 2019 ruling on the
// MPP lawsuit is active in May 2019 but not in January 2019; edges with an unknown end stay.
func TestTimeFilters(t *testing.T) {
	e := setup(t)
	var out struct{ Neighborhood network }
	ruling := func(activeAt string) bool {
		decode(t, e.data(`query($at: PartialDate) { neighborhood(id: "org:us-court-of-appeals-ninth-circuit", activeAt: $at) { `+netFields+` } }`,
			map[string]any{"at": activeAt}), &out)
		return out.Neighborhood.edge("org:us-court-of-appeals-ninth-circuit", "RULED_ON", "case:mpp-lawsuit")
	}
	if !ruling("2019-05") {
		t.Error("the May 2019 ruling is missing at activeAt 2019-05")
	}
	if ruling("2019-01") {
		t.Error("a ruling of May/October 2019 shows at activeAt 2019-01")
	}
	// since/until window: nothing the court did falls in 2017.
	decode(t, e.data(`{ neighborhood(id: "org:us-court-of-appeals-ninth-circuit", since: "2017", until: "2017") { `+netFields+` } }`, nil), &out)
	for _, edge := range out.Neighborhood.Edges {
		if edge.Type == "RULED_ON" {
			t.Errorf("2017 window kept %s", edge.ID)
		}
	}
	// Timeline window: every entry's date lies in the window.
	var tl struct {
		Timeline struct {
			Edges []struct{ Node struct{ SortDate string } }
		}
	}
	decode(t, e.data(`{ timeline(since: "2019-06", until: "2019-07", first: 100) { edges { node { sortDate } } } }`, nil), &tl)
	if len(tl.Timeline.Edges) == 0 {
		t.Fatal("empty timeline for June-July 2019")
	}
	prev := ""
	for _, edge := range tl.Timeline.Edges {
		d := edge.Node.SortDate
		if d > "2019-07-31" {
			t.Errorf("timeline entry dated %s after the window", d)
		}
		if d[:7] < prev[:min(len(prev), 7)] { // by month; in a month precise dates come before vague ones
			t.Errorf("timeline out of order: %s after %s", d, prev)
		}
		prev = d
	}
}

type timelinePage struct {
	Timeline struct {
		Edges []struct {
			Cursor string
			Node   struct {
				Kind, Date, SortDate string
				Relationship         *struct{ ID string }
				Event                *struct{ ID string }
			}
		}
		PageInfo struct{ HasNextPage bool }
	}
}

const timelineFields = `edges { cursor node { kind date sortDate relationship { id } event { id } } } pageInfo { hasNextPage }`

func (p timelinePage) ids() []string {
	var out []string
	for _, e := range p.Timeline.Edges {
		if e.Node.Relationship != nil {
			out = append(out, e.Node.Kind+" "+e.Node.Relationship.ID)
		} else {
			out = append(out, e.Node.Kind+" "+e.Node.Event.ID)
		}
	}
	return out
}

// A window lists what happened in it: January 2020 is the USMCA signing (the event and the
// two relationships dated then), not the relationships begun earlier and still open, which
// come after it, and only with includeOngoing. Paging one entry at a time gives the same list.
func TestTimelineWindowListsWhatHappened(t *testing.T) {
	e := setup(t)
	var tl timelinePage
	decode(t, e.data(`{ timeline(since: "2020-01", until: "2020-01", first: 100) { `+timelineFields+` } }`, nil), &tl)
	want := []string{"STARTS event:usmca-signing-2020-01",
		"STARTS rel:person:donald-trump:participates_in:event:usmca-signing-2020-01", "STARTS rel:person:donald-trump:signs:policy:usmca"}
	if got := tl.ids(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("January 2020:\n got %v\nwant %v", got, want)
	}
	for _, edge := range tl.Timeline.Edges {
		if edge.Node.Date != "2020-01" || edge.Node.SortDate != "2020-01-01" {
			t.Errorf("January 2020 entry placed at %s (%s)", edge.Node.Date, edge.Node.SortDate)
		}
	}
	var all timelinePage
	decode(t, e.data(`{ timeline(since: "2020-01", until: "2020-01", includeOngoing: true, first: 100) { `+timelineFields+` } }`, nil), &all)
	got := all.ids()
	if len(got) <= len(want) || strings.Join(got[:len(want)], "\n") != strings.Join(want, "\n") {
		t.Fatalf("with includeOngoing: %d entries, want the 3 of January first and the older open relationships after: %v", len(got), got)
	}
	prev := ""
	for _, edge := range all.Timeline.Edges[len(want):] {
		n := edge.Node
		if n.Kind != "ONGOING" || n.Relationship == nil || n.SortDate >= "2020-01-01" {
			t.Errorf("after January's entries: %+v, want only relationships ongoing since before 2020", n)
		}
		if n.SortDate < prev[:min(len(prev), 10)] {
			t.Errorf("ongoing entries out of order: %s after %s", n.SortDate, prev)
		}
		prev = n.SortDate
	}
	// The same list one entry per page.
	var paged []string
	after := any(nil)
	for range 100 {
		var p timelinePage
		decode(t, e.data(`query($after: String) { timeline(since: "2020-01", until: "2020-01", includeOngoing: true, first: 1, after: $after) { `+timelineFields+` } }`,
			map[string]any{"after": after}), &p)
		paged = append(paged, p.ids()...)
		if !p.Timeline.PageInfo.HasNextPage {
			break
		}
		after = p.Timeline.Edges[0].Cursor
	}
	if strings.Join(paged, "\n") != strings.Join(got, "\n") {
		t.Errorf("paging one by one gives another list:\n got %v\nwant %v", paged, got)
	}
	// A cursor that is not a timeline cursor is refused.
	if msg, code := e.errorOf(`{ timeline(after: "bm9wZQ") { pageInfo { hasNextPage } } }`, nil); code != "BAD_USER_INPUT" {
		t.Errorf("bad cursor: %s %s", code, msg)
	}
}

// Out-of-range arguments are rejected with the argument's name and bound.
func TestBoundsRejected(t *testing.T) {
	e := setup(t)
	cases := []struct{ query, want string }{
		{`{ neighborhood(id: "org:aclu", depth: 4) { truncated } }`, "argument depth: must be between 1 and 3, got 4"},
		{`{ neighborhood(id: "org:aclu", limit: 501) { truncated } }`, "argument limit: must be between 1 and 500, got 501"},
		{`{ paths(from: "org:aclu", to: "country:mx", maxHops: 7) { truncated } }`, "argument maxHops: must be between 1 and 6, got 7"},
		{`{ paths(from: "org:aclu", to: "org:aclu") { truncated } }`, "argument to: must differ"},
		{`{ paths(from: "org:aclu", to: "country:mx", limit: 0) { truncated } }`, "argument limit: must be between 1 and 50, got 0"},
		{`{ commonConnections(ids: ["org:aclu"]) { truncated } }`, "argument ids: must list between 2 and 50 ids, got 1"},
		{`{ commonConnections(ids: ["org:aclu", "org:unhcr"], minShared: 3) { truncated } }`, "argument minShared: must be between 2 and 2, got 3"},
		{`{ timeline(first: 101) { pageInfo { hasNextPage } } }`, "argument first: must be between 1 and 100, got 101"},
		{`{ neighborhood(id: "org:aclu", activeAt: "2019-13") { truncated } }`, `argument activeAt: "2019-13" is not a partial date`},
		{`{ neighborhood(id: "org:aclu", since: "2020", until: "2019") { truncated } }`, `argument until: "2019" is before since "2020"`},
		{`{ organizations(first: -1) { totalCount } }`, "argument first: must be between 1 and 100, got -1"},
		{`{ node(id: "org:aclu") { relationships(first: 1000) { pageInfo { hasNextPage } } } }`, "argument first: must be between 1 and 100, got 1000"},
	}
	for _, c := range cases {
		msg, code := e.errorOf(c.query, nil)
		if code != "BAD_USER_INPUT" || !strings.Contains(msg, c.want) {
			t.Errorf("%s\n got %s %q\nwant BAD_USER_INPUT containing %q", c.query, code, msg, c.want)
		}
	}
	if msg, code := e.errorOf(`{ neighborhood(id: "org:nobody") { truncated } }`, nil); code != "NOT_FOUND" {
		t.Errorf("unknown centre: %s %s", code, msg)
	}
}

// A node limit smaller than the neighbourhood is reported, and respected.
func TestTruncation(t *testing.T) {
	e := setup(t)
	var out struct{ Neighborhood network }
	decode(t, e.data(`{ neighborhood(id: "org:gobierno-de-mexico", limit: 5) { `+netFields+` } }`, nil), &out)
	if !out.Neighborhood.Truncated || len(out.Neighborhood.Nodes) != 5 {
		t.Errorf("limit 5: %d nodes, truncated=%v", len(out.Neighborhood.Nodes), out.Neighborhood.Truncated)
	}
	decode(t, e.data(`{ neighborhood(id: "org:gobierno-de-mexico", limit: 500) { `+netFields+` } }`, nil), &out)
	if out.Neighborhood.Truncated {
		t.Errorf("limit 500 on a %d-node neighbourhood reported truncation", len(out.Neighborhood.Nodes))
	}
	for _, edge := range out.Neighborhood.Edges {
		if !out.Neighborhood.has(edge.From.ID) || !out.Neighborhood.has(edge.To.ID) {
			t.Errorf("edge %s points outside the network", edge.ID)
		}
	}
	var p struct {
		Paths struct {
			Truncated bool
			Paths     []struct{ Length int }
		}
	}
	decode(t, e.data(`{ paths(from: "org:us-government", to: "org:guardia-nacional", kShortest: true, limit: 1) { truncated paths { length } } }`, nil), &p)
	if len(p.Paths.Paths) != 1 || !p.Paths.Truncated {
		t.Errorf("paths limit 1: %+v", p.Paths)
	}
}

// Centrality on the filtered graph: PageRank and betweenness rank the hubs of the dataset
// first, and filtering changes the answer.
func TestRank(t *testing.T) {
	e := setup(t)
	var out struct {
		Rank []struct {
			Rank  int
			Score float64
			Node  struct{ ID string }
		}
	}
	for _, m := range []string{"DEGREE", "PAGERANK", "BETWEENNESS"} {
		decode(t, e.data(`query($m: Measure) { rank(measure: $m, first: 5) { rank score node { id } } }`, map[string]any{"m": m}), &out)
		if len(out.Rank) != 5 {
			t.Fatalf("%s: %d results", m, len(out.Rank))
		}
		for i := 1; i < len(out.Rank); i++ {
			if out.Rank[i].Score > out.Rank[i-1].Score || out.Rank[i].Rank != i+1 {
				t.Errorf("%s: not ordered: %+v", m, out.Rank)
			}
		}
	}
	// Only PARTY_TO edges among organizations and cases: the ACLU (party to both lawsuits)
	// is the most central organization by degree.
	decode(t, e.data(`{ rank(measure: DEGREE, types: [PARTY_TO], nodeTypes: [Organization, LegalCase], first: 3) { rank score node { id } } }`, nil), &out)
	top := map[string]float64{}
	for _, r := range out.Rank {
		top[r.Node.ID] = r.Score
	}
	if top["org:aclu"] != 2 {
		t.Errorf("ACLU's PARTY_TO degree: %v", out.Rank)
	}
}

// One Cypher round trip per root field (two for the global centralities, which compute in
// Go and then load the top nodes; up to four for a timeline over the whole graph, which
// finds the graph's first dated month, probes its date indexes in two batches, then reads
// the page: on this small graph the first batch does not fill a page).
func TestRoundTripsPerRootField(t *testing.T) {
	e := setup(t)
	cases := map[string]int64{
		`{ neighborhood(id: "org:aclu", depth: 2) { nodes { id } edges { id citations { quote source { name } } } } }`: 1,
		`{ paths(from: "org:aclu", to: "org:guardia-nacional") { paths { nodes { id } } network { edges { id } } } }`:  1,
		`{ commonConnections(ids: ["org:aclu", "org:southern-poverty-law-center"]) { connections { node { id } } } }`:  1,
		`{ network(ids: ["org:aclu", "case:mpp-lawsuit"]) { edges { id } } }`:                                          1,
		`{ timeline(ids: ["org:aclu"], first: 50) { edges { node { date } } } }`:                                       1,
		`{ timeline(first: 50) { edges { node { date } } } }`:                                                          4,
		`{ rank(measure: DEGREE) { node { id } } }`:                                                                    1,
		`{ rank(measure: PAGERANK) { node { id } } }`:                                                                  2,
		`{ rank(measure: BETWEENNESS) { node { id } } }`:                                                               2,
		`{ node(id: "org:aclu") { id } search(query: "amlo") { edges { node { id } } } }`:                              2,
	}
	for q, want := range cases {
		if got := e.roundTrips(func() { e.data(q, nil) }); got != want {
			t.Errorf("%s: %d round trips, want %d", q, got, want)
		}
	}
}
