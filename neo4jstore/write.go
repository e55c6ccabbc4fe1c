package neo4jstore

import (
	"fmt"
	"slices"
	"strings"

	"context"

	"github.com/policygraph/policygraph/kg"
)

// Mutations (docs/curation.md). Each runs in one write transaction (mutate, history.go) that
// reads the records it changes, checks the expected version, runs the import format's own
// validation on the new record (kg.ValidateNode, kg.ValidateRelationship, kg.CheckEnds, the
// quote check of importer.go), writes it with the properties Import writes (nodeProps,
// relProps), and records every change in the revision. Any error rolls everything back.

// ---- reading records inside a write ----

const nodeStateCypher = `
MATCH (n:Node {id: $id})
RETURN properties(n) AS p`

func (t *txn) readNode(id string) (*nodeState, error) {
	recs, err := t.run(nodeStateCypher, map[string]any{"id": id})
	if err != nil || len(recs) == 0 {
		return nil, err
	}
	p, err := column[map[string]any](recs[0], "p")
	if err != nil {
		return nil, err
	}
	return &nodeState{rec: nodeRecordOf(id, p), version: asInt(p["version"]), mergedIDs: anyStrings(p["mergedIds"])}, nil
}

// relByID is a relationship lookup by id alone: one index seek per relationship type (ids are
// unique per type, under the constraints migrate.go derives), as a union. body is what each
// branch returns after MATCH (a)-[r:TYPE {id: $id}]->(b).
func relByID(ret string) string {
	parts := make([]string, 0, len(kg.RelTypes))
	for _, t := range kg.RelTypes {
		parts = append(parts, fmt.Sprintf("  MATCH (a)-[r:%s {id: $id}]->(b) RETURN r, a, b", t))
	}
	return "CALL () {\n" + strings.Join(parts, "\n  UNION ALL\n") + "\n}\nRETURN " + ret
}

var relStateCypher = relByID(`type(r) AS type, a.id AS from, b.id AS to, properties(r) AS p`)

func (t *txn) readRel(id string) (*relState, error) {
	recs, err := t.run(relStateCypher, map[string]any{"id": id})
	if err != nil || len(recs) == 0 {
		return nil, err
	}
	if len(recs) > 1 {
		return nil, &kg.InvalidError{Record: fmt.Sprintf("relationship %q", id), Field: "id",
			Reason: "names relationships of several types (an import gave them the same explicit id): change them through an import file"}
	}
	rec := recs[0]
	typ, _ := column[string](rec, "type")
	from, _ := column[string](rec, "from")
	to, _ := column[string](rec, "to")
	p, err := column[map[string]any](rec, "p")
	if err != nil {
		return nil, err
	}
	return &relState{rec: relRecordOf(id, typ, from, to, p), version: asInt(p["version"])}, nil
}

// relFullCypher reads one relationship of a known type as reads return it, with both ends.
var relFullCypher = memo[string]{build: func(relType string) string {
	return fmt.Sprintf(`
MATCH (a)-[r:%s {id: $id}]->(b)
RETURN `, relType) + relMap("r") + ` AS rel, ` + nodeMap("a") + ` AS from, ` + nodeMap("b") + ` AS to`
}}

// readRelFull reads a relationship as reads return it, with both ends.
func (t *txn) readRelFull(id string) (*kg.Relationship, error) {
	st, err := t.readRel(id)
	if err != nil || st == nil || !kg.IsRelType(st.rec.Type) {
		return nil, err
	}
	recs, err := t.run(relFullCypher.get(st.rec.Type), map[string]any{"id": id})
	if err != nil || len(recs) == 0 {
		return nil, err
	}
	r := toRel(recs[0].Values[0])
	r.FromNode, r.ToNode = toNode(recs[0].Values[1]), toNode(recs[0].Values[2])
	return r, nil
}

const relsOfNodeCypher = `
MATCH (n:Node {id: $id})-[r]-()
RETURN DISTINCT r.id AS id ORDER BY id`

// relsOf reads every relationship touching a node.
func (t *txn) relsOf(id string) ([]*relState, error) {
	recs, err := t.run(relsOfNodeCypher, map[string]any{"id": id})
	if err != nil {
		return nil, err
	}
	var out []*relState
	for _, rec := range recs {
		rid, err := column[string](rec, "id")
		if err != nil {
			return nil, err
		}
		st, err := t.readRel(rid)
		if err != nil {
			return nil, err
		}
		if st != nil {
			out = append(out, st)
		}
	}
	return out, nil
}

