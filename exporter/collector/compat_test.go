package collector

import (
	"runtime"
	"testing"
)

// ia32_emulation=0 (or off, false, n) turns 32-bit syscalls off, the last
// one given wins, and what follows "--" is init's, not the kernel's.
func TestIA32Syscalls(t *testing.T) {
	for cmdline, want := range map[string]bool{
		"quiet ia32_emulation=0":            false,
		"ia32_emulation=false quiet":        false,
		"ia32_emulation=n":                  false,
		"ia32_emulation=0 ia32_emulation=1": runtime.GOARCH == "amd64",
		"quiet -- ia32_emulation=0":         runtime.GOARCH == "amd64",
		"ia32_emulation=bogus":              runtime.GOARCH == "amd64",
		"console=ttyS0 xia32_emulation=0":   runtime.GOARCH == "amd64",
		"":                                  runtime.GOARCH == "amd64",
	} {
		if runtime.GOARCH != "amd64" && want {
			continue
		}
		got, why := ia32Syscalls(cmdline)
		if got != want {
			t.Errorf("ia32Syscalls(%q) = %v (%s), want %v", cmdline, got, why, want)
		}
		if !got && why == "" {
			t.Errorf("ia32Syscalls(%q): off without a reason", cmdline)
		}
	}
}
