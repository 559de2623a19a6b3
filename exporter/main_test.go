package main

import (
	"os"
	"testing"

	"github.com/alecthomas/kingpin/v2"

	"github.com/rtsec/rtsec/exporter/flagdoc"
)

// The README's flag table is the one --help describes: make generate-docs
// rewrites it from the flags.
func TestREADMEFlagTableIsCurrent(t *testing.T) {
	defineFlags()
	doc, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := flagdoc.Replace(string(doc), kingpin.CommandLine.Model())
	if err != nil {
		t.Fatal(err)
	}
	if want != string(doc) {
		t.Error("README.md's flag table is stale: run make generate-docs")
	}
}
