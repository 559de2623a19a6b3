package container

import "sync"

// containerDir is a container's cgroup directory, as a walk of the tree
// found it.
type containerDir struct {
	path  string
	ident Identity
}

// listing is one walk of the cgroup tree shared by the collectors that list
// containers in a scrape (Live, LiveCgroups, LiveContainers): the walk
// reads every directory of the tree, a large part of a scrape's cost at
// thousands of containers.
type listing struct {
	once sync.Once
	dirs []containerDir
	err  error
}

// BeginListing makes the listings until EndListing share one walk of the
// cgroup tree: what a container did between them shows at the next.
func (r *Resolver) BeginListing() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.listing = &listing{}
}

// EndListing ends what BeginListing began: each listing walks the tree
// again.
func (r *Resolver) EndListing() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.listing = nil
}

// containerDirs returns the containers' cgroup directories, in the order of
// the walk, which does not descend below a container's.
func (r *Resolver) containerDirs() ([]containerDir, error) {
	r.mu.Lock()
	l := r.listing
	r.mu.Unlock()
	if l == nil {
		return r.walkContainers()
	}
	l.once.Do(func() { l.dirs, l.err = r.walkContainers() })
	return l.dirs, l.err
}

func (r *Resolver) walkContainers() ([]containerDir, error) {
	state := memoState(r.runcState)
	var dirs []containerDir
	err := r.walk(func(path string, _ uint64) (bool, error) {
		ident, ok := parseCgroupPath(path, state)
		if ok {
			dirs = append(dirs, containerDir{path: path, ident: ident})
		}
		return !ok, nil
	})
	if err != nil {
		return nil, err
	}
	return dirs, nil
}
