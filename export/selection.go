package export

import (
	"context"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/policygraph/policygraph/kg"
)

// Params lists the parameters of an export, as in GET /export/{format}?... and the CLI's
// --flags. They mirror the GraphQL relationship queries' arguments.
var Params = []string{"id", "depth", "types", "nodeTypes", "activeAt", "since", "until", "limit", "dialect"}

// ParseQuery reads an export's selection and options from query parameters. List parameters
// (id, types, nodeTypes) may be repeated or comma-separated. An unknown parameter, a bad value
// or a dialect the format does not have is a *kg.InvalidError naming the parameter.
func ParseQuery(f Format, v url.Values) (kg.ExportQuery, Options, error) {
	var q kg.ExportQuery
	var o Options
	for name := range v {
		if !slices.Contains(Params, name) {
			return q, o, kg.Invalid(name, "is not an export parameter (want one of %s)", strings.Join(Params, ", "))
		}
	}
	for _, name := range []string{"depth", "activeAt", "since", "until", "limit", "dialect"} {
		if len(v[name]) > 1 {
			return q, o, kg.Invalid(name, "is given %d times; give it once", len(v[name]))
		}
	}
	q.IDs = list(v["id"])
	q.Filter.Types = list(v["types"])
	q.Filter.NodeTypes = list(v["nodeTypes"])
	var err error
	if q.Depth, err = intParam(v, "depth"); err != nil {
		return q, o, err
	}
	if q.Limit, err = intParam(v, "limit"); err != nil {
		return q, o, err
	}
	if v.Has("limit") && q.Limit == 0 {
		return q, o, kg.Invalid("limit", "must be between 1 and %d, got 0", kg.MaxNetworkNodes)
	}
	if q.Filter.Time, err = kg.NewTimeFilter(v.Get("activeAt"), v.Get("since"), v.Get("until")); err != nil {
		return q, o, err
	}
	if err := q.Validate(); err != nil {
		return q, o, err
	}
	o.Dialect = v.Get("dialect")
	if o.Dialect != "" && !slices.Contains(f.Dialects, o.Dialect) {
		if len(f.Dialects) == 0 {
			return q, o, kg.Invalid("dialect", "the %s format has no dialects", f.Name)
		}
		return q, o, kg.Invalid("dialect", "%q is not a dialect of %s (want one of %s)", o.Dialect, f.Name, strings.Join(f.Dialects, ", "))
	}
	o.Selection = canonical(v)
	o.Generated = time.Now().UTC()
	return q, o, nil
}

func list(vals []string) []string {
	var out []string
	for _, s := range vals {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func intParam(v url.Values, name string) (int, error) {
	s := v.Get(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, kg.Invalid(name, "%q is not a whole number", s)
	}
	return n, nil
}

// readable keeps ids legible in metadata ("org:aclu", not "org%3Aaclu").
var readable = strings.NewReplacer("%3A", ":", "%2C", ",")

// canonical renders the selection in a stable order, without empty values.
func canonical(v url.Values) string {
	var parts []string
	for _, name := range Params {
		for _, s := range list(v[name]) {
			parts = append(parts, name+"="+readable.Replace(url.QueryEscape(s)))
		}
	}
	return strings.Join(parts, "&")
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// FileName is the download name of an export: policygraph-<selection><ext>, e.g.
// "policygraph-org-aclu-depth-2.gexf", or "policygraph-graph.gexf" for the whole graph.
func FileName(f Format, q kg.ExportQuery) string {
	name := "graph"
	if !q.Whole() {
		name = strings.Join(q.IDs[:min(len(q.IDs), 3)], "-")
		if len(q.IDs) > 3 {
			name += "-and-" + strconv.Itoa(len(q.IDs)-3) + "-more"
		}
		if q.Depth > 0 {
			name += "-depth-" + strconv.Itoa(q.Depth)
		}
	}
	name = strings.Trim(unsafeName.ReplaceAllString(strings.ReplaceAll(name, ":", "-"), "-"), "-")
	return "policygraph-" + name + f.Ext
}

// Source is where exports read the graph: neo4jstore.Store.
type Source interface {
	// Export streams the selection to w (see neo4jstore.Store.Export for its errors).
	Export(ctx context.Context, q kg.ExportQuery, parts kg.Parts, w kg.GraphWriter) error
}

// Write runs one export: the store's query feeds the format's encoder, which writes to out.
// begin, when not nil, runs once before the first byte (the HTTP layer sets its headers
// there); an error returned before it ran means nothing was written.
func Write(ctx context.Context, src Source, f Format, q kg.ExportQuery, o Options, out io.Writer, begin func(kg.ExportInfo) error) error {
	enc := &hooked{begin: begin, new: func() Encoder { return f.New(out, o) }}
	if err := src.Export(ctx, q, f.Parts, enc); err != nil {
		return err
	}
	if enc.Encoder == nil { // a source that found nothing to begin with still makes a valid file
		if err := enc.Begin(kg.ExportInfo{}); err != nil {
			return err
		}
	}
	return enc.Encoder.Close()
}

// hooked creates the encoder only at Begin, after the caller's hook, so that no byte is
// written before the selection is known to be good.
type hooked struct {
	Encoder
	begin func(kg.ExportInfo) error
	new   func() Encoder
}

func (h *hooked) Begin(info kg.ExportInfo) error {
	if h.begin != nil {
		if err := h.begin(info); err != nil {
			return err
		}
	}
	h.Encoder = h.new()
	return h.Encoder.Begin(info)
}
