package container

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
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
	// exported) after its cgroup is gone; 0 forgets it at the first Expired
	// call that sees it gone.
	GoneGrace time.Duration
	// MaxEntries bounds the cache; 0 means DefaultMaxEntries. When the
	// cache is full, new ids still resolve but are not cached, so Expired
	// never reports them: size it at least as large as the BPF maps.
	MaxEntries int
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
}

// entry is one cached cgroup id.
type entry struct {
	ident Identity  // from the path alone; metadata is merged per Resolve
	path  string    // cgroup path, "" when unknown
	gone  time.Time // when its cgroup was first seen gone; zero while alive
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

// Resolve returns the identity of the container that cgroup id belongs to:
// the zero Identity for the host (id 1 and every non-container cgroup), ID
// UnknownID when id resolves to no path. Results are cached until Expired
// forgets them; metadata is looked up on every call, so it appears as soon
// as the source knows it.
func (r *Resolver) Resolve(id uint64) Identity {
	if id == hostID {
		return Identity{}
	}
	r.mu.Lock()
	e, ok := r.cache[id]
	r.mu.Unlock()
	if !ok {
		e = r.lookup(id)
		r.store(id, e)
	}
	return r.withMetadata(e.ident)
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
	ident, _ := parseCgroupPath(path, state)
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

// Live returns one Identity per distinct container whose cgroup exists now,
// found by walking the cgroup2 tree, with metadata merged.
func (r *Resolver) Live() ([]Identity, error) {
	state := memoState(r.runcState)
	found := map[string]Identity{}
	err := r.walk(func(path string, _ uint64) (bool, error) {
		ident, ok := parseCgroupPath(path, state)
		if ok {
			found[ident.ID] = ident
		}
		return !ok, nil
	})
	if err != nil {
		return nil, err
	}
	ids := slices.Sorted(maps.Keys(found))
	out := make([]Identity, 0, len(ids))
	for _, id := range ids {
		out = append(out, r.withMetadata(found[id]))
	}
	return out, nil
}

// Expired returns, sorted, the cached ids whose cgroup has been gone for
// at least GoneGrace, and forgets them; the caller deletes their BPF map
// entries. It also notes which cached cgroups are gone, so call it
// periodically.
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
		if !e.gone.IsZero() && now.Sub(e.gone) >= r.opts.GoneGrace {
			delete(r.cache, id)
			out = append(out, id)
		}
	}
	if len(out) > 0 {
		r.warned = false
	}
	slices.Sort(out)
	return out
}

// path finds the cgroup path of id, and its creator when recorded: recorded
// by the BPF side, else from a kernfs file handle, else by walking the tree
// (when handles are refused, e.g. without CAP_DAC_READ_SEARCH).
func (r *Resolver) path(id uint64) (path, creator string, ok bool) {
	if r.opts.Recorded != nil {
		if rec, ok := r.opts.Recorded(id); ok {
			return rec.Path, rec.Creator, true
		}
	}
	if r.handles {
		p, err := r.handlePath(id)
		if err == nil {
			return p, "", true
		}
		if isGone(err) {
			return "", "", false
		}
		r.log.Debug("cgroup id by file handle failed, walking the tree", "id", id, "err", err)
	}
	var found string
	err := r.walk(func(path string, ino uint64) (bool, error) {
		if ino == id {
			found = path
			return false, errStopWalk
		}
		return true, nil
	})
	if err != nil && !errors.Is(err, errStopWalk) {
		r.log.Debug("cgroup tree walk failed", "id", id, "err", err)
	}
	return found, "", found != ""
}

// handlePath opens cgroup id by its kernfs file handle and reads back its
// path.
func (r *Resolver) handlePath(id uint64) (string, error) {
	var path string
	var err error
	r.withMount(func(mnt int) {
		var fd int
		if fd, err = openByID(mnt, id); err != nil {
			return
		}
		defer unix.Close(fd)
		var target string
		if target, err = os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd)); err != nil {
			return
		}
		path, err = relativeTo(r.root, target)
	})
	return path, err
}

