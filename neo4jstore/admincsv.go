package neo4jstore

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/policygraph/policygraph/kg"
)

// A first load of a big graph can skip Cypher: CSVWriter writes nodes and relationships as the
// CSV files of `neo4j-admin database import full` (offline, Neo4j stopped; scripts/neo4j.sh
// import runs it), with the very properties BulkImport stores (nodeProps, relProps, labelsFor).
// What the CSV cannot say is finished on the running database by FinishAdminImport: CSV has
// no empty list (an empty field is no property), and degrees are only known once every
// relationship is in.

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
}

// CSVWriter writes batches of nodes and relationships into one directory: one file per node
// type and per relationship type. Each batch is formatted by as many goroutines as there are
// CPUs, in contiguous parts written in order (the files are the same as from one goroutine).
// Not safe for concurrent use.
type CSVWriter struct {
	dir                 string
	now                 string
	files               map[string]*csvFile
	cols                map[string][]string // file -> property columns
	emptyNode, emptyRel map[string]bool
	multiline           bool // some value holds a line break
	nodes, rels         int
}

const (
	csvNodeFixed = "id:ID,:LABEL,createdAt:datetime,updatedAt:datetime,version:long"
	csvRelFixed  = ":START_ID,:END_ID,:TYPE,id,createdAt:datetime,updatedAt:datetime,version:long"
)

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
	// The columns of each file: the keys nodeProps and relProps give (always all of them).
	cols := map[string][]string{}
	for _, t := range kg.NodeTypes {
		cols["nodes-"+t] = sortedKeys(nodeProps(kg.Node{Type: t}))
	}
	for _, t := range kg.RelTypes {
		cols["rels-"+t] = sortedKeys(relProps(kg.Relationship{Type: t}))
	}
	return &CSVWriter{dir: dir, now: time.Now().UTC().Format(time.RFC3339Nano), files: map[string]*csvFile{},
		cols: cols, emptyNode: map[string]bool{}, emptyRel: map[string]bool{}}, nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// csvPart is the formatted lines of a contiguous part of a batch.
type csvPart struct {
	lines               map[string]*bytes.Buffer // file -> lines
	order               []string                 // files in first-use order
	emptyNode, emptyRel map[string]bool
	multiline           bool
	err                 error
}

// Write appends one batch. Node and relationship types outside kg's allow-lists are refused;
// a relationship whose end is in no batch fails the import itself (the tool's default).
func (w *CSVWriter) Write(nodes []kg.Node, rels []kg.Relationship) error {
	for _, n := range nodes {
		if !kg.IsNodeType(n.Type) {
			return kg.Invalid("nodes", "%q is not a node type (node %q)", n.Type, n.ID)
		}
	}
	for _, r := range rels {
		if !kg.IsRelType(r.Type) {
			return kg.Invalid("relationships", "%q is not a relationship type (relationship %q)", r.Type, r.ID)
		}
	}
	k := max(1, runtime.GOMAXPROCS(0))
	parts := make([]csvPart, k)
	var wg sync.WaitGroup
	for i := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nlo, nhi := len(nodes)*i/k, len(nodes)*(i+1)/k
			rlo, rhi := len(rels)*i/k, len(rels)*(i+1)/k
			parts[i].err = w.format(&parts[i], nodes[nlo:nhi], rels[rlo:rhi])
		}()
	}
	wg.Wait()
	for i := range parts { // nothing of a refused batch is written
		if parts[i].err != nil {
			return parts[i].err
		}
	}
	for i := range parts {
		p := &parts[i]
		for _, name := range p.order {
			f, err := w.file(name)
			if err != nil {
				return err
			}
			if _, err := f.w.Write(p.lines[name].Bytes()); err != nil {
				return err
			}
		}
		for k := range p.emptyNode {
			w.emptyNode[k] = true
		}
		for k := range p.emptyRel {
			w.emptyRel[k] = true
		}
		w.multiline = w.multiline || p.multiline
	}
	w.nodes += len(nodes)
	w.rels += len(rels)
	return nil
}

// format formats nodes and relationships into p (it reads only w's fixed fields).
func (w *CSVWriter) format(p *csvPart, nodes []kg.Node, rels []kg.Relationship) error {
	p.lines, p.emptyNode, p.emptyRel = map[string]*bytes.Buffer{}, map[string]bool{}, map[string]bool{}
	buf := func(name string) *bytes.Buffer {
		b := p.lines[name]
		if b == nil {
			b = &bytes.Buffer{}
			p.lines[name] = b
			p.order = append(p.order, name)
		}
		return b
	}
	for _, n := range nodes {
		name := "nodes-" + n.Type
		labels := strings.ReplaceAll(strings.TrimPrefix(labelsFor(n.Type), ":"), ":", csvArrayDelimiter)
		if err := p.row(buf(name), name, w.cols[name], []string{p.quote(n.ID), labels, w.now, w.now, "1"}, nodeProps(n), p.emptyNode, "node "+n.ID); err != nil {
			return err
		}
	}
	for _, r := range rels {
		id := r.ID
		if id == "" {
			id = kg.DefaultRelID(r.From, r.Type, r.To)
		}
		name := "rels-" + r.Type
		if err := p.row(buf(name), name, w.cols[name], []string{p.quote(r.From), p.quote(r.To), r.Type, p.quote(id), w.now, w.now, "1"}, relProps(r), p.emptyRel, "relationship "+id); err != nil {
			return err
		}
	}
	return nil
}

