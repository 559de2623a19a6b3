// Package load makes the load the hardening tests put on a running
// exporter: many containers' worth of cgroups with processes in them, and
// storms of concurrent scrapes. It also reads the exporter's resource use
// from /proc.
package load

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rtsec/rtsec/test/runc"
)

// Containers are cgroups shaped as docker's ("…/docker/<64 hex>"), which
// the exporter recognises as containers by their path alone, each with a
// long-lived process in it, so that every collector, posture too, reports
// them.
type Containers struct {
	// Unprivileged runs each container's sleeping process as a typical
	// container's: as nobody, without capabilities, in mount, uts, ipc and
	// pid namespaces of its own (the host's network).
	Unprivileged bool

	dir   string
	IDs   []string
	procs []*exec.Cmd
}

// StartContainers creates n containers under a host cgroup named name and
// runs in each one sleeping process, and execs binaries (paths to run with
// no arguments, e.g. /bin/true) once each in every container, so that the
// process collector counts them. Everything is removed at the end of the
// test.
func StartContainers(t testing.TB, name string, n int, binaries ...string) *Containers {
	t.Helper()
	c := &Containers{dir: filepath.Join(runc.HostCgroup(t, name), "docker")}
	if err := os.Mkdir(c.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.StopAll(t) })
	for range n {
		c.Start(t, binaries...)
	}
	return c
}

// Start adds one container and returns its id.
func (c *Containers) Start(t testing.TB, binaries ...string) string {
	t.Helper()
	id := randomID()
	dir := filepath.Join(c.dir, id)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Open(dir, syscall.O_DIRECTORY|syscall.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	in := func(argv ...string) *exec.Cmd {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd}
		return cmd
	}
	for _, b := range binaries {
		if out, err := in(b).CombinedOutput(); err != nil {
			t.Fatalf("run %s in container %s: %v\n%s", b, id, err, out)
		}
	}
	sleeper := in("sleep", "3600")
	if c.Unprivileged {
		sleeper.SysProcAttr.Credential = &syscall.Credential{Uid: 65534, Gid: 65534}
		sleeper.SysProcAttr.Cloneflags = syscall.CLONE_NEWNS | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC | syscall.CLONE_NEWPID
	}
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	c.IDs = append(c.IDs, id)
	c.procs = append(c.procs, sleeper)
	return id
}

// Dir returns the cgroup directory of container id: its cgroup id is the
// directory's inode number.
func (c *Containers) Dir(id string) string {
	return filepath.Join(c.dir, id)
}

// Stop ends the oldest container: kills its process and removes its cgroup.
// It returns false when none is left.
func (c *Containers) Stop(t testing.TB) bool {
	t.Helper()
	if len(c.IDs) == 0 {
		return false
	}
	id, proc := c.IDs[0], c.procs[0]
	c.IDs, c.procs = c.IDs[1:], c.procs[1:]
	proc.Process.Kill()
	proc.Wait()
	// The cgroup is busy until the kernel has reaped the process.
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := os.Remove(filepath.Join(c.dir, id))
		if err == nil {
			return true
		}
		if time.Now().After(deadline) {
			t.Errorf("remove cgroup of container %s: %v", id, err)
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// StopAll ends every container and removes the docker cgroup.
func (c *Containers) StopAll(t testing.TB) {
	t.Helper()
	for c.Stop(t) {
	}
	os.Remove(c.dir)
}

func randomID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// StormResult is what a scrape storm measured.
type StormResult struct {
	Scrapes, Completed, Rejected, Failed int
	// Latencies of the completed scrapes, sorted.
	Latencies []time.Duration
	// PeakRSS is the exporter's highest resident set size seen while the
	// storm ran, sampled every 100 ms; RSSAfter its size once it ended.
	PeakRSS, RSSAfter int64
	// FirstError is the first failed scrape's error, for the report.
	FirstError string
}

// Quantile returns the q-quantile (0..1) of the completed scrapes' latency.
func (r StormResult) Quantile(q float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	return r.Latencies[min(len(r.Latencies)-1, int(q*float64(len(r.Latencies))))]
}

func (r StormResult) String() string {
	return fmt.Sprintf("%d scrapes: %d completed, %d rejected (503), %d failed; latency p50 %v p99 %v; peak RSS %.1f MiB, after %.1f MiB",
		r.Scrapes, r.Completed, r.Rejected, r.Failed, r.Quantile(0.5).Round(time.Millisecond), r.Quantile(0.99).Round(time.Millisecond),
		float64(r.PeakRSS)/(1<<20), float64(r.RSSAfter)/(1<<20))
}

// Storm runs scrapers concurrent clients, each scraping url back to back
// (every scrape with its own connection, each given timeout) until
// duration has passed, while sampling the RSS of pid.
func Storm(url string, pid, scrapers int, duration, timeout time.Duration) StormResult {
	var (
		mu  sync.Mutex
		res StormResult
		wg  sync.WaitGroup
	)
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			if rss, err := RSS(pid); err == nil {
				mu.Lock()
				res.PeakRSS = max(res.PeakRSS, rss)
				mu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	end := time.Now().Add(duration)
	for range scrapers {
		wg.Go(func() {
			client := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
			for time.Now().Before(end) {
				begin := time.Now()
				status, err := scrape(client, url)
				took := time.Since(begin)
				mu.Lock()
				res.Scrapes++
				switch {
				case err == nil && status == http.StatusOK:
					res.Completed++
					res.Latencies = append(res.Latencies, took)
				case err == nil && status == http.StatusServiceUnavailable:
					res.Rejected++
				default:
					res.Failed++
					if res.FirstError == "" {
						res.FirstError = fmt.Sprintf("status %d, err %v", status, err)
					}
				}
				mu.Unlock()
				if status == http.StatusServiceUnavailable {
					// As Prometheus would: try again at the next interval.
					time.Sleep(100 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	<-sampled
	slices.Sort(res.Latencies)
	res.RSSAfter, _ = RSS(pid)
	return res
}

func scrape(client *http.Client, url string) (int, error) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return resp.StatusCode, err
	}
	return resp.StatusCode, nil
}

// RSS returns the resident set size of pid in bytes.
func RSS(pid int) (int64, error) {
	return statusKB(pid, "VmRSS")
}

// statusKB reads a "kB" field of /proc/<pid>/status, in bytes.
func statusKB(pid int, field string) (int64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, field)
}
