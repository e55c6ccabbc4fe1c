// Package data embeds the bundled datasets (policygraph/v1 import files, docs/data-format.md)
// so the server can load them into an empty graph with no files beside the binary.
package data

import "embed"

// Files holds every *.json dataset of this folder.
//
//go:embed *.json
var Files embed.FS
