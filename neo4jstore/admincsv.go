package neo4jstore

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/policygraph/policygraph/kg"
)

// A first load of a big graph can skip Cypher: CSVWriter writes nodes and relationships as the
// CSV files of `neo4j-admin database import full` (offline, Neo4j stopped; scripts/neo4j.sh
// import runs it), with the very properties BulkImport stores (nodeProps, relProps, labelsFor).
// What the CSV cannot say is finished on the running database by FinishAdminImport: CSV has
// no empty list (an empty field is no property), and degrees are only known once every
// relationship is in, so Migrate's backfill counts them (as for a graph written before
// migration 002).

// csvArrayDelimiter separates list elements inside a field (passed to the import tool as
// --array-delimiter=U+001F): a control character no text of the graph holds (checked).
// csvBlank stands for the one list CSV cannot write, [""] (its field would read as []):
// written as [U+001E], turned back into [""] by FinishAdminImport.
const (
	csvArrayDelimiter = "\x1f"
	csvBlank          = "\x1e"
)

// csvListProps and the other tables give the CSV type of each stored property; every other
// property is a string. A value of another Go type is an error, not a silent conversion.
var (
	csvListProps  = map[string]bool{"aliases": true, "nameValues": true, "nameLangs": true, "nameKinds": true, "nameReasons": true, "citationSources": true, "citationQuotes": true, "citationLocators": true}
	csvBoolProps  = map[string]bool{"inferred": true}
	csvFloatProps = map[string]bool{"value": true}
)

// AdminImport is what a CSVWriter wrote: the import tool's arguments (file names relative to
// the directory) and what FinishAdminImport must complete.
type AdminImport struct {
	Dir                  string
	Args                 []string
	Nodes, Relationships int
	// NodeListFixes and RelListFixes are the list properties some node (relationship) has
	// empty (imported as no property) or equal to [""] (imported as [U+001E]): FinishAdminImport
	// sets them right.
	NodeListFixes, RelListFixes []string
}

type csvFile struct {
	name string
	f    *os.File
	w    *bufio.Writer
	cols []string // property columns, after the fixed ones
}

// CSVWriter writes batches of nodes and relationships into one directory: one file per node
// type and per relationship type. Not safe for concurrent use.
type CSVWriter struct {
	dir                 string
	now                 string
	files               map[string]*csvFile
	emptyNode, emptyRel map[string]bool
	nodes, rels         int
}

// NewCSVWriter creates dir (which must not exist or be empty) for the CSV files.
func NewCSVWriter(dir string) (*CSVWriter, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if ents, err := os.ReadDir(dir); err != nil {
		return nil, err
	} else if len(ents) > 0 {
		return nil, fmt.Errorf("csv directory %s is not empty", dir)
	}
	return &CSVWriter{dir: dir, now: time.Now().UTC().Format(time.RFC3339Nano), files: map[string]*csvFile{},
		emptyNode: map[string]bool{}, emptyRel: map[string]bool{}}, nil
}

// Write appends one batch. Node and relationship types outside kg's allow-lists are refused;
// a relationship whose end is in no batch fails the import itself (the tool's default).
func (w *CSVWriter) Write(nodes []kg.Node, rels []kg.Relationship) error {
	for _, n := range nodes {
		if !kg.IsNodeType(n.Type) {
			return kg.Invalid("nodes", "%q is not a node type (node %q)", n.Type, n.ID)
		}
		f, err := w.file("nodes-"+n.Type, nodeProps(n), "id:ID,:LABEL,createdAt:datetime,updatedAt:datetime")
		if err != nil {
			return err
		}
		labels := strings.ReplaceAll(strings.TrimPrefix(labelsFor(n.Type), ":"), ":", csvArrayDelimiter)
		if err := w.row(f, []string{quoteCSV(n.ID), labels, w.now, w.now}, nodeProps(n), w.emptyNode, "node "+n.ID); err != nil {
			return err
		}
		w.nodes++
	}
	for _, r := range rels {
		if !kg.IsRelType(r.Type) {
			return kg.Invalid("relationships", "%q is not a relationship type (relationship %q)", r.Type, r.ID)
		}
		id := r.ID
		if id == "" {
			id = kg.DefaultRelID(r.From, r.Type, r.To)
		}
		p := relProps(r)
		f, err := w.file("rels-"+r.Type, p, ":START_ID,:END_ID,:TYPE,id,createdAt:datetime,updatedAt:datetime")
		if err != nil {
			return err
		}
		if err := w.row(f, []string{quoteCSV(r.From), quoteCSV(r.To), r.Type, quoteCSV(id), w.now, w.now}, p, w.emptyRel, "relationship "+id); err != nil {
			return err
		}
		w.rels++
	}
	return nil
}

