package posture

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/rtsec/rtsec/exporter/sysfile"
)

// Cache measures containers scrape after scrape, re-reading only what may
// have changed. The kernel generates mountinfo anew at each read (the
// largest cost of a posture at a thousand containers), so each container's
// stays open and is read again only when poll(2) on it reports a change of
// its mount table (POLLPRI, proc(5)), or when the host's mounts changed.
// The namespace links are read at every scrape (six readlinks: a process
// that joins the host's network with setns shows at the next scrape), and
// mountinfo opened again when the mount namespace changed. Status (capabilities, uid,
// seccomp, no_new_privs) is read at every scrape, from a descriptor kept
// open: capset(2) raises effective capabilities within the permitted set,
// and an exec of a setuid binary changes the uid, with no other sign. A
// Cache is safe for concurrent use.
type Cache struct {
	reader Reader

	mu      sync.Mutex
	scrape  uint64
	host    host
	hostMnt *mountinfoFile
	// hostGen counts the changes of the host's mounts.
	hostGen uint64
	entries map[string]*entry
	// max bounds len(entries).
	max int
	buf []byte
}

// entry is what a container's posture kept from earlier scrapes.
type entry struct {
	pid  int
	seen uint64
	// links are the namespace links the entry was read with (Namespaces'
	// order).
	links     []string
	hostNS    map[string]bool
	status    *sysfile.File
	mountinfo *mountinfoFile
	hostGen   uint64
	readonly  bool
	sensitive map[string]bool
}

// NewCache returns an empty cache reading from reader.
func NewCache(reader Reader) *Cache {
	return &Cache{reader: reader, entries: map[string]*entry{}, max: maxEntries()}
}

// maxEntries bounds the containers whose files stay open (two descriptors
// each) so that they hold at most half of those the process may open,
// leaving the rest to the other collectors: past it, a container is
// measured without keeping its files.
func maxEntries() int {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	return int(min(lim.Cur, 1<<30) / 4)
}

// Begin starts a scrape: it reads the host's namespaces and, when they
// changed, its mounts. When the host's namespaces changed (they do not on
// a running host), every container's are read again.
func (c *Cache) Begin() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scrape++
	dir := filepath.Join(c.reader.Proc, strconv.Itoa(c.reader.HostPid))
	namespaces, err := readLinks(dir)
	if err != nil {
		return fmt.Errorf("posture of host pid %d: %w", c.reader.HostPid, err)
	}
	if !slices.Equal(namespaces, c.host.namespaces) {
		c.drop()
	}
	c.host.namespaces = namespaces
	if c.hostMnt == nil {
		if c.hostMnt, err = openMountinfo(filepath.Join(dir, "mountinfo")); err != nil {
			return fmt.Errorf("posture: %w", err)
		}
	}
	b, changed, err := c.hostMnt.readChanged(&c.buf)
	if err != nil {
		c.hostMnt.Close()
		c.hostMnt = nil
		return fmt.Errorf("posture of host pid %d: %w", c.reader.HostPid, err)
	}
	if !changed && c.host.mounts != nil {
		return nil
	}
	mounts, err := parseMountinfo(string(b))
	if err != nil {
		c.hostMnt.Close() // read again at the next scrape
		c.hostMnt = nil
		return fmt.Errorf("posture of host pid %d: %w", c.reader.HostPid, err)
	}
	c.host.mounts = mounts
	c.hostGen++
	return nil
}

// Read measures the container id whose process is pid, against the host
// as Begin read it.
func (c *Cache) Read(id string, pid int) (Posture, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, err := c.read(id, pid)
	if errors.Is(err, unix.ESRCH) {
		// The process the entry's files were opened on exited, and pid
		// is now another's: open them again.
		c.forget(id)
		p, err = c.read(id, pid)
	}
	if err != nil {
		c.forget(id) // what it kept may be half updated
	}
	if errors.Is(err, unix.ESRCH) {
		return Posture{}, fmt.Errorf("posture of pid %d: %w: %w", pid, os.ErrNotExist, err)
	}
	return p, err
}

