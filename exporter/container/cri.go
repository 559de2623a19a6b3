package container

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Kubernetes labels the kubelet puts on pod sandboxes and containers.
const (
	labelPodNamespace  = "io.kubernetes.pod.namespace"
	labelPodName       = "io.kubernetes.pod.name"
	labelContainerName = "io.kubernetes.container.name"
)

// MaxLabelBytes bounds every value a CRI runtime reports. Pod and container
// names come from whoever can create pods, so values are also made valid
// UTF-8 (invalid bytes become U+FFFD) and truncated on a rune boundary.
const MaxLabelBytes = 128

// criSockets are the CRI sockets DetectCRISocket tries, in order.
var criSockets = []string{
	"/run/containerd/containerd.sock",
	"/run/crio/crio.sock",
	"/run/k3s/containerd/containerd.sock",
	"/var/run/cri-dockerd.sock",
	"/run/cri-dockerd.sock",
	"/var/run/containerd/containerd.sock",
	"/var/run/crio/crio.sock",
}

const (
	criRPCTimeout = 5 * time.Second
	// criRefreshInterval is short, like the kubelet's own relist (1 s): a
	// pod whose container runs, exits and is deleted between two listings
	// (kubectl run --rm, a Job with a TTL of 0) would never be named.
	criRefreshInterval = 2 * time.Second
	criMissInterval    = time.Second
	// criLookupTimeout bounds the refresh a scrape waits for when it meets
	// a container the cache misses.
	criLookupTimeout   = 500 * time.Millisecond
	criMaxMessageBytes = 16 << 20 // as the kubelet: large nodes list a lot
	// criRetain is how long a container's metadata outlives its removal
	// from the runtime: a pod deleted right after its container exited
	// (a Job, kubectl run --rm) still has its series exported while it is
	// gone (--container.gone-grace, then until a scrape, at most
	// UnscrapedHold), and they keep their pod labels.
	criRetain = UnscrapedHold + time.Hour
)

// DetectCRISocket returns the first of the usual CRI runtime sockets that
// exists and is a unix socket, or "" when there is none.
func DetectCRISocket() string {
	for _, path := range criSockets {
		if fi, err := os.Stat(path); err == nil && fi.Mode().Type() == os.ModeSocket {
			return path
		}
	}
	return ""
}

// CRI is a MetadataSource backed by a CRI runtime (containerd, CRI-O,
// cri-dockerd). Lookup answers from a cache that holds what the runtime
// last listed, and for criRetain the containers it no longer lists; the
// cache is refreshed every 2 s and, at most once a second, in the
// background after a miss. When the runtime goes away the
// last listing is kept, the outage is logged once and gRPC reconnects.
type CRI struct {
	path     string
	conn     *grpc.ClientConn
	client   runtimeapi.RuntimeServiceClient
	images   runtimeapi.ImageServiceClient
	logger   *slog.Logger
	interval time.Duration
	minGap   time.Duration

	mu      sync.RWMutex
	cache   map[string]Metadata
	removed map[string]time.Time // cached ids the runtime stopped listing, since when
	now     func() time.Time

	miss chan struct{}
	// syncMu serialises lookupNow's refreshes; lastSync is the last one;
	// asked are the ids a refresh was made for and did not find.
	syncMu   sync.Mutex
	lastSync time.Time
	asked    map[string]struct{}
	// down is whether the last refresh failed (noteRefresh logs changes).
	downMu sync.Mutex
	down   bool
	ctx    context.Context // canceled by Close, ends the loop and its RPCs
	cancel context.CancelFunc
	done   chan struct{}
}

// NewCRI connects to the CRI runtime at endpoint (a socket path or a
// unix:// URL), checks that it answers Version, lists its containers once
// and starts the background refresh. Close releases it.
func NewCRI(endpoint string, logger *slog.Logger) (*CRI, error) {
	return newCRI(endpoint, logger, criRefreshInterval, criMissInterval)
}

// newCRI is NewCRI with the refresh interval and the minimum gap between
// two refreshes, which bounds the refreshes misses cause.
func newCRI(endpoint string, logger *slog.Logger, interval, minGap time.Duration) (*CRI, error) {
	path, err := socketPath(endpoint)
	if err != nil {
		return nil, err
	}
	if err := checkAccess(path); err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient("unix://"+path,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(criMaxMessageBytes)),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 500 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 5 * time.Second},
			MinConnectTimeout: criRPCTimeout,
		}))
	if err != nil {
		return nil, fmt.Errorf("cri runtime at %s: %w", path, err)
	}
	c := &CRI{
		path:     path,
		conn:     conn,
		client:   runtimeapi.NewRuntimeServiceClient(conn),
		images:   runtimeapi.NewImageServiceClient(conn),
		logger:   logger,
		interval: interval,
		minGap:   minGap,
		miss:     make(chan struct{}, 1),
		done:     make(chan struct{}),
		removed:  map[string]time.Time{},
		now:      time.Now,
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	ctx, cancel := context.WithTimeout(c.ctx, criRPCTimeout)
	defer cancel()
	v, err := c.client.Version(ctx, &runtimeapi.VersionRequest{})
	if err == nil {
		err = c.refresh(ctx)
	}
	if err != nil {
		c.cancel()
		conn.Close()
		return nil, fmt.Errorf("cri runtime at %s: %w", path, err)
	}
	logger.Info("connected to CRI runtime", "socket", path,
		"runtime", v.GetRuntimeName(), "version", v.GetRuntimeVersion())
	go c.loop()
	return c, nil
}

