package neo4jstore

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/policygraph/policygraph/kg"
)

// Query plans after a (re)start. Neo4j plans each statement text on its first use and caches
// the plan until it restarts. Most statements plan in milliseconds, but the timeline's name
// every relationship type and take seconds to plan on a busy machine (the fault suite's five
// README queries took 5-8 s cold): right after Neo4j restarts, the first timeline requests
// could run into QUERY_TIMEOUT although /readyz already said 200. So the store plans the
// heavy statements before it calls itself ready: WarmPlans at start-up (server.go's prepare),
// and PlansReady (asked by /readyz) warms them again in the background after a failed
// readiness check, when Neo4j may have restarted, answering false until that is done.
//
// Warming runs the store's own methods with an id no node has: the exact statement texts
// and parameter types of real requests (Neo4j's plan cache is keyed by both), answered from
// an index lookup that finds nothing. Statements whose text depends on the selection (the
// projected reads) are warmed at their full projection only.

const (
	plansCold int32 = iota
	plansWarming
	plansWarm
)

// warmID is an id no node has (ids are type:slug; the slug of a real node never starts with
// the project's name).
const warmID = "event:policygraph-plan-warm-up"

// WarmPlans plans the heavy statements (timelines of ids, of types, in a window and over the
// whole graph; node, neighbourhood and search at their full projection) and marks the plans
// warm. Errors other than "not found" are returned: Neo4j did not answer.
func (s *Store) WarmPlans(ctx context.Context) error {
	window, _ := kg.NewTimeFilter("", "2019-01", "2019-12")
	ids := []string{warmID}
	steps := []func() error{
		func() error { _, err := s.Timeline(ctx, kg.TimelineQuery{IDs: ids, First: 20}); return err },
		func() error {
			_, err := s.Timeline(ctx, kg.TimelineQuery{IDs: ids, Time: window, First: 20})
			return err
		},
		func() error {
			_, err := s.Timeline(ctx, kg.TimelineQuery{IDs: ids, Time: window, IncludeOngoing: true, First: 20})
			return err
		},
		func() error {
			_, err := s.Timeline(ctx, kg.TimelineQuery{Types: []string{"SIGNS"}, First: 20})
			return err
		},
		func() error { _, err := s.Timeline(ctx, kg.TimelineQuery{Time: window, First: 20}); return err },
		func() error { _, _, err := s.NodeWith(ctx, warmID, kg.Omit{}, nil); return err },
		func() error {
			_, err := s.Neighborhood(ctx, kg.NeighborhoodQuery{ID: warmID, Depth: 1, Limit: 100, Filter: kg.EdgeFilter{Direction: kg.Both}})
			return err
		},
		func() error {
			_, err := s.Search(ctx, kg.SearchQuery{Text: "policygraph plan warm up", First: 20})
			return err
		},
	}
	// Concurrently: planning is CPU work in Neo4j, one core per statement; the timeline's
	// statements take ~2 s each on this 2-core machine under load, the others under 0.5 s.
	errs := make([]error, len(steps))
	var wg sync.WaitGroup
	for i, step := range steps {
		wg.Go(func() {
			if err := step(); err != nil && !errors.Is(err, kg.ErrNotFound) {
				errs[i] = err
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	s.plans.Store(plansWarm)
	return nil
}

// PlansReady reports whether the heavy statements are planned. When they are not (at first,
// or after a failed readiness check), it starts warming them in the background, once, and
// reports false until that is done. Close stops a warm-up in progress.
func (s *Store) PlansReady() bool {
	if s.plans.Load() == plansWarm {
		return true
	}
	if s.plans.CompareAndSwap(plansCold, plansWarming) {
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			ctx, cancel := context.WithTimeout(s.bgCtx, 2*time.Minute)
			defer cancel()
			if err := s.WarmPlans(ctx); err != nil {
				s.plans.Store(plansCold)
			}
		}()
	}
	return false
}
