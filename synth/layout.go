// Package synth generates synthetic policygraph knowledge graphs of any size (10k, 100k, 1M
// nodes) for load tests and benchmarks. The output follows the same model as real data (kg
// node types and kinds, the closed kg.RelTypes with the endpoints docs/data-format.md gives
// them, partial dates, a citation on every relationship and Statistic) and is deterministic
// for a (Nodes, Seed) pair.
//
// Shape: a few Countries and Sources, a set of hub Organizations (governments, supreme courts,
// legislatures, international organizations) that attract a Zipf share of the edges (the
// largest hold thousands of relationships at 100k nodes), and a long tail of People,
// Organizations, Policies, LegalCases, Events and Statistics that attach to earlier nodes by
// preferential attachment (probability proportional to 1 + degree within the endpoint's
// category), so the degree distribution is a power law and the average degree is about 5.
//
// Node ids are pure functions of the index (Plan.ID), so a benchmark can pick hubs and
// random nodes without generating anything; relationships are generated in one pass and
// streamed in batches (Generate) so a million-node graph never sits in memory as kg values.
package synth

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/policygraph/policygraph/kg"
)

// Config sizes and seeds a synthetic graph.
type Config struct {
	Nodes     int    // total number of nodes, the completion marker included (at least MinNodes)
	Seed      uint64 // same (Nodes, Seed): same graph, byte for byte
	BatchSize int    // nodes per emitted batch (default DefaultBatchSize)
}

// DefaultBatchSize is the number of nodes per batch when Config.BatchSize is 0. A batch also
// carries the relationships its nodes start (about 2.5 per node), so ~35k rows per batch: one
// BulkImport transaction of some tens of MB of heap (docs/benchmarks.md "Loading").
const DefaultBatchSize = 10000

// MinNodes is the smallest graph Generate makes.
const MinNodes = 1000

// countries is the fixed country list: code, display name. The order is the Zipf rank (the
// first ones get the most BASED_IN and AFFECTS edges, and their governments are the biggest hubs).
var countries = [][2]string{
	{"US", "United States"}, {"MX", "México"}, {"GT", "Guatemala"}, {"SV", "El Salvador"}, {"HN", "Honduras"},
	{"CA", "Canada"}, {"CO", "Colombia"}, {"BR", "Brasil"}, {"DE", "Germany"}, {"FR", "France"},
	{"GB", "United Kingdom"}, {"ES", "España"}, {"IT", "Italy"}, {"NI", "Nicaragua"}, {"CR", "Costa Rica"},
	{"PA", "Panamá"}, {"VE", "Venezuela"}, {"EC", "Ecuador"}, {"PE", "Perú"}, {"AR", "Argentina"},
	{"CL", "Chile"}, {"BO", "Bolivia"}, {"PY", "Paraguay"}, {"UY", "Uruguay"}, {"CU", "Cuba"},
	{"DO", "República Dominicana"}, {"HT", "Haïti"}, {"JM", "Jamaica"}, {"NL", "Netherlands"}, {"BE", "Belgium"},
	{"PL", "Poland"}, {"GR", "Greece"}, {"TR", "Türkiye"}, {"AU", "Australia"}, {"NZ", "New Zealand"},
	{"JP", "Japan"}, {"KR", "South Korea"}, {"IN", "India"}, {"ZA", "South Africa"}, {"NG", "Nigeria"},
}

// Regular (non-front) node type mix, cumulative thresholds below.
var typeMix = []struct {
	t string
	w float64
}{
	{kg.TypePerson, 0.30}, {kg.TypeOrganization, 0.28}, {kg.TypePolicy, 0.12}, {kg.TypeLegalCase, 0.06},
	{kg.TypeEvent, 0.16}, {kg.TypeStatistic, 0.08},
}

// Organization kinds of the long tail (hubs have their own), with weights.
var orgKindMix = []struct {
	k string
	w float64
}{
	{"NGO", 0.20}, {"COMPANY", 0.16}, {"AGENCY", 0.14}, {"MEDIA", 0.08}, {"POLICE", 0.06}, {"MILITARY", 0.04},
	{"COURT", 0.06}, {"PARTY", 0.05}, {"NETWORK", 0.05}, {"RELIGIOUS", 0.03}, {"CRIMINAL", 0.03},
	{"LEGISLATURE", 0.02}, {"GOVERNMENT", 0.02}, {"INTERNATIONAL_ORGANIZATION", 0.02}, {"OTHER", 0.04},
}

