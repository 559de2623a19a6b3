// Command rtsec_exporter counts container runtime security events in the
// kernel with eBPF and serves them as Prometheus metrics.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/exporter/cgrouppaths"
	"github.com/rtsec/rtsec/exporter/collector"
	"github.com/rtsec/rtsec/exporter/container"
	"github.com/rtsec/rtsec/exporter/preflight"
)

// DefaultListenAddress is rtsec_exporter's port.
const DefaultListenAddress = ":9730"

// reapInterval is how often the kernel state of gone containers is checked.
const reapInterval = 10 * time.Second

func main() {
	os.Exit(run())
}

func run() int {
	var (
		metricsPath     = kingpin.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").String()
		exporterMetrics = kingpin.Flag("web.exporter-metrics", "Also expose the exporter's own Go runtime and process metrics (go_*, process_*).").Default("true").Bool()
		criSocket       = kingpin.Flag("runtime.cri-socket", `CRI runtime socket for Kubernetes metadata: a path or unix:// URL, "auto" to use the first usual socket found, "none" to disable.`).Default("auto").String()
		goneGrace       = kingpin.Flag("container.gone-grace", "How long a gone container's series stay exported, so the last counts are scraped.").Default("2m").Duration()
		webConfig       = kingpinflag.AddFlags(kingpin.CommandLine, DefaultListenAddress)
	)
	logConfig := &promslog.Config{}
	flag.AddFlags(kingpin.CommandLine, logConfig)
	kingpin.Version(version.Print("rtsec_exporter"))
	kingpin.HelpFlag.Short('h')
	kingpin.Parse()
	logger := promslog.New(logConfig)
	// From here on SIGINT/SIGTERM end the exporter cleanly, also while it
	// is still loading its BPF programs: it then detaches them and exits 0.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	if *goneGrace < 0 {
		return fail("--container.gone-grace=%s: must not be negative", *goneGrace)
	}
	checks, err := preflight.Check()
	if err != nil {
		return fail("%s", err)
	}
	for _, w := range checks.Warnings {
		logger.Warn(w)
	}
	if err := preflight.EnsureTracefs(); err != nil {
		return fail("%s", err)
	}
	logger.Info("starting rtsec_exporter", "version", version.Info(), "collectors", collector.Enabled())

	set := bpfprog.NewSet()
	defer set.Close()
	recorder, err := cgrouppaths.Load(set)
	if err != nil {
		return fail("%s", err)
	}
	metadata, err := metadataSource(*criSocket, logger)
	if err != nil {
		return fail("%s", err)
	}
	opts := container.ResolverOptions{Recorded: recorder.Lookup, GoneGrace: *goneGrace, Logger: logger}
	if metadata != nil {
		defer metadata.Close()
		opts.Metadata = metadata
	}
	resolver, err := container.NewResolver(opts)
	if err != nil {
		return fail("container resolver: %s", err)
	}
	signals, err := collector.New(collector.Env{Logger: logger, BPF: set, Resolver: resolver}, collector.Enabled())
	if err != nil {
		return fail("%s", err)
	}
	defer signals.Close()

	registry := prometheus.NewRegistry()
	registry.MustRegister(versioncollector.NewCollector("rtsec"), signals)
	if *exporterMetrics {
		registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}

	go reap(ctx, resolver, signals, logger)

	server, err := newServer(*metricsPath, registry, logger)
	if err != nil {
		return fail("%s", err)
	}
	served := make(chan error, 1)
	go func() { served <- web.ListenAndServe(server, webConfig, logger) }()
	select {
	case err := <-served:
		return fail("web server: %s", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: detaching BPF programs")
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := server.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Warn("web server shutdown", "err", err)
	}
	return 0
}

// fail prints one line saying what is wrong and returns the exit code.
func fail(format string, args ...any) int {
	fmt.Fprintf(os.Stderr, "rtsec_exporter: "+format+"\n", args...)
	return 1
}

// metadataSource connects to the CRI runtime the flag names, if any.
func metadataSource(socket string, logger *slog.Logger) (*container.CRI, error) {
	switch socket {
	case "none":
		return nil, nil
	case "auto":
		socket = container.DetectCRISocket()
		if socket == "" {
			logger.Info("no CRI runtime socket found: Kubernetes labels stay empty")
			return nil, nil
		}
	}
	cri, err := container.NewCRI(socket, logger)
	if err != nil {
		return nil, fmt.Errorf("--runtime.cri-socket: %w", err)
	}
	logger.Info("reading Kubernetes metadata from the CRI runtime", "socket", socket)
	return cri, nil
}

// reap deletes the kernel state of containers gone for longer than the grace.
func reap(ctx context.Context, resolver *container.Resolver, collectors *collector.Registry, logger *slog.Logger) {
	ticker := time.NewTicker(reapInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		forgetters := collectors.Forgetters()
		for _, f := range forgetters {
			ids, err := f.CgroupIDs()
			if err != nil {
				logger.Warn("list container keys", "err", err)
				continue
			}
			for _, id := range ids {
				resolver.Resolve(id) // makes the resolver track it
			}
		}
		expired := resolver.Expired()
		if len(expired) == 0 {
			continue
		}
		for _, f := range forgetters {
			if err := f.Forget(expired); err != nil {
				logger.Warn("forget gone containers", "err", err)
			}
		}
		logger.Debug("forgot gone containers", "cgroup_ids", expired)
	}
}

func newServer(metricsPath string, registry *prometheus.Registry, logger *slog.Logger) (*http.Server, error) {
	mux := http.NewServeMux()
	mux.Handle(metricsPath, promhttp.HandlerFor(registry, promhttp.HandlerOpts{
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelError),
		ErrorHandling:     promhttp.ContinueOnError,
		EnableOpenMetrics: true,
	}))
	if metricsPath != "/" {
		landing, err := web.NewLandingPage(web.LandingConfig{
			Name:        "rtsec_exporter",
			Description: "Container runtime security signals, counted in the kernel with eBPF",
			Version:     version.Info(),
			Links:       []web.LandingLinks{{Address: metricsPath, Text: "Metrics"}},
		})
		if err != nil {
			return nil, err
		}
		mux.Handle("/", landing)
	}
	return &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, nil
}
