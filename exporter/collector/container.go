package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtsec/rtsec/exporter/container"
	"github.com/rtsec/rtsec/exporter/metricdef"
)

func init() {
	register("container", true, func(env Env) (Collector, error) { return newContainer(env.Resolver), nil })
}

func newContainer(resolver *container.Resolver) *containerCollector {
	return &containerCollector{resolver: resolver, info: newSeriesDesc(metricdef.ContainerInfo)}
}

// containerCollector exposes rtsec_container_info for every container alive.
type containerCollector struct {
	resolver *container.Resolver
	info     *seriesDesc
}

func (containerCollector) listsContainers() {}

func (c *containerCollector) Update(ch chan<- prometheus.Metric) error {
	live, err := c.resolver.Live()
	if err != nil {
		return err
	}
	seen := map[container.Identity]bool{}
	for _, id := range live {
		if seen[id] {
			continue
		}
		seen[id] = true
		ch <- c.info.metric(1,
			id.ID, id.Namespace, id.Pod, id.Container, id.Image, id.Runtime, id.PodUID)
	}
	return nil
}
