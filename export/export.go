// Package export writes subgraphs in the file formats of network tools: GEXF (Gephi,
// graphology), GraphML (yEd, Cytoscape desktop, networkx, igraph), Cytoscape.js JSON,
// graphology's serialized JSON, and CSV node and edge lists (Gephi, Kumu, Flourish). Every
// encoder streams: it writes each node and edge as it arrives and holds nothing but its
// header state, so a whole-graph export costs constant memory. Every edge and node carries all
// of its citations (source id, source name, verbatim quote).
//
// The encoders are fed through kg.GraphWriter by the store's subgraph queries; this package
// imports only kg and the standard library.
package export

import (
	"io"
	"time"

	"github.com/policygraph/policygraph/kg"
)

// Options describe one export file.
type Options struct {
	Dialect   string    // CSV only: "" or "gephi" (default), "kumu", "flourish"
	Selection string    // the selection as a query string ("id=org:aclu&depth=2"), recorded in metadata
	Generated time.Time // when the export was made, recorded in metadata
}

// Encoder is a GraphWriter that writes one file; Close completes the document (closing tags,
// brackets) and flushes. After an error the output is incomplete and must be discarded.
type Encoder interface {
	kg.GraphWriter
	Close() error
}

// Format is one export format.
type Format struct {
	Name        string   // as in /export/{name}: "gexf", "graphml", "cytoscape.json", ...
	Ext         string   // file name extension, with the dot: ".gexf", ".nodes.csv"
	ContentType string   // MIME type with charset where it applies
	Parts       kg.Parts // which halves of the subgraph the encoder needs
	Dialects    []string // accepted Options.Dialect values besides ""; nil when none
	New         func(w io.Writer, o Options) Encoder
}

// Lookup returns the format called name.
func Lookup(name string) (Format, bool) {
	for _, f := range Formats {
		if f.Name == name {
			return f, true
		}
	}
	return Format{}, false
}
