package neo4jstore_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/kg"
	"github.com/policygraph/policygraph/neo4jstore"
)

// Mutations, versions, idempotency, history and revert against the real Neo4j.

const sourceText = `The Mexican government deployed the National Guard to its southern border in June 2019.
The ACLU challenged the Migrant Protection Protocols in federal court.`

var (
	editor  = kg.Principal{Name: "ed", Role: kg.RoleEditor}
	editor2 = kg.Principal{Name: "eve", Role: kg.RoleEditor}
	admin   = kg.Principal{Name: "root", Role: kg.RoleAdmin}
)

func by(p kg.Principal, reason string) kg.Write { return kg.Write{Principal: p, Reason: reason} }

func cite(quote string) []kg.CitationRecord {
	return []kg.CitationRecord{{Source: "source:art", Quote: quote}}
}

// curated is a small graph written by mutations: a Source with its text, two organizations
// and a policy, and one relationship.
func curated(t *testing.T) *neo4jstore.Store {
	t.Helper()
	s := neo4jtest.Store(t)
	ctx := context.Background()
	must(t)(s.CreateNode(ctx, by(editor, "source"), kg.NodeRecord{ID: "source:art", Type: kg.TypeSource, Name: "Article", Kind: "ARTICLE", Text: sourceText}))
	must(t)(s.CreateNode(ctx, by(editor, "aclu"), kg.NodeRecord{ID: "org:aclu", Type: kg.TypeOrganization, Name: "ACLU", Kind: "NGO",
		Citations: cite("The ACLU challenged the Migrant Protection Protocols")}))
	must(t)(s.CreateNode(ctx, by(editor, "guard"), kg.NodeRecord{ID: "org:guard", Type: kg.TypeOrganization, Name: "National Guard", Kind: "MILITARY", Country: "MX",
		Citations: cite("deployed the National Guard")}))
	must(t)(s.CreateNode(ctx, by(editor, "mpp"), kg.NodeRecord{ID: "policy:mpp", Type: kg.TypePolicy, Name: "Migrant Protection Protocols", Kind: "PROGRAM",
		Citations: cite("the Migrant Protection Protocols")}))
	must(t)(s.CreateRelationship(ctx, by(editor, "opposes"), kg.RelationRecord{Type: "OPPOSES", From: "org:aclu", To: "policy:mpp",
		Citations: cite("The ACLU challenged the Migrant Protection Protocols in federal court.")}))
	return s
}

