package integration

import (
	"maps"
	"slices"
	"testing"

	"github.com/rtsec/rtsec/bpf"
	"github.com/rtsec/rtsec/bpf/enums"
	"github.com/rtsec/rtsec/exporter/bpfprog"
	"github.com/rtsec/rtsec/exporter/fileclass"
	"github.com/rtsec/rtsec/test/runc"
)

// The write gate (may_have_class in files.bpf.c) drops a write-open before
// its path is built when the path's first component starts no class
// prefix. Where it could be wrong: a recursive class's subdirectory made
// after the table was loaded, a class filled while the programs run, drift
// outside every class (which still walks), and an unwatched write, which
// must stay uncounted. The container's counts are read from the map.
func TestFileWriteGate(t *testing.T) {
	t.Parallel()
	c := runc.Start(t, runc.Options{Files: map[string][]byte{"var/log/.keep": nil, "opt/.keep": nil}})
	set := bpfprog.NewSet()
	t.Cleanup(func() { set.Close() })
	spec, err := bpf.LoadFiles()
	if err != nil {
		t.Fatal(err)
	}
	var objs bpf.FilesObjects
	if err := set.Load(spec, &objs); err != nil {
		t.Fatal(err)
	}
	defaults, err := fileclass.Load("")
	if err != nil {
		t.Fatal(err)
	}
	if err := defaults.Fill(objs.FileClasses, objs.ReadGate, objs.GateFilter); err != nil {
		t.Fatal(err)
	}
	type count struct {
		class uint8
		op    string
	}
	counts := func() map[count]uint64 {
		out := map[count]uint64{}
		var k bpf.FilesFileKey
		var v uint64
		it := objs.FileCounts.Iterate()
		for it.Next(&k, &v) {
			if k.CgroupId == c.CgroupID() && k.Read == 0 {
				out[count{k.Class, enums.FopNames[k.Op-1]}] = v
			}
		}
		if err := it.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	// A modification class's id is its index in Names + 1 (enum path_class).
	id := func(table *fileclass.Table, name string) uint8 {
		i := slices.Index(table.Names(fileclass.Modify), name)
		if i < 0 {
			t.Fatalf("no modification class %q", name)
		}
		return uint8(i + 1)
	}
	check := func(name, script string, want map[count]uint64) {
		t.Helper()
		before := counts()
		c.MustExec(t, "sh", "-c", script)
		after := counts()
		got := map[count]uint64{}
		for k, v := range after {
			if v != before[k] {
				got[k] = v - before[k]
			}
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s (%q): counts moved by %v, want %v", name, script, got, want)
		}
	}
	log := id(defaults, "log")
	check("unwatched writes", "echo x > /tmp/gate && echo y >> /tmp/gate && : > /tmp/gate && echo z > /opt/gate", map[count]uint64{})
	check("recursive class, directories made after load", "mkdir -p /var/log/gate/deep && echo x > /var/log/gate/deep/x.log",
		map[count]uint64{{log, "mkdir"}: 2, {log, "create"}: 1})
	check("drift outside every class", "cp /bin/busybox /tmp/gate-drift", map[count]uint64{{id(defaults, "other"), "exec_mode"}: 1})

	added := &fileclass.Table{Classes: []fileclass.Class{{Name: "opt", Kind: fileclass.Modify, Prefixes: []string{"/opt/"}}}}
	if err := added.Fill(objs.FileClasses, objs.ReadGate, objs.GateFilter); err != nil {
		t.Fatal(err)
	}
	opt := id(added, "opt")
	check("class filled at run time", "echo x > /opt/gate && mkdir /opt/new && echo y > /opt/new/f",
		map[count]uint64{{opt, "truncate"}: 1, {opt, "mkdir"}: 1, {opt, "create"}: 1})
	check("still unwatched", "echo x > /tmp/gate", map[count]uint64{})
}
