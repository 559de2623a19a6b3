package scrape

import (
	"encoding/binary"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// flushAt is how much of the page is kept before it is written to the
// response: large chunks, not a write per series.
const flushAt = 64 << 10

// pageWriter is the page being written into a response: a buffer written
// out in chunks of flushAt or more. expfmt's encoders
// write into it too; it has the methods that keep them from wrapping it in
// a bufio.Writer of their own.
type pageWriter struct {
	buf []byte
	out io.Writer
	err error // the first error writing to out; nothing is written after it
	// names are label and metric names known to be valid legacy names, by
	// the address of their bytes: rtsec's samples share their names, so a
	// family's names are checked once, not once a series.
	names [16]string
	// seg and segEnd are the series' text around its label values, for
	// the label names of the metric last written (see setLabels).
	seg    []byte
	segEnd []int
}

func (p *pageWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	return len(b), nil
}

func (p *pageWriter) WriteString(s string) (int, error) {
	p.buf = append(p.buf, s...)
	return len(s), nil
}

func (p *pageWriter) WriteByte(c byte) error {
	p.buf = append(p.buf, c)
	return nil
}

func (p *pageWriter) WriteRune(r rune) (int, error) {
	n := len(p.buf)
	p.buf = utf8.AppendRune(p.buf, r)
	return len(p.buf) - n, nil
}

// flush writes the page so far to out.
func (p *pageWriter) flush() {
	if p.err == nil && len(p.buf) > 0 {
		_, p.err = p.out.Write(p.buf)
	}
	p.buf = p.buf[:0]
}

// textFormat is a text format appendFamily writes.
type textFormat int

const (
	fastNone        textFormat = iota // expfmt writes every family
	fastText                          // text/plain 0.0.4
	fastOpenMetrics                   // application/openmetrics-text 0.0.1 and 1.0.0
)

// appendFamily writes mf in format f, as expfmt's MetricFamilyToText or
// MetricFamilyToOpenMetrics would after model.EscapeMetricFamily, and
// tells whether it did; if not, expfmt is to write it. It writes the
// family's metrics until one it does not write exactly as they do (see
// MetricsHandler), and has enc (expfmt's encoder into p) write the rest
// as a family of its own whose header it then takes out: so a family's
// head may be written to the response before its end is known, and the
// page is still expfmt's, with its error if any.
func (p *pageWriter) appendFamily(mf *dto.MetricFamily, f textFormat, createdLines bool, enc expfmt.Encoder) (bool, error) {
	name, kind := mf.GetName(), mf.GetType()
	if f == fastNone || len(mf.Metric) == 0 || !p.validName(name) {
		return false, nil
	}
	om := f == fastOpenMetrics
	// OpenMetrics names a counter family without its _total, and a
	// counter without _total is "unknown".
	headName, typ := name, ""
	switch kind {
	case dto.MetricType_COUNTER:
		typ = " counter\n"
		if om {
			if n, ok := strings.CutSuffix(name, "_total"); ok {
				headName = n
			} else {
				typ = " unknown\n"
			}
		}
	case dto.MetricType_GAUGE:
		typ = " gauge\n"
	case dto.MetricType_UNTYPED:
		typ = " untyped\n"
		if om {
			typ = " unknown\n"
		}
	default:
		return false, nil
	}
	b := p.buf
	head := len(b)
	if mf.Help != nil {
		b = append(b, "# HELP "...)
		b = append(b, headName...)
		b = append(b, ' ')
		b = appendEscaped(b, *mf.Help, om)
		b = append(b, '\n')
	}
	b = append(b, "# TYPE "...)
	b = append(b, headName...)
	b = append(b, typ...)
	if om && mf.Unit != nil {
		b = append(b, "# UNIT "...)
		b = append(b, headName...)
		b = append(b, ' ')
		b = appendEscaped(b, *mf.Unit, true)
		b = append(b, '\n')
	}
	headLen := len(b) - head
	var prev *dto.Metric
	for i, m := range mf.Metric {
		ok, same := p.fast(m, prev, kind, om, createdLines)
		if !ok {
			at := len(b)
			p.buf = b
			err := enc.Encode(&dto.MetricFamily{Name: mf.Name, Help: mf.Help, Type: mf.Type, Unit: mf.Unit, Metric: mf.Metric[i:]})
			if len(p.buf) >= at+headLen { // else expfmt failed before its header
				p.buf = slices.Delete(p.buf, at, at+headLen)
			}
			return true, err
		}
		if !same {
			p.setLabels(name, m.Label)
		}
		// The name and label names come from p.seg: per label, two
		// appends of what does not change and its value.
		from := 0
		for j, l := range m.Label {
			b = append(b, p.seg[from:p.segEnd[j]]...)
			b = appendEscaped(b, l.GetValue(), true)
			from = p.segEnd[j]
		}
		b = append(b, p.seg[from:]...)
		var v float64
		switch kind {
		case dto.MetricType_COUNTER:
			v = m.Counter.GetValue()
		case dto.MetricType_GAUGE:
			v = m.Gauge.GetValue()
		default:
			v = m.Untyped.GetValue()
		}
		b = appendFloat(b, v, om)
		if m.TimestampMs != nil {
			b = append(b, ' ')
			if om {
				b = appendFloat(b, float64(*m.TimestampMs)/1000, true)
			} else {
				b = strconv.AppendInt(b, *m.TimestampMs, 10)
			}
		}
		b = append(b, '\n')
		prev = m
		if len(b) >= flushAt {
			p.buf = b
			p.flush()
			b = p.buf
		}
	}
	p.buf = b
	return true, nil
}

// fast tells whether appendFamily writes m, of a family of kind, exactly as
// expfmt does: it holds its type's value, its label names are legacy names
// (which no escaping scheme changes and which are written unquoted), it has
// no exemplar OpenMetrics would write, no created timestamp asked for.
// prev is the family's metric before m, written: a label name it shares
// with m is not checked again; same tells whether they share them all.
func (p *pageWriter) fast(m, prev *dto.Metric, kind dto.MetricType, om, createdLines bool) (ok, same bool) {
	switch kind {
	case dto.MetricType_COUNTER:
		if m.Counter == nil || (om && (m.Counter.Exemplar != nil || (createdLines && m.Counter.CreatedTimestamp != nil))) {
			return false, false
		}
	case dto.MetricType_GAUGE:
		if m.Gauge == nil {
			return false, false
		}
	default:
		if m.Untyped == nil {
			return false, false
		}
	}
	same = prev != nil && len(prev.Label) == len(m.Label)
	for i, l := range m.Label {
		if prev != nil && i < len(prev.Label) && prev.Label[i].Name == l.Name && l.Name != nil {
			continue
		}
		same = false
		// EscapeMetricFamily rewrites a __name__ label's value.
		if n := l.GetName(); !p.validName(n) || n == model.MetricNameLabel {
			return false, false
		}
	}
	return true, same
}

// setLabels makes p.seg what a series of metric name and labels' names
// holds but its label values and value: `name{l1="`, `",l2="`, …, `"} `
// (`name ` without labels), p.segEnd[i] the end of label i's part.
func (p *pageWriter) setLabels(name string, labels []*dto.LabelPair) {
	s := append(p.seg[:0], name...)
	p.segEnd = p.segEnd[:0]
	for i, l := range labels {
		if i == 0 {
			s = append(s, '{')
		} else {
			s = append(s, '"', ',')
		}
		s = append(s, l.GetName()...)
		s = append(s, '=', '"')
		p.segEnd = append(p.segEnd, len(s))
	}
	if len(labels) > 0 {
		s = append(s, '"', '}')
	}
	p.seg = append(s, ' ')
}

// validName tells whether n is a legacy metric name (which a label name
// is checked as, by expfmt's writers and by EscapeMetricFamily).
func (p *pageWriter) validName(n string) bool {
	slot := &p.names[(uintptr(unsafe.Pointer(unsafe.StringData(n)))>>3)%uintptr(len(p.names))]
	if unsafe.StringData(*slot) == unsafe.StringData(n) && len(*slot) == len(n) && n != "" {
		return true
	}
	if !model.LegacyValidation.IsValidMetricName(n) {
		return false
	}
	*slot = n
	return true
}

// escapes are the bytes expfmt escapes: a backslash and a newline
// everywhere, a double quote in label values and OpenMetrics' help.
var escapes = [256]uint8{'\\': 1, '\n': 1, '"': 2}

// appendEscaped appends s escaped as expfmt's strings.Replacers do, byte by
// byte (so invalid UTF-8 passes as it is); quote escapes double quotes.
// Most values need no escaping: they are scanned 8 bytes at a time.
func appendEscaped(b []byte, s string, quote bool) []byte {
	bytes := unsafe.Slice(unsafe.StringData(s), len(s)) // read only
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if special(binary.LittleEndian.Uint64(bytes[i:]), quote) {
			break
		}
	}
	if i < len(s) && i+8 > len(s) {
		// The last bytes, one at a time below unless none is special.
		var tail [8]byte
		copy(tail[:], s[i:])
		if !special(binary.LittleEndian.Uint64(tail[:]), quote) {
			i = len(s)
		}
	}
	if i == len(s) {
		return append(b, s...)
	}
	mask := uint8(1)
	if quote {
		mask = 3
	}
	b = append(b, s[:i]...)
	start := i
	for ; i < len(s); i++ {
		c := s[i]
		if escapes[c]&mask == 0 {
			continue
		}
		b = append(b, s[start:i]...)
		if c == '\n' {
			b = append(b, '\\', 'n')
		} else {
			b = append(b, '\\', c)
		}
		start = i + 1
	}
	return append(b, s[start:]...)
}

