package container

import (
	"maps"
	"slices"
)

// Cgroup is one live container and its cgroup2 directory.
type Cgroup struct {
	Identity Identity
	// Path is relative to Root, "/"-prefixed.
	Path string
}

// Root returns the cgroup2 mount point the resolver reads.
func (r *Resolver) Root() string { return r.root }

// LiveCgroups is Live with each container's cgroup directory, for readers
// of its cgroup files; containers whose cgroup is gone are left out. A
// container with several directories (none on the layouts rtsec knows) is
// listed with the first one found.
func (r *Resolver) LiveCgroups() ([]Cgroup, error) {
	dirs, err := r.containerDirs()
	if err != nil {
		return nil, err
	}
	found := map[string]Cgroup{}
	for _, d := range dirs {
		if _, seen := found[d.ident.ID]; !seen {
			found[d.ident.ID] = Cgroup{Identity: d.ident, Path: d.path}
		}
	}
	out := make([]Cgroup, 0, len(found))
	for _, id := range slices.Sorted(maps.Keys(found)) {
		c := found[id]
		c.Identity = r.withMetadata(c.Identity)
		out = append(out, c)
	}
	return out, nil
}