func (c *Cache) read(id string, pid int) (Posture, error) {
	dir := filepath.Join(c.reader.Proc, strconv.Itoa(pid))
	e := c.entries[id]
	if e != nil && e.pid != pid {
		c.forget(id)
		e = nil
	}
	if e == nil {
		var err error
		if e, err = c.open(dir, pid); err != nil {
			return Posture{}, err
		}
		if len(c.entries) < c.max {
			c.entries[id] = e
		} else {
			defer e.close() // measured without keeping its files
		}
	}
	e.seen = c.scrape
	status, err := e.status.ReadAll(c.buf)
	if err != nil {
		return Posture{}, fmt.Errorf("posture: %w", err)
	}
	c.buf = status
	text := string(status) // once: a status is 1.5 kB, a scrape reads one per container
	if runtimeInit(text, dir) {
		return Posture{}, fmt.Errorf("posture of pid %d: %w", pid, ErrSettingUp)
	}
	p, err := parseStatus(text)
	if err != nil {
		return Posture{}, fmt.Errorf("posture of pid %d: %w", pid, err)
	}
	// A process that entered other namespaces (setns, unshare): compared
	// again; its open mountinfo shows the mount namespace it was opened in.
	links, err := readLinks(dir)
	if err != nil {
		return Posture{}, fmt.Errorf("posture of pid %d: %w", pid, err)
	}
	if !slices.Equal(links, e.links) {
		if err := c.reopenNamespaces(e, dir); err != nil {
			return Posture{}, fmt.Errorf("posture of pid %d: %w", pid, err)
		}
	}
	b, changed, err := e.mountinfo.readChanged(&c.buf)
	if err != nil {
		return Posture{}, fmt.Errorf("posture of pid %d: %w", pid, err)
	}
	if changed || e.hostGen != c.hostGen {
		mounts, err := parseMountinfo(string(b))
		if err != nil {
			return Posture{}, fmt.Errorf("posture of pid %d: %w", pid, err)
		}
		e.readonly = readonlyRoot(mounts)
		e.sensitive = sensitiveMounts(mounts, c.host.mounts)
		e.hostGen = c.hostGen
	}
	p.HostNamespaces = e.hostNS
	p.ReadonlyRootfs = e.readonly
	p.SensitiveMounts = e.sensitive
	return p, nil
}

// open makes the entry of pid, whose process directory is dir.
func (c *Cache) open(dir string, pid int) (*entry, error) {
	status, err := sysfile.Open(filepath.Join(dir, "status"))
	if err != nil {
		return nil, fmt.Errorf("posture: %w", err)
	}
	e := &entry{pid: pid, status: status}
	if err := c.reopenNamespaces(e, dir); err != nil {
		e.close()
		return nil, fmt.Errorf("posture of pid %d: %w", pid, err)
	}
	return e, nil
}

// reopenNamespaces reads e's namespace links and opens its mountinfo again.
func (c *Cache) reopenNamespaces(e *entry, dir string) error {
	links, err := readLinks(dir)
	if err != nil {
		return err
	}
	e.links = links
	e.hostNS = make(map[string]bool, len(Namespaces))
	for i, ns := range Namespaces {
		e.hostNS[ns.Label] = links[i] == c.host.namespaces[i]
	}
	if e.mountinfo != nil {
		e.mountinfo.Close()
	}
	e.mountinfo, err = openMountinfo(filepath.Join(dir, "mountinfo"))
	return err
}

// forget closes and deletes the entry of id, if any.
func (c *Cache) forget(id string) {
	if e := c.entries[id]; e != nil {
		e.close()
		delete(c.entries, id)
	}
}

// drop forgets every entry.
func (c *Cache) drop() {
	for id := range c.entries {
		c.forget(id)
	}
}

// End ends a scrape: the containers Read did not see are forgotten and
// their mountinfo closed.
func (c *Cache) End() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, e := range c.entries {
		if e.seen != c.scrape {
			c.forget(id)
		}
	}
}

// Close closes every file the cache holds open.
func (c *Cache) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drop()
	if c.hostMnt != nil {
		c.hostMnt.Close()
		c.hostMnt = nil
	}
}

func (e *entry) close() {
	e.status.Close()
	if e.mountinfo != nil {
		e.mountinfo.Close()
	}
}

// readLinks reads the namespace links of the process directory dir, in
// the order of Namespaces.
func readLinks(dir string) ([]string, error) {
	out := make([]string, len(Namespaces))
	for i, ns := range Namespaces {
		link, err := readLink(dir, ns.Link)
		if err != nil {
			return nil, err
		}
		out[i] = link
	}
	return out, nil
}

func readLink(dir, ns string) (string, error) {
	var b [64]byte
	n, err := unix.Readlink(filepath.Join(dir, "ns", ns), b[:])
	if err != nil {
		return "", fmt.Errorf("namespace %s: %w", ns, err)
	}
	return string(b[:n]), nil
}
