package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync/atomic"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/ringbuf"
)

// Open returns where --events.output sends the log: "stdout",
// "file:PATH" (appended to, rotated as file says) or "none" (nil).
func Open(output string, file FileOptions) (io.WriteCloser, error) {
	switch {
	case output == "none":
		return nil, nil
	case output == "stdout":
		return nopCloser{os.Stdout}, nil
	case strings.HasPrefix(output, "file:") && len(output) > len("file:"):
		f, err := openRotating(strings.TrimPrefix(output, "file:"), file)
		if err != nil {
			return nil, fmt.Errorf("--events.output: %w", err)
		}
		return f, nil
	}
	return nil, fmt.Errorf("--events.output=%q: want stdout, file:PATH or none", output)
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// Log reads the ring buffer and writes one JSON line per event.
type Log struct {
	reader    *ringbuf.Reader
	out       io.WriteCloser
	decoder   Decoder
	exemplars *Exemplars
	logger    *slog.Logger
	failed    atomic.Uint64
	done      chan struct{}
	// idPrefix makes event ids unique across restarts of the exporter.
	idPrefix string
	seq      uint64
}

// Start reads events from the ring buffer map until Close, and remembers
// each written event in exemplars.
func Start(events *ebpf.Map, out io.WriteCloser, decoder Decoder, exemplars *Exemplars, logger *slog.Logger) (*Log, error) {
	reader, err := ringbuf.NewReader(events)
	if err != nil {
		return nil, fmt.Errorf("event ring buffer: %w", err)
	}
	l := &Log{reader: reader, out: out, decoder: decoder, exemplars: exemplars, logger: logger,
		done: make(chan struct{}), idPrefix: fmt.Sprintf("%08x", rand.Uint32())}
	go l.run()
	return l, nil
}

func (l *Log) run() {
	defer close(l.done)
	enc := json.NewEncoder(l.out)
	for {
		rec, err := l.reader.Read()
		if errors.Is(err, ringbuf.ErrClosed) {
			return
		}
		if err != nil {
			l.logger.Warn("read event", "err", err)
			continue
		}
		line, err := l.decoder.Decode(rec.RawSample)
		if err == nil {
			l.seq++
			line.EventID = fmt.Sprintf("%s-%d", l.idPrefix, l.seq)
			err = enc.Encode(line)
		}
		if err != nil {
			l.failed.Add(1)
			l.logger.Warn("write event", "err", err)
			continue
		}
		l.exemplars.Add(line)
	}
}

// Failed counts events read but not written.
func (l *Log) Failed() uint64 { return l.failed.Load() }

// Close stops reading and closes the output.
func (l *Log) Close() error {
	err := l.reader.Close()
	<-l.done
	return errors.Join(err, l.out.Close())
}
