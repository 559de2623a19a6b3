// Command rtsec-entry is the e2e harness's container entrypoint for the
// entrypoint and short-lived variants of a scenario: it waits for a go file
// (the harness's setup: files copied in, a network attached), runs the
// commands of a steps file one after another as its children, prints one
// line per command and a final line, then holds (sleeps until killed) or
// exits. It opens no file but the steps file, so what the exporter counts
// in its container is the attack's.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/rtsec/rtsec/test/e2e/internal/entry"
)

func main() {
	stepsFile := flag.String("steps", entry.StepsFile, "JSON list of {args, may_fail}")
	goFile := flag.String("go", entry.GoFile, "start once this file exists")
	then := flag.String("then", "hold", "after the commands: hold (keep running) or exit")
	wait := flag.Duration("wait", time.Minute, "longest wait for the go file")
	flag.Parse()
	if *then != "hold" && *then != "exit" {
		fatalf("-then %q: want hold or exit", *then)
	}
	data, err := os.ReadFile(*stepsFile)
	if err != nil {
		fatalf("read steps: %v", err)
	}
	var steps []entry.Step
	if err := json.Unmarshal(data, &steps); err != nil {
		fatalf("decode steps %s: %v", *stepsFile, err)
	}
	// PID 1 ignores SIGTERM without a handler: take it, so that a delete
	// without --force also ends the container.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)

	deadline := time.Now().Add(*wait)
	for {
		if _, err := os.Stat(*goFile); err == nil {
			break
		}
		if time.Now().After(deadline) {
			fatalf("no %s within %v", *goFile, *wait)
		}
		time.Sleep(2 * time.Millisecond)
	}
	failed := false
	for i, s := range steps {
		if len(s.Args) == 0 {
			fatalf("step %d has no command", i)
		}
		cmd := exec.Command(s.Args[0], s.Args[1:]...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		err := cmd.Run()
		switch {
		case err == nil:
			fmt.Printf("rtsec-entry: step %d ok: %s\n", i, s)
		case s.MayFail:
			fmt.Printf("rtsec-entry: step %d failed as it may: %s: %v\n", i, s, err)
		default:
			fmt.Printf("%sstep %d: %s: %v\n", entry.FailPrefix, i, s, err)
			failed = true
		}
	}
	fmt.Println(entry.DoneLine)
	if *then == "exit" {
		if failed {
			os.Exit(1)
		}
		return
	}
	<-stop
}

func fatalf(format string, args ...any) {
	fmt.Printf(entry.FailPrefix+format+"\n", args...)
	fmt.Println(entry.DoneLine)
	os.Exit(2)
}
