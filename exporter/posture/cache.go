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
// have changed, on the exact signs the kernel gives:
//
//   - a container's first process is pinned with a pidfd (pidfd_open(2)),
//     which poll(2) reports readable once the process exited: only then is
//     the container's cgroup.procs read again for its new first process;
//   - mountinfo, generated anew at each read (the largest cost of a posture
//     at a thousand containers), stays open and is read again only when
//     poll(2) on it reports a change of its mount table (POLLPRI, proc(5)),
//     or when the host's mounts changed, and is opened again when the mount
//     namespace changed. One poll at Begin serves every pidfd and mountinfo.
//
// The namespace links but pid's are read at every scrape: a process that
// joins the host's network with setns(2) shows at the next scrape, and no
// sign of that call reaches every reader (the syscall tracepoints miss
// 32-bit calls). The pid namespace of a process never changes, so its link
// is read once. Status (capabilities, uid, seccomp, no_new_privs) is read
// at every scrape, from a descriptor kept open: capset(2) raises effective
// capabilities within the permitted set, and an exec of a setuid binary
// changes the uid, with no other sign. Of a pinned process confined for
// life (seccomp and no_new_privs on: neither is ever turned off) only the
// capabilities and uid are read, by capget(2) and PIDFD_GET_INFO.
//
// With Tasks (a BPF task iterator, package taskiter), the status fields and
// namespaces of every pinned process come from one pass over the node's
// tasks at Begin, and no status or link is read but when a process is
// pinned, or when a namespace changed. A Cache is safe for concurrent use.
type Cache struct {
	reader Reader
	// pidfds is whether reader's proc is the exporter's own, whose pids
	// pidfd_open takes: a test's fake /proc lists no real processes.
	pidfds bool

	mu      sync.Mutex
	scrape  uint64
	host    host
	hostMnt *mountinfoFile
	// hostGen counts the changes of the host's mounts.
	hostGen uint64
	entries map[string]*entry
	// max bounds len(entries).
	max   int
	buf   []byte
	polls []unix.PollFd
	// tasks, when set, reads the status fields and namespaces of the
	// pinned processes in one pass at Begin, into scraped: none of their
	// status files or links is read then.
	tasks   Tasks
	scraped map[int]Task
	// reads counts what was read again, for tests.
	reads reads
}

// reads counts the reads the cache could not skip.
type reads struct {
	// firstPids counts reads of a container's first pid, links the
	// namespace links read, statuses the status files, tasks the
	// processes measured by the task iterator.
	firstPids, links, statuses, tasks int
}

// entry is what a container's posture kept from earlier scrapes.
type entry struct {
	pid int
	// dir is pid's /proc directory.
	dir string
	// pidfd pins pid's process; -1 when it could not be opened (the
	// container's first pid is then read at every scrape).
	pidfd int
	// exited is whether Begin's poll found pid's process gone.
	exited bool
	seen   uint64
	// links are the namespace links the entry was read with (Namespaces'
	// order), inodes those but pid's as numbers (0: not one).
	links  []string
	inodes [5]uint32
	// watched is whether the cache's Tasks watches pid.
	watched bool
	hostNS  map[string]bool
	status  *sysfile.File
	// status0 is what the last read gave (of status, or credentials),
	// posture the posture made of it.
	status0 *statusFields
	// noCredentials is whether credentials failed: status is read instead.
	noCredentials bool
	posture       Posture
	mountinfo     *mountinfoFile
	hostGen       uint64
	readonly      bool
	sensitive     map[string]bool
}

// NewCache returns an empty cache reading from reader, and measuring the
// pinned processes with tasks when it is not nil.
func NewCache(reader Reader, tasks Tasks) *Cache {
	c := &Cache{reader: reader, pidfds: ownProc(reader.Proc), entries: map[string]*entry{}, max: maxEntries()}
	if tasks != nil && c.pidfds {
		c.tasks, c.scraped = tasks, map[int]Task{}
	}
	return c
}

