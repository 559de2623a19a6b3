// Package events writes rtsec's event log: the rare, detailed events the
// BPF programs send through the "events" ring buffer (suspicious execs,
// privilege changes, sensitive syscalls, 32-bit syscalls, critical file
// modifications and sensitive file reads), one JSON line each, with the
// container identity resolved and secrets in arguments redacted.
//
// The kernel side is bpf/src/headers/events.h: a struct rtsec_event with a
// type and a type-specific code, a per-CPU rate limit and counted losses.
// To add an event type (say a file signal): give it an EVENT_* number in
// events.h, emit it from the BPF program with event_reserve and
// bpf_ringbuf_submit, load that object through the collectors' shared
// event log (exporter/collector/eventlog.go) so it writes to the same ring
// buffer, and add an entry to Types below that names the type and decodes
// its code. A type may append fields to the record (file events: the
// path, file.go).
package events

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/rtsec/rtsec/bpf/enums"
	"github.com/rtsec/rtsec/exporter/container"
	"github.com/rtsec/rtsec/exporter/metricdef"
)

// Type describes one event type: its name, how its code reads and which
// counter series count it.
type Type struct {
	Name string
	// Describe adds the type-specific fields decoded from code and ret.
	Describe func(code uint32, ret int64, out *Line)
	// Counters are the series the kernel also counted the event in.
	Counters func(l Line) []Counter
}

// Counter is a counter series: its metric and its label values after the
// container identity labels.
type Counter struct {
	Metric string
	Values []string
}

// Types are the event types by their kernel number (enum event in
// bpf/src/headers/events.h), named by metricdef.EventTypes.
var Types = map[uint32]Type{
	enums.EventSuspiciousExec: {Name: metricdef.EventTypes[enums.EventSuspiciousExec-1], Describe: func(code uint32, _ int64, out *Line) {
		for i, r := range metricdef.SuspiciousExecReasons {
			if code&(1<<i) != 0 {
				out.Reasons = append(out.Reasons, r)
			}
		}
	}, Counters: func(l Line) []Counter {
		var cs []Counter
		for _, r := range l.Reasons {
			cs = append(cs, Counter{metricdef.ProcessSuspiciousExecs.Name, []string{r}})
		}
		return cs
	}},
	enums.EventPrivilegeChange: {Name: metricdef.EventTypes[enums.EventPrivilegeChange-1], Describe: func(code uint32, _ int64, out *Line) {
		out.Kind = nameOf(metricdef.PrivilegeChangeKinds, code)
	}, Counters: func(l Line) []Counter {
		return []Counter{{metricdef.PrivilegeChanges.Name, []string{l.Kind}}}
	}},
	enums.EventSensitiveSyscall: {Name: metricdef.EventTypes[enums.EventSensitiveSyscall-1], Describe: func(code uint32, ret int64, out *Line) {
		out.Syscall = nameOf(metricdef.SensitiveSyscallNames, code)
		out.Return = &ret
		out.Result = syscallResult(ret)
	}, Counters: func(l Line) []Counter {
		return []Counter{{metricdef.SensitiveSyscalls.Name, []string{l.Syscall, l.Result}}}
	}},
	enums.EventFileModification: {Name: metricdef.EventTypes[enums.EventFileModification-1], Describe: func(code uint32, _ int64, out *Line) {
		out.Op = nameOf(metricdef.FileOps, (code&0xff)-1)
		out.Traversal = code&fileTraversal != 0
	}, Counters: func(l Line) []Counter {
		cs := []Counter{{metricdef.FileModifications.Name, []string{l.PathClass, l.Op}}}
		if l.Traversal {
			cs = append(cs, Counter{metricdef.FileModifications.Name, []string{l.PathClass, metricdef.Traversal}})
		}
		return cs
	}},
	enums.EventFileSensitiveRead: {Name: metricdef.EventTypes[enums.EventFileSensitiveRead-1], Describe: func(code uint32, _ int64, out *Line) {
		out.Traversal = code&fileTraversal != 0
	}, Counters: func(l Line) []Counter {
		cs := []Counter{{metricdef.FileSensitiveReads.Name, []string{l.FileClass}}}
		if l.Traversal {
			cs = append(cs, Counter{metricdef.FileSensitiveReads.Name, []string{metricdef.Traversal}})
		}
		return cs
	}},
	enums.EventCompatSyscall: {Name: metricdef.EventTypes[enums.EventCompatSyscall-1], Describe: describeCompat, Counters: func(l Line) []Counter {
		return []Counter{{metricdef.CompatSyscalls.Name, []string{l.Class}}}
	}},
	// Its signal, reasons and rule come from Decoder.Enforcement.
	// EVENT_ENFORCEMENT (bpf/src/headers/enforce.h): its code is signal |
	// action << 8, its ret the bits of the values acted on.
	enums.EventEnforcement: {Name: metricdef.EventTypes[enums.EventEnforcement-1], Describe: func(code uint32, _ int64, out *Line) {
		out.Action = nameOf(metricdef.EnforcementActionNames, code>>8)
	}, Counters: func(Line) []Counter {
		// rtsec_enforcement_actions_total carries no exemplars: the
		// event's policy_rule and the suspicious_exec line link it.
		return nil
	}},
}

// syscallResult classifies a return value as the kernel's counter does
// (enum sc_result in bpf/src/process/syscalls.h).
func syscallResult(ret int64) string {
	switch {
	case ret >= 0:
		return metricdef.SyscallResults[enums.ScResultOk]
	case ret == -int64(syscall.EPERM) || ret == -int64(syscall.EACCES):
		return metricdef.SyscallResults[enums.ScResultDenied]
	}
	return metricdef.SyscallResults[enums.ScResultFailed]
}

