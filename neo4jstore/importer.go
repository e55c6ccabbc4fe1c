package neo4jstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/policygraph/policygraph/kg"
)

// ImportStats counts what one import wrote.
type ImportStats struct {
	Nodes         int
	Relationships int
	Revision      string // the revision recorded ("" when the import changed nothing)
}

// labelsFor gives the label set of a node type, from the allow-list only.
func labelsFor(nodeType string) string {
	switch nodeType {
	case kg.TypePerson, kg.TypeOrganization:
		return ":Node:Actor:" + nodeType
	default:
		return ":Node:" + nodeType
	}
}

// importCheckCypher finds which referenced ids exist, with which type (and, for a Source,
// its stored text), so a dangling id, a type clash, a forbidden endpoint or a quote that is
// not in its source fails the import before anything is written.
const importCheckCypher = `
UNWIND $ids AS id
OPTIONAL MATCH (n:Node {id: id})
RETURN id, n.type AS type, CASE WHEN n:Source AND id IN $external THEN n.text END AS text`

// importNodesCypher is completed with the labels of one node type (from the allow-list).
const importNodesCypher = `
UNWIND $rows AS row
MERGE (n:Node {id: row.id})
ON CREATE SET n.createdAt = datetime()
SET n%s, n += row.props, n.updatedAt = datetime(), n.version = coalesce(row.version, n.version, 1)`

// importRelsCypher is completed with one relationship type (from the allow-list).
const importRelsCypher = `
UNWIND $rows AS row
MATCH (a:Node {id: row.from})
MATCH (b:Node {id: row.to})
MERGE (a)-[r:%s {id: row.id}]->(b)
ON CREATE SET r.createdAt = datetime()
SET r += row.props, r.updatedAt = datetime(), r.version = coalesce(row.version, r.version, 1)`

const importBatch = 500

// degreeCypher stores each touched node's degree. Lists ordered by DEGREE and rank read the
// stored value from a range index; every write that adds or removes relationships runs this for
// their endpoints in the same transaction. Creating a relationship locks both endpoints, so a
// concurrent writer recounts after this one commits and the stored value stays exact.
const degreeCypher = `
UNWIND $rows AS row
MATCH (n:Node {id: row.id})
SET n.degree = COUNT { (n)--() }`

// touchedIDs are the nodes whose degree a write of these nodes and relationships may change.
func touchedIDs(nodes []kg.Node, rels []kg.Relationship) []string {
	seen := map[string]bool{}
	var ids []string
	add := func(id string) {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, n := range nodes {
		add(n.ID)
	}
	for _, r := range rels {
		add(r.From)
		add(r.To)
	}
	return ids
}

func storeDegrees(ctx context.Context, tx neo4j.ManagedTransaction, ids []string) error {
	rows := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		rows = append(rows, map[string]any{"id": id})
	}
	return runBatches(ctx, tx, degreeCypher, rows)
}