// file returns the open file of a node or relationship type, creating it with its header:
// the fixed columns, then the properties of the first row (nodeProps and relProps always give
// every key), each with its CSV type.
func (w *CSVWriter) file(name string, props map[string]any, fixed string) (*csvFile, error) {
	if f := w.files[name]; f != nil {
		return f, nil
	}
	cols := make([]string, 0, len(props))
	for k := range props {
		cols = append(cols, k)
	}
	slices.Sort(cols)
	header := []string{fixed}
	for _, k := range cols {
		switch {
		case csvListProps[k]:
			header = append(header, k+":string[]")
		case csvBoolProps[k]:
			header = append(header, k+":boolean")
		case csvFloatProps[k]:
			header = append(header, k+":double")
		default:
			header = append(header, k+":string")
		}
	}
	fh, err := os.Create(filepath.Join(w.dir, name+".csv"))
	if err != nil {
		return nil, err
	}
	f := &csvFile{name: name + ".csv", f: fh, w: bufio.NewWriterSize(fh, 1<<20), cols: cols}
	if _, err := f.w.WriteString(strings.Join(header, ",") + "\n"); err != nil {
		return nil, err
	}
	w.files[name] = f
	return f, nil
}

// row writes one line: the fixed fields, then the properties in the header's order. A
// property absent from the map is absent from the graph (empty field); a string is always
// quoted, so "" stays an empty string.
func (w *CSVWriter) row(f *csvFile, fixed []string, props map[string]any, empty map[string]bool, what string) error {
	if len(props) != len(f.cols) {
		return fmt.Errorf("%s: %d properties, the file %s has %d columns", what, len(props), f.name, len(f.cols))
	}
	fields := fixed
	for _, k := range f.cols {
		v, ok := props[k]
		if !ok {
			return fmt.Errorf("%s: property %q is not a column of %s", what, k, f.name)
		}
		var s string
		switch x := v.(type) {
		case nil:
		case string:
			if !csvListProps[k] && !csvBoolProps[k] && !csvFloatProps[k] {
				s = quoteCSV(x)
			}
		case []string:
			if !csvListProps[k] {
				break
			}
			if len(x) == 0 {
				empty[k] = true // no property; FinishAdminImport sets []
				break
			}
			for _, e := range x {
				if strings.ContainsAny(e, csvArrayDelimiter+csvBlank) {
					return kg.Invalid(k, "%s: a list element holds U+001F or U+001E, which the CSV files reserve", what)
				}
			}
			if len(x) == 1 && x[0] == "" {
				empty[k] = true
				s = quoteCSV(csvBlank)
				break
			}
			s = quoteCSV(strings.Join(x, csvArrayDelimiter))
		case bool:
			if csvBoolProps[k] {
				s = strconv.FormatBool(x)
			}
		case float64:
			if csvFloatProps[k] {
				s = strconv.FormatFloat(x, 'g', -1, 64)
			}
		}
		if s == "" && v != nil && !isEmptyList(v) {
			return fmt.Errorf("%s: property %q is a %T, which its CSV column does not hold", what, k, v)
		}
		fields = append(fields, s)
	}
	_, err := f.w.WriteString(strings.Join(fields, ",") + "\n")
	return err
}

