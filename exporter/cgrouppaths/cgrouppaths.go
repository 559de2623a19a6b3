// Package cgrouppaths records, in the kernel, the path of every cgroup v2
// directory created while rtsec runs, so that a container that lived and
// died between two scrapes still resolves to its identity.
package cgrouppaths

import (
	"bytes"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/exporter/bpfprog"
)

// Recorder reads the paths the cgroup_mkdir hook recorded.
type Recorder struct {
	objs bpf.CgroupsObjects
}

// Load loads and attaches the recording program into set.
func Load(set *bpfprog.Set) (*Recorder, error) {
	spec, err := bpf.LoadCgroups()
	if err != nil {
		return nil, err
	}
	r := &Recorder{}
	if err := set.Load(spec, &r.objs); err != nil {
		return nil, err
	}
	return r, nil
}

// Path returns the recorded path of cgroup id. A path that filled the
// kernel's buffer may be cut short, so it is not returned: the caller falls
// back to asking the cgroup filesystem.
func (r *Recorder) Path(id uint64) (string, bool) {
	var value bpf.CgroupsCgroupPath
	if err := r.objs.CgroupPaths.Lookup(id, &value); err != nil {
		return "", false
	}
	raw := make([]byte, 0, len(value.Path))
	for _, c := range value.Path {
		raw = append(raw, byte(c))
	}
	n := bytes.IndexByte(raw, 0)
	if n < 0 || n == len(raw)-1 {
		return "", false
	}
	return string(raw[:n]), true
}