// Plan is the index layout of one synthetic graph: which index holds which node. Everything
// about a node except its relationships (id, type, kind, name, country, dates) is a pure
// function of (Seed, index), so a Plan answers in O(1) without generating the graph.
//
// Layout: [0, Countries) Country nodes; then Sources; then hub Organizations; then the long
// tail; the last index is the completion marker (a Source emitted in the very last batch).
type Plan struct {
	cfg       Config
	nCountry  int
	nSource   int
	firstHub  int
	hubs      []hub // in Zipf rank order
	firstTail int
	marker    int
	czipf     zipfTable // countries by rank
	szipf     zipfTable // sources by rank
}

type hub struct {
	index   int
	kind    string
	country int // index into countries, -1 for international
	name    string
}

// NewPlan checks cfg and lays out the graph.
func NewPlan(cfg Config) (*Plan, error) {
	if cfg.Nodes < MinNodes {
		return nil, fmt.Errorf("synth: Nodes must be at least %d, got %d", MinNodes, cfg.Nodes)
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	p := &Plan{cfg: cfg}
	p.nCountry = min(len(countries), max(10, cfg.Nodes/250))
	p.nSource = min(500, max(10, cfg.Nodes/500))
	p.firstHub = p.nCountry + p.nSource
	// Hubs: every government, a supreme court for half the countries, a legislature for a
	// quarter, and five international bodies, interleaved so ranks follow country rank.
	intl := []string{"United Nations High Commissioner for Refugees", "International Organization for Migration",
		"Inter-American Commission on Human Rights", "Inter-American Court of Human Rights", "Organization of American States"}
	for c := 0; c < p.nCountry; c++ {
		name := countries[c][1]
		p.hubs = append(p.hubs, hub{kind: "GOVERNMENT", country: c, name: "Government of " + name})
		if c < (p.nCountry+1)/2 {
			p.hubs = append(p.hubs, hub{kind: "COURT", country: c, name: "Supreme Court of " + name})
		}
		if c < (p.nCountry+3)/4 {
			p.hubs = append(p.hubs, hub{kind: "LEGISLATURE", country: c, name: "National Congress of " + name})
		}
		if c < len(intl) {
			k := "INTERNATIONAL_ORGANIZATION"
			if strings.Contains(intl[c], "Court") {
				k = "COURT"
			}
			p.hubs = append(p.hubs, hub{kind: k, country: -1, name: intl[c]})
		}
	}
	for i := range p.hubs {
		p.hubs[i].index = p.firstHub + i
	}
	p.firstTail = p.firstHub + len(p.hubs)
	p.marker = cfg.Nodes - 1
	p.czipf = newZipf(p.nCountry, 1.0)
	p.szipf = newZipf(p.nSource, 0.8)
	return p, nil
}

// Config returns the configuration (defaults filled).
func (p *Plan) Config() Config { return p.cfg }

// Len is the number of nodes.
func (p *Plan) Len() int { return p.cfg.Nodes }

// MarkerID is the id of the completion marker: a Source node emitted last, so a graph that
// holds it (and Len nodes) was loaded completely. It names the size and seed.
func (p *Plan) MarkerID() string {
	return fmt.Sprintf("source:syn-complete-n%d-s%d", p.cfg.Nodes, p.cfg.Seed)
}

// Type is the node type at index i.
func (p *Plan) Type(i int) string {
	switch {
	case i < p.nCountry:
		return kg.TypeCountry
	case i < p.firstHub:
		return kg.TypeSource
	case i < p.firstTail:
		return kg.TypeOrganization
	case i == p.marker:
		return kg.TypeSource
	}
	u := p.unit(i, saltType)
	for _, m := range typeMix {
		if u < m.w {
			return m.t
		}
		u -= m.w
	}
	return kg.TypeStatistic
}

// Kind is the kind of the Organization, Policy, Event or Source at index i ("" for others).
func (p *Plan) Kind(i int) string {
	if i >= p.firstHub && i < p.firstTail {
		return p.hubs[i-p.firstHub].kind
	}
	t := p.Type(i)
	switch t {
	case kg.TypeOrganization:
		u := p.unit(i, saltKind)
		for _, m := range orgKindMix {
			if u < m.w {
				return m.k
			}
			u -= m.w
		}
		return "OTHER"
	case kg.TypePolicy, kg.TypeEvent, kg.TypeSource:
		ks := kg.Kinds[t]
		return ks[p.intn(i, saltKind, len(ks))]
	}
	return ""
}

// ID is the id of the node at index i: prefix + "syn-" + index ("org:syn-12345"); countries
// use their code ("country:syn-mx") and the marker its own id.
func (p *Plan) ID(i int) string {
	switch {
	case i < p.nCountry:
		return "country:syn-" + strings.ToLower(countries[i][0])
	case i == p.marker:
		return p.MarkerID()
	}
	return kg.IDPrefix[p.Type(i)] + "syn-" + strconv.Itoa(i)
}

// Index is the inverse of ID for ids of this plan (-1 when id is not one of them).
func (p *Plan) Index(id string) int {
	if id == p.MarkerID() {
		return p.marker
	}
	if code, ok := strings.CutPrefix(id, "country:syn-"); ok {
		for c := 0; c < p.nCountry; c++ {
			if strings.ToLower(countries[c][0]) == code {
				return c
			}
		}
		return -1
	}
	_, rest, ok := strings.Cut(id, ":syn-")
	if !ok {
		return -1
	}
	i, err := strconv.Atoi(rest)
	if err != nil || i < 0 || i >= p.cfg.Nodes || p.ID(i) != id {
		return -1
	}
	return i
}

// Hubs returns the hub organizations' ids, biggest expected degree first (governments of the
// first countries, their supreme courts, ...).
func (p *Plan) Hubs() []string {
	out := make([]string, len(p.hubs))
	for i, h := range p.hubs {
		out[i] = p.ID(h.index)
	}
	return out
}

// HubsOfKind returns the hub ids of one kind (GOVERNMENT, COURT, LEGISLATURE,
// INTERNATIONAL_ORGANIZATION) in rank order.
func (p *Plan) HubsOfKind(kind string) []string {
	var out []string
	for _, h := range p.hubs {
		if h.kind == kind {
			out = append(out, p.ID(h.index))
		}
	}
	return out
}

// Countries returns the Country ids, in rank order.
func (p *Plan) Countries() []string {
	out := make([]string, p.nCountry)
	for i := range out {
		out[i] = p.ID(i)
	}
	return out
}

// Sources returns the Source ids (without the marker), most cited first.
func (p *Plan) Sources() []string {
	out := make([]string, p.nSource)
	for i := range out {
		out[i] = p.ID(p.nCountry + i)
	}
	return out
}

// Sample returns n distinct ids of long-tail nodes, drawn uniformly with its own seed (so
// typically low-degree nodes), of the given types (all long-tail types when none are given).
func (p *Plan) Sample(seed uint64, n int, types ...string) []string {
	var out []string
	seen := map[int]bool{}
	span := p.marker - p.firstTail
	for k := uint64(0); len(out) < n && k < uint64(n)*1000; k++ {
		i := p.firstTail + int(mix(seed^0x5eed, k)%uint64(span))
		if seen[i] {
			continue
		}
		if len(types) > 0 && !contains(types, p.Type(i)) {
			continue
		}
		seen[i] = true
		out = append(out, p.ID(i))
	}
	return out
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// Deterministic per-index randomness: splitmix64 over (seed, index, salt).
const (
	saltType uint64 = iota + 1
	saltKind
	saltName
	saltName2
	saltName3
	saltCountry
	saltDate
	saltDate2
	saltMisc
	saltMisc2
)

func mix(a, b uint64) uint64 {
	z := a*0x9e3779b97f4a7c15 ^ (b + 0x632be59bd9b4e5b7)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (p *Plan) hash(i int, salt uint64) uint64 {
	return mix(mix(p.cfg.Seed, uint64(i)), salt)
}

func (p *Plan) unit(i int, salt uint64) float64 {
	return float64(p.hash(i, salt)>>11) / (1 << 53)
}

func (p *Plan) intn(i int, salt uint64, n int) int { return int(p.hash(i, salt) % uint64(n)) }

// zipfTable samples ranks 0..n-1 with weight 1/(rank+1)^s.
type zipfTable []float64

func newZipf(n int, s float64) zipfTable {
	t := make(zipfTable, n)
	sum := 0.0
	for i := range t {
		sum += 1 / math.Pow(float64(i+1), s)
		t[i] = sum
	}
	for i := range t {
		t[i] /= sum
	}
	return t
}

// pick maps u in [0,1) to a rank.
func (z zipfTable) pick(u float64) int {
	i := sort.SearchFloat64s(z, u)
	return min(i, len(z)-1)
}
