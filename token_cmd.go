package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/policygraph/policygraph/kg"
	"github.com/policygraph/policygraph/neo4jstore"
)

const tokenUsage = `usage:
  policygraph token create --name NAME --role reader|editor|admin   print a new token (shown only this once)
  policygraph token list                                             name, role, created, revoked (never the token)
  policygraph token revoke NAME                                      the token stops working within seconds on every server`

// tokenCommand manages API tokens in the Neo4j of NEO4J_URI (docs/curation.md, "Tokens and
// roles"). create writes the token alone on stdout, so `TOKEN=$(policygraph token create ...)`
// captures it; what it is and that it is shown once goes to stderr.
func tokenCommand(ctx context.Context, storeCfg neo4jstore.Config, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(tokenUsage)
	}
	var run func(*neo4jstore.Store) error
	switch args[0] {
	case "create":
		fs := flag.NewFlagSet("token create", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		name := fs.String("name", "", "")
		role := fs.String("role", "", "")
		if err := fs.Parse(args[1:]); err != nil {
			return fmt.Errorf("token create: %v\n%s", err, tokenUsage)
		}
		switch {
		case fs.NArg() > 0:
			return fmt.Errorf("token create: unexpected argument %q\n%s", fs.Arg(0), tokenUsage)
		case *name == "":
			return fmt.Errorf("token create: --name is required\n%s", tokenUsage)
		case *role == "":
			return fmt.Errorf("token create: --role is required (reader, editor or admin)\n%s", tokenUsage)
		}
		// Name and role are checked before the database is asked.
		if err := neo4jstore.CheckTokenName(*name); err != nil {
			return err
		}
		if !kg.Role(*role).Valid() {
			return fmt.Errorf("token create: --role %q is not a role (want reader, editor or admin)", *role)
		}
		run = func(s *neo4jstore.Store) error {
			token, t, err := s.CreateToken(ctx, *name, kg.Role(*role))
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, token)
			fmt.Fprintf(stderr, "created token %q (role %s). It is shown only now: keep it secret; send it as \"Authorization: Bearer <token>\".\n", t.Name, t.Role)
			return nil
		}
	case "list":
		if len(args) > 1 {
			return fmt.Errorf("token list: unexpected argument %q\n%s", args[1], tokenUsage)
		}
		run = func(s *neo4jstore.Store) error {
			list, err := s.Tokens(ctx)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tROLE\tCREATED\tREVOKED")
			for _, t := range list {
				revoked := "-"
				if !t.RevokedAt.IsZero() {
					revoked = t.RevokedAt.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, t.Role, t.CreatedAt.UTC().Format(time.RFC3339), revoked)
			}
			return tw.Flush()
		}
	case "revoke":
		if len(args) != 2 {
			return fmt.Errorf("token revoke: give exactly one token name\n%s", tokenUsage)
		}
		run = func(s *neo4jstore.Store) error {
			t, err := s.RevokeToken(ctx, args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "token %q revoked at %s\n", t.Name, t.RevokedAt.UTC().Format(time.RFC3339))
			return nil
		}
	default:
		return fmt.Errorf("token: unknown subcommand %q\n%s", args[0], tokenUsage)
	}
	store, err := neo4jstore.Open(ctx, storeCfg)
	if err != nil {
		return err
	}
	defer store.Close(context.Background())
	if err := store.Migrate(ctx); err != nil { // the token constraints, on a database no server has prepared yet
		return err
	}
	return run(store)
}