const mergedIntoCypher = `
MATCH (m:MergedId {id: $id})
RETURN m.into AS into`

// mergedInto names the node an id was merged into ("" when it was not).
func (t *txn) mergedInto(id string) (string, error) {
	recs, err := t.run(mergedIntoCypher, map[string]any{"id": id})
	if err != nil || len(recs) == 0 {
		return "", err
	}
	into, _ := recs[0].Values[0].(string)
	return into, nil
}

// ---- writing records inside a write ----

const (
	// createNodeCypher is completed with the labels of the node's type (from the allow-list).
	createNodeCypher = `
CREATE (n%s {id: $id})
SET n += $props, n.version = $version, n.mergedIds = $mergedIds, n.createdAt = datetime(), n.updatedAt = datetime()`

	updateNodeCypher = `
MATCH (n:Node {id: $id})
SET n += $props, n.version = $version, n.mergedIds = $mergedIds, n.updatedAt = datetime()`

	// syncMergedCypher keeps one (:MergedId {id, into}) per id merged into a node, so reading a
	// merged id finds the node it lives on (read.go, nodeCypher) from a unique index.
	syncMergedCypher = `
MATCH (n:Node {id: $id})
CALL (n) {
  MATCH (m:MergedId {into: n.id}) WHERE NOT m.id IN coalesce(n.mergedIds, [])
  DELETE m
}
WITH n
UNWIND coalesce(n.mergedIds, []) AS x
MERGE (m:MergedId {id: x})
SET m.into = n.id`

	deleteNodeCypher = `
MATCH (n:Node {id: $id})
DETACH DELETE n
WITH count(*) AS deleted
MATCH (m:MergedId {into: $id})
DELETE m`

	// createRelCypher and the two below are completed with the relationship type (allow-list).
	createRelCypher = `
MATCH (a:Node {id: $from})
MATCH (b:Node {id: $to})
CREATE (a)-[r:%s {id: $id}]->(b)
SET r += $props, r.version = $version, r.createdAt = datetime(), r.updatedAt = datetime()
RETURN count(r) AS created`

	updateRelCypher = `
MATCH ()-[r:%s {id: $id}]->()
SET r += $props, r.version = $version, r.updatedAt = datetime()`

	deleteRelCypher = `
MATCH ()-[r:%s {id: $id}]->()
DELETE r`
)

func nilIfEmpty(ids []string) any {
	if len(ids) == 0 {
		return nil
	}
	return ids
}

// putNode stores a validated node as version, creating it when before is nil, and records the
// change. A write that changes nothing is not made.
func (t *txn) putNode(before *nodeState, n kg.Node, mergedIDs []string, version int) error {
	if !kg.IsNodeType(n.Type) {
		return kg.Invalid("type", "%q is not a node type", n.Type)
	}
	props := nodeProps(n)
	after := &nodeState{rec: nodeRecordOf(n.ID, props), version: version, mergedIDs: mergedIDs}
	if before != nil && sameState(before.state(), after.state()) {
		return nil
	}
	params := map[string]any{"id": n.ID, "props": props, "version": version, "mergedIds": nilIfEmpty(mergedIDs)}
	cypher := updateNodeCypher
	if before == nil {
		cypher = fmt.Sprintf(createNodeCypher, labelsFor(n.Type))
		t.degrees[n.ID] = true
	}
	if _, err := t.run(cypher, params); err != nil {
		return err
	}
	if _, err := t.run(syncMergedCypher, map[string]any{"id": n.ID}); err != nil {
		return err
	}
	t.change(kindNode, n.ID, before.state(), after.state())
	return nil
}

// dropNode deletes a node whose relationships are already gone (and recorded).
func (t *txn) dropNode(before *nodeState) error {
	if _, err := t.run(deleteNodeCypher, map[string]any{"id": before.rec.ID}); err != nil {
		return err
	}
	delete(t.degrees, before.rec.ID)
	t.change(kindNode, before.rec.ID, before.state(), nil)
	return nil
}