// typeNamed finds a type by its name.
var typeNamed = func() map[string]Type {
	m := map[string]Type{}
	for _, t := range Types {
		m[t.Name] = t
	}
	return m
}()

func nameOf(names []string, i uint32) string {
	if int(i) < len(names) {
		return names[i]
	}
	return fmt.Sprintf("unknown_%d", i)
}

// record mirrors struct rtsec_event.
type record struct {
	CgroupID             uint64
	Type, Code           uint32
	Ret                  int64
	Pid, Ppid, UID, EUID uint32
	ArgvLen, Pad         uint32
	Comm, ParentComm     [16]byte
	Exe                  [enums.EventExeLen]byte
	Argv                 [enums.EventArgvLen]byte
}

// Line is one event as written to the log.
type Line struct {
	Time time.Time `json:"time"`
	// EventID names the event in the exemplars of the series counting it.
	EventID string   `json:"event_id"`
	Host    string   `json:"host"`
	Type    string   `json:"type"`
	Reasons []string `json:"reasons,omitempty"`
	Kind    string   `json:"kind,omitempty"`
	// Class is a compat_syscall's (namespace, privilege…), with the
	// 32-bit syscall's name in Syscall.
	Class       string   `json:"class,omitempty"`
	Syscall     string   `json:"syscall,omitempty"`
	Return      *int64   `json:"return,omitempty"`
	Result      string   `json:"result,omitempty"`
	ContainerID string   `json:"container_id"`
	Namespace   string   `json:"namespace,omitempty"`
	Pod         string   `json:"pod,omitempty"`
	Container   string   `json:"container,omitempty"`
	Image       string   `json:"image,omitempty"`
	Pid         uint32   `json:"pid"`
	Ppid        uint32   `json:"ppid"`
	UID         uint32   `json:"uid"`
	EUID        uint32   `json:"euid"`
	Comm        string   `json:"comm"`
	Exe         string   `json:"exe"`
	Argv        []string `json:"argv"`
	// ArgvTruncated is set when the arguments filled the kernel's buffer.
	ArgvTruncated bool   `json:"argv_truncated,omitempty"`
	ParentComm    string `json:"parent_comm"`
	// Path is a file event's absolute path, cut at 256 bytes
	// (PathTruncated); its class is PathClass (modification, with Op) or
	// FileClass (sensitive read).
	Path          string `json:"path,omitempty"`
	PathTruncated bool   `json:"path_truncated,omitempty"`
	PathClass     string `json:"path_class,omitempty"`
	FileClass     string `json:"file_class,omitempty"`
	Op            string `json:"op,omitempty"`
	// Traversal is set when the path argument held "..".
	Traversal bool `json:"traversal,omitempty"`
	// Action is an enforcement's (killed, would_kill, spared), of the
	// policy rule PolicyRule, on Signal and its values Reasons.
	Action     string `json:"action,omitempty"`
	Signal     string `json:"signal,omitempty"`
	PolicyRule string `json:"policy_rule,omitempty"`
}

// Decoder turns raw ring buffer records into lines.
type Decoder struct {
	Host    string
	Resolve func(cgroupID uint64) container.Identity
	Redact  []*regexp.Regexp
	Now     func() time.Time
	// FileClasses names the classes of file events (nil: none loaded yet).
	FileClasses func() *FileClasses
	// Enforcement, when not nil, fills an enforcement event's Signal,
	// Reasons and PolicyRule from its code and value bits.
	Enforcement func(cgroupID uint64, code uint32, values uint32, out *Line)
}

// Redacted replaces what an argument shows of a secret: each match of a
// redaction expression, except its first capture group when it has one
// (so `(--password=).+` keeps the option's name).
const Redacted = "<redacted>"

// Decode parses one record.
func (d Decoder) Decode(raw []byte) (Line, error) {
	var r record
	if err := binary.Read(bytes.NewReader(raw), binary.LittleEndian, &r); err != nil {
		return Line{}, fmt.Errorf("decode event: %w", err)
	}
	t, ok := Types[r.Type]
	if !ok {
		return Line{}, errors.New("decode event: unknown type " + fmt.Sprint(r.Type))
	}
	id := d.Resolve(r.CgroupID)
	l := Line{
		Time: d.Now().UTC(), Host: d.Host, Type: t.Name,
		ContainerID: id.ID, Namespace: id.Namespace, Pod: id.Pod, Container: id.Container, Image: id.Image,
		Pid: r.Pid, Ppid: r.Ppid, UID: r.UID, EUID: r.EUID,
		Comm: cString(r.Comm[:]), Exe: cString(r.Exe[:]), ParentComm: cString(r.ParentComm[:]),
		Argv: []string{},
	}
	t.Describe(r.Code, r.Ret, &l)
	if r.Type == enums.EventEnforcement && d.Enforcement != nil {
		d.Enforcement(r.CgroupID, r.Code, uint32(r.Ret), &l)
	}
	if r.Type == enums.EventFileModification || r.Type == enums.EventFileSensitiveRead {
		if err := d.describeFile(r.Type, r.Code, raw[recordSize:], &l); err != nil {
			return Line{}, err
		}
	}
	n := min(int(r.ArgvLen), len(r.Argv))
	l.ArgvTruncated = n == len(r.Argv)
	for _, a := range strings.Split(strings.TrimRight(string(r.Argv[:n]), "\x00"), "\x00") {
		if n > 0 {
			l.Argv = append(l.Argv, d.redact(strings.ToValidUTF8(a, "\uFFFD")))
		}
	}
	return l, nil
}

func (d Decoder) redact(arg string) string {
	for _, re := range d.Redact {
		arg = re.ReplaceAllString(arg, "${1}"+Redacted)
	}
	return arg
}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
