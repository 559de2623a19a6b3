package container

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
	groups, err := r.containerGroups()
	if err != nil {
		return nil, err
	}
	out := make([]Cgroup, len(groups))
	for i, g := range groups {
		out[i] = Cgroup{Identity: r.withMetadata(g.ident), Path: g.path}
	}
	return out, nil
}