// putRel stores a validated relationship as version, creating it when before is nil (or when
// its ends or type differ from before's: a relationship cannot move, so it is deleted and made
// again with the same id), and records the change.
func (t *txn) putRel(before *relState, r kg.Relationship, version int) error {
	if !kg.IsRelType(r.Type) {
		return kg.Invalid("type", "%q is not a relationship type", r.Type)
	}
	props := relProps(r)
	after := &relState{rec: relRecordOf(r.ID, r.Type, r.From, r.To, props), version: version}
	if before != nil && sameState(before.state(), after.state()) {
		return nil
	}
	create := before == nil
	if before != nil && (before.rec.Type != r.Type || before.rec.From != r.From || before.rec.To != r.To) {
		if _, err := t.run(fmt.Sprintf(deleteRelCypher, before.rec.Type), map[string]any{"id": r.ID}); err != nil {
			return err
		}
		t.degrees[before.rec.From], t.degrees[before.rec.To] = true, true
		create = true
	}
	params := map[string]any{"id": r.ID, "from": r.From, "to": r.To, "props": props, "version": version}
	if create {
		recs, err := t.run(fmt.Sprintf(createRelCypher, r.Type), params)
		if err != nil {
			return err
		}
		if n, _ := recs[0].Values[0].(int64); n != 1 {
			return &kg.InvalidError{Record: fmt.Sprintf("relationship %q", r.ID), Field: "from", Reason: "an end of the relationship does not exist"}
		}
		t.degrees[r.From], t.degrees[r.To] = true, true
	} else if _, err := t.run(fmt.Sprintf(updateRelCypher, r.Type), params); err != nil {
		return err
	}
	t.change(kindRel, r.ID, before.state(), after.state())
	return nil
}

// dropRel deletes a relationship and records it.
func (t *txn) dropRel(before *relState) error {
	if _, err := t.run(fmt.Sprintf(deleteRelCypher, before.rec.Type), map[string]any{"id": before.rec.ID}); err != nil {
		return err
	}
	t.degrees[before.rec.From], t.degrees[before.rec.To] = true, true
	t.change(kindRel, before.rec.ID, before.state(), nil)
	return nil
}

// ---- the rules a record must keep against the graph ----

const citedCypher = `
UNWIND $ids AS id
OPTIONAL MATCH (n:Node {id: id})
RETURN id, n.type AS type, n.text AS text`

