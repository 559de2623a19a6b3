package metricdef

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rtsec/rtsec/bpf/enums"
)

// Traversal is the op and the file class that count, in addition, a
// modification or sensitive read whose path argument held "..".
const Traversal = "traversal"

// FileOps are the values of the op label of file modifications, indexed by
// the op - 1 (enum fop of files.bpf.c).
var FileOps = enums.FopNames

// Ops counted in addition to a syscall's op: a path argument with "..", a
// file created executable or made executable (drift), a name starting
// with '.' created in a class.
const (
	ExecMode = "exec_mode"
	Hidden   = "hidden"
)

// AdditionalOps are the ops counted in addition to a syscall's own op:
// they are not ops a class can mark critical.
var AdditionalOps = []string{Traversal, ExecMode, Hidden}

// File signals: modifications of classified paths and sensitive reads.
var (
	FileModifications = Def{
		Name: "rtsec_file_modifications_total", Type: prometheus.CounterValue, Collector: "file",
		Help: "Successful modifications of files in a path class (opens for writing, creations, truncations, unlinks, renames, mode and owner changes, links, directories), by container, class and operation. Counted in addition: op=\"traversal\" when the path argument held \"..\", op=\"exec_mode\" when a file was created executable or given an x bit (drift; path_class=\"other\" outside every class), op=\"hidden\" when a name starting with '.' was created in a class. path_class=\"proc_exe\" is a write to a file outside the writer's own root (the host's runtime binary through /proc/<pid>/exe).",
		Labels: withIdentity(
			Label{Name: "path_class", Example: "etc_passwd", Bound: "the modification classes of the class table (built-in or --collector.file.classes-file, at most 240), plus cgroup_release_agent, other (setuid and x bits set outside every class) and proc_exe (writes outside the writer's root)"},
			Label{Name: "op", Values: FileOps},
		),
	}
	FileSensitiveReads = Def{
		Name: "rtsec_file_sensitive_reads_total", Type: prometheus.CounterValue, Collector: "file",
		Help: "Read-only opens of sensitive files, by container and file class. file_class=\"traversal\" additionally counts those whose path argument held \"..\"; k8s_own_token is a pod reading its own service-account token.",
		Labels: withIdentity(Label{
			Name: "file_class", Example: "shadow",
			Bound: "the read classes of the class table (built-in or --collector.file.classes-file, at most 240), plus traversal, kernel_memory, raw_block_device, proc_environ, proc_mem, k8s_own_token",
		}),
	}
	FileUnresolvedPaths = Def{
		Name: "rtsec_file_unresolved_paths_total", Type: prometheus.CounterValue, Collector: "file",
		Help: "Paths the kernel could not resolve within its bounds (deeper than 16 components when walked, or longer than 2 KiB normalised), so they went unclassified.",
	}
)
