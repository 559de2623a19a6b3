package collector

import (
	"errors"
	"os"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtsec/rtsec/exporter/container"
	"github.com/rtsec/rtsec/exporter/metricdef"
	"github.com/rtsec/rtsec/exporter/posture"
)

func init() {
	register("posture", true, newPostureCollector)
}

// newPostureCollector compares containers with pid 1, the host's init when
// the exporter runs with the host's pid namespace. When pid 1 cannot be
// inspected (it holds capabilities the exporter lacks), the exporter's own
// namespaces stand in for the host's: right for a host process, wrong for
// an exporter in a container of its own, so it says so.
func newPostureCollector(env Env) (Collector, error) {
	host := 1
	if _, err := os.Readlink("/proc/1/ns/pid"); err != nil {
		host = os.Getpid()
		env.Logger.Warn("cannot read pid 1's namespaces: posture compares containers with the exporter's own namespaces instead", "err", err)
	}
	return &postureCollector{resolver: env.Resolver, reader: posture.Reader{Proc: "/proc", HostPid: host}}, nil
}

// postureCollector measures every live container's posture at each scrape.
type postureCollector struct {
	resolver *container.Resolver
	reader   posture.Reader
}

func gauge(ok bool) float64 {
	if ok {
		return 1
	}
	return 0
}

func (c *postureCollector) Update(ch chan<- prometheus.Metric) error {
	procs, err := c.resolver.LiveProcesses()
	if err != nil {
		return err
	}
	var errs []error
	for _, proc := range procs {
		p, err := c.reader.Read(proc.Pid)
		if errors.Is(err, os.ErrNotExist) {
			continue // the process exited since the cgroup was read
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		id := proc.Identity
		emit := func(d metricdef.Def, v bool, extra ...string) {
			labels := append([]string{id.ID, id.Namespace, id.Pod, id.Container}, extra...)
			ch <- prometheus.MustNewConstMetric(d.Desc(), prometheus.GaugeValue, gauge(v), labels...)
		}
		emit(metricdef.ContainerPrivileged, p.Privileged)
		emit(metricdef.ContainerRunningAsRoot, p.RunningAsRoot)
		emit(metricdef.ContainerSeccompEnabled, p.SeccompEnabled)
		emit(metricdef.ContainerNoNewPrivs, p.NoNewPrivs)
		emit(metricdef.ContainerReadonlyRootfs, p.ReadonlyRootfs)
		for _, cap := range metricdef.PostureCaps {
			emit(metricdef.ContainerCapabilities, p.Caps[cap], cap)
		}
		for _, ns := range metricdef.PostureNamespaces {
			emit(metricdef.ContainerHostNamespace, p.HostNamespaces[ns], ns)
		}
		for _, m := range metricdef.PostureSensitiveMounts {
			emit(metricdef.ContainerSensitiveMounts, p.SensitiveMounts[m], m)
		}
	}
	return errors.Join(errs...)
}
