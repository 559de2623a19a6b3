// Command rtsec_exporter counts container runtime security events in the
// kernel with eBPF and serves them as Prometheus metrics.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
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
	"github.com/rtsec/rtsec/exporter/configfile"
	"github.com/rtsec/rtsec/exporter/container"
	"github.com/rtsec/rtsec/exporter/flagdoc"
	"github.com/rtsec/rtsec/exporter/preflight"
	"github.com/rtsec/rtsec/exporter/privileges"
	"github.com/rtsec/rtsec/exporter/scrape"
)

// DefaultListenAddress is rtsec_exporter's port.
const DefaultListenAddress = ":9730"

// reapInterval is how often the kernel state of gone containers is checked.
const reapInterval = 10 * time.Second

func main() {
	os.Exit(run())
}

// flags are the exporter's own flags; the collectors define theirs.
type flags struct {
	metricsPath, criSocket *string
	exporterMetrics        *bool
	dropPrivileges         *bool
	goneGrace, shareWindow *time.Duration
	maxRequests            *int
	web                    *web.FlagConfig
	log                    *promslog.Config
	// writeDoc names a document whose flag table to rewrite (make
	// generate-docs), instead of running.
	writeDoc *string
}

// defineFlags adds the exporter's own flags to kingpin's command line,
// where the collectors' flags already are.
func defineFlags() flags {
	f := flags{
		metricsPath:     kingpin.Flag("web.telemetry-path", "Path under which to expose metrics; / serves them instead of the landing page.").Default("/metrics").String(),
		exporterMetrics: kingpin.Flag("web.exporter-metrics", "Also expose the exporter's own Go runtime and process metrics (go_*, process_*).").Default("true").Bool(),
		criSocket:       kingpin.Flag("runtime.cri-socket", `CRI runtime socket for Kubernetes metadata: a path or unix:// URL, "auto" to use the first usual socket found, "none" to disable.`).Default("auto").String(),
		goneGrace:       kingpin.Flag("container.gone-grace", "How long a gone container's series stay exported, and at least until a scrape that began after it went exported them (at most an hour more), so the last counts are scraped.").Default("2m").Duration(),
		dropPrivileges:  kingpin.Flag("privileges.drop", "Once the BPF programs are attached, drop every capability not needed at run time and set no_new_privs (--no-privileges.drop keeps them; only builds with CGO_ENABLED=0 can drop).").Default("true").Bool(),
		maxRequests:     kingpin.Flag("web.max-requests", "Maximum number of parallel scrape requests; past it a scrape gets 503. 0 disables the limit.").Default("40").Int(),
		shareWindow:     kingpin.Flag("web.scrape-share-window", "How long a finished scrape's page is served again to other scrapes (concurrent scrapes always share the page in progress). 0 collects anew for every scrape that overlaps none.").Default("0s").Duration(),
		web:             kingpinflag.AddFlags(kingpin.CommandLine, DefaultListenAddress),
		log:             &promslog.Config{},
		writeDoc:        kingpin.Flag("write-documentation", "Rewrite the flag table of this Markdown file from the flags, then exit.").Hidden().String(),
	}
	flag.AddFlags(kingpin.CommandLine, f.log)
	kingpin.Version(version.Print("rtsec_exporter"))
	kingpin.HelpFlag.Short('h')
	return f
}

