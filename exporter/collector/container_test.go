package collector

import (
	"strings"
	"testing"
	"time"

	"github.com/rtsec/rtsec/exporter/container"
	"github.com/rtsec/rtsec/exporter/metricdef"
)

// hostileMetadata is Kubernetes metadata no label value may carry as it is.
var hostileMetadata = container.Metadata{
	Namespace: "ns\"quoted\"", Pod: "pod\nline", Container: strings.Repeat("long", 80), Image: "img:\xff\xfe\\",
}

// One info series per live container, none for the host; hostile names
// (a runc container's cgroup name, Kubernetes metadata) give valid label
// values. (Bytes that are not UTF-8 cannot name a runc container: its
// state file is JSON, which replaces them.)
func TestContainerGolden(t *testing.T) {
	n := newNode(t, time.Hour, metadata{hexJob: hostileMetadata}, nil)
	n.runcContainer(t, "ctr\"quote\\back\nline\ttab")
	n.runcContainer(t, strings.Repeat("r", 255))
	n.runcContainer(t, "build-7")
	assertGolden(t, &scrape{c: newContainer(n.resolver)}, "container", metricdef.ContainerInfo.Name)
}
