// Command loadgen drives HTTP load at one endpoint for a fixed time and prints what it saw as
// one JSON object: requests, errors, requests per second and latency percentiles.
//
//	loadgen -url http://127.0.0.1:8000/api/v1/notes/{id} -ids 100 -c 32 -d 10s
//	loadgen -url http://127.0.0.1:8000/api/v1/notes -method POST -body '{"title":"x"}' -expect 201
//
// It is deliberately small and standard-library only, so it builds with the Go toolchain alone
// (no module download), and cheap per request, so that it can saturate a Go service.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// result is what one run prints.
type result struct {
	Requests    int     `json:"requests"`
	Errors      int     `json:"errors"`
	FirstError  string  `json:"first_error,omitempty"`
	Seconds     float64 `json:"seconds"`
	RPS         float64 `json:"rps"`
	P50Millis   float64 `json:"p50_ms"`
	P99Millis   float64 `json:"p99_ms"`
	MaxMillis   float64 `json:"max_ms"`
	Concurrency int     `json:"concurrency"`
}

// tally is one connection's share of the run.
type tally struct {
	latencies  []time.Duration
	errors     int
	firstError string
}

func main() {
	target := flag.String("url", "", "the URL; {id} in it is replaced by 1..ids in turn")
	ids := flag.Int("ids", 1, "how many ids {id} cycles through")
	method := flag.String("method", http.MethodGet, "the request method")
	body := flag.String("body", "", "the request body (sent as application/json)")
	expect := flag.Int("expect", 0, "the status every answer must have (default 200, 201 for POST)")
	connections := flag.Int("c", 32, "connections, each sending one request after another")
	duration := flag.Duration("d", 10*time.Second, "how long to send requests")
	flag.Parse()
	if *target == "" || *connections < 1 || *ids < 1 || *duration <= 0 {
		fmt.Fprintln(os.Stderr, "loadgen: -url is required; -c, -ids and -d must be positive")
		os.Exit(2)
	}
	if *expect == 0 {
		*expect = http.StatusOK
		if *method == http.MethodPost {
			*expect = http.StatusCreated
		}
	}
	urls := make([]string, *ids)
	for i := range urls {
		urls[i] = strings.ReplaceAll(*target, "{id}", strconv.Itoa(i+1))
	}
	client := &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: *connections,
		MaxConnsPerHost:     *connections,
		DisableCompression:  true,
	}}

	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	tallies := make([]tally, *connections)
	var wg sync.WaitGroup
	started := time.Now()
	for n := range tallies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := &tallies[n]
			for i := n; ctx.Err() == nil; i += *connections {
				began := time.Now()
				err := send(ctx, client, *method, urls[i%len(urls)], *body, *expect)
				if ctx.Err() != nil {
					return // cut off by the end of the run: neither a success nor an error
				}
				t.latencies = append(t.latencies, time.Since(began))
				if err != nil {
					if t.errors == 0 {
						t.firstError = err.Error()
					}
					t.errors++
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(started)

	out := result{Seconds: elapsed.Seconds(), Concurrency: *connections}
	var all []time.Duration
	for _, t := range tallies {
		all = append(all, t.latencies...)
		out.Errors += t.errors
		if out.FirstError == "" {
			out.FirstError = t.firstError
		}
	}
	slices.Sort(all)
	out.Requests = len(all)
	if len(all) > 0 {
		out.RPS = float64(len(all)) / elapsed.Seconds()
		out.P50Millis = millis(percentile(all, 0.50))
		out.P99Millis = millis(percentile(all, 0.99))
		out.MaxMillis = millis(all[len(all)-1])
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// send makes one request and reads the whole answer, so the connection can be reused.
func send(ctx context.Context, client *http.Client, method, url, body string, expect int) error {
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, reader)
	if err != nil {
		return err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != expect {
		text, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return errors.New(method + " " + url + ": status " + strconv.Itoa(resp.StatusCode) + ": " + string(text))
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// percentile is the nearest-rank percentile of sorted latencies.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(p*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(rank, len(sorted)-1))]
}

func millis(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