// Import writes validated datasets (the files of one import, in order) in one managed write
// transaction: all of them or nothing. Nodes and relationships are MERGEd on their ids (under
// uniqueness constraints), so importing the same files twice leaves the same counts; when two
// files define the same id, the later one's values are stored. Every node of every file is
// written before any relationship, so a file may refer to nodes another file defines.
//
// Returns *kg.InvalidError (naming file, record and field) when a file refers to an id that
// is neither in the files nor in the graph, redefines a node with another type, joins node
// types its relationship type does not allow, or cites a quote that is not in the stored text
// of its Source.
func (s *Store) Import(ctx context.Context, files ...*kg.Validated) (ImportStats, error) {
	defined := map[string]string{}
	for _, v := range files {
		for i, n := range v.Nodes {
			if prev, ok := defined[n.ID]; ok && prev != n.Type {
				return ImportStats{}, &kg.InvalidError{Record: inFile(v, fmt.Sprintf("nodes[%d] %q", i, n.ID)), Field: "type",
					Reason: fmt.Sprintf("is %s but an earlier file of this import defines it as a %s", n.Type, prev)}
			}
			defined[n.ID] = n.Type
		}
	}
	external := map[string]bool{}
	for _, v := range files {
		for id := range v.External {
			if _, ok := defined[id]; !ok {
				external[id] = true
			}
		}
	}
	ids := make([]string, 0, len(defined)+len(external))
	externalIDs := make([]string, 0, len(external))
	for id := range external {
		ids = append(ids, id)
		externalIDs = append(externalIDs, id)
	}
	for id := range defined {
		ids = append(ids, id)
	}
	sort.Strings(ids)

	// Texts of the Sources this import defines with one (the last definition wins, as stored).
	ownTexts := map[string]string{}
	for _, v := range files {
		for _, n := range v.Nodes {
			if n.Type == kg.TypeSource {
				delete(ownTexts, n.ID)
				if n.Text != "" {
					ownTexts[n.ID] = kg.NormalizeSpace(n.Text)
				}
			}
		}
	}

	nodeRows := map[string][]map[string]any{}
	relRows := map[string][]map[string]any{}
	var stats ImportStats
	var allNodes []kg.Node
	var allRels []kg.Relationship
	for _, v := range files {
		for _, n := range v.Nodes {
			nodeRows[n.Type] = append(nodeRows[n.Type], map[string]any{"id": n.ID, "props": nodeProps(n)})
		}
		for _, r := range v.Relationships {
			relRows[r.Type] = append(relRows[r.Type], map[string]any{"id": r.ID, "from": r.From, "to": r.To, "props": relProps(r)})
		}
		stats.Nodes += len(v.Nodes)
		stats.Relationships += len(v.Relationships)
		allNodes = append(allNodes, v.Nodes...)
		allRels = append(allRels, v.Relationships...)
	}

	out, err := s.write(ctx, 5*time.Minute, func(tx neo4j.ManagedTransaction) (any, error) {
		t := &txn{ctx: ctx, tx: tx, degrees: map[string]bool{}}
		if err := t.begin(); err != nil { // first: serialises writers (history.go)
			return nil, err
		}
		res, err := tx.Run(ctx, importCheckCypher, map[string]any{"ids": ids, "external": externalIDs})
		if err != nil {
			return nil, err
		}
		recs, err := res.Collect(ctx)
		if err != nil {
			return nil, err
		}
		graph := map[string]string{}  // type of each referenced id the graph holds
		texts := maps.Clone(ownTexts) // source id -> text quotes must be in (space-normalised)
		for _, rec := range recs {
			id, _ := rec.Values[0].(string)
			existing, _ := rec.Values[1].(string)
			if existing != "" {
				graph[id] = existing
			}
			if text, _ := rec.Values[2].(string); text != "" && external[id] {
				texts[id] = kg.NormalizeSpace(text)
			}
			if want, ok := defined[id]; ok {
				if existing != "" && existing != want {
					return nil, &kg.InvalidError{Record: fmt.Sprintf("node %q", id), Field: "type",
						Reason: fmt.Sprintf("is %s but the graph already holds it as a %s", want, existing)}
				}
				continue
			}
			v, field := referrer(files, id)
			want := v.External[id]
			switch {
			case existing == "":
				return nil, &kg.InvalidError{Record: inFile(v, fmt.Sprintf("reference %q", id)), Field: field,
					Reason: "refers to a node that is neither in the file nor in the graph"}
			case want != "" && existing != want:
				return nil, &kg.InvalidError{Record: inFile(v, fmt.Sprintf("reference %q", id)), Field: field,
					Reason: fmt.Sprintf("must be a %s, but the graph holds a %s", want, existing)}
			}
		}
		if err := checkAgainstGraph(files, defined, graph, texts); err != nil {
			return nil, err
		}
		if err := t.importVersions(allNodes, allRels, nodeRows, relRows); err != nil {
			return nil, err
		}
		for _, nt := range kg.NodeTypes {
			if err := runBatches(ctx, tx, fmt.Sprintf(importNodesCypher, labelsFor(nt)), nodeRows[nt]); err != nil {
				return nil, err
			}
		}
		for _, rt := range kg.RelTypes {
			if err := runBatches(ctx, tx, fmt.Sprintf(importRelsCypher, rt), relRows[rt]); err != nil {
				return nil, err
			}
		}
		if err := storeDegrees(ctx, tx, touchedIDs(allNodes, allRels)); err != nil {
			return nil, err
		}
		if len(t.changes) == 0 {
			return nil, errNothingChanged // the same files again: no revision (and nothing else) to keep
		}
		var names []string
		for _, v := range files {
			if v.Name != "" {
				names = append(names, v.Name)
			}
		}
		reason := "import"
		if len(names) > 0 {
			reason = "import of " + strings.Join(names, ", ")
		}
		return t.commit(ImportAuthor, "import", reason, "", "", requestHash("import", names))
	})
	if errors.Is(err, errNothingChanged) {
		return stats, nil
	}
	if err != nil {
		return ImportStats{}, err
	}
	stats.Revision = out.(*kg.Revision).ID
	return stats, nil
}

