package neo4jstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/policygraph/policygraph/kg"
)

//go:embed migrations/*.cypher
var migrationFiles embed.FS

// migrationStatements returns the embedded schema statements in file order. Files are named
// NNN_name.cypher; statements end with ";"; lines starting with "//" are comments.
func migrationStatements() ([]string, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.cypher")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []string
	for _, name := range names {
		data, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var b strings.Builder
		for line := range strings.SplitSeq(string(data), "\n") {
			if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "//") {
				continue
			}
			b.WriteString(line)
			b.WriteString("\n")
		}
		for stmt := range strings.SplitSeq(b.String(), ";") {
			if stmt = strings.TrimSpace(stmt); stmt != "" {
				out = append(out, stmt)
			}
		}
	}
	return append(out, derivedStatements()...), nil
}

// derivedStatements are the schema statements that follow from kg's model rather than being
// written out: for every relationship type, the uniqueness constraint on its ids (named
// rel_<type>_id, as migration 001 once wrote them out, so existing databases see no change);
// for every node type, range indexes on its label for the stored list orders (a typed list
// matches its label, and the planner reads an index of that label in order).
func derivedStatements() []string {
	var out []string
	for _, t := range kg.RelTypes {
		out = append(out, fmt.Sprintf("CREATE CONSTRAINT rel_%s_id IF NOT EXISTS FOR ()-[r:%s]-() REQUIRE r.id IS UNIQUE", strings.ToLower(t), t))
	}
	for _, t := range kg.NodeTypes {
		snake := strings.ToLower(t)
		out = append(out,
			fmt.Sprintf("CREATE INDEX %s_name_key IF NOT EXISTS FOR (n:%s) ON (n.nameKey)", snake, t),
			fmt.Sprintf("CREATE INDEX %s_degree IF NOT EXISTS FOR (n:%s) ON (n.degree)", snake, t))
	}
	out = append(out, searchStatements()...)
	return out
}

// backfillCypher stores nameKey and degree on nodes written before migration 002, in
// batches of their own transactions (an auto-commit query: CALL IN TRANSACTIONS needs one).
const backfillCypher = `
MATCH (n:Node) WHERE n.nameKey IS NULL OR n.degree IS NULL
CALL (n) { SET n.nameKey = toLower(n.name), n.degree = COUNT { (n)--() } } IN TRANSACTIONS OF 10000 ROWS`

func (s *Store) backfill(ctx context.Context) error {
	if err := s.autoCommit(ctx, backfillCypher, nil); err != nil {
		return fmt.Errorf("backfill nameKey and degree: %w", err)
	}
	return nil
}

// Migrate applies the embedded schema (constraints and indexes). Every statement is
// idempotent, so running it again changes nothing. It waits for indexes to come online.
func (s *Store) Migrate(ctx context.Context) error {
	stmts, err := migrationStatements()
	if err != nil {
		return err
	}
	for _, stmt := range stmts {
		// Schema commands cannot share a transaction with each other or with writes.
		s.queries.Add(1)
		if _, err := neo4j.ExecuteQuery(ctx, s.driver, stmt, nil, neo4j.EagerResultTransformer,
			neo4j.ExecuteQueryWithWritersRouting(), neo4j.ExecuteQueryWithDatabase(s.db)); err != nil {
			return fmt.Errorf("migration %q: %w", firstLine(stmt), translate(ctx, err))
		}
	}
	s.queries.Add(1)
	if _, err := neo4j.ExecuteQuery(ctx, s.driver, "CALL db.awaitIndexes(300)", nil, neo4j.EagerResultTransformer,
		neo4j.ExecuteQueryWithWritersRouting(), neo4j.ExecuteQueryWithDatabase(s.db)); err != nil {
		return fmt.Errorf("await indexes: %w", translate(ctx, err))
	}
	if err := s.backfill(ctx); err != nil {
		return err
	}
	if err := s.backfillVersions(ctx); err != nil {
		return err
	}
	return s.backfillSearchText(ctx)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// SchemaItem is one constraint or index, as Neo4j reports it.
type SchemaItem struct {
	Kind, Name, Description string
}

// Schema lists constraints and indexes (used by tests and diagnostics).
func (s *Store) Schema(ctx context.Context) ([]SchemaItem, error) {
	var out []SchemaItem
	res, err := s.read(ctx, `SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties
		RETURN name, type + ' ' + reduce(s = '', x IN labelsOrTypes | s + x) + '(' + reduce(s = '', x IN properties | s + x) + ')' AS d
		ORDER BY name`, nil)
	if err != nil {
		return nil, err
	}
	for _, r := range res.Records {
		name, _ := r.Values[0].(string)
		d, _ := r.Values[1].(string)
		out = append(out, SchemaItem{Kind: "constraint", Name: name, Description: d})
	}
	res, err = s.read(ctx, `SHOW INDEXES YIELD name, type, labelsOrTypes, properties, state
		RETURN name, type + ' ' + reduce(s = '', x IN coalesce(labelsOrTypes, []) | s + x) + '(' + reduce(s = '', x IN coalesce(properties, []) | s + x + ',') + ') ' + state AS d
		ORDER BY name`, nil)
	if err != nil {
		return nil, err
	}
	for _, r := range res.Records {
		name, _ := r.Values[0].(string)
		d, _ := r.Values[1].(string)
		out = append(out, SchemaItem{Kind: "index", Name: name, Description: d})
	}
	return out, nil
}