// checkAccess says in plain words when the socket at path refuses this
// process: connecting needs write permission on it, which gRPC would only
// report as an unavailable runtime.
func checkAccess(path string) error {
	c, err := net.Dial("unix", path)
	if errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("cri runtime at %s: %w: connecting needs write permission on the socket: run the exporter as its owner or in its group (e.g. supplementary group 0 for root:root 0660)", path, err)
	}
	if err == nil {
		c.Close()
	}
	return nil // other errors are gRPC's to report
}

// socketPath turns a CRI endpoint into the path of its unix socket.
func socketPath(endpoint string) (string, error) {
	path, found := strings.CutPrefix(endpoint, "unix://")
	if !found && strings.Contains(endpoint, "://") {
		return "", fmt.Errorf("cri endpoint %q: only unix sockets are supported", endpoint)
	}
	if path == "" {
		return "", errors.New("cri endpoint is empty")
	}
	return path, nil
}

// Lookup returns the cached metadata of a container. A miss asks the
// background loop for a refresh and returns at once.
func (c *CRI) Lookup(containerID string) (Metadata, bool) {
	if containerID == "" {
		return Metadata{}, false
	}
	c.mu.RLock()
	md, ok := c.cache[containerID]
	c.mu.RUnlock()
	if !ok {
		md, ok = c.lookupNow(containerID)
	}
	return md, ok
}

// lookupNow refreshes the cache at once for a container it misses, so that
// a new pod's container has its namespace, pod and container from its first
// scrape on: series exported without them would be another, history-less
// workload to the mixin's startup profile. Each id gets one refresh of its
// own, however recent the last one (pods started a moment apart are each
// named at their first scrape); an id a refresh did not find (a cgroup the
// runtime does not list) refreshes again at most once per minGap. A refresh
// already in progress is waited for instead of repeated.
func (c *CRI) lookupNow(containerID string) (Metadata, bool) {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	c.mu.RLock()
	md, ok := c.cache[containerID]
	c.mu.RUnlock()
	if ok {
		return md, ok
	}
	if _, again := c.asked[containerID]; again && time.Since(c.lastSync) < c.minGap {
		return md, ok
	}
	if c.asked == nil || len(c.asked) >= maxAsked {
		c.asked = map[string]struct{}{} // bounded: churn of unlisted ids only costs refreshes
	}
	c.asked[containerID] = struct{}{}
	ctx, cancel := context.WithTimeout(c.ctx, criLookupTimeout)
	defer cancel()
	err := c.refresh(ctx)
	c.lastSync = time.Now()
	if c.ctx.Err() == nil {
		c.noteRefresh(err)
	}
	if err != nil {
		select {
		case c.miss <- struct{}{}:
		default:
		}
		return Metadata{}, false
	}
	c.mu.RLock()
	md, ok = c.cache[containerID]
	c.mu.RUnlock()
	if ok {
		delete(c.asked, containerID)
	}
	return md, ok
}

// maxAsked bounds lookupNow's set of ids refreshed for and not found.
const maxAsked = 4096

// Close stops the background refresh, interrupting a refresh in progress,
// and closes the connection.
func (c *CRI) Close() error {
	c.cancel()
	<-c.done
	return c.conn.Close()
}

// loop refreshes the cache on a timer and on misses, at most once per
// minGap, and logs transitions between a reachable and an unreachable runtime.
func (c *CRI) loop() {
	defer close(c.done)
	ticker := time.NewTicker(c.interval)
	defer ticker.Stop()
	last := time.Now()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-ticker.C:
		case <-c.miss:
			if wait := c.minGap - time.Since(last); wait > 0 {
				select {
				case <-c.ctx.Done():
					return
				case <-time.After(wait):
				}
			}
		}
		ctx, cancel := context.WithTimeout(c.ctx, criRPCTimeout)
		err := c.refresh(ctx)
		cancel()
		last = time.Now()
		if c.ctx.Err() != nil {
			return
		}
		c.noteRefresh(err)
	}
}