// ownProc reports whether proc is a proc file system of the exporter's
// pid namespace.
func ownProc(proc string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(proc, &st); err != nil || st.Type != unix.PROC_SUPER_MAGIC {
		return false
	}
	self, err := os.Readlink(filepath.Join(proc, "self"))
	return err == nil && self == strconv.Itoa(os.Getpid())
}

// maxEntries bounds the containers whose files stay open (three
// descriptors each: status, mountinfo, pidfd) so that they hold at most a
// quarter of those the process may open, as the resources collector's
// cgroup files do: together half, the rest left to what must not fail for
// want of a descriptor (the walk of the cgroup tree, BPF objects,
// scrapes). Past it, a container is measured without keeping its files.
func maxEntries() int {
	return sysfile.DescriptorShare(4) / 3
}

// Begin starts a scrape: it reads the host's namespaces and, when they
// changed, its mounts, and polls every kept pidfd and mountinfo. When the
// host's namespaces changed (they do not on a running host), every
// container's are read again.
func (c *Cache) Begin() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scrape++
	dir := filepath.Join(c.reader.Proc, strconv.Itoa(c.reader.HostPid))
	namespaces, err := readLinks(dir, Namespaces)
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
	if err := c.poll(); err != nil {
		return fmt.Errorf("posture: %w", err)
	}
	if c.tasks != nil && c.tasks.Read(c.scraped) != nil {
		// Each process is read from /proc instead: the same posture, at
		// the cost of the reads the iterator saves.
		clear(c.scraped)
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

// poll polls, in one call, the kept pidfds (readable once their process
// exited) and the kept mountinfo files (POLLPRI once their mount table
// changed), and marks what it found on the entries and files.
func (c *Cache) poll() error {
	fds := c.polls[:0]
	files := make([]*mountinfoFile, 0, len(c.entries)+1)
	pids := make([]*entry, 0, len(c.entries))
	for _, e := range c.entries {
		if e.pidfd >= 0 {
			fds = append(fds, unix.PollFd{Fd: int32(e.pidfd), Events: unix.POLLIN})
			pids = append(pids, e)
		}
	}
	for _, f := range append(c.mountinfos(), c.hostMnt) {
		if f.read0 && f.pollable {
			fds = append(fds, unix.PollFd{Fd: int32(f.Fd()), Events: unix.POLLPRI})
			files = append(files, f)
		}
	}
	c.polls = fds
	for {
		_, err := unix.Poll(fds, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return &os.SyscallError{Syscall: "poll", Err: err}
		}
		break
	}
	for i, e := range pids {
		// Readable, or anything else (an error): the process is not
		// known to be the one the entry measured.
		e.exited = fds[i].Revents != 0
	}
	for i, f := range files {
		f.changed = fds[len(pids)+i].Revents&(unix.POLLPRI|unix.POLLERR) != 0
	}
	return nil
}

// mountinfos lists the entries' mountinfo files.
func (c *Cache) mountinfos() []*mountinfoFile {
	out := make([]*mountinfoFile, 0, len(c.entries))
	for _, e := range c.entries {
		if e.mountinfo != nil {
			out = append(out, e.mountinfo)
		}
	}
	return out
}

// Read measures container id, against the host as Begin read it, on its
// first process: the one the cache pinned while it lives, else the one
// firstPid finds (false: the container has no process).
func (c *Cache) Read(id string, firstPid func() (int, bool)) (Posture, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, err := c.read(id, firstPid)
	if errors.Is(err, unix.ESRCH) {
		// The process the entry's files were opened on exited since
		// Begin: the container's first process is another now.
		c.forget(id)
		p, err = c.read(id, firstPid)
	}
	if err != nil {
		c.forget(id) // what it kept may be half updated
	}
	if errors.Is(err, unix.ESRCH) {
		return Posture{}, fmt.Errorf("posture: %w: %w", os.ErrNotExist, err)
	}
	return p, err
}

func (c *Cache) read(id string, firstPid func() (int, bool)) (Posture, error) {
	e := c.entries[id]
	fresh := false // opened now: its links were just read
	if e == nil || e.pidfd < 0 || e.exited {
		c.reads.firstPids++
		pid, ok := firstPid()
		if !ok {
			c.forget(id)
			return Posture{}, fmt.Errorf("posture: the container has no process: %w", os.ErrNotExist)
		}
		if e != nil && (e.pid != pid || e.exited) {
			c.forget(id)
			e = nil
		}
		if e == nil {
			var err error
			if e, err = c.open(pid, firstPid); err != nil {
				return Posture{}, err
			}
			fresh = true
			if len(c.entries) < c.max {
				c.entries[id] = e
				c.watch(e)
			} else {
				defer e.close() // measured without keeping its files
			}
		}
	}
	e.seen = c.scrape
	fields, err := c.readStatus(e, fresh)
	if err != nil {
		return Posture{}, err
	}
	if e.status0 == nil || fields != *e.status0 {
		e.status0, e.posture = &fields, fields.posture() // its maps are read only: shared by the scrapes
	}
	p := e.posture
	// A process that entered other namespaces (setns, unshare): compared
	// again; its open mountinfo shows the mount namespace it was opened in.
	// Its pid namespace (the first) is its own for life.
	moved := false
	if !fresh {
		moved, err = c.linksMoved(e)
	}
	if err != nil {
		return Posture{}, fmt.Errorf("posture of pid %d: %w", e.pid, err)
	}
	if moved {
		links, err := c.readLinks(e.dir, Namespaces[1:])
		if err != nil {
			return Posture{}, fmt.Errorf("posture of pid %d: %w", e.pid, err)
		}
		if err := c.reopenNamespaces(e, e.dir, e.links[0], links); err != nil {
			return Posture{}, fmt.Errorf("posture of pid %d: %w", e.pid, err)
		}
	}
	b, changed, err := e.mountinfo.readChanged(&c.buf)
	if err != nil {
		return Posture{}, fmt.Errorf("posture of pid %d: %w", e.pid, err)
	}
	if changed || e.hostGen != c.hostGen {
		mounts, err := parseMountinfo(string(b))
		if err != nil {
			return Posture{}, fmt.Errorf("posture of pid %d: %w", e.pid, err)
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

// readStatus returns what a posture takes from the status of e's process:
// read from status, or, for a pinned process confined for life, its
// credentials alone.
func (c *Cache) readStatus(e *entry, fresh bool) (statusFields, error) {
	if !fresh {
		if t, ok := c.task(e); ok {
			c.reads.tasks++
			return t.fields(), nil
		}
	}
	if !fresh && e.pidfd >= 0 && !e.noCredentials && e.status0 != nil && e.status0.confined() {
		f, err := credentials(e, *e.status0)
		if err == nil || errors.Is(err, unix.ESRCH) {
			return f, err
		}
		e.noCredentials = true // a kernel before 6.13: status it is
	}
	c.reads.statuses++
	status, err := e.status.ReadAll(c.buf)
	if err != nil {
		return statusFields{}, fmt.Errorf("posture: %w", err)
	}
	c.buf = status
	if runtimeInit(status, e.dir) {
		return statusFields{}, fmt.Errorf("posture of pid %d: %w", e.pid, ErrSettingUp)
	}
	f, err := parseStatusFields(status)
	if err != nil {
		return statusFields{}, fmt.Errorf("posture of pid %d: %w", e.pid, err)
	}
	return f, nil
}

// open makes the entry of pid, the first process firstPid found: it pins
// the process with a pidfd when it is still the container's first once
// pinned (a pid read from cgroup.procs may be another process's by the
// time it is opened); else the entry reads the first pid at every scrape.
func (c *Cache) open(pid int, firstPid func() (int, bool)) (*entry, error) {
	dir := filepath.Join(c.reader.Proc, strconv.Itoa(pid))
	status, err := sysfile.Open(filepath.Join(dir, "status"))
	if err != nil {
		return nil, fmt.Errorf("posture: %w", err)
	}
	e := &entry{pid: pid, dir: dir, pidfd: -1, status: status}
	if c.pidfds {
		fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
		if errors.Is(err, unix.ESRCH) {
			e.close()
			return nil, fmt.Errorf("posture of pid %d: %w", pid, err)
		}
		if err == nil {
			c.reads.firstPids++
			if again, ok := firstPid(); ok && again == pid {
				e.pidfd = fd
			} else {
				unix.Close(fd)
			}
		}
	}
	links, err := c.readLinks(dir, Namespaces)
	if err == nil {
		err = c.reopenNamespaces(e, dir, links[0], links[1:])
	}
	if err != nil {
		e.close()
		return nil, fmt.Errorf("posture of pid %d: %w", pid, err)
	}
	return e, nil
}

// reopenNamespaces keeps the namespace links of e's process (pidNS, then
// the others in Namespaces' order) and opens its mountinfo again.
func (c *Cache) reopenNamespaces(e *entry, dir, pidNS string, links []string) error {
	e.links = append([]string{pidNS}, links...)
	for i, link := range links {
		e.inodes[i], _ = linkInode(link)
	}
	e.hostNS = make(map[string]bool, len(Namespaces))
	for i, ns := range Namespaces {
		e.hostNS[ns.Label] = e.links[i] == c.host.namespaces[i]
	}
	if e.mountinfo != nil {
		e.mountinfo.Close()
	}
	var err error
	e.mountinfo, err = openMountinfo(filepath.Join(dir, "mountinfo"))
	return err
}

// linksMoved reports whether a namespace link of e's process but pid's
// differs from the one e was read with, without allocating.
func (c *Cache) linksMoved(e *entry) (bool, error) {
	if t, ok := c.task(e); ok {
		return t.Namespaces != e.inodes, nil
	}
	var b [64]byte
	for i, ns := range Namespaces[1:] {
		c.reads.links++
		n, err := unix.Readlink(e.dir+"/ns/"+ns.Link, b[:])
		if err != nil {
			return false, fmt.Errorf("namespace %s: %w", ns.Link, err)
		}
		if string(b[:n]) != e.links[i+1] {
			return true, nil
		}
	}
	return false, nil
}

// readLinks reads the links of namespaces in the process directory dir,
// counting them.
func (c *Cache) readLinks(dir string, namespaces []struct{ Label, Link string }) ([]string, error) {
	c.reads.links += len(namespaces)
	return readLinks(dir, namespaces)
}

// forget closes and deletes the entry of id, if any.
func (c *Cache) forget(id string) {
	if e := c.entries[id]; e != nil {
		if e.watched {
			c.tasks.Unwatch(e.pid)
		}
		e.close()
		delete(c.entries, id)
	}
}

// watch has Tasks watch the pinned process of e, a kept entry. Without it
// (a full map) e is read from /proc.
func (c *Cache) watch(e *entry) {
	if c.tasks != nil && e.pidfd >= 0 {
		e.watched = c.tasks.Watch(e.pid) == nil
	}
}

// task returns what Begin's pass of the task iterator read of e's pinned
// process: nothing when it did not run, or the process was gone by then.
// A pid is reused only after its process is reaped, which Begin's poll of
// the pidfd, just before, would have seen.
func (c *Cache) task(e *entry) (Task, bool) {
	if !e.watched || e.exited {
		return Task{}, false
	}
	t, ok := c.scraped[e.pid]
	return t, ok
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
	if e.pidfd >= 0 {
		unix.Close(e.pidfd)
	}
	if e.mountinfo != nil {
		e.mountinfo.Close()
	}
}

// readLinks reads the links of namespaces in the process directory dir.
func readLinks(dir string, namespaces []struct{ Label, Link string }) ([]string, error) {
	out := make([]string, len(namespaces))
	for i, ns := range namespaces {
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
