package events

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/rtsec/rtsec/bpf/enums"
)

// fileTraversal is the traversal bit of a file event's code: op |
// class << 8 | traversal << 16.
const fileTraversal = 1 << 16

// recordSize is the size of struct rtsec_event, after which a file event's
// fields follow.
var recordSize = binary.Size(record{})

// fileRecord mirrors the fields struct rtsec_file_event adds.
type fileRecord struct {
	// PathLen is the whole path's length, more than len(Path) when cut.
	PathLen, Pad uint32
	Path         [enums.EventPathLen]byte
}

// FileClasses are the names of the file classes by kernel id (id = index
// + 1): Modify for path_class, Read for file_class (fileclass.Table.Names).
type FileClasses struct {
	Modify, Read []string
}

// describeFile adds a file event's path and class from the fields after
// the record.
func (d Decoder) describeFile(typ, code uint32, rest []byte, out *Line) error {
	var f fileRecord
	if err := binary.Read(bytes.NewReader(rest), binary.LittleEndian, &f); err != nil {
		return fmt.Errorf("decode file event: %w", err)
	}
	n := min(int(f.PathLen), len(f.Path))
	out.Path = cString(f.Path[:n])
	out.PathTruncated = int(f.PathLen) > len(f.Path)
	var classes FileClasses
	if d.FileClasses != nil {
		if c := d.FileClasses(); c != nil {
			classes = *c
		}
	}
	id := code >> 8 & 0xff
	if typ == enums.EventFileModification {
		out.PathClass = nameOf(classes.Modify, id-1)
	} else {
		out.FileClass = nameOf(classes.Read, id-1)
	}
	return nil
}