// file returns the open file of a node or relationship type, creating it with its header:
// the fixed columns, then the property columns, each with its CSV type.
func (w *CSVWriter) file(name string) (*csvFile, error) {
	if f := w.files[name]; f != nil {
		return f, nil
	}
	header := []string{csvNodeFixed}
	if strings.HasPrefix(name, "rels-") {
		header = []string{csvRelFixed}
	}
	for _, k := range w.cols[name] {
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
	f := &csvFile{name: name + ".csv", f: fh, w: bufio.NewWriterSize(fh, 1<<20)}
	if _, err := f.w.WriteString(strings.Join(header, ",") + "\n"); err != nil {
		return nil, err
	}
	w.files[name] = f
	return f, nil
}

// row formats one line: the fixed fields, then the properties in the columns' order. A
// property absent from the map is absent from the graph (empty field); a string is always
// quoted, so "" stays an empty string.
func (p *csvPart) row(b *bytes.Buffer, file string, cols, fixed []string, props map[string]any, empty map[string]bool, what string) error {
	if len(props) != len(cols) {
		return fmt.Errorf("%s: %d properties, the file %s.csv has %d columns", what, len(props), file, len(cols))
	}
	fields := fixed
	for _, k := range cols {
		v, ok := props[k]
		if !ok {
			return fmt.Errorf("%s: property %q is not a column of %s.csv", what, k, file)
		}
		var s string
		switch x := v.(type) {
		case nil:
		case string:
			if !csvListProps[k] && !csvBoolProps[k] && !csvFloatProps[k] {
				s = p.quote(x)
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
			s = p.quote(strings.Join(x, csvArrayDelimiter))
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
	b.WriteString(strings.Join(fields, ","))
	b.WriteByte('\n')
	return nil
}

func isEmptyList(v any) bool {
	l, ok := v.([]string)
	return ok && len(l) == 0
}

// quoteCSV quotes a field for the import tool: quotes doubled, the whole in quotes.
func quoteCSV(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// quote quotes a text value and notes a line break in it: the tool then runs with
// --multiline-fields=true, which it can only read one line after the other (without line
// breaks it reads a file in parallel chunks).
func (p *csvPart) quote(s string) string {
	if !p.multiline && strings.ContainsAny(s, "\r\n") {
		p.multiline = true
	}
	return quoteCSV(s)
}

// Close flushes the files and returns the import tool's arguments.
func (w *CSVWriter) Close() (AdminImport, error) {
	out := AdminImport{Nodes: w.nodes, Relationships: w.rels,
		Args: []string{"--array-delimiter=U+001F", "--multiline-fields=" + strconv.FormatBool(w.multiline)}}
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
// the running database: one pass over the nodes stores each node's degree and sets the lists
// CSV cannot write ([] and [""]), one over the relationships sets theirs (when some have such
// lists), then Migrate builds the schema over the finished graph (the writes come first: with
// no index yet, they update none). The passes run in batches of their own transactions, as
// many at once as Neo4j has cores (5,000 rows each keeps them inside the transaction memory
// pool of a 1 GB heap). Run once, right after the import.
func (s *Store) FinishAdminImport(ctx context.Context, imp AdminImport) (FinishStats, error) {
	var st FinishStats
	for _, part := range []struct {
		match, degree string
		props         []string
		took          *time.Duration
	}{{"MATCH (x:Node)", "x.degree = COUNT { (x)--() }", imp.NodeListFixes, &st.Nodes}, {"MATCH ()-[x]->()", "", imp.RelListFixes, &st.Relationships}} {
		set := []string{}
		if part.degree != "" {
			set = append(set, part.degree)
		}
		for _, p := range part.props {
			if !csvListProps[p] { // property names become Cypher text: only the known ones
				return st, kg.Invalid("props", "%q is not a list property", p)
			}
			// Setting a property to the value it holds writes nothing.
			set = append(set, "x."+p+" = CASE WHEN x."+p+" IS NULL THEN [] WHEN x."+p+" = [$blank] THEN [''] ELSE x."+p+" END")
		}
		if len(set) == 0 {
			continue
		}
		t0 := time.Now()
		cypher := part.match + " CALL (x) { SET " + strings.Join(set, ", ") + " } IN CONCURRENT TRANSACTIONS OF 5000 ROWS"
		if err := s.autoCommit(ctx, cypher, map[string]any{"blank": csvBlank}); err != nil {
			return st, fmt.Errorf("finish the import (degrees, lists): %w", err)
		}
		*part.took = time.Since(t0)
	}
	t0 := time.Now()
	err := s.Migrate(ctx)
	st.Schema = time.Since(t0)
	return st, err
}

// FinishStats is how long each pass of FinishAdminImport took.
type FinishStats struct {
	Nodes, Relationships, Schema time.Duration
}
