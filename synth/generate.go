package synth

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"

	"github.com/policygraph/policygraph/kg"
)

// Batch is one slice of the graph: nodes, and relationships whose endpoints are all in this or
// an earlier batch. Load batches in order (nodes before relationships within a batch).
type Batch struct {
	Seq           int
	Nodes         []kg.Node
	Relationships []kg.Relationship
}

// Stats describes a generated graph.
type Stats struct {
	Nodes, Relationships int
	NodesByType          map[string]int
	RelsByType           map[string]int
	Top                  []Degree // the 20 nodes of highest degree
	MaxDegree            int
	MedianDegree         int
}

// Degree is a node id and its number of relationships.
type Degree struct {
	ID     string
	Degree int
}

// Generate streams the graph of cfg to emit, batch by batch, in one deterministic pass. Memory
// is O(Nodes) small integers (degrees and attachment pools), plus one batch of kg values.
// An error from emit stops generation and is returned.
func Generate(cfg Config, emit func(Batch) error) (Stats, error) {
	p, err := NewPlan(cfg)
	if err != nil {
		return Stats{}, err
	}
	return p.Generate(emit)
}

// Pipeline generates batches in a goroutine, up to depth batches ahead, while write runs in the
// caller's goroutine, so generation overlaps the database writes. It stops at the first error
// (or when ctx ends).
func Pipeline(ctx context.Context, cfg Config, depth int, write func(Batch) error) (Stats, error) {
	p, err := NewPlan(cfg)
	if err != nil {
		return Stats{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan Batch, max(depth, 1))
	type result struct {
		st  Stats
		err error
	}
	done := make(chan result, 1)
	go func() {
		st, err := p.Generate(func(b Batch) error {
			select {
			case ch <- b:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		close(ch)
		done <- result{st, err}
	}()
	var werr error
	for b := range ch {
		if werr != nil {
			continue // drain
		}
		if werr = write(b); werr != nil {
			cancel()
		}
	}
	r := <-done
	if werr != nil {
		return r.st, werr
	}
	return r.st, r.err
}

// Endpoint categories for attachment.
const (
	catActor = iota
	catOrg
	catPerson
	catPolicy
	catCase
	catEvent
	catCourt
	nPools
	catCountry // not a pool: Zipf over countries
	catAny     // one of the above, weighted
)

type catW struct {
	cat int
	w   float64
}

var (
	anyCats           = []catW{{catActor, 0.45}, {catPolicy, 0.2}, {catCase, 0.05}, {catEvent, 0.15}, {catCountry, 0.15}}
	actorOrPolicy     = []catW{{catActor, 0.6}, {catPolicy, 0.4}}
	actorOrCountry    = []catW{{catActor, 0.7}, {catCountry, 0.3}}
	eventOrPolicy     = []catW{{catEvent, 0.5}, {catPolicy, 0.5}}
	caseOrPolicy      = []catW{{catCase, 0.6}, {catPolicy, 0.4}}
	one               = func(c int) []catW { return []catW{{c, 1}} }
	hubShare          = map[int]float64{catActor: 0.12, catOrg: 0.18, catCourt: 0.4}
	structuralRelType = map[string]bool{"MEMBER_OF": true, "HOLDS_POSITION": true, "PART_OF": true, "BASED_IN": true,
		"ALLIES_WITH": true, "SUPPORTS": true, "OPPOSES": true, "ENFORCES": true, "IMPLEMENTS": true, "ADVOCATES_FOR": true,
		"REPRESENTS": true, "AFFECTS": true, "MEASURES": true, "CONCERNS": true}
)

// option: a relationship the new node takes part in; out says the new node is `from`.
type option struct {
	rel   string
	out   bool
	other []catW
	w     float64
}

func o(rel string, out bool, other []catW, w float64) option { return option{rel, out, other, w} }

var actorOptions = []option{
	o("MEMBER_OF", true, one(catOrg), 1.2), o("BASED_IN", true, one(catCountry), 1.0),
	o("PRESSURES", true, one(catActor), 0.3), o("NEGOTIATES_WITH", true, one(catActor), 0.3),
	o("ALLIES_WITH", true, one(catActor), 0.45), o("REPRESENTS", true, one(catActor), 0.25),
	o("APOLOGIZES_TO", true, one(catActor), 0.05), o("OPPOSES", true, actorOrPolicy, 0.4),
	o("SUPPORTS", true, actorOrPolicy, 0.55), o("CRITICIZES", true, actorOrPolicy, 0.45),
	o("COMPLAINS_TO", true, one(catOrg), 0.15), o("PETITIONS", true, one(catOrg), 0.15),
	o("ISSUES", true, one(catPolicy), 0.15), o("IMPLEMENTS", true, one(catPolicy), 0.15),
	o("SIGNS", true, one(catPolicy), 0.12), o("AGREES_TO", true, one(catPolicy), 0.1),
	o("REFUSES", true, one(catPolicy), 0.05), o("ADVOCATES_FOR", true, one(catPolicy), 0.3),
	o("PARTY_TO", true, caseOrPolicy, 0.35), o("PARTICIPATES_IN", true, one(catEvent), 0.55),
	o("CHALLENGES", true, one(catPolicy), 0.08), o("ORDERS", false, one(catCourt), 0.08),
}

var options = map[string][]option{
	kg.TypePerson: append([]option{o("HOLDS_POSITION", true, one(catOrg), 2.5),
		o("SUCCEEDS", true, one(catPerson), 0.12)}, actorOptions...),
	kg.TypeOrganization: append([]option{o("PART_OF", true, one(catOrg), 0.8),
		o("ENFORCES", true, one(catPolicy), 0.25)}, actorOptions...),
	"COURT": {o("RULED_ON", true, caseOrPolicy, 2.0), o("ORDERS", true, one(catActor), 0.5),
		o("PART_OF", true, one(catOrg), 0.5), o("BASED_IN", true, one(catCountry), 1.0)},
	kg.TypePolicy: {o("ISSUES", false, one(catActor), 2.5), o("IMPLEMENTS", false, one(catActor), 0.8),
		o("ENFORCES", false, one(catActor), 0.5), o("SUPPORTS", false, one(catActor), 0.5),
		o("OPPOSES", false, one(catActor), 0.5), o("CRITICIZES", false, one(catActor), 0.4),
		o("ADVOCATES_FOR", false, one(catActor), 0.3), o("SIGNS", false, one(catActor), 0.3),
		o("AGREES_TO", false, one(catActor), 0.2), o("REFUSES", false, one(catActor), 0.1),
		o("PART_OF", true, one(catPolicy), 0.2), o("AMENDS", true, one(catPolicy), 0.3),
		o("SUCCEEDS", true, one(catPolicy), 0.1), o("AFFECTS", true, actorOrCountry, 0.8),
		o("CAUSES", true, eventOrPolicy, 0.2), o("RULED_ON", false, one(catCourt), 0.3),
		o("CHALLENGES", false, one(catCase), 0.2)},
	kg.TypeLegalCase: {o("PARTY_TO", false, one(catActor), 3.0), o("HEARD_IN", true, one(catCourt), 1.5),
		o("RULED_ON", false, one(catCourt), 0.8), o("CHALLENGES", true, one(catPolicy), 0.8)},
	kg.TypeEvent: {o("PARTICIPATES_IN", false, one(catActor), 2.5), o("CONCERNS", true, anyCats, 1.5),
		o("CAUSES", true, eventOrPolicy, 0.3), o("CAUSES", false, eventOrPolicy, 0.2),
		o("AFFECTS", true, actorOrCountry, 0.3)},
	kg.TypeStatistic: {o("MEASURES", true, anyCats, 1)},
}

// meanEdges is the mean number of relationships a new node of each type starts.
var meanEdges = map[string]float64{
	kg.TypePerson: 2.4, kg.TypeOrganization: 2.8, "COURT": 3.5, kg.TypePolicy: 2.8, kg.TypeLegalCase: 3.2,
	kg.TypeEvent: 2.7, kg.TypeStatistic: 1.4,
}

type generator struct {
	p       *Plan
	r       *rand.Rand
	pools   [nPools][]int32
	degree  []int32
	hubZipf map[int]struct {
		idx []int
		z   zipfTable
	}
	relSeq   int
	stats    Stats
	batch    Batch
	emit     func(Batch) error
	batchMax int
}

// Generate streams the plan's graph; see the package function Generate.
func (p *Plan) Generate(emit func(Batch) error) (Stats, error) {
	g := &generator{p: p, r: rand.New(rand.NewPCG(p.cfg.Seed, 0x5e1f5e1f)), degree: make([]int32, p.cfg.Nodes),
		emit: emit, batchMax: p.cfg.BatchSize,
		stats: Stats{NodesByType: map[string]int{}, RelsByType: map[string]int{}}}
	g.hubZipf = map[int]struct {
		idx []int
		z   zipfTable
	}{}
	for _, c := range []int{catActor, catOrg, catCourt} {
		var idx []int
		for _, h := range p.hubs {
			if c != catCourt || h.kind == "COURT" {
				idx = append(idx, h.index)
			}
		}
		g.hubZipf[c] = struct {
			idx []int
			z   zipfTable
		}{idx, newZipf(len(idx), 1.0)}
	}
	est := int(float64(p.cfg.Nodes) * 1.2)
	for c := range g.pools {
		g.pools[c] = make([]int32, 0, est/4)
	}

	// Front: countries, sources, hubs (hubs are based in their country; courts and
	// legislatures are part of their government).
	for i := 0; i < p.firstTail; i++ {
		if err := g.addNode(i); err != nil {
			return g.stats, err
		}
	}
	for k, h := range p.hubs {
		if h.country < 0 {
			continue
		}
		g.addRel("BASED_IN", h.index, h.country, 0)
		if h.kind != "GOVERNMENT" {
			gov := p.hubs[0].index
			for _, h2 := range p.hubs[:k] {
				if h2.kind == "GOVERNMENT" && h2.country == h.country {
					gov = h2.index
				}
			}
			g.addRel("PART_OF", h.index, gov, 0)
		}
	}
	// Long tail.
	seen := make([]int, 0, 16)
	for i := p.firstTail; i < p.marker; i++ {
		if err := g.addNode(i); err != nil {
			return g.stats, err
		}
		t := p.Type(i)
		key := t
		if t == kg.TypeOrganization && p.Kind(i) == "COURT" {
			key = "COURT"
		}
		opts := options[key]
		d := 1 + g.geometric(meanEdges[key]-1)
		seen = append(seen[:0], i)
		for e := 0; e < d; e++ {
			op := g.pickOption(opts)
			if op.rel == "BASED_IN" {
				c := p.countryOf(i)
				if c < 0 || containsInt(seen, c) {
					continue
				}
				seen = append(seen, c)
				g.addRel(op.rel, i, c, i)
				continue
			}
			j := g.pickOther(op.other, i)
			if j < 0 || containsInt(seen, j) {
				continue
			}
			seen = append(seen, j)
			if op.out {
				g.addRel(op.rel, i, j, i)
			} else {
				g.addRel(op.rel, j, i, i)
			}
		}
		g.join(i)
		if len(g.batch.Nodes) >= g.batchMax {
			if err := g.flush(); err != nil {
				return g.stats, err
			}
		}
	}
	if err := g.addNode(p.marker); err != nil {
		return g.stats, err
	}
	if err := g.flush(); err != nil {
		return g.stats, err
	}
	g.finishStats()
	return g.stats, nil
}

func containsInt(l []int, v int) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

func (g *generator) addNode(i int) error {
	n := g.p.Node(i)
	g.batch.Nodes = append(g.batch.Nodes, n)
	g.stats.Nodes++
	g.stats.NodesByType[n.Type]++
	if i < g.p.firstTail && i >= g.p.firstHub {
		g.join(i)
	}
	return nil
}

// join puts node i in the attachment pools of its categories (weight 1 before any edge).
func (g *generator) join(i int) {
	for _, c := range g.cats(i) {
		g.pools[c] = append(g.pools[c], int32(i))
	}
}

func (g *generator) cats(i int) []int {
	switch g.p.Type(i) {
	case kg.TypePerson:
		return []int{catActor, catPerson}
	case kg.TypeOrganization:
		if g.p.Kind(i) == "COURT" {
			return []int{catActor, catOrg, catCourt}
		}
		return []int{catActor, catOrg}
	case kg.TypePolicy:
		return []int{catPolicy}
	case kg.TypeLegalCase:
		return []int{catCase}
	case kg.TypeEvent:
		return []int{catEvent}
	}
	return nil
}

func (g *generator) flush() error {
	if len(g.batch.Nodes) == 0 && len(g.batch.Relationships) == 0 {
		return nil
	}
	b := g.batch
	g.batch = Batch{Seq: b.Seq + 1, Nodes: make([]kg.Node, 0, g.batchMax), Relationships: make([]kg.Relationship, 0, g.batchMax*3)}
	return g.emit(b)
}

func (g *generator) geometric(mean float64) int {
	if mean <= 0 {
		return 0
	}
	q := mean / (1 + mean) // P(k) = (1-q) q^k has mean q/(1-q)
	return int(math.Floor(math.Log(1-g.r.Float64()) / math.Log(q)))
}

func (g *generator) pickOption(opts []option) option {
	sum := 0.0
	for _, op := range opts {
		sum += op.w
	}
	u := g.r.Float64() * sum
	for _, op := range opts {
		if u < op.w {
			return op
		}
		u -= op.w
	}
	return opts[len(opts)-1]
}

// pickOther chooses the far end: a category by weight, then a hub (Zipf) with the category's hub
// share, else a member of the category with probability proportional to 1 + its degree there.
func (g *generator) pickOther(cs []catW, self int) int {
	c := cs[0].cat
	if len(cs) > 1 {
		u := g.r.Float64()
		for _, cw := range cs {
			c = cw.cat
			if u < cw.w {
				break
			}
			u -= cw.w
		}
	}
	if c == catAny {
		return g.pickOther(anyCats, self)
	}
	if c == catCountry {
		return g.p.czipf.pick(g.r.Float64())
	}
	if share, ok := hubShare[c]; ok && g.r.Float64() < share {
		h := g.hubZipf[c]
		return h.idx[h.z.pick(g.r.Float64())]
	}
	pool := g.pools[c]
	if len(pool) == 0 {
		return -1
	}
	return int(pool[g.r.IntN(len(pool))])
}

// addRel appends a relationship; dated is the index whose own date anchors the edge's (0: none).
func (g *generator) addRel(relType string, from, to, dated int) {
	p := g.p
	g.relSeq++
	r := kg.Relationship{ID: "rel:syn-" + strconv.Itoa(g.relSeq), Type: relType, From: p.ID(from), To: p.ID(to)}
	fromName, toName := p.Name(from), p.Name(to)
	switch relType {
	case "HOLDS_POSITION":
		r.Role = positions[g.r.IntN(len(positions))]
	case "PARTY_TO":
		if p.Type(to) == kg.TypeLegalCase {
			r.Role = []string{"PLAINTIFF", "PLAINTIFF", "DEFENDANT", "DEFENDANT", "AMICUS", "COUNSEL"}[g.r.IntN(6)]
		} else {
			r.Role = "SIGNATORY"
		}
	case "RULED_ON":
		r.Outcome = kg.Outcomes[g.r.IntN(len(kg.Outcomes))]
	}
	fact := fromName + " " + verbs[relType] + " " + toName
	if g.r.IntN(2) == 0 {
		r.Description = fact + "."
	}
	// Dates: most edges dated, near the dated node's own date when there is one.
	u := g.r.Float64()
	undated := 0.15
	if relType == "BASED_IN" || relType == "PART_OF" {
		undated = 0.7
	}
	if u >= undated {
		var d = epoch.AddDate(0, 0, g.r.IntN(nDays))
		if dated > 0 {
			switch p.Type(dated) {
			case kg.TypePolicy, kg.TypeLegalCase, kg.TypeEvent, kg.TypeStatistic:
				d = dayOf(dated, p, saltDate).AddDate(0, 0, g.r.IntN(60))
				if d.After(lastDay) {
					d = lastDay
				}
			}
		}
		r.StartDate = precision(d, g.r.Float64())
		v := g.r.Float64()
		switch {
		case structuralRelType[relType] && v < 0.6, !structuralRelType[relType] && v < 0.2:
			// open-ended: possibly still true
		case !structuralRelType[relType] && v < 0.85:
			r.EndDate = r.StartDate // a one-off act
		default:
			e := d.AddDate(0, 0, 1+g.r.IntN(900))
			if e.After(lastDay) {
				e = lastDay
			}
			r.EndDate = precision(e, g.r.Float64())
		}
	}
	r.Citations = []kg.Citation{p.citation(uint64(g.relSeq)<<1, fact)}
	if g.r.IntN(7) == 0 {
		r.Citations = append(r.Citations, p.citation(uint64(g.relSeq)<<1|1, fact))
	}
	g.batch.Relationships = append(g.batch.Relationships, r)
	g.stats.Relationships++
	g.stats.RelsByType[relType]++
	g.degree[from]++
	g.degree[to]++
	// Preferential attachment: every edge end adds a ticket in the endpoint's pools.
	for _, c := range g.cats(from) {
		g.pools[c] = append(g.pools[c], int32(from))
	}
	for _, c := range g.cats(to) {
		g.pools[c] = append(g.pools[c], int32(to))
	}
}

func (g *generator) finishStats() {
	idx := make([]int, len(g.degree))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return g.degree[idx[a]] > g.degree[idx[b]] })
	for _, i := range idx[:min(20, len(idx))] {
		g.stats.Top = append(g.stats.Top, Degree{g.p.ID(i), int(g.degree[i])})
	}
	g.stats.MaxDegree = int(g.degree[idx[0]])
	g.stats.MedianDegree = int(g.degree[idx[len(idx)/2]])
}