func run() int {
	f := defineFlags()
	kingpin.Parse()
	if *f.writeDoc != "" {
		if err := writeFlagTable(*f.writeDoc); err != nil {
			return fail("%s", err)
		}
		return 0
	}
	var (
		metricsPath, criSocket          = f.metricsPath, f.criSocket
		exporterMetrics, dropPrivileges = f.exporterMetrics, f.dropPrivileges
		goneGrace, shareWindow          = f.goneGrace, f.shareWindow
		maxRequests                     = f.maxRequests
		webConfig, logConfig            = f.web, f.log
	)
	logger := promslog.New(logConfig)
	setMemoryLimit(logger)
	// Caught from the start: a signal while programs load still ends in a
	// clean detach and exit 0 once loading is done.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := validateFlags(*metricsPath, webConfig, *goneGrace, *maxRequests, *shareWindow); err != nil {
		return fail("%s", err)
	}
	// After the checks: a bad value given by an old name fails with one
	// line, naming the new name.
	for _, old := range collector.OldFlagNamesUsed() {
		logger.Warn("flag renamed: the old name goes in 0.2.0", "old", "--"+old, "new", "--collector."+old)
	}
	if handled, err := collector.IntegrityCommand(logger); handled {
		if err != nil {
			return fail("%s", err)
		}
		return 0
	}

	checks, err := preflight.Check(collector.Enabled())
	if err != nil {
		return fail("%s", err)
	}
	for _, w := range checks.Warnings {
		logger.Warn(w)
	}
	hostActors, err := collector.HostActorRules()
	if err != nil {
		return fail("%s", err)
	}
	// Before the first BPF program: a CRI socket that is not there fails
	// the start as cheaply as a bad flag.
	metadata, err := metadataSource(*criSocket, logger)
	if err != nil {
		return fail("%s", err)
	}
	if metadata != nil {
		defer metadata.Close()
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
	opts := container.ResolverOptions{Recorded: recorder.Lookup, GoneGrace: *goneGrace, HostActors: hostActors, Logger: logger}
	if metadata != nil {
		opts.Metadata = metadata
	}
	resolver, err := container.NewResolver(opts)
	if err != nil {
		return fail("container resolver: %s", err)
	}
	signals, err := collector.New(collector.Env{Logger: logger, BPF: set, Resolver: resolver, Recorder: recorder}, collector.Enabled())
	if err != nil {
		return fail("%s", err)
	}
	defer signals.Close()
	if *dropPrivileges {
		if err := dropToRuntime(logger); err != nil {
			return fail("%s", err)
		}
	}

	// rtsec's own metrics are gathered by collector.NewGatherer, the rest
	// by a registry.
	registry := prometheus.NewRegistry()
	registry.MustRegister(versioncollector.NewCollector("rtsec"))
	if *exporterMetrics {
		registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}

	go reap(ctx, resolver, signals, recorder, *goneGrace, logger)

	server, err := newServer(*metricsPath, collector.NewGatherer(signals, registry), *maxRequests, *shareWindow, logger)
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

// writeFlagTable rewrites the flag table of a Markdown file.
func writeFlagTable(path string) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--write-documentation: %w", err)
	}
	out, err := flagdoc.Replace(string(doc), kingpin.CommandLine.Model())
	if err != nil {
		return fmt.Errorf("--write-documentation=%s: %w", path, err)
	}
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		return fmt.Errorf("--write-documentation: %w", err)
	}
	return nil
}

// validateFlags checks every flag and the files they name before anything
// is loaded into the kernel, so that a bad invocation fails at once and
// never half-starts.
func validateFlags(metricsPath string, flags *web.FlagConfig, goneGrace time.Duration, maxRequests int, shareWindow time.Duration) error {
	if !strings.HasPrefix(metricsPath, "/") {
		return fmt.Errorf("--web.telemetry-path=%q: want a path starting with /", metricsPath)
	}
	if !*flags.WebSystemdSocket {
		for _, addr := range *flags.WebListenAddresses {
			if err := validateListenAddress(addr); err != nil {
				return fmt.Errorf("--web.listen-address=%q: %w", addr, err)
			}
		}
	}
	if path := *flags.WebConfigFile; path != "" {
		// exporter-toolkit reads the file without a limit: bound it first.
		if _, err := configfile.Read(path, configfile.WebConfig); err != nil {
			return fmt.Errorf("--web.config.file: %w", err)
		}
		if err := web.Validate(path); err != nil {
			return fmt.Errorf("--web.config.file=%s: %s", path, oneLine(err))
		}
	}
	switch {
	case goneGrace < 0:
		return fmt.Errorf("--container.gone-grace=%s: must not be negative", goneGrace)
	case maxRequests < 0:
		return fmt.Errorf("--web.max-requests=%d: must not be negative", maxRequests)
	case shareWindow < 0:
		return fmt.Errorf("--web.scrape-share-window=%s: must not be negative", shareWindow)
	}
	return collector.Validate(collector.Enabled())
}

