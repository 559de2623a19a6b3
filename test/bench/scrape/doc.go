// Package scrape benchmarks what one scrape of rtsec_exporter's /metrics
// costs on a node of 100, 1 000 and 5 000 containers (go test -bench): the
// whole handler as the exporter serves it, with every default collector,
// the container resolver and the identity labels, against real cgroups,
// processes and BPF maps. It also measures the exporter's CPU between
// scrapes under a storm of counted events (TestStormCPU, opt-in).
package scrape
