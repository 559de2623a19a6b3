// Package configfile reads the files the exporter's flags name with a size
// limit, so that a flag pointing at /dev/zero, a FIFO or a huge file fails
// with a message instead of growing the exporter until it is OOM-killed.
package configfile

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// Limits of the files the flags name: far above what a real file needs.
const (
	// ClassTable is the limit of --collector.process.classes-file and
	// --collector.file.classes-file.
	ClassTable = 1 << 20
	// WebConfig is the limit of --web.config.file.
	WebConfig = 1 << 20
	// IntegrityState is the limit of --collector.integrity.state-file.
	IntegrityState = 16 << 20
)

// ErrTooLarge is returned for a file over its limit.
var ErrTooLarge = errors.New("file too large")

// Read reads the file at path, refusing one of more than limit bytes.
func Read(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(path, limit)
	}
	return data, nil
}

// Check reports an error for a file that exists and is not a regular file
// of at most limit bytes, without reading it. A missing file is no error,
// nor one this process may not stat yet: the privilege checks that follow
// name the missing capability, and the read checks the file again.
func Check(path string, limit int64) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", path)
	}
	if fi.Size() > limit {
		return tooLarge(path, limit)
	}
	return nil
}

func tooLarge(path string, limit int64) error {
	return fmt.Errorf("%s: %w: more than %s, the limit", path, ErrTooLarge, size(limit))
}

// size writes a limit as people do.
func size(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