// noteRefresh logs the transitions between a reachable and an unreachable
// runtime, whichever refresh (the loop's or lookupNow's) sees them.
func (c *CRI) noteRefresh(err error) {
	c.downMu.Lock()
	defer c.downMu.Unlock()
	switch {
	case err != nil && !c.down:
		c.logger.Warn("CRI runtime unreachable, keeping the last container list", "socket", c.path, "err", err)
	case err == nil && c.down:
		c.logger.Info("CRI runtime reachable again", "socket", c.path)
	}
	c.down = err != nil
}

// refresh replaces the cache with what the runtime lists now, plus what it
// stopped listing less than criRetain ago. Images are
// listed only when a container is known by its image id alone; an image
// service that fails leaves those containers with their ids.
func (c *CRI) refresh(ctx context.Context) error {
	pods, err := c.client.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return fmt.Errorf("list pod sandboxes: %w", err)
	}
	ctrs, err := c.client.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
	if err != nil {
		return fmt.Errorf("list containers: %w", err)
	}
	var images []*runtimeapi.Image
	if slices.ContainsFunc(ctrs.GetContainers(), func(ctr *runtimeapi.Container) bool { return isImageID(imageName(ctr, nil)) }) {
		resp, err := c.images.ListImages(ctx, &runtimeapi.ListImagesRequest{})
		if err != nil {
			c.logger.Debug("cannot list images, containers keep their image ids", "socket", c.path, "err", err)
		}
		images = resp.GetImages()
	}
	cache := buildCache(pods.GetItems(), ctrs.GetContainers(), imageNames(images))
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, md := range c.cache {
		if _, listed := cache[id]; listed {
			delete(c.removed, id)
			continue
		}
		since, ok := c.removed[id]
		if !ok {
			since = now
			c.removed[id] = now
		}
		if now.Sub(since) < criRetain {
			cache[id] = md
		} else {
			delete(c.removed, id)
		}
	}
	c.cache = cache
	return nil
}

// buildCache maps container ids to metadata. Namespace and pod name come
// from the sandbox's kubelet labels, or the container's own when the
// sandbox is not listed; names maps image ids to image names.
func buildCache(pods []*runtimeapi.PodSandbox, ctrs []*runtimeapi.Container, names map[string]string) map[string]Metadata {
	podLabels := make(map[string]map[string]string, len(pods))
	for _, p := range pods {
		podLabels[p.GetId()] = p.GetLabels()
	}
	cache := make(map[string]Metadata, len(ctrs))
	for _, ctr := range ctrs {
		labels, ok := podLabels[ctr.GetPodSandboxId()]
		if !ok {
			labels = ctr.GetLabels()
		}
		name := ctr.GetMetadata().GetName()
		if name == "" {
			name = ctr.GetLabels()[labelContainerName]
		}
		cache[ctr.GetId()] = Metadata{
			Namespace: clampLabel(labels[labelPodNamespace]),
			Pod:       clampLabel(labels[labelPodName]),
			Container: clampLabel(name),
			Image:     clampLabel(imageName(ctr, names)),
		}
		if ok {
			md := cache[ctr.GetId()]
			md.PodLabels = labels
			cache[ctr.GetId()] = md
		}
	}
	return cache
}

// imageName prefers the image as the user wrote it: the kubelet sends the
// pod spec's image in UserSpecifiedImage and the resolved image id in
// Image.Image, other clients send the name in Image.Image, and CRI-O's
// ImageRef is a repo digest. When all of them are image ids (containerd
// 1.6 drops UserSpecifiedImage), the id is looked up in names, the image
// list's first tag or digest; failing that the id itself is the image.
func imageName(ctr *runtimeapi.Container, names map[string]string) string {
	var id string
	for _, s := range []string{ctr.GetImage().GetUserSpecifiedImage(), ctr.GetImage().GetImage(), ctr.GetImageRef()} {
		switch {
		case s == "":
		case !isImageID(s):
			return s
		case id == "":
			id = s
		}
	}
	if name, ok := names[strings.TrimPrefix(id, "sha256:")]; ok {
		return name
	}
	return id
}

// imageNames maps the hex of each image id to its first tag, or its first
// repo digest when untagged.
func imageNames(images []*runtimeapi.Image) map[string]string {
	names := make(map[string]string, len(images))
	for _, img := range images {
		if refs := slices.Concat(img.GetRepoTags(), img.GetRepoDigests()); len(refs) > 0 {
			names[strings.TrimPrefix(img.GetId(), "sha256:")] = refs[0]
		}
	}
	return names
}

// isImageID reports whether s is an image id rather than a name:
// "sha256:<hex>" or 64 hex digits.
func isImageID(s string) bool {
	s = strings.TrimPrefix(s, "sha256:")
	return len(s) == 64 && strings.Trim(s, "0123456789abcdef") == ""
}

// clampLabel makes s valid UTF-8 of at most MaxLabelBytes bytes.
func clampLabel(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= MaxLabelBytes {
		return s
	}
	cut := MaxLabelBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
