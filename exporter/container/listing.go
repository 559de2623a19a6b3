package container

import (
	"cmp"
	"slices"
	"sync"
)

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
	once   sync.Once
	groups []group
	err    error
}

// group is one container of a walk, with its cgroup directories.
type group struct {
	ident Identity
	// path is the first directory found, relative to the root; more are
	// the others, in the order of the walk (none, but for a container
	// listed under several paths). Read only: listings share it.
	path string
	more []string
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

// containerGroups returns the containers of a walk of the cgroup tree,
// once each and sorted by ID: in a listing, the walk's, made once for all
// its listings.
func (r *Resolver) containerGroups() ([]group, error) {
	r.mu.Lock()
	l := r.listing
	r.mu.Unlock()
	if l == nil {
		return r.walkGroups()
	}
	l.once.Do(func() { l.groups, l.err = r.walkGroups() })
	return l.groups, l.err
}

// walkGroups walks the tree and groups its container directories by ID.
func (r *Resolver) walkGroups() ([]group, error) {
	dirs, err := r.walkContainers()
	if err != nil {
		return nil, err
	}
	at := make(map[string]int, len(dirs))
	groups := make([]group, 0, len(dirs))
	for _, d := range dirs {
		if i, ok := at[d.ident.ID]; ok {
			groups[i].more = append(groups[i].more, d.path)
			continue
		}
		at[d.ident.ID] = len(groups)
		groups = append(groups, group{ident: d.ident, path: d.path})
	}
	slices.SortFunc(groups, func(a, b group) int { return cmp.Compare(a.ident.ID, b.ident.ID) })
	return groups, nil
}

// findGroup tells whether sorted groups hold a container of ID id.
func findGroup(groups []group, id string) bool {
	_, ok := slices.BinarySearchFunc(groups, id, func(g group, id string) int { return cmp.Compare(g.ident.ID, id) })
	return ok
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