func must(t *testing.T) func(*kg.WriteResult, error) *kg.WriteResult {
	return func(r *kg.WriteResult, err error) *kg.WriteResult {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
}

// snapshot counts what a rejected write must leave alone.
type snapshot struct{ nodes, rels, citations, revisions int64 }

func snap(t *testing.T, s *neo4jstore.Store) snapshot {
	t.Helper()
	ns, rs, cs, err := s.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out snapshot
	for _, n := range ns {
		out.nodes += n
	}
	for _, r := range rs {
		out.rels += r
	}
	out.citations = cs
	if out.revisions, err = s.CountRevisions(context.Background()); err != nil {
		t.Fatal(err)
	}
	return out
}

// refused checks err is of kind want and mentions every text, and that nothing changed.
func refused(t *testing.T, s *neo4jstore.Store, before snapshot, err, want error, texts ...string) {
	t.Helper()
	if err == nil || !errors.Is(err, want) {
		t.Fatalf("got %v, want %v", err, want)
	}
	for _, x := range texts {
		if !strings.Contains(err.Error(), x) {
			t.Errorf("error %q does not say %q", err, x)
		}
	}
	if after := snap(t, s); after != before {
		t.Errorf("a refused write changed the graph or its history: %+v -> %+v", before, after)
	}
}

func node(t *testing.T, s *neo4jstore.Store, id string) *kg.Node {
	t.Helper()
	n, err := s.Node(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCreateRecordsVersionsAndHistory(t *testing.T) {
	s := curated(t)
	ctx := context.Background()
	n := node(t, s, "org:aclu")
	if n.Version != 1 || len(n.Citations) != 1 || n.Citations[0].SourceID != "source:art" {
		t.Fatalf("created node: %+v", n)
	}
	h, err := s.History(ctx, "org:aclu", 10, "")
	if err != nil {
		t.Fatal(err)
	}
	// A node's history is the revisions that changed the node itself (its relationships have
	// their own).
	if len(h.Revisions) != 1 || h.Revisions[0].Operation != "createNode" {
		t.Fatalf("history of org:aclu: %+v", h.Revisions)
	}
	rh, err := s.History(ctx, kg.DefaultRelID("org:aclu", "OPPOSES", "policy:mpp"), 10, "")
	if err != nil || len(rh.Revisions) != 1 || rh.Revisions[0].Operation != "createRelationship" {
		t.Fatalf("history of the relationship: %+v %v", rh, err)
	}
	create := h.Revisions[0]
	if create.Author != "ed" || create.Reason != "aclu" || len(create.Changes) != 1 || create.Changes[0].Before != nil ||
		create.Changes[0].After["name"] != "ACLU" || create.Changes[0].After["version"] != float64(1) {
		t.Fatalf("create revision: %+v", create)
	}
	// Derived ids: type prefix and the folded name.
	r := must(t)(s.CreateNode(ctx, by(editor, "derived"), kg.NodeRecord{Type: kg.TypeOrganization, Name: "Comisión Nacional", Kind: "AGENCY", Citations: cite("June 2019")}))
	if r.Node == nil || r.Node.ID != "org:comision-nacional" || r.Revision.ID == "" {
		t.Fatalf("derived id: %+v", r)
	}
	before := snap(t, s)
	_, err = s.CreateNode(ctx, by(editor, "again"), kg.NodeRecord{Type: kg.TypeOrganization, Name: "Comision  nacional", Kind: "AGENCY", Citations: cite("June 2019")})
	refused(t, s, before, err, kg.ErrConflict, "org:comision-nacional", "already exists", "input.id")

	all, err := s.Revisions(ctx, kg.RevisionQuery{Author: "ed", First: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Revisions) != 6 || all.Revisions[0].Seq <= all.Revisions[5].Seq {
		t.Fatalf("revisions by ed: %d", len(all.Revisions))
	}
	page, err := s.Revisions(ctx, kg.RevisionQuery{First: 2, After: all.Cursors[1]})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Revisions) != 2 || page.Revisions[0].ID != all.Revisions[2].ID || !page.HasNext {
		t.Fatalf("second page: %+v", page)
	}
}

func TestWriteRulesAreTheImportRules(t *testing.T) {
	s := curated(t)
	ctx := context.Background()
	before := snap(t, s)
	org := func(id string, cs []kg.CitationRecord) kg.NodeRecord {
		return kg.NodeRecord{ID: id, Type: kg.TypeStatistic, Name: "Arrests", Value: new(float64), Unit: "PEOPLE", Measure: "arrests", Citations: cs}
	}
	_, err := s.CreateNode(ctx, by(editor, "x"), org("stat:a", nil))
	refused(t, s, before, err, kg.ErrInvalid, `field "citations"`, "needs at least one citation")
	_, err = s.CreateNode(ctx, by(editor, "x"), org("stat:a", cite("words nobody wrote")))
	refused(t, s, before, err, kg.ErrInvalid, `field "citations[0].quote"`, "is not in the text of source:art")
	_, err = s.CreateNode(ctx, by(editor, "x"), org("stat:a", []kg.CitationRecord{{Source: "source:nowhere", Quote: "q"}}))
	refused(t, s, before, err, kg.ErrInvalid, `citations[0].source`, "not in the graph")
	_, err = s.CreateRelationship(ctx, by(editor, "x"), kg.RelationRecord{Type: "OPPOSES", From: "org:aclu", To: "policy:mpp"})
	refused(t, s, before, err, kg.ErrInvalid, `field "citations"`, "at least one citation")
	// Endpoint types: a Policy cannot be a member of anything.
	_, err = s.CreateRelationship(ctx, by(editor, "x"), kg.RelationRecord{Type: "MEMBER_OF", From: "policy:mpp", To: "org:aclu", Citations: cite("the Migrant Protection Protocols")})
	refused(t, s, before, err, kg.ErrInvalid, `field "from"`, `"policy:mpp" is a Policy, but MEMBER_OF joins only`)
	_, err = s.CreateRelationship(ctx, by(editor, "x"), kg.RelationRecord{Type: "OPPOSES", From: "org:aclu", To: "policy:none", Citations: cite("the Migrant Protection Protocols")})
	refused(t, s, before, err, kg.ErrInvalid, `field "to"`, "not a node in the graph")
	// Sizes, slugs and dates.
	_, err = s.UpdateNode(ctx, by(editor, "x"), "org:aclu", 1, kg.NodePatch{Description: ptr(strings.Repeat("d", kg.MaxDescription+1))})
	refused(t, s, before, err, kg.ErrInvalid, `node "org:aclu"`, `field "description"`, "the limit is 2000")
	_, err = s.CreateNode(ctx, by(editor, "x"), kg.NodeRecord{ID: "person:b", Type: kg.TypePerson, Name: "B"})
	refused(t, s, before, err, kg.ErrInvalid, `field "citations"`, "a new node needs at least one citation")
	_, err = s.CreateNode(ctx, by(editor, "x"), kg.NodeRecord{ID: "org:Bad Slug", Type: kg.TypeOrganization, Name: "B", Kind: "NGO"})
	refused(t, s, before, err, kg.ErrInvalid, `field "id"`)
	_, err = s.UpdateNode(ctx, by(editor, "x"), "policy:mpp", 1, kg.NodePatch{StartDate: ptr("2019-13")})
	refused(t, s, before, err, kg.ErrInvalid, `startDate`)
	_, err = s.UpdateNode(ctx, by(editor, "x"), "policy:mpp", 1, kg.NodePatch{Kind: ptr("SANDWICH")})
	refused(t, s, before, err, kg.ErrInvalid, `field "kind"`, "SANDWICH")
	// A reason is required; a change that changes nothing is refused.
	_, err = s.UpdateNode(ctx, kg.Write{Principal: editor}, "org:aclu", 1, kg.NodePatch{Name: ptr("A")})
	refused(t, s, before, err, kg.ErrInvalid, `field "reason"`)
	_, err = s.UpdateNode(ctx, by(editor, "x"), "org:aclu", 1, kg.NodePatch{Name: ptr("ACLU")})
	refused(t, s, before, err, kg.ErrInvalid, "changes nothing")
	// The last citation of a relationship stays.
	_, err = s.RemoveCitation(ctx, by(editor, "x"), kg.DefaultRelID("org:aclu", "OPPOSES", "policy:mpp"), 1, "source:art",
		"The ACLU challenged the Migrant Protection Protocols in federal court.")
	refused(t, s, before, err, kg.ErrInvalid, "last citation of a relationship cannot be removed")
	// Citations do not apply to a Source.
	_, err = s.AddCitation(ctx, by(editor, "x"), "source:art", 1, kg.CitationRecord{Source: "source:art", Quote: "June 2019"})
	refused(t, s, before, err, kg.ErrInvalid, "do not apply to a Source")
}

func ptr[T any](v T) *T { return &v }

func TestStaleVersionIsAConflict(t *testing.T) {
	s := curated(t)
	ctx := context.Background()
	must(t)(s.UpdateNode(ctx, by(editor, "first"), "org:aclu", 1, kg.NodePatch{Description: ptr("A civil rights NGO.")}))
	before := snap(t, s)
	_, err := s.UpdateNode(ctx, by(editor2, "second"), "org:aclu", 1, kg.NodePatch{Description: ptr("Another.")})
	refused(t, s, before, err, kg.ErrConflict, "expected version 1", "stored version is 2")
	var ce *kg.ConflictError
	if !errors.As(err, &ce) || ce.CurrentVersion != 2 || ce.ExpectedVersion != 1 {
		t.Fatalf("conflict: %#v", err)
	}
	rel := kg.DefaultRelID("org:aclu", "OPPOSES", "policy:mpp")
	_, err = s.DeleteRelationship(ctx, by(editor, "x"), rel, 7)
	refused(t, s, before, err, kg.ErrConflict, "stored version is 1")
	_, err = s.AddCitation(ctx, by(editor, "x"), rel, 3, kg.CitationRecord{Source: "source:art", Quote: "federal court"})
	refused(t, s, before, err, kg.ErrConflict)
	_, err = s.DeleteNode(ctx, by(editor, "x"), "org:nobody", 1)
	refused(t, s, before, err, kg.ErrNotFound)
}

func TestIdempotentRetry(t *testing.T) {
	s := curated(t)
	ctx := context.Background()
	w := kg.Write{Principal: editor, Reason: "describe", IdempotencyKey: "k-1"}
	first := must(t)(s.UpdateNode(ctx, w, "org:aclu", 1, kg.NodePatch{Description: ptr("NGO.")}))
	before := snap(t, s)
	again := must(t)(s.UpdateNode(ctx, w, "org:aclu", 1, kg.NodePatch{Description: ptr("NGO.")}))
	if snap(t, s) != before {
		t.Fatal("the retry wrote")
	}
	if again.Revision.ID != first.Revision.ID || !reflect.DeepEqual(again.Node, first.Node) || again.Node.Version != 2 {
		t.Fatalf("retry answer differs:\n%+v\n%+v", again, first)
	}
	// The same key for another request is refused; another author's same key is theirs.
	_, err := s.UpdateNode(ctx, w, "org:aclu", 2, kg.NodePatch{Description: ptr("Other.")})
	refused(t, s, before, err, kg.ErrInvalid, "idempotencyKey", "already used for another request", first.Revision.ID)
	other := must(t)(s.UpdateNode(ctx, kg.Write{Principal: editor2, Reason: "r", IdempotencyKey: "k-1"}, "org:aclu", 2, kg.NodePatch{Description: ptr("Other.")}))
	if other.Revision.ID == first.Revision.ID || other.Node.Version != 3 {
		t.Fatalf("another author's key: %+v", other)
	}
}

// relOf reads one relationship of a node by id.
func relOf(t *testing.T, s *neo4jstore.Store, nodeID, relID string) *kg.Relationship {
	t.Helper()
	pages, err := s.RelationshipsOf(context.Background(), []string{nodeID}, kg.RelQuery{First: 100, Direction: kg.Both})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range pages[nodeID].Relationships {
		if r.ID == relID {
			r.FromNode, r.ToNode = nil, nil
			return r
		}
	}
	return nil
}

// sameNode compares two reads of a node field by field, citations included, versions aside.
func sameNode(t *testing.T, what string, want, got *kg.Node) {
	t.Helper()
	if want == nil || got == nil {
		if want != got {
			t.Fatalf("%s: want %+v, got %+v", what, want, got)
		}
		return
	}
	w, g := *want, *got
	w.Version, g.Version = 0, 0
	if !reflect.DeepEqual(w, g) {
		t.Fatalf("%s: not the earlier state:\nwant %+v\ngot  %+v", what, w, g)
	}
}

func sameRel(t *testing.T, what string, want, got *kg.Relationship) {
	t.Helper()
	if want == nil || got == nil {
		if want != got {
			t.Fatalf("%s: want %+v, got %+v", what, want, got)
		}
		return
	}
	w, g := *want, *got
	w.Version, g.Version = 0, 0
	if !reflect.DeepEqual(w, g) {
		t.Fatalf("%s: not the earlier state:\nwant %+v\ngot  %+v", what, w, g)
	}
}

func TestRevertGivesBackTheEarlierState(t *testing.T) {
	s := curated(t)
	ctx := context.Background()
	rel := kg.DefaultRelID("org:aclu", "OPPOSES", "policy:mpp")
	aclu0, mpp0, rel0 := node(t, s, "org:aclu"), node(t, s, "policy:mpp"), relOf(t, s, "org:aclu", rel)

	revert := func(r *kg.WriteResult, who kg.Principal) *kg.WriteResult {
		t.Helper()
		out := must(t)(s.Revert(ctx, by(who, "undo"), r.Revision.ID, false))
		if out.Revision.Operation != "revert" || out.Revision.Reverts != r.Revision.ID {
			t.Fatalf("revert revision: %+v", out.Revision)
		}
		return out
	}

	// An update.
	u := must(t)(s.UpdateNode(ctx, by(editor, "edit"), "org:aclu", 1, kg.NodePatch{Name: ptr("American Civil Liberties Union"),
		Aliases: &[]string{"ACLU"}, Names: &[]kg.NameRecord{{Value: "Unión Americana", Lang: "es", Kind: "translation"}}}))
	if u.Node.Name != "American Civil Liberties Union" || u.Node.Version != 2 {
		t.Fatalf("update: %+v", u.Node)
	}
	revert(u, editor)
	sameNode(t, "revert of an update", aclu0, node(t, s, "org:aclu"))
	if v := node(t, s, "org:aclu").Version; v != 3 {
		t.Errorf("version after revert = %d, want 3", v)
	}

	// A relationship update and a citation added, then removed.
	ur := must(t)(s.UpdateRelationship(ctx, by(editor, "edit"), rel, 1, kg.RelPatch{Role: ptr("PLAINTIFF"), StartDate: ptr("2019-02")}))
	revert(ur, editor)
	sameRel(t, "revert of a relationship update", rel0, relOf(t, s, "org:aclu", rel))
	ac := must(t)(s.AddCitation(ctx, by(editor, "cite"), rel, 3, kg.CitationRecord{Source: "source:art", Quote: "in federal court", Locator: "p. 2"}))
	if ac.Relationship == nil || len(ac.Relationship.Citations) != 2 {
		t.Fatalf("add citation: %+v", ac)
	}
	revert(ac, editor)
	sameRel(t, "revert of a citation added", rel0, relOf(t, s, "org:aclu", rel))
	rc := must(t)(s.RemoveCitation(ctx, by(editor, "uncite"), "policy:mpp", 1, "source:art", "the Migrant Protection Protocols"))
	if len(rc.Node.Citations) != 0 {
		t.Fatalf("remove citation: %+v", rc.Node)
	}
	revert(rc, editor)
	sameNode(t, "revert of a citation removed", mpp0, node(t, s, "policy:mpp"))

	// A delete of a node with a relationship: both come back, citations included.
	d := must(t)(s.DeleteNode(ctx, by(editor, "delete"), "policy:mpp", 3))
	if d.DeletedID != "policy:mpp" || len(d.Revision.Changes) != 2 || d.Revision.Changes[1].After != nil {
		t.Fatalf("delete: %+v", d.Revision)
	}
	if _, err := s.Node(ctx, "policy:mpp"); !errors.Is(err, kg.ErrNotFound) {
		t.Fatalf("deleted node still reads: %v", err)
	}
	revert(d, editor)
	sameNode(t, "revert of a delete", mpp0, node(t, s, "policy:mpp"))
	sameRel(t, "relationship back with the node", rel0, relOf(t, s, "org:aclu", rel))

	// A create: reverting deletes.
	c := must(t)(s.CreateNode(ctx, by(editor, "new"), kg.NodeRecord{ID: "person:x", Type: kg.TypePerson, Name: "X", Citations: cite("June 2019")}))
	revert(c, editor)
	if _, err := s.Node(ctx, "person:x"); !errors.Is(err, kg.ErrNotFound) {
		t.Fatalf("revert of a create left the node: %v", err)
	}
	// The history of the node shows every step, newest first.
	h, err := s.History(ctx, "policy:mpp", 20, "")
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, r := range h.Revisions {
		ops = append(ops, r.Operation)
	}
	if got := strings.Join(ops, " "); got != "revert deleteNode revert removeCitation createNode" {
		t.Errorf("history of policy:mpp: %s", got)
	}
}

func TestRevertRules(t *testing.T) {
	s := curated(t)
	ctx := context.Background()
	u1 := must(t)(s.UpdateNode(ctx, by(editor, "one"), "org:aclu", 1, kg.NodePatch{Description: ptr("One.")}))
	must(t)(s.UpdateNode(ctx, by(editor2, "two"), "org:aclu", 2, kg.NodePatch{Description: ptr("Two.")}))
	before := snap(t, s)
	_, err := s.Revert(ctx, by(editor, "undo"), u1.Revision.ID, false)
	refused(t, s, before, err, kg.ErrConflict, "later revisions changed the same records")
	_, err = s.Revert(ctx, by(editor2, "undo"), u1.Revision.ID, false)
	refused(t, s, before, err, kg.ErrForbidden, "only their own")
	_, err = s.Revert(ctx, by(editor, "undo"), u1.Revision.ID, true)
	refused(t, s, before, err, kg.ErrForbidden, "force is for admins")
	_, err = s.Revert(ctx, by(editor, "undo"), "rev:999999", false)
	refused(t, s, before, err, kg.ErrNotFound)
	must(t)(s.Revert(ctx, by(admin, "force"), u1.Revision.ID, true))
	if d := node(t, s, "org:aclu").Description; d != "" {
		t.Errorf("forced revert: description %q", d)
	}
}

func TestMergeAndItsRevert(t *testing.T) {
	s := curated(t)
	ctx := context.Background()
	must(t)(s.CreateNode(ctx, by(editor, "dup"), kg.NodeRecord{ID: "org:american-civil-liberties-union", Type: kg.TypeOrganization,
		Name: "American Civil Liberties Union", Kind: "NGO", Aliases: []string{"A.C.L.U."}, Citations: cite("The ACLU challenged")}))
	must(t)(s.CreateRelationship(ctx, by(editor, "dup rel"), kg.RelationRecord{Type: "MEMBER_OF", From: "org:american-civil-liberties-union", To: "org:guard",
		Citations: cite("the National Guard")}))
	dupRel := kg.DefaultRelID("org:american-civil-liberties-union", "MEMBER_OF", "org:guard")
	keep0, dup0, guard0 := node(t, s, "org:aclu"), node(t, s, "org:american-civil-liberties-union"), node(t, s, "org:guard")
	rel0 := relOf(t, s, "org:guard", dupRel)

	m := must(t)(s.MergeNodes(ctx, by(editor, "same NGO"), "org:aclu", 1, "org:american-civil-liberties-union", 1))
	if m.Node == nil || m.Node.ID != "org:aclu" || !strings.Contains(strings.Join(m.Node.Aliases, "|"), "American Civil Liberties Union|A.C.L.U.") ||
		len(m.Node.Citations) != 2 {
		t.Fatalf("merged node: %+v", m.Node)
	}
	// The duplicate's id resolves to the kept node; its relationship moved.
	if n := node(t, s, "org:american-civil-liberties-union"); n.ID != "org:aclu" {
		t.Fatalf("merged id reads %s", n.ID)
	}
	moved := relOf(t, s, "org:aclu", dupRel)
	if moved == nil || moved.From != "org:aclu" || moved.To != "org:guard" {
		t.Fatalf("relationship not moved: %+v", moved)
	}
	// The kept node's history holds the duplicate's revisions.
	h, err := s.History(ctx, "org:aclu", 20, "")
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, r := range h.Revisions {
		ops = append(ops, r.Operation+":"+r.Reason)
	}
	if got := strings.Join(ops, " "); got != "mergeNodes:same NGO createNode:dup createNode:aclu" {
		t.Errorf("history after merge: %s", got)
	}
	// An id merged away cannot be taken again.
	before := snap(t, s)
	_, err = s.CreateNode(ctx, by(editor, "x"), kg.NodeRecord{ID: "org:american-civil-liberties-union", Type: kg.TypeOrganization, Name: "X", Kind: "NGO", Citations: cite("June 2019")})
	refused(t, s, before, err, kg.ErrConflict, "merged into org:aclu")

	must(t)(s.Revert(ctx, by(editor, "not the same"), m.Revision.ID, false))
	sameNode(t, "kept node after the split", keep0, node(t, s, "org:aclu"))
	sameNode(t, "duplicate after the split", dup0, node(t, s, "org:american-civil-liberties-union"))
	sameNode(t, "other end after the split", guard0, node(t, s, "org:guard"))
	sameRel(t, "relationship after the split", rel0, relOf(t, s, "org:guard", dupRel))
}

func TestImportRecordsOneRevision(t *testing.T) {
	s := neo4jtest.Store(t)
	neo4jtest.LoadBundled(t, s)
	ctx := context.Background()
	page, err := s.Revisions(ctx, kg.RevisionQuery{First: 10})
	if err != nil {
		t.Fatal(err)
	}
	ns, rs, _, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, n := range ns {
		total += n
	}
	for _, r := range rs {
		total += r
	}
	if len(page.Revisions) != 1 || page.Revisions[0].Author != "import" || page.Revisions[0].Operation != "import" ||
		int64(len(page.Revisions[0].Changes)) != total {
		t.Fatalf("import revisions: %d, changes %d, records %d", len(page.Revisions), len(page.Revisions[0].Changes), total)
	}
	if n := node(t, s, "org:aclu"); n.Version != 1 {
		t.Errorf("imported version = %d", n.Version)
	}
	// The same files again change nothing: no revision, same versions.
	neo4jtest.LoadBundled(t, s)
	if n, _ := s.CountRevisions(ctx); n != 1 {
		t.Errorf("re-import recorded a revision: %d", n)
	}
	if n := node(t, s, "org:aclu"); n.Version != 1 {
		t.Errorf("re-imported version = %d", n.Version)
	}
}