// checkCitations checks citations[from:] of a record: each cites an existing Source, and its
// quote is in the Source's text when the Source carries one (the importer's check).
func (t *txn) checkCitations(record string, cs []kg.Citation, from int) error {
	var ids []string
	for _, c := range cs[min(from, len(cs)):] {
		if !slices.Contains(ids, c.SourceID) {
			ids = append(ids, c.SourceID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	recs, err := t.run(citedCypher, map[string]any{"ids": ids})
	if err != nil {
		return err
	}
	types, texts := map[string]string{}, map[string]string{}
	for _, rec := range recs {
		id, _ := rec.Values[0].(string)
		types[id], _ = rec.Values[1].(string)
		if text, _ := rec.Values[2].(string); text != "" {
			texts[id] = kg.NormalizeSpace(text)
		}
	}
	for j := from; j < len(cs); j++ {
		field := fmt.Sprintf("citations[%d].source", j)
		switch typ := types[cs[j].SourceID]; typ {
		case kg.TypeSource:
		case "":
			return &kg.InvalidError{Record: record, Field: field, Reason: fmt.Sprintf("%q is not in the graph: create the Source first (createSource)", cs[j].SourceID)}
		default:
			return &kg.InvalidError{Record: record, Field: field, Reason: fmt.Sprintf("%q is a %s, not a Source", cs[j].SourceID, typ)}
		}
	}
	return checkQuotes(record, cs[min(from, len(cs)):], texts)
}

const endsCypher = `
UNWIND [$from, $to] AS id
OPTIONAL MATCH (n:Node {id: id})
RETURN id, n.type AS type`

// checkEnds checks that both ends exist and that the type may join them (kg.CheckEnds).
func (t *txn) checkEnds(record string, r kg.Relationship) error {
	recs, err := t.run(endsCypher, map[string]any{"from": r.From, "to": r.To})
	if err != nil {
		return err
	}
	types := map[string]string{}
	for _, rec := range recs {
		id, _ := rec.Values[0].(string)
		types[id], _ = rec.Values[1].(string)
	}
	for _, end := range [][2]string{{"from", r.From}, {"to", r.To}} {
		if types[end[1]] == "" {
			return &kg.InvalidError{Record: record, Field: end[0], Reason: fmt.Sprintf("%q is not a node in the graph", end[1])}
		}
	}
	if err := kg.CheckEnds(r.Type, r.From, types[r.From], r.To, types[r.To]); err != nil {
		ie := err.(*kg.InvalidError)
		return &kg.InvalidError{Record: record, Field: ie.Field, Reason: ie.Reason}
	}
	return nil
}

// checkVersion is the optimistic concurrency check.
func checkVersion(record string, expected, current int) error {
	if expected != current {
		return &kg.ConflictError{Record: record, ExpectedVersion: expected, CurrentVersion: current}
	}
	return nil
}

func notFound(kind, id string) error { return fmt.Errorf("%s %q: %w", kind, id, kg.ErrNotFound) }

// isRelID tells relationship ids (rel:...) from node ids.
func isRelID(id string) bool { return strings.HasPrefix(id, "rel:") }

// DeriveNodeID is the id a new node gets when the client gives none: the type's prefix and
// the folded words of its name joined by dashes ("org:" + "comision-nacional"), within the id
// length limit; "" when the name has no letters or digits to make one of.
func DeriveNodeID(nodeType, name string) string {
	spec, ok := kg.Spec(nodeType)
	if !ok {
		return ""
	}
	id := spec.IDPrefix
	for _, w := range foldWords(name) {
		next := id + w
		if id != spec.IDPrefix {
			next = id + "-" + w
		}
		if len(next) > kg.MaxIDLength {
			break
		}
		id = next
	}
	if !kg.ValidNodeID(nodeType, id) {
		return ""
	}
	return id
}

// ---- mutations ----

// CreateNode adds a node (a Source too: operation createSource). With no id, the id is derived
// from the type and name; an id already taken (or merged into another node) is a CONFLICT.
func (s *Store) CreateNode(ctx context.Context, w kg.Write, rec kg.NodeRecord) (*kg.WriteResult, error) {
	op := "createNode"
	if rec.Type == kg.TypeSource {
		op = "createSource"
	}
	return s.mutate(ctx, w, op, "", rec, func(t *txn) error {
		r := rec
		if r.ID == "" {
			if r.ID = DeriveNodeID(r.Type, r.Name); r.ID == "" {
				return &kg.InvalidError{Record: "input", Field: "id", Reason: "cannot be derived from the name: give one (the type's prefix and lower-case words joined by dashes)"}
			}
		}
		n, err := kg.ValidateNode("input", r)
		if err != nil {
			return err
		}
		if n.Type != kg.TypeSource && len(n.Citations) == 0 {
			// Stricter than an import file (where most node types may go uncited): a node
			// added by hand states a fact, and every fact is cited.
			return &kg.InvalidError{Record: "input", Field: "citations", Reason: "a new node needs at least one citation (an existing Source and the verbatim words in it)"}
		}
		if err := t.checkCitations("input", n.Citations, 0); err != nil {
			return err
		}
		if cur, err := t.readNode(n.ID); err != nil {
			return err
		} else if cur != nil {
			how := "give the new node an id of your own (input.id)"
			if rec.ID != "" {
				how = "change that node (updateNode) or choose another id"
			}
			return &kg.ConflictError{Record: n.ID, CurrentVersion: cur.version, Reason: fmt.Sprintf("a %s with this id already exists: %s", cur.rec.Type, how)}
		}
		if into, err := t.mergedInto(n.ID); err != nil {
			return err
		} else if into != "" {
			return &kg.ConflictError{Record: n.ID, Reason: fmt.Sprintf("this id was merged into %s and still names it: give the new node another id", into)}
		}
		return t.putNode(nil, n, nil, 1)
	})
}

// UpdateNode changes the fields p gives of a node at version expected.
func (s *Store) UpdateNode(ctx context.Context, w kg.Write, id string, expected int, p kg.NodePatch) (*kg.WriteResult, error) {
	input := map[string]any{"id": id, "expectedVersion": expected, "set": p}
	return s.mutate(ctx, w, "updateNode", "", input, func(t *txn) error {
		cur, err := t.readNode(id)
		if err != nil {
			return err
		}
		if cur == nil {
			return notFound("node", id)
		}
		if err := checkVersion(id, expected, cur.version); err != nil {
			return err
		}
		rec := cur.rec
		p.Apply(&rec)
		n, err := kg.ValidateNode(fmt.Sprintf("node %q", id), rec)
		if err != nil {
			return err
		}
		return t.putNode(cur, n, cur.mergedIDs, cur.version+1)
	})
}

// DeleteNode deletes a node at version expected, and its relationships (each recorded).
func (s *Store) DeleteNode(ctx context.Context, w kg.Write, id string, expected int) (*kg.WriteResult, error) {
	input := map[string]any{"id": id, "expectedVersion": expected}
	return s.mutate(ctx, w, "deleteNode", "", input, func(t *txn) error {
		cur, err := t.readNode(id)
		if err != nil {
			return err
		}
		if cur == nil {
			return notFound("node", id)
		}
		if err := checkVersion(id, expected, cur.version); err != nil {
			return err
		}
		t.change(kindNode, id, cur.state(), nil) // first: the record the revision is about
		rels, err := t.relsOf(id)
		if err != nil {
			return err
		}
		for _, r := range rels {
			if err := t.dropRel(r); err != nil {
				return err
			}
		}
		if _, err := t.run(deleteNodeCypher, map[string]any{"id": id}); err != nil {
			return err
		}
		delete(t.degrees, id)
		return nil
	})
}

// CreateRelationship adds a relationship between two existing nodes. With no id it gets
// rel:<from>:<type>:<to>; an id already taken is a CONFLICT.
func (s *Store) CreateRelationship(ctx context.Context, w kg.Write, rec kg.RelationRecord) (*kg.WriteResult, error) {
	return s.mutate(ctx, w, "createRelationship", "", rec, func(t *txn) error {
		r, err := kg.ValidateRelationship("input", rec)
		if err != nil {
			return err
		}
		if cur, err := t.readRel(r.ID); err != nil {
			return err
		} else if cur != nil {
			return &kg.ConflictError{Record: r.ID, CurrentVersion: cur.version,
				Reason: "a relationship with this id already exists: change it (updateRelationship), or give the new one an id of its own (input.id)"}
		}
		if err := t.checkEnds("input", r); err != nil {
			return err
		}
		if err := t.checkCitations("input", r.Citations, 0); err != nil {
			return err
		}
		return t.putRel(nil, r, 1)
	})
}

// UpdateRelationship changes the fields p gives of a relationship at version expected.
func (s *Store) UpdateRelationship(ctx context.Context, w kg.Write, id string, expected int, p kg.RelPatch) (*kg.WriteResult, error) {
	input := map[string]any{"id": id, "expectedVersion": expected, "set": p}
	return s.mutate(ctx, w, "updateRelationship", "", input, func(t *txn) error {
		cur, err := t.readRel(id)
		if err != nil {
			return err
		}
		if cur == nil {
			return notFound("relationship", id)
		}
		if err := checkVersion(id, expected, cur.version); err != nil {
			return err
		}
		rec := cur.rec
		p.Apply(&rec)
		r, err := kg.ValidateRelationship(fmt.Sprintf("relationship %q", id), rec)
		if err != nil {
			return err
		}
		return t.putRel(cur, r, cur.version+1)
	})
}

// DeleteRelationship deletes a relationship at version expected.
func (s *Store) DeleteRelationship(ctx context.Context, w kg.Write, id string, expected int) (*kg.WriteResult, error) {
	input := map[string]any{"id": id, "expectedVersion": expected}
	return s.mutate(ctx, w, "deleteRelationship", "", input, func(t *txn) error {
		cur, err := t.readRel(id)
		if err != nil {
			return err
		}
		if cur == nil {
			return notFound("relationship", id)
		}
		if err := checkVersion(id, expected, cur.version); err != nil {
			return err
		}
		return t.dropRel(cur)
	})
}

// editCitations applies edit to the citations of a node or relationship at version expected,
// validates the record and checks citations from index `from` on against the graph.
func (t *txn) editCitations(id string, expected int, edit func(record string, cs []kg.CitationRecord, isRel bool) ([]kg.CitationRecord, int, error)) error {
	if isRelID(id) {
		cur, err := t.readRel(id)
		if err != nil {
			return err
		}
		if cur == nil {
			return notFound("relationship", id)
		}
		if err := checkVersion(id, expected, cur.version); err != nil {
			return err
		}
		record := fmt.Sprintf("relationship %q", id)
		rec := cur.rec
		cs, from, err := edit(record, slices.Clone(rec.Citations), true)
		if err != nil {
			return err
		}
		rec.Citations = cs
		r, err := kg.ValidateRelationship(record, rec)
		if err != nil {
			return err
		}
		if err := t.checkCitations(record, r.Citations, from); err != nil {
			return err
		}
		return t.putRel(cur, r, cur.version+1)
	}
	cur, err := t.readNode(id)
	if err != nil {
		return err
	}
	if cur == nil {
		return notFound("node", id)
	}
	if err := checkVersion(id, expected, cur.version); err != nil {
		return err
	}
	record := fmt.Sprintf("node %q", id)
	rec := cur.rec
	cs, from, err := edit(record, slices.Clone(rec.Citations), false)
	if err != nil {
		return err
	}
	rec.Citations = cs
	n, err := kg.ValidateNode(record, rec)
	if err != nil {
		return err
	}
	if err := t.checkCitations(record, n.Citations, from); err != nil {
		return err
	}
	return t.putNode(cur, n, cur.mergedIDs, cur.version+1)
}

// AddCitation adds a citation to a node or a relationship (rel:... ids) at version expected.
func (s *Store) AddCitation(ctx context.Context, w kg.Write, id string, expected int, c kg.CitationRecord) (*kg.WriteResult, error) {
	input := map[string]any{"record": id, "expectedVersion": expected, "citation": c}
	return s.mutate(ctx, w, "addCitation", "", input, func(t *txn) error {
		return t.editCitations(id, expected, func(record string, cs []kg.CitationRecord, _ bool) ([]kg.CitationRecord, int, error) {
			for _, have := range cs {
				if have.Source == c.Source && have.Quote == c.Quote {
					return nil, 0, &kg.InvalidError{Record: record, Field: "citation", Reason: fmt.Sprintf("already cites %s with this quote", c.Source)}
				}
			}
			return append(cs, c), len(cs), nil
		})
	})
}

// RemoveCitation removes the citation of source with this exact quote from a node or a
// relationship at version expected. A relationship keeps at least one citation.
func (s *Store) RemoveCitation(ctx context.Context, w kg.Write, id string, expected int, source, quote string) (*kg.WriteResult, error) {
	input := map[string]any{"record": id, "expectedVersion": expected, "source": source, "quote": quote}
	return s.mutate(ctx, w, "removeCitation", "", input, func(t *txn) error {
		return t.editCitations(id, expected, func(record string, cs []kg.CitationRecord, isRel bool) ([]kg.CitationRecord, int, error) {
			i := slices.IndexFunc(cs, func(c kg.CitationRecord) bool { return c.Source == source && c.Quote == quote })
			if i < 0 {
				return nil, 0, &kg.InvalidError{Record: record, Field: "quote", Reason: fmt.Sprintf("no citation of %s has this quote (it must match the stored quote exactly)", source)}
			}
			if isRel && len(cs) == 1 {
				return nil, 0, &kg.InvalidError{Record: record, Field: "citations",
					Reason: "the last citation of a relationship cannot be removed: add another citation first, or delete the relationship"}
			}
			return slices.Delete(cs, i, i+1), len(cs), nil
		})
	})
}

// MergeNodes merges the node merge into keep (both at their expected versions, of one type):
// merge's names become keep's aliases and names, its citations and relationships move to keep
// (a relationship between the two disappears), a Source's citations move to the kept Source,
// merge is deleted and its id (and the ids merged into it) resolve to keep from now on.
func (s *Store) MergeNodes(ctx context.Context, w kg.Write, keep string, keepVersion int, merge string, mergeVersion int) (*kg.WriteResult, error) {
	input := map[string]any{"keep": keep, "keepVersion": keepVersion, "merge": merge, "mergeVersion": mergeVersion}
	return s.mutate(ctx, w, "mergeNodes", "", input, func(t *txn) error {
		if keep == merge {
			return &kg.InvalidError{Record: "input", Field: "merge", Reason: "is the node to keep: name two different nodes"}
		}
		k, err := t.readNode(keep)
		if err != nil {
			return err
		}
		m, err := t.readNode(merge)
		if err != nil {
			return err
		}
		switch {
		case k == nil:
			return notFound("node", keep)
		case m == nil:
			return notFound("node", merge)
		}
		if err := checkVersion(keep, keepVersion, k.version); err != nil {
			return err
		}
		if err := checkVersion(merge, mergeVersion, m.version); err != nil {
			return err
		}
		if k.rec.Type != m.rec.Type {
			return &kg.InvalidError{Record: "input", Field: "merge", Reason: fmt.Sprintf("%q is a %s but %q is a %s: only nodes of one type can be merged", merge, m.rec.Type, keep, k.rec.Type)}
		}
		rec := k.rec
		rec.Aliases = slices.Clone(rec.Aliases)
		addAlias := func(a string) {
			if a != "" && a != rec.Name && !slices.Contains(rec.Aliases, a) {
				rec.Aliases = append(rec.Aliases, a)
			}
		}
		addAlias(m.rec.Name)
		for _, a := range m.rec.Aliases {
			addAlias(a)
		}
		rec.Names = slices.Clone(rec.Names)
		for _, n := range m.rec.Names {
			if !slices.ContainsFunc(rec.Names, func(x kg.NameRecord) bool { return x.Value == n.Value && x.Lang == n.Lang && x.Kind == n.Kind }) {
				rec.Names = append(rec.Names, n)
			}
		}
		rec.Citations = slices.Clone(rec.Citations)
		for _, c := range m.rec.Citations {
			if !slices.ContainsFunc(rec.Citations, func(x kg.CitationRecord) bool { return x.Source == c.Source && x.Quote == c.Quote }) {
				rec.Citations = append(rec.Citations, c)
			}
		}
		if rec.Description == "" {
			rec.Description = m.rec.Description
		}
		n, err := kg.ValidateNode(fmt.Sprintf("node %q", keep), rec)
		if err != nil {
			return err
		}
		merged := slices.Clone(k.mergedIDs)
		for _, id := range append([]string{merge}, m.mergedIDs...) {
			if !slices.Contains(merged, id) {
				merged = append(merged, id)
			}
		}
		if err := t.putNode(k, n, merged, k.version+1); err != nil {
			return err
		}
		rels, err := t.relsOf(merge)
		if err != nil {
			return err
		}
		for _, cur := range rels {
			r := cur.rec
			if r.From == merge {
				r.From = keep
			}
			if r.To == merge {
				r.To = keep
			}
			if r.From == r.To {
				if err := t.dropRel(cur); err != nil {
					return err
				}
				continue
			}
			rel, err := kg.ValidateRelationship(fmt.Sprintf("relationship %q", r.ID), r)
			if err != nil {
				return err
			}
			if err := t.putRel(cur, rel, cur.version+1); err != nil {
				return err
			}
		}
		if m.rec.Type == kg.TypeSource {
			if err := t.recite(merge, keep); err != nil {
				return err
			}
		}
		return t.dropNode(m)
	})
}

const citingCypher = `
CALL () {
  MATCH (n:Node) WHERE $source IN n.citationSources RETURN n.id AS id
  UNION
  MATCH ()-[r]->() WHERE $source IN r.citationSources RETURN r.id AS id
}
RETURN id ORDER BY id`

// recite moves every citation of Source from to Source to (a merge of two Sources).
func (t *txn) recite(from, to string) error {
	recs, err := t.run(citingCypher, map[string]any{"source": from})
	if err != nil {
		return err
	}
	move := func(cs []kg.CitationRecord) []kg.CitationRecord {
		var out []kg.CitationRecord
		for _, c := range cs {
			if c.Source == from {
				c.Source = to
			}
			if !slices.ContainsFunc(out, func(x kg.CitationRecord) bool { return x.Source == c.Source && x.Quote == c.Quote }) {
				out = append(out, c)
			}
		}
		return out
	}
	for _, rec := range recs {
		id, _ := rec.Values[0].(string)
		if isRelID(id) {
			cur, err := t.readRel(id)
			if err != nil || cur == nil {
				return err
			}
			r := cur.rec
			r.Citations = move(r.Citations)
			rel, err := kg.ValidateRelationship(fmt.Sprintf("relationship %q", id), r)
			if err != nil {
				return err
			}
			if err := t.putRel(cur, rel, cur.version+1); err != nil {
				return err
			}
			continue
		}
		cur, err := t.readNode(id)
		if err != nil || cur == nil {
			return err
		}
		r := cur.rec
		r.Citations = move(r.Citations)
		n, err := kg.ValidateNode(fmt.Sprintf("node %q", id), r)
		if err != nil {
			return err
		}
		if err := t.putNode(cur, n, cur.mergedIDs, cur.version+1); err != nil {
			return err
		}
	}
	return nil
}

const (
	revisionCypher = `
MATCH (r:Revision {id: $id})
RETURN r {.*} AS rev`

	laterCypher = `
MATCH (r:Revision)
WHERE r.seq > $seq AND any(x IN r.records WHERE x IN $records)
RETURN r.id AS id ORDER BY r.seq LIMIT 10`
)

// Revert undoes a revision as a new one (operation revert): every record it changed gets its
// state from before it back (a created record is deleted, a deleted one comes back with its
// citations, a merge splits again). Editors revert their own revisions, admins anyone's. When
// later revisions changed the same records it is a CONFLICT, unless an admin forces it.
func (s *Store) Revert(ctx context.Context, w kg.Write, revisionID string, force bool) (*kg.WriteResult, error) {
	admin := w.Principal.Role.AtLeast(kg.RoleAdmin)
	if force && !admin {
		return nil, fmt.Errorf("%w: force is for admins (role %s)", kg.ErrForbidden, w.Principal.Role)
	}
	input := map[string]any{"revisionId": revisionID, "force": force}
	return s.mutate(ctx, w, "revert", revisionID, input, func(t *txn) error {
		recs, err := t.run(revisionCypher, map[string]any{"id": revisionID})
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			return notFound("revision", revisionID)
		}
		m, _ := recs[0].Values[0].(map[string]any)
		rev, err := toRevision(m)
		if err != nil {
			return err
		}
		if rev.Author != w.Principal.Name && !admin {
			return fmt.Errorf("%w: %s is by %s; an editor may revert only their own revisions", kg.ErrForbidden, rev.ID, rev.Author)
		}
		records := anyStrings(m["records"])
		later, err := t.run(laterCypher, map[string]any{"seq": rev.Seq, "records": records})
		if err != nil {
			return err
		}
		if len(later) > 0 && !force {
			var ids []string
			for _, l := range later {
				id, _ := l.Values[0].(string)
				ids = append(ids, id)
			}
			return &kg.ConflictError{Record: rev.ID, Reason: fmt.Sprintf("later revisions changed the same records (%s): revert those first, newest first, or ask an admin to revert with force",
				strings.Join(ids, ", "))}
		}
		return t.restore(rev.Changes)
	})
}

// restore gives every record of changes its Before state: nodes that existed come back first
// (so relationships have their ends), then relationships that did not exist go, then those
// that did come back (or move back), then nodes that did not exist go (with whatever
// relationships they have by then, all recorded).
func (t *txn) restore(changes []kg.Change) error {
	nextVersion := func(current int, exists bool, c kg.Change) int {
		if exists {
			return current + 1
		}
		return max(asInt(c.Before["version"]), asInt(c.After["version"])) + 1
	}
	for _, c := range changes {
		if c.Kind != kindNode || c.Before == nil {
			continue
		}
		target, err := nodeFromState(c.Before)
		if err != nil {
			return err
		}
		record := fmt.Sprintf("node %q", c.Record)
		n, err := kg.ValidateNode(record, target.rec)
		if err != nil {
			return err
		}
		if err := t.checkCitations(record, n.Citations, 0); err != nil {
			return err
		}
		cur, err := t.readNode(c.Record)
		if err != nil {
			return err
		}
		version := nextVersion(0, cur != nil, c)
		if cur != nil {
			version = cur.version + 1
		}
		if err := t.putNode(cur, n, target.mergedIDs, version); err != nil {
			return err
		}
	}
	for _, c := range changes {
		if c.Kind != kindRel || c.Before != nil {
			continue
		}
		cur, err := t.readRel(c.Record)
		if err != nil {
			return err
		}
		if cur != nil {
			if err := t.dropRel(cur); err != nil {
				return err
			}
		}
	}
	for _, c := range changes {
		if c.Kind != kindRel || c.Before == nil {
			continue
		}
		target, err := relFromState(c.Before)
		if err != nil {
			return err
		}
		record := fmt.Sprintf("relationship %q", c.Record)
		r, err := kg.ValidateRelationship(record, target.rec)
		if err != nil {
			return err
		}
		if err := t.checkEnds(record, r); err != nil {
			return err
		}
		if err := t.checkCitations(record, r.Citations, 0); err != nil {
			return err
		}
		cur, err := t.readRel(c.Record)
		if err != nil {
			return err
		}
		version := nextVersion(0, false, c)
		if cur != nil {
			version = cur.version + 1
		}
		if err := t.putRel(cur, r, version); err != nil {
			return err
		}
	}
	for _, c := range changes {
		if c.Kind != kindNode || c.Before != nil {
			continue
		}
		cur, err := t.readNode(c.Record)
		if err != nil {
			return err
		}
		if cur == nil {
			continue
		}
		rels, err := t.relsOf(c.Record)
		if err != nil {
			return err
		}
		for _, r := range rels {
			if err := t.dropRel(r); err != nil {
				return err
			}
		}
		if err := t.dropNode(cur); err != nil {
			return err
		}
	}
	return nil
}
