// Command loadgen sends the five README queries (faults.Queries, in random order) to a running
// policygraph server at fixed rates, one step per rate, and prints one line per step: the
// latency percentiles of every request (measured from its scheduled send time, so a server
// that falls behind shows it), the error rate, the outcomes, and when the first 429 (rate
// limit) and the first shed 503 (MAX_INFLIGHT) came. All requests come from one client IP.
//
//	go run ./faults/cmd/loadgen -url http://127.0.0.1:8080 -rates 50,100,200,400 -duration 15s
//
// It only sends to the URL given; point it at a server on this machine. docs/reliability.md
// ("Load") has a run and how to reproduce it.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/policygraph/policygraph/faults"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "the server's base URL")
	rates := flag.String("rates", "50,100,200,400", "request rates (per second), one step each")
	duration := flag.Duration("duration", 15*time.Second, "length of each step")
	pause := flag.Duration("pause", 3*time.Second, "pause between steps")
	warmup := flag.Duration("warmup", 5*time.Second, "a first step at the lowest rate, not reported (0: none)")
	timeout := flag.Duration("timeout", 30*time.Second, "client deadline of one request")
	outstanding := flag.Int("max-outstanding", 5000, "requests in flight at most (beyond: counted as generator overload)")
	freshIP := flag.Bool("fresh-ip", false, "send each step from its own loopback address (127.0.0.10, .11, ...): a new client for the rate limit")
	flag.Parse()

	var steps []float64
	for _, f := range strings.Split(*rates, ",") {
		r, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || r <= 0 {
			fmt.Fprintf(os.Stderr, "loadgen: -rates: %q is not a positive number\n", f)
			os.Exit(2)
		}
		steps = append(steps, r)
	}
	if !strings.HasPrefix(*url, "http://127.") && !strings.HasPrefix(*url, "http://localhost") && !strings.HasPrefix(*url, "http://[::1]") {
		fmt.Fprintln(os.Stderr, "loadgen: -url must be a server on this machine (http://127.x, localhost or [::1])")
		os.Exit(2)
	}
	client := faults.NewClient(*timeout)
	ctx := context.Background()
	if *warmup > 0 {
		faults.Rate(ctx, client, *url, steps[0], *warmup, *outstanding)
		time.Sleep(*pause)
	}
	fmt.Printf("%-8s %-9s %s\n", "rate/s", "achieved", "result")
	for i, rate := range steps {
		if *freshIP {
			client = faults.NewClientFrom(*timeout, net.IPv4(127, 0, 0, byte(10+i)))
		}
		start := time.Now()
		rs := faults.Rate(ctx, client, *url, rate, *duration, *outstanding)
		sum := faults.Summarize(rs)
		line := fmt.Sprintf("%-8g %-9.1f %s", rate, float64(sum.N-sum.Codes[faults.Transport])/duration.Seconds(), sum)
		for _, c := range []struct{ code, name string }{{faults.RateLimited, "429"}, {faults.Shed, "503 shed"}} {
			for _, r := range rs {
				if r.Code == c.code {
					line += fmt.Sprintf("  first %s at %.1fs", c.name, r.Start.Sub(start).Seconds())
					break
				}
			}
		}
		fmt.Println(line)
		if i < len(steps)-1 {
			time.Sleep(*pause)
		}
	}
}
