package collector

import (
	"errors"
	"os"
	"strconv"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtsec/rtsec/exporter/container"
	"github.com/rtsec/rtsec/exporter/metricdef"
	"github.com/rtsec/rtsec/exporter/posture"
	"github.com/rtsec/rtsec/exporter/taskiter"
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
	var tasks posture.Tasks
	if *taskIterator {
		r, err := taskiter.Load(env.BPF)
		if err != nil {
			env.Logger.Info("no BPF task iterator: posture reads each container's status and namespace links from /proc at every scrape", "err", err)
		} else {
			tasks = r
		}
	}
	return newPosture(env.Resolver, posture.Reader{Proc: "/proc", HostPid: host}, tasks), nil
}

var taskIterator = kingpin.Flag("collector.posture.task-iterator",
	"Read the status fields and namespaces of the containers' first processes with one pass of a BPF task iterator at each scrape, instead of a status file and five namespace links per container from /proc. Where the kernel refuses iterators, /proc is read.").
	Default("true").Bool()

// newPosture returns the collector of the containers resolver lists,
// measured by reader, and by tasks when it is not nil.
func newPosture(resolver *container.Resolver, reader posture.Reader, tasks posture.Tasks) *postureCollector {
	c := &postureCollector{resolver: resolver, cache: posture.NewCache(reader, tasks), descs: map[string]*seriesDesc{}}
	for _, d := range []metricdef.Def{metricdef.ContainerPostureInfo, metricdef.ContainerCapabilities, metricdef.ContainerHostNamespace,
		metricdef.ContainerSensitiveMounts} {
		c.descs[d.Name] = newSeriesDesc(d)
	}
	return c
}

// postureCollector measures every live container's posture at each scrape,
// on its first process, re-reading what the cache says may have changed.
type postureCollector struct {
	resolver *container.Resolver
	cache    *posture.Cache
	// descs are the descriptors of the metrics, by name.
	descs map[string]*seriesDesc
}

// yes is a posture_info label value.
func yes(ok bool) string {
	return strconv.FormatBool(ok)
}

func (c *postureCollector) Update(ch chan<- prometheus.Metric) error {
	containers, err := c.resolver.LiveContainers()
	if err != nil {
		return err
	}
	if err := c.cache.Begin(); err != nil {
		return err
	}
	defer c.cache.End()
	var (
		errs   []error
		labels []string
	)
	for _, cont := range containers {
		p, err := c.cache.Read(cont.Identity.ID, cont.FirstPid)
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, posture.ErrSettingUp) {
			continue // no process (exiting), one that exited since the cgroup was read, or not the container's yet
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		id := cont.Identity
		// Every posture series is 1: what does not hold has none.
		emit := func(d metricdef.Def, extra ...string) {
			// The metric copies the label values: one slice serves all.
			labels = append(append(labels[:0], id.ID, id.Namespace, id.Pod, id.Container), extra...)
			ch <- c.descs[d.Name].metric(1, labels...)
		}
		emit(metricdef.ContainerPostureInfo, yes(p.Privileged), yes(p.RunningAsRoot), yes(p.SeccompEnabled), yes(p.NoNewPrivs), yes(p.ReadonlyRootfs))
		for _, cap := range metricdef.PostureCaps {
			if p.Caps[cap] {
				emit(metricdef.ContainerCapabilities, cap)
			}
		}
		for _, ns := range metricdef.PostureNamespaces {
			if p.HostNamespaces[ns] {
				emit(metricdef.ContainerHostNamespace, ns)
			}
		}
		for _, m := range metricdef.PostureSensitiveMounts {
			if p.SensitiveMounts[m] {
				emit(metricdef.ContainerSensitiveMounts, m)
			}
		}
	}
	return errors.Join(errs...)
}