// special tells whether one of the 8 bytes of x is a backslash, a newline
// or, if quote, a double quote (the "has zero byte" test on x xor each).
func special(x uint64, quote bool) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	bs, nl := x^('\\'*lo), x^('\n'*lo)
	m := (bs-lo)&^bs | (nl-lo)&^nl
	if quote {
		q := x ^ ('"' * lo)
		m |= (q - lo) &^ q
	}
	return m&hi != 0
}

// appendFloat appends f as expfmt's writeFloat does (strconv's shortest
// 'g'; 0 for -0), or its writeOpenMetricsFloat (the same with ".0" after an
// integer) if om.
func appendFloat(b []byte, f float64, om bool) []byte {
	switch {
	case f == 0 || f == 1 || f == -1:
		b = strconv.AppendInt(b, int64(f), 10)
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "+Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	case f > -1e6 && f < 1e6 && f == math.Trunc(f):
		// 'g' writes an integer below 1e6 as its digits.
		b = strconv.AppendInt(b, int64(f), 10)
	default:
		n := len(b)
		b = strconv.AppendFloat(b, f, 'g', -1, 64)
		if !om {
			return b
		}
		for _, c := range b[n:] {
			if c == '.' || c == 'e' {
				return b
			}
		}
	}
	if om {
		b = append(b, '.', '0')
	}
	return b
}
