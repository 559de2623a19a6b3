// Command scenario runs one scenario of the e2e table against a stack
// started by cmd/stack, waits for its alerts at the stack's webhook and
// prints its detection report. Without an argument it lists the scenarios.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/rtsec/rtsec/test/e2e"
	"github.com/rtsec/rtsec/test/e2e/internal/tbrun"
)

func main() {
	state := flag.String("state", e2e.StateFile(), "file written by cmd/stack")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: scenario [-state file] NAME   (make scenario NAME=…)\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		list()
		return
	}
	name := flag.Arg(0)
	s, ok := e2e.Find(name)
	if ok && s.CRI {
		fmt.Fprintf(os.Stderr, "scenario: %s runs pods through containerd's CRI, which make stack does not start: run it with RTSEC_E2E_SCENARIOS=%s make e2e\n", name, name)
		os.Exit(2)
	}
	if !ok || flag.NArg() > 1 {
		fmt.Fprintf(os.Stderr, "scenario: unknown scenario %q; known: %s\n", strings.Join(flag.Args(), " "), strings.Join(e2e.Names(), ", "))
		os.Exit(2)
	}
	stack, err := e2e.Load(*state)
	if err == nil {
		_, err = e2e.FetchNotifications(stack.Webhook)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "scenario: no running stack (%v); start one with `make stack` in another terminal\n", err)
		os.Exit(1)
	}
	if !stack.Fast {
		fmt.Fprintln(os.Stderr, "scenario: warning: the stack runs the mixin as shipped; the scenarios expect the e2e rules (make stack without -fast=false)")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	timing := e2e.DefaultTiming
	err = tbrun.Run(ctx, "scenario", func(t *tbrun.T) {
		started := time.Now()
		fmt.Printf("scenario %s: %s\nActions wait until the container is %v old (the rules' startup grace); alerts may take up to %v.\n",
			s.Name, s.Description, max(s.Age, timing.MinAge), timing.Timeout)
		results := e2e.Run(t, e2e.Harness{Webhook: stack.Webhook}, []e2e.Scenario{s}, timing)
		report := e2e.NewReport(results, started)
		fmt.Print(report.Markdown())
		fmt.Println(report.Summary())
		for _, r := range results {
			if !r.Passed() {
				t.Fail()
			}
		}
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "scenario:", err)
		os.Exit(1)
	}
}

// list prints the scenarios' names and descriptions.
func list() {
	fmt.Println("Scenarios (make scenario NAME=<name>, against a running make stack):")
	for _, s := range e2e.Scenarios {
		kind := "attack"
		if s.Benign {
			kind = "benign"
		}
		fmt.Printf("  %-28s %s  %s\n", s.Name, kind, s.Description)
	}
}
