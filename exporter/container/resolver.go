package container

import (
	"cmp"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// UnknownID is Identity.ID for a cgroup id that resolves to no path at all:
// neither recorded, nor open-able, nor found in the cgroup tree.
const UnknownID = "_unknown"

// DefaultMaxEntries is the cache bound when ResolverOptions.MaxEntries is 0.
// A cached entry holds one Identity (≤ 7 labels of ≤ 253 bytes) and one
// cgroup path, so 8192 entries stay within a few MiB even with the longest
// paths, and cover far more containers than a node runs within a GoneGrace.
const DefaultMaxEntries = 8192

// hostID is the cgroup id of the cgroup2 root, the host.
const hostID = 1

// UnscrapedHold bounds how long a gone container that no scrape has
// exported since it went is kept beyond GoneGrace: its counts wait for a
// scrape (Prometheus down, a scrape interval longer than the grace), but
// not for ever on a node nobody scrapes.
const UnscrapedHold = time.Hour

// ResolverOptions configures a Resolver.
type ResolverOptions struct {
	// CgroupRoot is the cgroup2 mount point; "" detects it from
	// /proc/self/mountinfo (/sys/fs/cgroup on pure v2, /sys/fs/cgroup/unified
	// on hybrid hosts).
	CgroupRoot string
	// Recorded, when not nil, returns what the BPF side recorded at
	// cgroup_mkdir for id, so that short-lived containers resolve after
	// their cgroup (and their runtime's state file) is gone.
	Recorded func(id uint64) (RecordedCgroup, bool)
	// Metadata, when not nil, supplies Kubernetes metadata by container id.
	Metadata MetadataSource
	// RuncRoots are the runc state roots (filepath.Glob patterns), each
	// holding <root>/<container>/state.json; nil means DefaultRuncRoots.
	// A root with a "containerd" path element is containerd's, one with a
	// "docker" element docker's, any other plain runc's.
	RuncRoots []string
	// GoneGrace is how long a container stays resolvable (and its series
	// exported) after its cgroup is gone, and at least until a scrape
	// (Scraped) has exported its last counts, for at most UnscrapedHold
	// more; 0 forgets it at the first Expired call after such a scrape.
	GoneGrace time.Duration
	// MaxEntries bounds the cache; 0 means DefaultMaxEntries. When the
	// cache is full, new ids still resolve but are not cached, so Expired
	// never reports them: size it at least as large as the BPF maps.
	MaxEntries int
	// HostActors classify the host's cgroups (Identity.Container on the
	// host); nil means DefaultHostActorRules.
	HostActors []HostActorRule
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
}

// DefaultRuncRoots are the runc state roots of runc itself (and CRI-O),
// of containerd (one per containerd namespace) and of docker.
var DefaultRuncRoots = []string{"/run/runc", "/run/containerd/runc/*", "/run/docker/runtime-runc/moby"}

// RecordedCgroup is a cgroup as the kernel saw it created.
type RecordedCgroup struct {
	// Path is relative to the cgroup2 root, "/"-prefixed.
	Path string
	// Creator is the command name (comm) of the process that created it.
	Creator string
}

// runtimeCreators are the OCI runtimes that create a container's cgroup
// themselves. A recorded cgroup one of them created, that no layout names,
// is a container named by its last path component (runc's default), even
// once the runtime's state file is gone.
var runtimeCreators = map[string]string{"runc": RuntimeRunc, "crun": RuntimeRunc, "youki": RuntimeRunc}

// Resolver maps cgroup v2 ids, the kernel's container key, to container
// identities. It is safe for concurrent use.
type Resolver struct {
	opts    ResolverOptions
	root    string // cgroup2 mount point
	handles bool   // root is a cgroup2 mount, open_by_handle_at applies
	log     *slog.Logger
	now     func() time.Time

	mu     sync.Mutex
	cache  map[uint64]entry
	warned bool // a full cache was logged since the last Expired
	// onHost are told of the cgroups looked up that resolve to the host.
	onHost []func(id uint64)
	// listing is the walk shared between BeginListing and EndListing.
	listing *listing
}

// entry is one cached cgroup id.
type entry struct {
	ident Identity  // from the path alone; metadata is merged per Resolve
	path  string    // cgroup path, "" when unknown
	gone  time.Time // when its cgroup was first seen gone; zero while alive
	// exported: a scrape that began after gone exported its last counts
	exported bool
}

// NewResolver returns a Resolver for opts.
func NewResolver(opts ResolverOptions) (*Resolver, error) {
	if opts.GoneGrace < 0 {
		return nil, fmt.Errorf("negative gone grace %v", opts.GoneGrace)
	}
	if opts.MaxEntries < 0 {
		return nil, fmt.Errorf("negative cache bound %d", opts.MaxEntries)
	}
	if opts.MaxEntries == 0 {
		opts.MaxEntries = DefaultMaxEntries
	}
	if opts.RuncRoots == nil {
		opts.RuncRoots = DefaultRuncRoots
	}
	if opts.HostActors == nil {
		rules, err := ParseHostActorRules(DefaultHostActorRules)
		if err != nil {
			return nil, err
		}
		opts.HostActors = rules
	}
	for _, p := range opts.RuncRoots {
		if _, err := filepath.Match(p, ""); err != nil {
			return nil, fmt.Errorf("runc root %q: %w", p, err)
		}
	}
	r := &Resolver{opts: opts, root: opts.CgroupRoot, log: opts.Logger, now: time.Now, cache: map[uint64]entry{}}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.root == "" {
		root, err := detectCgroup2()
		if err != nil {
			return nil, err
		}
		r.root = root
	}
	root, err := filepath.Abs(r.root)
	if err != nil {
		return nil, fmt.Errorf("cgroup root: %w", err)
	}
	r.root = root
	r.handles, err = isCgroup2(r.root)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// CgroupRoot is the cgroup2 mount point the resolver reads.
func (r *Resolver) CgroupRoot() string { return r.root }

// Resolve returns the identity of the container that cgroup id belongs to:
// the host's (ID "", Container the host actor class) for id 1 and every
// non-container cgroup, ID UnknownID when id resolves to no path. Results are cached until Expired
// forgets them; metadata is looked up on every call, so it appears as soon
// as the source knows it.
func (r *Resolver) Resolve(id uint64) Identity {
	if id == hostID {
		return Identity{Container: hostActor(r.opts.HostActors, "/")}
	}
	r.mu.Lock()
	e, ok := r.cache[id]
	r.mu.Unlock()
	if !ok {
		e = r.lookup(id)
		r.store(id, e)
		if e.ident.IsHost() {
			r.mu.Lock()
			tell := slices.Clone(r.onHost)
			r.mu.Unlock()
			for _, f := range tell {
				f(id)
			}
		}
	}
	return r.withMetadata(e.ident)
}

// ResolveBorn resolves a cgroup made a moment ago. Its runtime may not yet
// have written what tells it is a container (runc's state.json, under a
// cgroup systemd made), so only a container is remembered: anything else
// is looked up again on the next Resolve.
func (r *Resolver) ResolveBorn(id uint64) Identity {
	r.mu.Lock()
	e, ok := r.cache[id]
	r.mu.Unlock()
	if !ok {
		e = r.lookup(id)
		if e.ident.IsHost() || e.ident.ID == UnknownID {
			return e.ident
		}
		r.store(id, e)
	}
	return r.withMetadata(e.ident)
}

// OnHost has f called with the id of each cgroup that resolves to the host,
// the root (id 1) aside: at once for those resolved so far, then as each
// new one is looked up, on the goroutine that resolves it (a scrape, the
// reaper, the event log). An id may be told more than once: f must be
// idempotent, safe for concurrent use, and quick.
func (r *Resolver) OnHost(f func(id uint64)) {
	r.mu.Lock()
	r.onHost = append(r.onHost, f)
	var known []uint64
	for id, e := range r.cache {
		if e.ident.IsHost() {
			known = append(known, id)
		}
	}
	r.mu.Unlock()
	for _, id := range known {
		f(id)
	}
}

// lookup resolves id to its path and parses it.
func (r *Resolver) lookup(id uint64) entry {
	path, creator, ok := r.path(id)
	if !ok {
		return entry{ident: Identity{ID: UnknownID}}
	}
	state := r.runcState
	if rt, ok := runtimeCreators[creator]; ok {
		state = func(cgpath, name string) (string, bool) {
			if found, ok := r.runcState(cgpath, name); ok {
				return found, true
			}
			return rt, cgpath == path
		}
	}
	ident, ok := parseCgroupPath(path, state)
	if !ok {
		ident = Identity{Container: hostActor(r.opts.HostActors, path)}
	}
	return entry{ident: ident, path: path}
}

// store caches e for id unless the cache is full.
func (r *Resolver) store(id uint64, e entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.cache[id]; !ok && len(r.cache) >= r.opts.MaxEntries {
		if !r.warned {
			r.log.Warn("container resolver cache full; new cgroups resolve uncached and never expire", "max_entries", r.opts.MaxEntries)
			r.warned = true
		}
		return
	}
	r.cache[id] = e
}

// withMetadata merges the Kubernetes metadata the source knows for ident.
func (r *Resolver) withMetadata(ident Identity) Identity {
	if r.opts.Metadata == nil || ident.ID == "" || ident.ID == UnknownID {
		return ident
	}
	md, ok := r.opts.Metadata.Lookup(ident.ID)
	if !ok {
		return ident
	}
	ident.Namespace = sanitizeLabel(md.Namespace)
	ident.Pod = sanitizeLabel(md.Pod)
	ident.Container = sanitizeLabel(md.Container)
	ident.Image = sanitizeLabel(md.Image)
	return ident
}

// PodLabels are the labels of ident's pod, nil when the metadata source
// knows none. For policy matching only: they never become metric labels.
func (r *Resolver) PodLabels(ident Identity) map[string]string {
	if r.opts.Metadata == nil || ident.ID == "" || ident.ID == UnknownID {
		return nil
	}
	md, _ := r.opts.Metadata.Lookup(ident.ID)
	return md.PodLabels
}

// Live returns one Identity per distinct container whose cgroup exists now,
// found by walking the cgroup2 tree, and per container resolved earlier
// whose cgroup is gone but not yet expired (its series are still
// exported), with metadata merged.
func (r *Resolver) Live() ([]Identity, error) {
	groups, err := r.containerGroups()
	if err != nil {
		return nil, err
	}
	out := make([]Identity, len(groups), len(groups)+8)
	for i, g := range groups {
		out[i] = g.ident
	}
	r.mu.Lock()
	for _, e := range r.cache {
		if id := e.ident.ID; id != "" && id != UnknownID && !findGroup(groups, id) {
			out = append(out, e.ident) // gone, not yet expired
		}
	}
	r.mu.Unlock()
	if len(out) > len(groups) {
		// Sub-cgroups of one gone container are cached apart: one each.
		slices.SortStableFunc(out, func(a, b Identity) int { return cmp.Compare(a.ID, b.ID) })
		out = slices.CompactFunc(out, func(a, b Identity) bool { return a.ID == b.ID })
	}
	for i := range out {
		out[i] = r.withMetadata(out[i])
	}
	return out, nil
}

// Scraped records that a scrape which began at start has exported every
// cached container: those seen gone before start have had their last
// counts exported, and may expire.
func (r *Resolver) Scraped(start time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, e := range r.cache {
		if !e.gone.IsZero() && !e.exported && e.gone.Before(start) {
			e.exported = true
			r.cache[id] = e
		}
	}
}

// Expired returns, sorted, the cached ids whose cgroup has been gone for
// at least GoneGrace and that a scrape has exported since (or that have
// waited UnscrapedHold more for one), and forgets them; the caller deletes
// their BPF map entries. It also notes which cached cgroups are gone, so
// call it periodically.
func (r *Resolver) Expired() []uint64 {
	r.mu.Lock()
	check := map[uint64]string{}
	for id, e := range r.cache {
		if e.gone.IsZero() {
			check[id] = e.path
		}
	}
	r.mu.Unlock()

	var gone []uint64
	r.withMount(func(mnt int) {
		for id, path := range check {
			if !r.alive(mnt, id, path) {
				gone = append(gone, id)
			}
		}
	})

	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range gone {
		if e, ok := r.cache[id]; ok && e.gone.IsZero() {
			e.gone = now
			r.cache[id] = e
		}
	}
	var out []uint64
	for id, e := range r.cache {
		if e.gone.IsZero() || now.Sub(e.gone) < r.opts.GoneGrace {
			continue
		}
		if !e.exported && now.Sub(e.gone) < r.opts.GoneGrace+UnscrapedHold {
			continue // its last counts wait for a scrape
		}
		delete(r.cache, id)
		out = append(out, id)
	}
	if len(out) > 0 {
		r.warned = false
	}
	slices.Sort(out)
	return out
}
