package events

import (
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rtsec/rtsec/bpf/enums"
	"github.com/rtsec/rtsec/exporter/container"
)

// Any record from the ring buffer either fails to decode or becomes a line
// that encodes as JSON with valid UTF-8 arguments.
func FuzzDecode(f *testing.F) {
	r := record{CgroupID: 7, Type: 1, Code: 9, Pid: 10}
	copy(r.Comm[:], "sh")
	args := "sh\x00-c\x00id\x00"
	copy(r.Argv[:], args)
	r.ArgvLen = uint32(len(args))
	f.Add(encode(f, r))
	f.Add(encodeFile(f, record{Type: enums.EventFileModification, Code: 1<<8 | 1}, "/etc/passwd", 11))
	f.Add(encodeFile(f, record{Type: enums.EventFileSensitiveRead, Code: 2}, "/etc/shadow", 4000))
	d := Decoder{
		Host:        "node1",
		Resolve:     func(uint64) container.Identity { return container.Identity{ID: "c1"} },
		Now:         func() time.Time { return time.Unix(0, 0) },
		FileClasses: func() *FileClasses { return &FileClasses{Modify: []string{"passwd"}, Read: []string{"shadow"}} },
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		l, err := d.Decode(raw)
		if err != nil {
			return
		}
		for _, a := range l.Argv {
			if !utf8.ValidString(a) {
				t.Fatalf("argument %q is not valid UTF-8", a)
			}
		}
		if _, err := json.Marshal(l); err != nil {
			t.Fatal(err)
		}
	})
}