// validateListenAddress accepts host:port with a port number or service
// name, as net.Listen does, and exporter-toolkit's vsock://CID:PORT.
func validateListenAddress(addr string) error {
	if strings.HasPrefix(addr, "vsock://") {
		return nil // exporter-toolkit parses and reports these itself
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return fmt.Errorf("port %q: %w", port, err)
	}
	return nil
}

// oneLine joins a multi-line error (YAML's list several) on one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
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

// dropToRuntime drops every capability but those the enabled collectors
// need at run time, and logs what it kept.
func dropToRuntime(logger *slog.Logger) error {
	res, err := privileges.Drop(privileges.Runtime(collector.Enabled()))
	if err != nil {
		return fmt.Errorf("drop capabilities: %w", err)
	}
	logger.Info("dropped capabilities not needed at run time; no_new_privs set",
		"kept", strings.Join(privileges.Names(res.Kept), ","), "bounding_set_lowered", res.BoundingLowered)
	return nil
}

// reap deletes the kernel state of containers gone for longer than the grace.
func reap(ctx context.Context, resolver *container.Resolver, collectors *collector.Registry, recorder *cgrouppaths.Recorder, grace time.Duration, logger *slog.Logger) {
	ticker := time.NewTicker(reapInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		collectors.ResolveKeys()
		// Resolved at the last scrape or in ResolveKeys: a removed
		// cgroup's path is needed no longer than its series are kept.
		if n, err := recorder.ForgetRemoved(grace + reapInterval); err != nil {
			logger.Warn("forget removed cgroups", "err", err)
		} else if n > 0 {
			logger.Debug("forgot the paths of removed cgroups", "count", n)
		}
		expired := resolver.Expired()
		if len(expired) == 0 {
			continue
		}
		collectors.Forget(expired)
		logger.Debug("forgot gone containers", "cgroup_ids", expired)
	}
}

// setMemoryLimit sets the Go memory limit to most of the cgroup's memory
// limit, unless GOMEMLIMIT sets it: the garbage collector then works
// harder as the limit nears instead of letting the heap grow into an OOM
// kill.
func setMemoryLimit(logger *slog.Logger) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	limit, ok, err := scrape.CgroupMemoryLimit("/proc")
	if err != nil {
		logger.Warn("cannot read the cgroup memory limit: Go memory limit not set", "err", err)
		return
	}
	if ok {
		debug.SetMemoryLimit(scrape.GoMemLimit(limit))
		logger.Info("Go memory limit set from the cgroup memory limit", "cgroup_limit_bytes", limit, "gomemlimit_bytes", scrape.GoMemLimit(limit))
	}
}

func newServer(metricsPath string, gatherer prometheus.TransactionalGatherer, maxRequests int, shareWindow time.Duration, logger *slog.Logger) (*http.Server, error) {
	mux := http.NewServeMux()
	// scrape.MetricsHandler's responses are promhttp.HandlerForTransactional's,
	// written at a fraction of expfmt's cost.
	mux.Handle(metricsPath, scrape.Handler(scrape.MetricsHandler(gatherer, promhttp.HandlerOpts{
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelError),
		ErrorHandling:     promhttp.ContinueOnError,
		EnableOpenMetrics: true,
		// Scrapes of different formats share one collection too.
		CoalesceGather: true,
		// scrape.Handler compresses, faster than promhttp does.
		DisableCompression: true,
	}), maxRequests, shareWindow))
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