// ImportAuthor is the author of the revisions Import records.
const ImportAuthor = "import"

const (
	importNodeStatesCypher = `
UNWIND $ids AS id
MATCH (n:Node {id: id})
RETURN id, properties(n) AS p`

	// importRelStatesCypher is completed with one relationship type (from the allow-list).
	importRelStatesCypher = `
UNWIND $ids AS id
MATCH (a)-[r:%s {id: id}]->(b)
RETURN id, a.id AS from, b.id AS to, properties(r) AS p`
)

// importVersions reads the state of every record the import writes, sets each row's version
// (unchanged records keep theirs; changed ones get +1; new ones 1) and records the changes.
// When two files define the same record, the last definition is what is stored.
func (t *txn) importVersions(nodes []kg.Node, rels []kg.Relationship, nodeRows, relRows map[string][]map[string]any) error {
	lastNode := map[string]kg.Node{}
	var nodeIDs []string
	for _, n := range nodes {
		if _, ok := lastNode[n.ID]; !ok {
			nodeIDs = append(nodeIDs, n.ID)
		}
		lastNode[n.ID] = n
	}
	before := map[string]*nodeState{}
	for start := 0; start < len(nodeIDs); start += importBatch {
		recs, err := t.run(importNodeStatesCypher, map[string]any{"ids": nodeIDs[start:min(start+importBatch, len(nodeIDs))]})
		if err != nil {
			return err
		}
		for _, rec := range recs {
			id, _ := rec.Values[0].(string)
			p, _ := rec.Values[1].(map[string]any)
			before[id] = &nodeState{rec: nodeRecordOf(id, p), version: asInt(p["version"]), mergedIDs: anyStrings(p["mergedIds"])}
		}
	}
	versions := map[string]int{}
	for _, id := range nodeIDs {
		n, b := lastNode[id], before[id]
		after := &nodeState{rec: nodeRecordOf(id, nodeProps(n)), version: 1}
		if b != nil {
			after.mergedIDs, after.version = b.mergedIDs, max(b.version, 1)
			if sameState(b.state(), after.state()) {
				versions[id] = after.version
				continue
			}
			after.version = b.version + 1
		}
		versions[id] = after.version
		t.change(kindNode, id, b.state(), after.state())
	}
	for _, rows := range nodeRows {
		for _, row := range rows {
			row["version"] = versions[row["id"].(string)]
		}
	}

	type relKey struct{ typ, id string }
	lastRel := map[relKey]kg.Relationship{}
	var relKeys []relKey
	byType := map[string][]string{}
	for _, r := range rels {
		k := relKey{r.Type, r.ID}
		if _, ok := lastRel[k]; !ok {
			relKeys = append(relKeys, k)
			byType[r.Type] = append(byType[r.Type], r.ID)
		}
		lastRel[k] = r
	}
	relBefore := map[relKey]*relState{}
	for _, typ := range kg.RelTypes {
		ids := byType[typ]
		for start := 0; start < len(ids); start += importBatch {
			recs, err := t.run(fmt.Sprintf(importRelStatesCypher, typ), map[string]any{"ids": ids[start:min(start+importBatch, len(ids))]})
			if err != nil {
				return err
			}
			for _, rec := range recs {
				id, _ := rec.Values[0].(string)
				from, _ := rec.Values[1].(string)
				to, _ := rec.Values[2].(string)
				p, _ := rec.Values[3].(map[string]any)
				relBefore[relKey{typ, id}] = &relState{rec: relRecordOf(id, typ, from, to, p), version: asInt(p["version"])}
			}
		}
	}
	relVersions := map[relKey]int{}
	for _, k := range relKeys {
		r, b := lastRel[k], relBefore[k]
		after := &relState{rec: relRecordOf(r.ID, r.Type, r.From, r.To, relProps(r)), version: 1}
		if b != nil {
			after.version = max(b.version, 1)
			if sameState(b.state(), after.state()) {
				relVersions[k] = after.version
				continue
			}
			after.version = b.version + 1
		}
		relVersions[k] = after.version
		t.change(kindRel, r.ID, b.state(), after.state())
	}
	for typ, rows := range relRows {
		for _, row := range rows {
			row["version"] = relVersions[relKey{typ, row["id"].(string)}]
		}
	}
	return nil
}

