// Package data embeds the bundled datasets (policygraph/v1 import files, docs/data-format.md)
// so the server can load them into an empty graph with no files beside the binary.
package data

import (
	"embed"
	"fmt"
	"io/fs"

	"github.com/policygraph/policygraph/kg"
)

// Files holds every *.json dataset of this folder.
//
//go:embed *.json
var Files embed.FS

// Dataset is one bundled file, decoded and validated.
type Dataset struct {
	Name string
	*kg.Validated
}

// Bundled decodes and validates every bundled dataset, in file-name order.
func Bundled() ([]Dataset, error) {
	names, err := fs.Glob(Files, "*.json")
	if err != nil {
		return nil, err
	}
	var out []Dataset
	for _, name := range names {
		f, err := Files.Open(name)
		if err != nil {
			return nil, err
		}
		d, err := kg.DecodeDataset(f)
		f.Close()
		if err == nil {
			var v *kg.Validated
			if v, err = d.Validate(); err == nil {
				out = append(out, Dataset{Name: name, Validated: v})
				continue
			}
		}
		return nil, fmt.Errorf("bundled dataset %s: %w", name, err)
	}
	return out, nil
}
