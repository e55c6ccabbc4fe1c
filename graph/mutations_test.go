package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/policygraph/policygraph/graph"
	"github.com/policygraph/policygraph/internal/neo4jtest"
	"github.com/policygraph/policygraph/kg"
	"github.com/policygraph/policygraph/neo4jstore"
)

// Mutations through the real handler over the real Neo4j. The caller's principal is set by a
// context middleware (in the server, the auth layer sets it from the bearer token): the
// X-Test-Principal header holds "name/role".

type writeEnv struct {
	t     *testing.T
	store *neo4jstore.Store
	srv   *httptest.Server
}

// newWriteEnv starts from the bundled dataset, and puts it back afterwards for the read tests
// that share the database.
func newWriteEnv(t *testing.T) *writeEnv {
	s := neo4jtest.Store(t)
	neo4jtest.LoadBundled(t, s)
	t.Cleanup(func() {
		neo4jtest.Reset(t, s)
		neo4jtest.LoadBundled(t, s)
	})
	h := graph.NewHandler(s, slog.New(slog.NewJSONHandler(io.Discard, nil)), graph.Limits{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.Header.Get("X-Test-Principal"); p != "" {
			name, role, _ := strings.Cut(p, "/")
			r = r.WithContext(kg.WithPrincipal(r.Context(), kg.Principal{Name: name, Role: kg.Role(role)}))
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return &writeEnv{t: t, store: s, srv: srv}
}

// as sends a query as principal ("" = anonymous).
func (e *writeEnv) as(principal, query string, vars map[string]any) gqlResponse {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if principal != "" {
		req.Header.Set("X-Test-Principal", principal)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out gqlResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		e.t.Fatalf("response is not JSON (%d): %s", res.StatusCode, raw)
	}
	return out
}

// ok sends a query that must succeed and decodes its data into v.
func (e *writeEnv) ok(principal, query string, vars map[string]any, v any) {
	e.t.Helper()
	res := e.as(principal, query, vars)
	if len(res.Errors) > 0 {
		e.t.Fatalf("%s failed: %+v", firstLine(query), res.Errors)
	}
	if v != nil {
		decode(e.t, res.Data, v)
	}
}

// fails sends a query that must fail with code, and returns the first error.
func (e *writeEnv) fails(principal, query string, vars map[string]any, code string, texts ...string) map[string]any {
	e.t.Helper()
	res := e.as(principal, query, vars)
	if len(res.Errors) == 0 {
		e.t.Fatalf("%s as %q succeeded, want %s: %s", firstLine(query), principal, code, res.Data)
	}
	er := res.Errors[0]
	if er.Extensions["code"] != code {
		e.t.Fatalf("%s as %q: code %v (%s), want %s", firstLine(query), principal, er.Extensions["code"], er.Message, code)
	}
	for _, x := range texts {
		if !strings.Contains(er.Message, x) {
			e.t.Errorf("error %q does not say %q", er.Message, x)
		}
	}
	return er.Extensions
}

func firstLine(q string) string { l, _, _ := strings.Cut(strings.TrimSpace(q), "("); return l }

// counts is what a refused mutation must leave alone: nodes, relationships, citations, revisions.
func counts(t *testing.T, s *neo4jstore.Store) [4]int64 {
	t.Helper()
	ns, rs, cs, err := s.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out [4]int64
	for _, n := range ns {
		out[0] += n
	}
	for _, r := range rs {
		out[1] += r
	}
	out[2] = cs
	if out[3], err = s.CountRevisions(context.Background()); err != nil {
		t.Fatal(err)
	}
	return out
}

// The eleven mutations, each as a document taking $input.
const (
	mCreateSource       = `mutation($input: CreateSourceInput!) { createSource(input: $input) { node { id version } revision { id } } }`
	mCreateNode         = `mutation($input: CreateNodeInput!) { createNode(input: $input) { node { id version } revision { id } } }`
	mUpdateNode         = `mutation($input: UpdateNodeInput!) { updateNode(input: $input) { node { id version description } revision { id } } }`
	mDeleteNode         = `mutation($input: DeleteNodeInput!) { deleteNode(input: $input) { id revision { id } } }`
	mCreateRelationship = `mutation($input: CreateRelationshipInput!) { createRelationship(input: $input) { relationship { id version from { id } to { id } } revision { id } } }`
	mUpdateRelationship = `mutation($input: UpdateRelationshipInput!) { updateRelationship(input: $input) { relationship { id version role } revision { id } } }`
	mDeleteRelationship = `mutation($input: DeleteRelationshipInput!) { deleteRelationship(input: $input) { id revision { id } } }`
	mAddCitation        = `mutation($input: AddCitationInput!) { addCitation(input: $input) { relationship { id version citations { quote } } node { id } revision { id } } }`
	mRemoveCitation     = `mutation($input: RemoveCitationInput!) { removeCitation(input: $input) { relationship { id version citations { quote } } node { id } revision { id } } }`
	mMergeNodes         = `mutation($input: MergeNodesInput!) { mergeNodes(input: $input) { node { id version aliases } revision { id } } }`
	mRevert             = `mutation($input: RevertInput!) { revert(input: $input) { revision { id reverts operation } } }`
)

const roleText = "The Foundation sued the Ministry. Ana Ruiz leads the Foundation. The Fund is the Foundation."

// chain runs every mutation once as principal on records of its own (suffix), and returns the
// id of one revision it wrote.
func chain(e *writeEnv, principal, suffix string) string {
	t := e.t
	t.Helper()
	src, org, org2, person := "source:roles-"+suffix, "org:roles-"+suffix, "org:fund-"+suffix, "person:ana-"+suffix
	cite := []map[string]any{{"source": src, "quote": "Ana Ruiz leads the Foundation."}}
	var out struct {
		CreateSource, CreateNode, UpdateNode, MergeNodes struct {
			Node     struct{ ID string }
			Revision struct{ ID string }
		}
		CreateRelationship, UpdateRelationship, AddCitation, RemoveCitation struct {
			Relationship struct {
				ID      string
				Version int
			}
		}
	}
	e.ok(principal, mCreateSource, map[string]any{"input": map[string]any{"id": src, "name": "Roles " + suffix, "kind": "ARTICLE", "text": roleText, "reason": "r"}}, &out)
	e.ok(principal, mCreateNode, map[string]any{"input": map[string]any{"type": "Organization", "id": org, "name": "Foundation " + suffix, "kind": "NGO", "citations": cite, "reason": "r"}}, nil)
	e.ok(principal, mCreateNode, map[string]any{"input": map[string]any{"type": "Organization", "id": org2, "name": "Fund " + suffix, "kind": "NGO", "citations": cite, "reason": "r"}}, nil)
	e.ok(principal, mCreateNode, map[string]any{"input": map[string]any{"type": "Person", "id": person, "name": "Ana Ruiz " + suffix, "citations": cite, "reason": "r"}}, nil)
	e.ok(principal, mUpdateNode, map[string]any{"input": map[string]any{"id": org, "expectedVersion": 1, "set": map[string]any{"description": "An NGO."}, "reason": "r"}}, &out)
	e.ok(principal, mCreateRelationship, map[string]any{"input": map[string]any{"type": "HOLDS_POSITION", "from": person, "to": org, "citations": cite, "reason": "r"}}, &out)
	rel := out.CreateRelationship.Relationship.ID
	e.ok(principal, mUpdateRelationship, map[string]any{"input": map[string]any{"id": rel, "expectedVersion": 1, "set": map[string]any{"role": "Director"}, "reason": "r"}}, &out)
	e.ok(principal, mAddCitation, map[string]any{"input": map[string]any{"record": rel, "expectedVersion": 2, "citation": map[string]any{"source": src, "quote": "leads the Foundation"}, "reason": "r"}}, &out)
	e.ok(principal, mRemoveCitation, map[string]any{"input": map[string]any{"record": rel, "expectedVersion": 3, "source": src, "quote": "leads the Foundation", "reason": "r"}}, &out)
	if out.RemoveCitation.Relationship.Version != 4 {
		t.Fatalf("versions along the chain: %+v", out)
	}
	e.ok(principal, mMergeNodes, map[string]any{"input": map[string]any{"keep": org, "keepVersion": 2, "merge": org2, "mergeVersion": 1, "reason": "r"}}, &out)
	e.ok(principal, mDeleteRelationship, map[string]any{"input": map[string]any{"id": rel, "expectedVersion": 4, "reason": "r"}}, nil)
	e.ok(principal, mDeleteNode, map[string]any{"input": map[string]any{"id": person, "expectedVersion": 1, "reason": "r"}}, nil)
	e.ok(principal, mRevert, map[string]any{"input": map[string]any{"revisionId": out.MergeNodes.Revision.ID, "reason": "r"}}, nil)
	return out.UpdateNode.Revision.ID
}

func TestMutationRolesAndRules(t *testing.T) {
	e := newWriteEnv(t)
	const ed, ed2, adm, rd = "ed/editor", "eve/editor", "root/admin", "reader/reader"

	t.Run("anonymous and readers change nothing", func(t *testing.T) {
		e.t = t
		before := counts(t, e.store)
		inputs := map[string]map[string]any{
			mCreateSource:       {"name": "S", "kind": "ARTICLE", "reason": "r"},
			mCreateNode:         {"type": "Person", "name": "P", "citations": []any{map[string]any{"source": "source:justsecurity-virtual-wall", "quote": "q"}}, "reason": "r"},
			mUpdateNode:         {"id": "org:aclu", "expectedVersion": 1, "set": map[string]any{"description": "x"}, "reason": "r"},
			mDeleteNode:         {"id": "org:aclu", "expectedVersion": 1, "reason": "r"},
			mCreateRelationship: {"type": "OPPOSES", "from": "org:aclu", "to": "org:aclu", "citations": []any{}, "reason": "r"},
			mUpdateRelationship: {"id": "rel:x", "expectedVersion": 1, "set": map[string]any{"role": "x"}, "reason": "r"},
			mDeleteRelationship: {"id": "rel:x", "expectedVersion": 1, "reason": "r"},
			mAddCitation:        {"record": "org:aclu", "expectedVersion": 1, "citation": map[string]any{"source": "source:x", "quote": "q"}, "reason": "r"},
			mRemoveCitation:     {"record": "org:aclu", "expectedVersion": 1, "source": "source:x", "quote": "q", "reason": "r"},
			mMergeNodes:         {"keep": "org:aclu", "keepVersion": 1, "merge": "org:cbp", "mergeVersion": 1, "reason": "r"},
			mRevert:             {"revisionId": "rev:1", "reason": "r"},
		}
		for q, in := range inputs {
			e.fails("", q, map[string]any{"input": in}, graph.CodeUnauthenticated)
			e.fails(rd, q, map[string]any{"input": in}, graph.CodeForbidden)
		}
		if after := counts(t, e.store); after != before {
			t.Fatalf("refused mutations changed the graph: %v -> %v", before, after)
		}
	})

	t.Run("editors and admins write; revert of others and force are admin only", func(t *testing.T) {
		e.t = t
		edRev := chain(e, ed, "ed")
		admRev := chain(e, adm, "admin")
		before := counts(t, e.store)
		e.fails(ed2, mRevert, map[string]any{"input": map[string]any{"revisionId": edRev, "reason": "r"}}, graph.CodeForbidden, "only their own")
		e.fails(ed, mRevert, map[string]any{"input": map[string]any{"revisionId": admRev, "reason": "r"}}, graph.CodeForbidden)
		e.fails(ed, mRevert, map[string]any{"input": map[string]any{"revisionId": edRev, "force": true, "reason": "r"}}, graph.CodeForbidden)
		// edRev (an update of org:roles-ed) has later revisions (the merge and its revert).
		e.fails(adm, mRevert, map[string]any{"input": map[string]any{"revisionId": edRev, "reason": "r"}}, graph.CodeConflict, "later revisions")
		if after := counts(t, e.store); after != before {
			t.Fatalf("refused reverts changed the graph: %v -> %v", before, after)
		}
		var out struct {
			Revert struct{ Revision struct{ Reverts string } }
		}
		e.ok(adm, mRevert, map[string]any{"input": map[string]any{"revisionId": edRev, "force": true, "reason": "r"}}, &out)
		if out.Revert.Revision.Reverts != edRev {
			t.Fatalf("forced revert: %+v", out)
		}
	})

	t.Run("citations, endpoints and sizes", func(t *testing.T) {
		e.t = t
		before := counts(t, e.store)
		e.fails(ed, mCreateNode, map[string]any{"input": map[string]any{"type": "Person", "name": "No Cite", "citations": []any{}, "reason": "r"}},
			graph.CodeBadUserInput, `field "citations"`, "at least one citation")
		e.fails(ed, mCreateNode, map[string]any{"input": map[string]any{"type": "Person", "name": "Bad Quote", "reason": "r",
			"citations": []any{map[string]any{"source": "source:roles-admin", "quote": "words that are not there"}}}},
			graph.CodeBadUserInput, `citations[0].quote`, "is not in the text of source:roles-admin")
		e.fails(ed, mCreateRelationship, map[string]any{"input": map[string]any{"type": "HOLDS_POSITION", "from": "org:aclu", "to": "org:us-congress", "reason": "r",
			"citations": []any{map[string]any{"source": "source:roles-admin", "quote": "Ana Ruiz"}}}},
			graph.CodeBadUserInput, `field "from"`, `"org:aclu" is a Organization, but HOLDS_POSITION joins only`)
		e.fails(ed, mUpdateNode, map[string]any{"input": map[string]any{"id": "org:aclu", "expectedVersion": 1, "reason": "r",
			"set": map[string]any{"name": strings.Repeat("n", kg.MaxNameLength+1)}}}, graph.CodeBadUserInput, `field "name"`, "the limit is 300")
		e.fails(ed, mCreateNode, map[string]any{"input": map[string]any{"type": "Source", "name": "S", "citations": []any{}, "reason": "r"}},
			graph.CodeBadUserInput, "createSource")
		if after := counts(t, e.store); after != before {
			t.Fatalf("rejected writes changed the graph: %v -> %v", before, after)
		}
	})

	t.Run("a stale version is a conflict with the current version", func(t *testing.T) {
		e.t = t
		e.ok(ed, mUpdateNode, map[string]any{"input": map[string]any{"id": "org:aclu", "expectedVersion": 1, "set": map[string]any{"description": "First."}, "reason": "r"}}, nil)
		before := counts(t, e.store)
		ext := e.fails(ed2, mUpdateNode, map[string]any{"input": map[string]any{"id": "org:aclu", "expectedVersion": 1, "set": map[string]any{"description": "Second."}, "reason": "r"}},
			graph.CodeConflict, "stored version is 2")
		if ext["currentVersion"] != float64(2) {
			t.Fatalf("extensions: %v", ext)
		}
		if after := counts(t, e.store); after != before {
			t.Fatal("a conflicting write changed the graph")
		}
	})

	t.Run("an idempotent retry returns the first result", func(t *testing.T) {
		e.t = t
		vars := map[string]any{"input": map[string]any{"id": "org:aclu", "expectedVersion": 2, "set": map[string]any{"description": "Third."}, "reason": "r", "idempotencyKey": "retry-1"}}
		var first, again struct {
			UpdateNode struct {
				Node     struct{ Version int }
				Revision struct{ ID string }
			}
		}
		e.ok(ed, mUpdateNode, vars, &first)
		before := counts(t, e.store)
		e.ok(ed, mUpdateNode, vars, &again)
		if first != again || first.UpdateNode.Node.Version != 3 {
			t.Fatalf("retry: %+v vs %+v", first, again)
		}
		if after := counts(t, e.store); after != before {
			t.Fatal("the retry wrote")
		}
		vars["input"].(map[string]any)["expectedVersion"] = 3
		e.fails(ed, mUpdateNode, vars, graph.CodeBadUserInput, "idempotencyKey", "another request")
	})

	t.Run("history, revert and merge as clients see them", func(t *testing.T) {
		e.t = t
		const read = `query($id: ID!) { node(id: $id) { id version name aliases description citations { quote source { id } }
			history(first: 5) { edges { node { operation author reason changes { record kind before after } } } } } }`
		type nodeRead struct {
			Node struct {
				ID, Name    string
				Version     int
				Aliases     []string
				Description *string
				Citations   []struct{ Quote string }
				History     struct {
					Edges []struct {
						Node struct {
							Operation, Author, Reason string
							Changes                   []struct {
								Record, Kind  string
								Before, After map[string]any
							}
						}
					}
				}
			}
		}
		var before, merged, split nodeRead
		e.ok(rd, read, map[string]any{"id": "org:aclu"}, &before)
		h := before.Node.History.Edges
		if len(h) < 2 || h[0].Node.Operation != "updateNode" || h[0].Node.Author != "ed" || h[len(h)-1].Node.Operation != "import" ||
			h[0].Node.Changes[0].After["description"] != "Third." || h[0].Node.Changes[0].Before["description"] != "First." {
			t.Fatalf("history of org:aclu: %+v", h)
		}
		var m struct {
			MergeNodes struct{ Revision struct{ ID string } }
		}
		e.ok(ed, mMergeNodes, map[string]any{"input": map[string]any{"keep": "org:aclu", "keepVersion": 3, "merge": "org:roles-ed", "mergeVersion": 5, "reason": "same"}}, &m)
		e.ok(rd, read, map[string]any{"id": "org:roles-ed"}, &merged)
		if merged.Node.ID != "org:aclu" || merged.Node.History.Edges[0].Node.Operation != "mergeNodes" {
			t.Fatalf("merged id reads %+v", merged.Node)
		}
		e.ok(ed, mRevert, map[string]any{"input": map[string]any{"revisionId": m.MergeNodes.Revision.ID, "reason": "not the same"}}, nil)
		e.ok(rd, read, map[string]any{"id": "org:aclu"}, &split)
		b, s := before.Node, split.Node
		if s.Version != b.Version+2 || s.Name != b.Name || strings.Join(s.Aliases, "|") != strings.Join(b.Aliases, "|") ||
			*s.Description != *b.Description || len(s.Citations) != len(b.Citations) {
			t.Fatalf("after the split: %+v\nbefore: %+v", s, b)
		}
		var again nodeRead
		e.ok(rd, read, map[string]any{"id": "org:roles-ed"}, &again)
		if again.Node.ID != "org:roles-ed" {
			t.Fatalf("the duplicate is not back: %+v", again.Node)
		}
		var revs struct {
			Revisions struct {
				Edges []struct {
					Node struct{ Author, Operation string }
				}
			}
		}
		e.ok(rd, `{ revisions(author: "ed", first: 3) { edges { node { author operation } } } }`, nil, &revs)
		if len(revs.Revisions.Edges) != 3 || revs.Revisions.Edges[0].Node.Operation != "revert" || revs.Revisions.Edges[1].Node.Operation != "mergeNodes" {
			t.Fatalf("revisions by ed: %+v", revs)
		}
		e.fails(rd, `{ revisions(since: "yesterday") { edges { cursor } } }`, nil, graph.CodeBadUserInput, "since")
	})
}