// checkAgainstGraph applies the rules kg.Validate could not apply alone, now that the types
// of ids outside a file (in another file of the import, or in the graph) and the stored texts
// of Sources are known: allowed endpoint types and quotes in their source's text.
func checkAgainstGraph(files []*kg.Validated, defined, graph, texts map[string]string) error {
	typeOf := func(id string) string {
		if t, ok := defined[id]; ok {
			return t
		}
		return graph[id]
	}
	for _, v := range files {
		for i, r := range v.Relationships {
			record := inFile(v, fmt.Sprintf("relationships[%d] (%s %s %s)", i, r.From, r.Type, r.To))
			if err := kg.CheckEnds(r.Type, r.From, typeOf(r.From), r.To, typeOf(r.To)); err != nil {
				ie := err.(*kg.InvalidError)
				return &kg.InvalidError{Record: record, Field: ie.Field, Reason: ie.Reason}
			}
			if err := checkQuotes(record, r.Citations, texts); err != nil {
				return err
			}
		}
		for i, n := range v.Nodes {
			if err := checkQuotes(inFile(v, fmt.Sprintf("nodes[%d] %q", i, n.ID)), n.Citations, texts); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkQuotes checks the citations of one record whose Source is in the graph with a text.
func checkQuotes(record string, cs []kg.Citation, texts map[string]string) error {
	for j, c := range cs {
		if text, ok := texts[c.SourceID]; ok && !strings.Contains(text, kg.NormalizeSpace(c.Quote)) {
			return kg.QuoteError(record, fmt.Sprintf("citations[%d].quote", j), c.SourceID)
		}
	}
	return nil
}

// inFile prefixes a record with its file's name, when the import names files.
func inFile(v *kg.Validated, record string) string {
	if v.Name == "" {
		return record
	}
	return v.Name + ": " + record
}

// referrer names the first file and record that refer to id, for the error message.
func referrer(files []*kg.Validated, id string) (*kg.Validated, string) {
	for _, v := range files {
		if _, ok := v.External[id]; !ok {
			continue
		}
		for i, r := range v.Relationships {
			switch id {
			case r.From:
				return v, fmt.Sprintf("relationships[%d].from", i)
			case r.To:
				return v, fmt.Sprintf("relationships[%d].to", i)
			}
			for j, c := range r.Citations {
				if c.SourceID == id {
					return v, fmt.Sprintf("relationships[%d].citations[%d].source", i, j)
				}
			}
		}
		for i, n := range v.Nodes {
			for j, c := range n.Citations {
				if c.SourceID == id {
					return v, fmt.Sprintf("nodes[%d].citations[%d].source", i, j)
				}
			}
		}
		return v, "id"
	}
	return &kg.Validated{}, "id"
}

// nodeProps is the property map a node is stored with. Absent optional values are stored as
// null (which removes a property a previous import had set), so re-import converges.
func nodeProps(n kg.Node) map[string]any {
	span, _ := kg.SpanOf(n.StartDate, n.EndDate) // validated already
	p := map[string]any{
		"type": n.Type, "name": n.Name, "aliases": nonNil(n.Aliases), "aliasText": strings.Join(n.Aliases, " | "),
		"description": n.Description, "kind": opt(n.Kind), "country": opt(n.Country), "status": opt(n.Status),
		"startDate": opt(n.StartDate), "endDate": opt(n.EndDate), "rangeFrom": opt(span.From), "rangeTo": opt(rangeEnd(n.StartDate, n.EndDate, span, n.Type)),
		"docket": opt(n.Docket), "unit": opt(n.Unit), "measure": opt(n.Measure), "qualifier": opt(n.Qualifier),
		"publisher": opt(n.Publisher), "url": opt(n.URL), "value": nil,
		"nameKey": NameKey(n.Name), "inferred": n.Inferred, "inferredReason": opt(n.InferredReason),
		"text": opt(n.Text), "textSha256": opt(n.TextSHA256),
	}
	if n.Value != nil {
		p["value"] = *n.Value
	}
	addNames(p, n.Names)
	addCitations(p, n.Citations)
	addSearchText(p, n) // search.go: folded names, description and quotes for the search indexes
	return p
}

// NameKey is the stored, indexed sort key of a node's name: lists ordered by NAME read it
// from a range index instead of sorting every node.
func NameKey(name string) string { return strings.ToLower(name) }

// Names are stored like citations, as parallel lists (values, langs, kinds, inference
// reasons; "" where absent), plus nameText for the full-text index.
func addNames(p map[string]any, ns []kg.Name) {
	vals, langs, kinds, reasons := []string{}, []string{}, []string{}, []string{}
	for _, n := range ns {
		vals = append(vals, n.Value)
		langs = append(langs, n.Lang)
		kinds = append(kinds, n.Kind)
		reasons = append(reasons, n.InferredReason) // inferred exactly when a reason is given
	}
	p["nameValues"], p["nameLangs"], p["nameKinds"], p["nameReasons"] = vals, langs, kinds, reasons
	p["nameText"] = strings.Join(vals, " | ")
}

// rangeEnd is the last day a node is dated to. An Event or Statistic with only a start is a
// point (or a period) that ends when its start does; a Policy without an end is still open.
func rangeEnd(start, end string, span kg.Span, nodeType string) string {
	if end == "" && start != "" && (nodeType == kg.TypeEvent || nodeType == kg.TypeStatistic || nodeType == kg.TypeSource) {
		_, last, _ := kg.DateRange(start)
		return last
	}
	return span.To
}

func relProps(r kg.Relationship) map[string]any {
	span, _ := kg.SpanOf(r.StartDate, r.EndDate)
	p := map[string]any{
		"role": opt(r.Role), "outcome": opt(r.Outcome), "description": opt(r.Description),
		"startDate": opt(r.StartDate), "endDate": opt(r.EndDate), "rangeFrom": opt(span.From), "rangeTo": opt(span.To),
		"inferred": r.Inferred, "inferredReason": opt(r.InferredReason),
	}
	addCitations(p, r.Citations)
	addQuoteText(p, r.Citations) // search.go: folded quotes for searchCitations
	return p
}

// Citations are stored on the node or edge as three parallel lists: Neo4j properties cannot
// hold maps, and reifying each edge as a node would make path queries slower and longer.
func addCitations(p map[string]any, cs []kg.Citation) {
	src, quotes, locs := []string{}, []string{}, []string{}
	for _, c := range cs {
		src = append(src, c.SourceID)
		quotes = append(quotes, c.Quote)
		locs = append(locs, c.Locator)
	}
	p["citationSources"], p["citationQuotes"], p["citationLocators"] = src, quotes, locs
}

func opt(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Counts returns the number of nodes per type, of relationships per type, and of citations
// (on nodes and relationships).
func (s *Store) Counts(ctx context.Context) (nodes, rels map[string]int64, citations int64, err error) {
	res, err := s.read(ctx, `
CALL () { MATCH (n:Node) RETURN collect([n.type, size(coalesce(n.citationSources, []))]) AS ns }
CALL () { MATCH ()-[r]->() RETURN collect([type(r), size(coalesce(r.citationSources, []))]) AS rs }
RETURN ns, rs`, nil)
	if err != nil {
		return nil, nil, 0, err
	}
	nodes, rels = map[string]int64{}, map[string]int64{}
	for col, counts := range map[string]map[string]int64{"ns": nodes, "rs": rels} {
		pairs, err := column[[]any](res.Records[0], col)
		if err != nil {
			return nil, nil, 0, err
		}
		for _, p := range pairs {
			pair, _ := p.([]any)
			if len(pair) != 2 {
				return nil, nil, 0, fmt.Errorf("neo4jstore: a count is %v, want [type, citations]", p)
			}
			typ, ok := pair[0].(string)
			n, ok2 := pair[1].(int64)
			if !ok || !ok2 {
				return nil, nil, 0, fmt.Errorf("neo4jstore: a count is %v, want [type, citations]", p)
			}
			counts[typ]++
			citations += n
		}
	}
	return nodes, rels, citations, nil
}
