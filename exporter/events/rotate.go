package events

import (
	"fmt"
	"os"
	"sync"
)

// FileOptions bound the disk an event log file (--events.output=file:PATH)
// takes: a noisy node cannot fill the disk.
type FileOptions struct {
	// MaxSize is the size in bytes past which the file is rotated before
	// the next line; 0 never rotates.
	MaxSize int64
	// MaxBackups is how many rotated files are kept (PATH.1 the newest, up
	// to PATH.<MaxBackups>); 0 keeps none: a rotation starts the file
	// afresh.
	MaxBackups int
	// OnRotateError is told when a rotation fails; the line is then
	// written to the current file, and the next line tries again.
	OnRotateError func(error)
}

// rotatingFile appends to path and rotates it by size. Each Write is one
// whole line (json.Encoder writes each line with one call), and rotation
// happens only between writes, so no line is torn across two files, and a
// line is never dropped to rotate: the oldest backup is.
type rotatingFile struct {
	path string
	opts FileOptions

	mu   sync.Mutex
	f    *os.File
	size int64
}

func openRotating(path string, opts FileOptions) (*rotatingFile, error) {
	r := &rotatingFile{path: path, opts: opts}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

// open opens path for appending and takes its size: lines already there
// count toward the limit, so a restart does not let the file grow past it.
func (r *rotatingFile) open() error {
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	r.f, r.size = f, info.Size()
	return nil
}

// Write appends one line, rotating first when the line would take the file
// past MaxSize (a line longer than MaxSize gets a file of its own).
func (r *rotatingFile) Write(line []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.opts.MaxSize > 0 && r.size > 0 && r.size+int64(len(line)) > r.opts.MaxSize {
		if err := r.rotate(); err != nil && r.opts.OnRotateError != nil {
			r.opts.OnRotateError(fmt.Errorf("rotate %s: %w", r.path, err))
		}
	}
	n, err := r.f.Write(line)
	r.size += int64(n)
	return n, err
}

// rotate shifts PATH.i to PATH.i+1 (dropping PATH.<MaxBackups>), renames
// PATH to PATH.1 and opens a new PATH. The current file is kept open until
// the new one is, so a failure leaves the log writing where it was.
func (r *rotatingFile) rotate() error {
	backup := func(i int) string { return fmt.Sprintf("%s.%d", r.path, i) }
	if r.opts.MaxBackups == 0 {
		if err := os.Remove(r.path); err != nil {
			return err
		}
	} else {
		for i := r.opts.MaxBackups - 1; i >= 1; i-- {
			if err := os.Rename(backup(i), backup(i+1)); err != nil && !os.IsNotExist(err) {
				return err
			}
		}
		if err := os.Rename(r.path, backup(1)); err != nil {
			return err
		}
	}
	old := r.f
	if err := r.open(); err != nil {
		return err
	}
	return old.Close()
}

// Close closes the current file.
func (r *rotatingFile) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.f.Close()
}