// withMount calls f with a descriptor of the cgroup2 mount, or -1 when it
// cannot be opened (then every handle operation fails with EBADF). Not
// O_PATH: open_by_handle_at refuses O_PATH mount descriptors with EBADF.
func (r *Resolver) withMount(f func(mnt int)) {
	mnt, err := unix.Open(r.root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		r.log.Debug("open cgroup root", "root", r.root, "err", err)
		mnt = -1
	} else {
		defer unix.Close(mnt)
	}
	f(mnt)
}

// fileIDKernfs is FILEID_KERNFS, the handle type of kernfs (cgroup) files:
// the handle is the 64-bit kernfs node id, which is the cgroup id.
const fileIDKernfs = 0xfe

// openByID opens the cgroup with id on the cgroup2 mount mnt, O_PATH.
func openByID(mnt int, id uint64) (int, error) {
	if mnt < 0 {
		return -1, unix.EBADF
	}
	b := make([]byte, 8)
	binary.NativeEndian.PutUint64(b, id)
	fd, err := unix.OpenByHandleAt(mnt, unix.NewFileHandle(fileIDKernfs, b), unix.O_PATH|unix.O_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("open_by_handle_at cgroup %d: %w", id, err)
	}
	return fd, nil
}

// isGone reports whether err says the cgroup no longer exists.
func isGone(err error) bool {
	return errors.Is(err, unix.ESTALE) || errors.Is(err, unix.ENOENT)
}

// alive reports whether cgroup id still exists: by its file handle where
// the kernel decides, else by whether its path still names a directory
// with inode id.
func (r *Resolver) alive(mnt int, id uint64, path string) bool {
	if r.handles {
		fd, err := openByID(mnt, id)
		if err == nil {
			unix.Close(fd)
			return true
		}
		if isGone(err) {
			return false
		}
	}
	if path == "" || !wellFormed(path) {
		return false
	}
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(r.root, path), &st); err != nil {
		return false
	}
	return st.Mode&unix.S_IFMT == unix.S_IFDIR && st.Ino == id
}

// relativeTo returns target, a path under root, as a "/"-prefixed path
// relative to root.
func relativeTo(root, target string) (string, error) {
	if target == root {
		return "/", nil
	}
	rel, ok := strings.CutPrefix(target, root)
	if !ok || !strings.HasPrefix(rel, "/") {
		return "", fmt.Errorf("cgroup %q outside cgroup root %q", target, root)
	}
	return rel, nil
}

// maxWalkDirs bounds a walk of the cgroup tree: far above real trees
// (hundreds to a few thousand cgroups), and a tree an attacker inflates
// costs at most this many stat calls per walk.
const maxWalkDirs = 100000

var (
	errStopWalk  = errors.New("stop walk")
	errWalkLimit = fmt.Errorf("cgroup tree larger than %d directories", maxWalkDirs)
)

// walk calls visit for every cgroup directory below the root, with its
// "/"-prefixed path and inode number, descending into it while visit
// returns true.
func (r *Resolver) walk(visit func(path string, ino uint64) (bool, error)) error {
	n := 0
	return filepath.WalkDir(r.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while walking
			}
			return err
		}
		if !d.IsDir() || p == r.root {
			return nil
		}
		if n++; n > maxWalkDirs {
			return errWalkLimit
		}
		info, err := d.Info()
		if err != nil {
			return nil // removed while walking
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("no inode for %s", p)
		}
		descend, err := visit(p[len(r.root):], st.Ino)
		if err != nil {
			return err
		}
		if !descend {
			return fs.SkipDir
		}
		return nil
	})
}

// maxStateBytes bounds how much of a runc state.json is read (a few KiB in
// practice).
const maxStateBytes = 1 << 20

