package integrity

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/rtsec/rtsec/exporter/configfile"
)

// Why a baseline was rebuilt (the reason label).
const (
	ReasonMissing = "missing"
	ReasonCorrupt = "corrupt"
)

// stateVersion is the state file's format.
const stateVersion = 1

// ErrMissing is returned by LoadState when there is no state file.
var ErrMissing = errors.New("no integrity state file")

// ErrCorrupt is returned by LoadState when the state file cannot be trusted.
var ErrCorrupt = errors.New("integrity state file is corrupt")

// Baseline is the accepted snapshot of each watched path.
type Baseline map[string]Snapshot

type stateFile struct {
	Version  int      `json:"version"`
	Paths    Baseline `json:"paths"`
	Checksum string   `json:"checksum"`
}

func checksum(b Baseline) (string, error) {
	data, err := json.Marshal(b) // map keys are sorted: deterministic
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// LoadState reads a baseline. A file that does not parse, has another
// version or whose checksum does not match its content is ErrCorrupt.
func LoadState(path string) (Baseline, error) {
	data, err := configfile.Read(path, configfile.IntegrityState)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, ErrMissing
	}
	if err != nil {
		return nil, fmt.Errorf("read integrity state: %w", err)
	}
	return parseState(data, path)
}

// parseState checks a state file's content; path names it in errors.
func parseState(data []byte, path string) (Baseline, error) {
	var st stateFile
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	if st.Version != stateVersion || st.Paths == nil {
		return nil, fmt.Errorf("%w: %s: version %d, want %d", ErrCorrupt, path, st.Version, stateVersion)
	}
	sum, err := checksum(st.Paths)
	if err != nil || sum != st.Checksum {
		return nil, fmt.Errorf("%w: %s: checksum does not match the content", ErrCorrupt, path)
	}
	return st.Paths, nil
}

// SaveState writes a baseline atomically (a temporary file renamed over
// the state file), creating its directory.
func SaveState(path string, b Baseline) error {
	sum, err := checksum(b)
	if err != nil {
		return fmt.Errorf("encode integrity state: %w", err)
	}
	data, err := json.MarshalIndent(stateFile{Version: stateVersion, Paths: b, Checksum: sum}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode integrity state: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create integrity state directory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".integrity-*")
	if err != nil {
		return fmt.Errorf("write integrity state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("write integrity state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write integrity state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write integrity state: %w", err)
	}
	return nil
}