func isEmptyList(v any) bool {
	l, ok := v.([]string)
	return ok && len(l) == 0
}

// quoteCSV quotes a field for the import tool: quotes doubled, the whole in quotes (a field may
// span lines: the tool runs with --multiline-fields=true).
func quoteCSV(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// Close flushes the files and returns the import tool's arguments.
func (w *CSVWriter) Close() (AdminImport, error) {
	out := AdminImport{Dir: w.dir, Nodes: w.nodes, Relationships: w.rels,
		Args: []string{"--array-delimiter=U+001F", "--multiline-fields=true"}}
	names := make([]string, 0, len(w.files))
	for name := range w.files {
		names = append(names, name)
	}
	slices.Sort(names)
	var firstErr error
	for _, name := range names {
		f := w.files[name]
		if err := f.w.Flush(); err != nil && firstErr == nil {
			firstErr = err
		}
		if err := f.f.Close(); err != nil && firstErr == nil {
			firstErr = err
		}
		if strings.HasPrefix(name, "nodes-") {
			out.Args = append(out.Args, "--nodes="+f.name)
		} else {
			out.Args = append(out.Args, "--relationships="+f.name)
		}
	}
	for k := range w.emptyNode {
		out.NodeListFixes = append(out.NodeListFixes, k)
	}
	for k := range w.emptyRel {
		out.RelListFixes = append(out.RelListFixes, k)
	}
	slices.Sort(out.NodeListFixes)
	slices.Sort(out.RelListFixes)
	if firstErr != nil {
		return out, firstErr
	}
	// The arguments, one per line, for scripts/neo4j.sh import.
	return out, os.WriteFile(filepath.Join(w.dir, "import.args"), []byte(strings.Join(out.Args, "\n")+"\n"), 0o644)
}

// FinishAdminImport completes a graph loaded by the import tool from a CSVWriter's files, on
// the running database: the schema (Migrate, whose backfill stores every node's degree and
// version), then the lists CSV cannot write ([] and [""]), in batches of their own
// transactions. Run once, right after the import.
func (s *Store) FinishAdminImport(ctx context.Context, imp AdminImport) error {
	if err := s.Migrate(ctx); err != nil {
		return err
	}
	for _, part := range []struct {
		match string
		props []string
	}{{"MATCH (x:Node)", imp.NodeListFixes}, {"MATCH ()-[x]->()", imp.RelListFixes}} {
		if len(part.props) == 0 {
			continue
		}
		var where, set []string
		for _, p := range part.props {
			if !csvListProps[p] { // property names become Cypher text: only the known ones
				return kg.Invalid("props", "%q is not a list property", p)
			}
			where = append(where, "x."+p+" IS NULL OR x."+p+" = [$blank]")
			set = append(set, "x."+p+" = CASE WHEN x."+p+" IS NULL THEN [] WHEN x."+p+" = [$blank] THEN [''] ELSE x."+p+" END")
		}
		cypher := part.match + " WHERE " + strings.Join(where, " OR ") +
			" CALL (x) { SET " + strings.Join(set, ", ") + " } IN TRANSACTIONS OF 10000 ROWS"
		if err := s.autoCommit(ctx, cypher, map[string]any{"blank": csvBlank}); err != nil {
			return fmt.Errorf("empty lists after the import: %w", err)
		}
	}
	return nil
}

// autoCommit runs one statement in an auto-commit transaction (CALL IN TRANSACTIONS needs one).
func (s *Store) autoCommit(ctx context.Context, cypher string, params map[string]any) error {
	sess := s.driver.NewSession(ctx, neo4j.SessionConfig{DatabaseName: s.db, AccessMode: neo4j.AccessModeWrite})
	defer sess.Close(ctx)
	s.queries.Add(1)
	res, err := sess.Run(ctx, cypher, params)
	if err == nil {
		_, err = res.Consume(ctx)
	}
	if err != nil {
		return translate(ctx, err)
	}
	return nil
}