// runcState is the stateFunc of the resolver: the cgroup at cgpath is a
// container when some runc root holds name/state.json whose unified cgroup
// path ends in cgpath (so the check holds when the exporter sees the host's
// cgroup mount elsewhere) or whose configured cgroups path is cgpath.
func (r *Resolver) runcState(cgpath, name string) (string, bool) {
	for _, pattern := range r.opts.RuncRoots {
		roots, _ := filepath.Glob(pattern) // patterns checked by NewResolver
		for _, root := range roots {
			if stateNames(filepath.Join(root, name, "state.json"), cgpath) {
				return rootRuntime(root), true
			}
		}
	}
	return "", false
}

// memoState remembers the answers of state for one tree walk, where every
// directory would otherwise look its ancestors up again.
func memoState(state stateFunc) stateFunc {
	type answer struct {
		runtime string
		ok      bool
	}
	memo := map[string]answer{}
	return func(cgpath, name string) (string, bool) {
		a, ok := memo[cgpath]
		if !ok {
			a.runtime, a.ok = state(cgpath, name)
			memo[cgpath] = a
		}
		return a.runtime, a.ok
	}
}

// runcStateFile is the part of runc's state.json the resolver reads.
type runcStateFile struct {
	CgroupPaths map[string]string `json:"cgroup_paths"`
	Config      struct {
		Cgroups struct {
			Path string `json:"path"`
		} `json:"cgroups"`
	} `json:"config"`
}

// stateNames reports whether the runc state file names cgroup cgpath.
func stateNames(file, cgpath string) bool {
	f, err := os.Open(file)
	if err != nil {
		return false
	}
	defer f.Close()
	var st runcStateFile
	if err := json.NewDecoder(io.LimitReader(f, maxStateBytes)).Decode(&st); err != nil {
		return false
	}
	unified := st.CgroupPaths[""]
	return unified != "" && strings.HasSuffix(unified, cgpath) || st.Config.Cgroups.Path == cgpath
}

// rootRuntime names the runtime owning a runc state root by its path.
func rootRuntime(root string) string {
	for _, e := range strings.Split(filepath.Clean(root), string(filepath.Separator)) {
		switch e {
		case "containerd":
			return RuntimeContainerd
		case "docker":
			return RuntimeDocker
		}
	}
	return RuntimeRunc
}

// isCgroup2 reports whether dir is on a cgroup2 file system.
func isCgroup2(dir string) (bool, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return false, fmt.Errorf("cgroup root: %w", err)
	}
	return st.Type == unix.CGROUP2_SUPER_MAGIC, nil
}

// detectCgroup2 finds the cgroup2 mount point in /proc/self/mountinfo.
func detectCgroup2() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", fmt.Errorf("find cgroup2 mount: %w", err)
	}
	defer f.Close()
	return cgroup2Mount(f)
}

// cgroup2Mount returns the cgroup2 mount point listed in mountinfo,
// preferring /sys/fs/cgroup (pure v2) and /sys/fs/cgroup/unified (hybrid).
func cgroup2Mount(mountinfo io.Reader) (string, error) {
	var mounts []string
	sc := bufio.NewScanner(mountinfo)
	for sc.Scan() {
		// id parent major:minor root mountpoint options [optional…] - fstype source superoptions
		fields := strings.Fields(sc.Text())
		sep := slices.Index(fields, "-")
		if sep < 5 || sep+1 >= len(fields) || fields[sep+1] != "cgroup2" {
			continue
		}
		mounts = append(mounts, mountinfoUnescape.Replace(fields[4]))
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read mountinfo: %w", err)
	}
	for _, want := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		if slices.Contains(mounts, want) {
			return want, nil
		}
	}
	if len(mounts) == 0 {
		return "", errors.New("no cgroup2 mount in mountinfo")
	}
	return mounts[0], nil
}

// mountinfoUnescape undoes the octal escapes of mountinfo paths.
var mountinfoUnescape = strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)
