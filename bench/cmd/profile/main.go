// Command profile runs one Cypher statement under PROFILE (or EXPLAIN) against Neo4j and
// prints the plan with rows, db hits, page cache hits/misses and time per operator, plus the
// client-side wall time of a plain run of the same statement, so one can tell planning,
// expansion and result transfer apart.
//
//	go run ./bench/cmd/profile -params '{"id":"org:syn-240"}' 'MATCH (n:Node {id: $id}) RETURN n'
//	go run ./bench/cmd/profile -f query.cypher -params @params.json -explain
//
// Neo4j: NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE as for the server.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
)

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func main() {
	file := flag.String("f", "", "read the statement from this file")
	paramsArg := flag.String("params", "{}", "parameters as JSON, or @file")
	explain := flag.Bool("explain", false, "EXPLAIN only (plan without running)")
	write := flag.Bool("write", false, "the statement writes (route to the writer)")
	show := flag.Int("show", 3, "print this many records of the first run")
	runs := flag.Int("runs", 5, "timed plain runs after one warm-up")
	flag.Parse()
	log.SetFlags(0)
	cypher := strings.Join(flag.Args(), " ")
	if *file != "" {
		b, err := os.ReadFile(*file)
		if err != nil {
			log.Fatal(err)
		}
		cypher = string(b)
	}
	if strings.TrimSpace(cypher) == "" {
		log.Fatal("usage: profile [-f file] [-params JSON|@file] [-explain] [CYPHER]")
	}
	pj := *paramsArg
	if strings.HasPrefix(pj, "@") {
		b, err := os.ReadFile(pj[1:])
		if err != nil {
			log.Fatal(err)
		}
		pj = string(b)
	}
	var params map[string]any
	if err := json.Unmarshal([]byte(pj), &params); err != nil {
		log.Fatalf("params: %v", err)
	}
	params = fixNumbers(params).(map[string]any)

	ctx := context.Background()
	driver, err := neo4j.NewDriverWithContext(env("NEO4J_URI", "bolt://127.0.0.1:7687"),
		neo4j.BasicAuth(env("NEO4J_USER", "neo4j"), env("NEO4J_PASSWORD", "policygraph"), ""))
	if err != nil {
		log.Fatal(err)
	}
	defer driver.Close(ctx)
	db := neo4j.ExecuteQueryWithDatabase(env("NEO4J_DATABASE", "neo4j"))
	routing := neo4j.ExecuteQueryWithReadersRouting()
	if *write {
		routing = neo4j.ExecuteQueryWithWritersRouting()
	}

	if !*explain {
		// Warm-up, then plain timed runs: client wall time includes planning (cached after the
		// first run), execution, transfer and decoding of the records.
		var times []time.Duration
		var records int
		for i := 0; i <= *runs; i++ {
			t0 := time.Now()
			res, err := neo4j.ExecuteQuery(ctx, driver, cypher, params, neo4j.EagerResultTransformer, db, routing)
			if err != nil {
				log.Fatal(err)
			}
			if i > 0 {
				times = append(times, time.Since(t0))
			}
			records = len(res.Records)
			if i == 0 {
				fmt.Printf("first run (plans): %s, %d records\n", time.Since(t0).Round(time.Microsecond), records)
				fmt.Printf("server: available after %s, consumed after %s\n", res.Summary.ResultAvailableAfter(), res.Summary.ResultConsumedAfter())
				for _, r := range res.Records[:min(*show, len(res.Records))] {
					fmt.Printf("  %v\n", r.AsMap())
				}
			}
		}
		sort.Slice(times, func(a, b int) bool { return times[a] < times[b] })
		if len(times) > 0 {
			fmt.Printf("plain runs: median %s, min %s, max %s over %d runs, %d records\n",
				times[len(times)/2].Round(time.Microsecond), times[0].Round(time.Microsecond), times[len(times)-1].Round(time.Microsecond), len(times), records)
		}
	}
	prefix := "PROFILE "
	if *explain {
		prefix = "EXPLAIN "
	}
	res, err := neo4j.ExecuteQuery(ctx, driver, prefix+cypher, params, neo4j.EagerResultTransformer, db, routing)
	if err != nil {
		log.Fatal(err)
	}
	var plan any
	if *explain {
		plan = res.Summary.Plan()
	} else {
		plan = res.Summary.Profile()
	}
	if plan == nil {
		log.Fatal("no plan returned")
	}
	fmt.Printf("server (profiled run): available after %s, consumed after %s\n", res.Summary.ResultAvailableAfter(), res.Summary.ResultConsumedAfter())
	if p, ok := plan.(neo4j.ProfiledPlan); ok {
		args := p.Arguments()
		for _, k := range []string{"planner", "runtime", "Time", "PageCacheHits", "PageCacheMisses", "GlobalMemory"} {
			if v, ok := args[k]; ok {
				fmt.Printf("%s: %v  ", k, v)
			}
		}
		fmt.Println()
		printProfile(p, 0)
	} else if p, ok := plan.(neo4j.Plan); ok {
		printPlan(p, 0)
	}
}

func printProfile(p neo4j.ProfiledPlan, depth int) {
	a := p.Arguments()
	fmt.Printf("%s%-28s rows %-8d dbHits %-9d pcHits %-8d pcMiss %-6d time %-8v %s\n", strings.Repeat("  ", depth),
		p.Operator(), p.Records(), p.DbHits(), p.PageCacheHits(), p.PageCacheMisses(), ms(a["Time"]), short(a["Details"]))
	for _, c := range p.Children() {
		printProfile(c, depth+1)
	}
}

func printPlan(p neo4j.Plan, depth int) {
	a := p.Arguments()
	fmt.Printf("%s%-28s est %-10v %s\n", strings.Repeat("  ", depth), p.Operator(), a["EstimatedRows"], short(a["Details"]))
	for _, c := range p.Children() {
		printPlan(c, depth+1)
	}
}

func ms(v any) string {
	if n, ok := v.(int64); ok {
		return fmt.Sprintf("%.2fms", float64(n)/1e6)
	}
	return "-"
}

func short(v any) string {
	s := strings.Join(strings.Fields(fmt.Sprint(v)), " ")
	if v == nil {
		return ""
	}
	if len(s) > 140 {
		s = s[:140] + "..."
	}
	return s
}

// fixNumbers turns whole JSON numbers into int64 (Cypher LIMIT wants integers).
func fixNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = fixNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = fixNumbers(e)
		}
	case float64:
		if x == float64(int64(x)) {
			return int64(x)
		}
	}
	return v
}
