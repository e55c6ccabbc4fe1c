package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/policygraph/policygraph/export"
	"github.com/policygraph/policygraph/neo4jstore"
)

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// exportCommand: policygraph export --format F [--id ID ...] [--depth N] [--types T,...]
// [--nodeTypes T,...] [--activeAt D] [--since D] [--until D] [--limit N] [--dialect D]
// [--out FILE]. The flags are the parameters of GET /export/{format} and go through the same
// parser, store query and encoder. No deadline: the CLI is how a large graph is exported.
// With --out the file appears only when complete (written beside it, then renamed).
func exportCommand(ctx context.Context, storeCfg neo4jstore.Config, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	names := make([]string, len(export.Formats))
	for i, f := range export.Formats {
		names[i] = f.Name
	}
	format := fs.String("format", "", "export format: "+strings.Join(names, ", "))
	out := fs.String("out", "", "write to this file instead of stdout (created only when the export is complete)")
	values := url.Values{}
	lists := map[string]*listFlag{}
	for _, p := range export.Params {
		l := &listFlag{}
		lists[p] = l
		fs.Var(l, p, "the /export parameter "+p+" (see docs/exports.md)")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("export: unexpected argument %q (every option is a --flag)", fs.Arg(0))
	}
	f, ok := export.Lookup(*format)
	if !ok {
		return fmt.Errorf("export: --format %q is not an export format (want one of %s)", *format, strings.Join(names, ", "))
	}
	for p, l := range lists {
		if len(*l) > 0 {
			values[p] = *l
		}
	}
	q, o, err := export.ParseQuery(f, values)
	if err != nil {
		return fmt.Errorf("export: --%s", strings.TrimPrefix(err.Error(), "argument "))
	}
	store, err := neo4jstore.Open(ctx, storeCfg)
	if err != nil {
		return err
	}
	defer store.Close(context.Background())

	if *out == "" {
		return export.Write(ctx, store, f, q, o, stdout, nil)
	}
	tmp, err := os.CreateTemp(filepath.Dir(*out), "."+filepath.Base(*out)+".*.partial")
	if err != nil {
		return fmt.Errorf("export: --out: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	err = export.Write(ctx, store, f, q, o, tmp, nil)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return errors.Join(fmt.Errorf("export: %s not written", *out), err)
	}
	return os.Rename(tmp.Name(), *out)
}
