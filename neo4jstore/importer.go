package neo4jstore

import (
	"context"
	"fmt"
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

// importCheckCypher finds which referenced ids exist and with which type, so a dangling id or
// a type clash fails the import before anything is written.
const importCheckCypher = `
UNWIND $ids AS id
OPTIONAL MATCH (n:Node {id: id})
RETURN id, n.type AS type`

// importNodesCypher is completed with the labels of one node type (from the allow-list).
const importNodesCypher = `
UNWIND $rows AS row
MERGE (n:Node {id: row.id})
ON CREATE SET n.createdAt = datetime()
SET n%s, n += row.props, n.updatedAt = datetime()`

// importRelsCypher is completed with one relationship type (from the allow-list).
const importRelsCypher = `
UNWIND $rows AS row
MATCH (a:Node {id: row.from})
MATCH (b:Node {id: row.to})
MERGE (a)-[r:%s {id: row.id}]->(b)
ON CREATE SET r.createdAt = datetime()
SET r += row.props, r.updatedAt = datetime()`

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

// Import writes a validated dataset in one managed write transaction: all of it or nothing.
// Nodes and relationships are MERGEd on their ids (under uniqueness constraints), so importing
// the same file twice leaves the same counts. Returns *kg.InvalidError when the file refers to
// ids that are not in the graph, or redefines a node with another type.
func (s *Store) Import(ctx context.Context, v *kg.Validated) (ImportStats, error) {
	defined := map[string]string{}
	for _, n := range v.Nodes {
		defined[n.ID] = n.Type
	}
	var ids []string
	for id := range v.External {
		ids = append(ids, id)
	}
	for id := range defined {
		ids = append(ids, id)
	}
	sort.Strings(ids)

	nodeRows := map[string][]map[string]any{}
	for _, n := range v.Nodes {
		nodeRows[n.Type] = append(nodeRows[n.Type], map[string]any{"id": n.ID, "props": nodeProps(n)})
	}
	relRows := map[string][]map[string]any{}
	for _, r := range v.Relationships {
		relRows[r.Type] = append(relRows[r.Type], map[string]any{"id": r.ID, "from": r.From, "to": r.To, "props": relProps(r)})
	}

	_, err := s.write(ctx, 5*time.Minute, func(tx neo4j.ManagedTransaction) (any, error) {
		res, err := tx.Run(ctx, importCheckCypher, map[string]any{"ids": ids})
		if err != nil {
			return nil, err
		}
		recs, err := res.Collect(ctx)
		if err != nil {
			return nil, err
		}
		for _, rec := range recs {
			id, _ := rec.Values[0].(string)
			existing, _ := rec.Values[1].(string)
			if want, ok := defined[id]; ok {
				if existing != "" && existing != want {
					return nil, &kg.InvalidError{Record: fmt.Sprintf("node %q", id), Field: "type",
						Reason: fmt.Sprintf("is %s but the graph already holds it as a %s", want, existing)}
				}
				continue
			}
			want := v.External[id]
			switch {
			case existing == "":
				return nil, &kg.InvalidError{Record: "reference " + fmt.Sprintf("%q", id), Field: referrer(v, id),
					Reason: "refers to a node that is neither in the file nor in the graph"}
			case want != "" && existing != want:
				return nil, &kg.InvalidError{Record: "reference " + fmt.Sprintf("%q", id), Field: referrer(v, id),
					Reason: fmt.Sprintf("must be a %s, but the graph holds a %s", want, existing)}
			}
		}
		for _, t := range kg.NodeTypes {
			if err := runBatches(ctx, tx, fmt.Sprintf(importNodesCypher, labelsFor(t)), nodeRows[t]); err != nil {
				return nil, err
			}
		}
		for _, t := range kg.RelTypes {
			if err := runBatches(ctx, tx, fmt.Sprintf(importRelsCypher, t), relRows[t]); err != nil {
				return nil, err
			}
		}
		return nil, storeDegrees(ctx, tx, touchedIDs(v.Nodes, v.Relationships))
	})
	if err != nil {
		return ImportStats{}, err
	}
	return ImportStats{Nodes: len(v.Nodes), Relationships: len(v.Relationships)}, nil
}

// referrer names the first record that refers to id, for the error message.
func referrer(v *kg.Validated, id string) string {
	for i, r := range v.Relationships {
		switch id {
		case r.From:
			return fmt.Sprintf("relationships[%d].from", i)
		case r.To:
			return fmt.Sprintf("relationships[%d].to", i)
		}
		for j, c := range r.Citations {
			if c.SourceID == id {
				return fmt.Sprintf("relationships[%d].citations[%d].source", i, j)
			}
		}
	}
	for i, n := range v.Nodes {
		for j, c := range n.Citations {
			if c.SourceID == id {
				return fmt.Sprintf("nodes[%d].citations[%d].source", i, j)
			}
		}
	}
	return "id"
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
	for i, counts := range []map[string]int64{nodes, rels} {
		for _, p := range res.Records[0].Values[i].([]any) {
			pair := p.([]any)
			counts[pair[0].(string)]++
			citations += pair[1].(int64)
		}
	}
	return nodes, rels, citations, nil
}
