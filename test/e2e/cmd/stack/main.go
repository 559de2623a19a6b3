// Command stack runs rtsec's end-to-end pipeline for a person: the exporter,
// Prometheus with rules generated from the mixin, Alertmanager and a
// webhook that prints each notification, all on 127.0.0.1, until Ctrl-C or
// SIGTERM. Run scenarios against it with cmd/scenario (make scenario).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/rtsec/rtsec/test/e2e"
	"github.com/rtsec/rtsec/test/e2e/internal/tbrun"
)

func main() {
	fast := flag.Bool("fast", true, "generate the rules with the e2e overrides, which the scenarios expect (docs/e2e.md); false loads the mixin as shipped")
	state := flag.String("state", e2e.StateFile(), "file that tells cmd/scenario where the stack listens")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := tbrun.Run(ctx, "stack", func(t *tbrun.T) {
		fmt.Println("stack: building the exporter and starting the pipeline…")
		s := e2e.Start(t, e2e.Options{Fast: *fast, OnNotify: printNotification})
		if err := s.Save(*state); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(*state) })
		rules := "the e2e overrides (fast clock)"
		if !*fast {
			rules = "the mixin as shipped"
		}
		fmt.Printf(`stack: running, rules from %s
  exporter      %s
  prometheus    %s  (alerts: %s/alerts)
  alertmanager  %s
  webhook       %s  (GET lists the notifications as JSON)
  rules         %s
Run a scenario from another terminal, as root:
  make scenario NAME=shell-in-container
  make scenario            (lists the scenarios)
Notifications are printed below. Ctrl-C stops everything.
`, rules, s.Exporter, s.Prometheus, s.Prometheus, s.Alertmanager, s.Webhook, s.Rules)
		<-ctx.Done()
		fmt.Println("stack: stopping")
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "stack:", err)
		os.Exit(1)
	}
	fmt.Println("stack: stopped")
}

// printNotification prints one line per alert of a webhook notification.
func printNotification(n e2e.Notification) {
	for _, a := range n.Alerts {
		keys := make([]string, 0, len(a.Labels))
		for k := range a.Labels {
			switch k {
			case "alertname", "category", "mitre_technique", "severity", "job":
			default:
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		pairs := make([]string, len(keys))
		for i, k := range keys {
			pairs[i] = fmt.Sprintf("%s=%q", k, a.Labels[k])
		}
		fmt.Printf("%s %-8s %-8s %s{%s}\n", n.Received.Format(time.TimeOnly), a.Status, a.Labels["severity"],
			a.Labels["alertname"], strings.Join(pairs, ", "))
	}
}
