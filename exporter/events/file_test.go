package events

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/rtsec/rtsec/exporter/container"
)

// encodeFile builds a struct rtsec_file_event.
func encodeFile(t testing.TB, r record, path string, pathLen uint32) []byte {
	t.Helper()
	f := fileRecord{PathLen: pathLen}
	copy(f.Path[:], path)
	var b bytes.Buffer
	b.Write(encode(t, r))
	if err := binary.Write(&b, binary.LittleEndian, f); err != nil {
		t.Fatal(err)
	}
	if b.Len() != 728 {
		t.Fatalf("file record is %d bytes, want 728 like struct rtsec_file_event", b.Len())
	}
	return b.Bytes()
}

func TestDecodeFile(t *testing.T) {
	classes := &FileClasses{Modify: []string{"cgroup_release_agent", "other", "etc_passwd"}, Read: []string{"traversal", "kernel_memory", "shadow"}}
	d := Decoder{
		Host:        "node1",
		Resolve:     func(uint64) container.Identity { return container.Identity{ID: "c1"} },
		Now:         time.Now,
		FileClasses: func() *FileClasses { return classes },
	}
	long := "/var/log/" + strings.Repeat("x", 300)
	cases := []struct {
		name    string
		typ     uint32
		code    uint32
		path    string
		pathLen uint32
		want    Line
	}{
		{"write to passwd", 4, 1 | 3<<8, "/etc/passwd", 11,
			Line{Type: "file_modification", Path: "/etc/passwd", PathClass: "etc_passwd", Op: "write"}},
		{"shadow read through ..", 5, 3<<8 | 1<<16, "/etc/shadow", 11,
			Line{Type: "file_sensitive_read", Path: "/etc/shadow", FileClass: "shadow", Traversal: true}},
		{"unlink of a long path, cut", 4, 4 | 2<<8, long, uint32(len(long)),
			Line{Type: "file_modification", Path: long[:256], PathTruncated: true, PathClass: "other", Op: "unlink"}},
		{"unknown path", 5, 2 << 8, "", 0,
			Line{Type: "file_sensitive_read", FileClass: "kernel_memory"}},
	}
	for _, c := range cases {
		r := record{CgroupID: 7, Type: c.typ, Code: c.code, Pid: 10}
		copy(r.Comm[:], "sh")
		l, err := d.Decode(encodeFile(t, r, c.path, c.pathLen))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got := Line{Type: l.Type, Path: l.Path, PathTruncated: l.PathTruncated, PathClass: l.PathClass, FileClass: l.FileClass, Op: l.Op, Traversal: l.Traversal}
		if got.Type != c.want.Type || got.Path != c.want.Path || got.PathTruncated != c.want.PathTruncated ||
			got.PathClass != c.want.PathClass || got.FileClass != c.want.FileClass || got.Op != c.want.Op || got.Traversal != c.want.Traversal {
			t.Errorf("%s: decoded %+v, want %+v", c.name, got, c.want)
		}
		if l.ContainerID != "c1" || l.Comm != "sh" || l.Pid != 10 {
			t.Errorf("%s: identity or process fields wrong: %+v", c.name, l)
		}
	}
	r := record{Type: 4}
	if _, err := d.Decode(encode(t, r)); err == nil {
		t.Error("a file event without its path fields decoded without error")
	}
}
