// Command build writes rtsec_exporter's OCI image (see package image) as an
// OCI image layout directory, to push with crane or skopeo:
// make image, or go run ./deploy/image/build -binary rtsec_exporter
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/rtsec/rtsec/deploy/image"
)

func main() {
	binary := flag.String("binary", "rtsec_exporter", "the static exporter binary (CGO_ENABLED=0 make build)")
	out := flag.String("o", "rtsec_exporter.oci", "the OCI image layout directory to write (replaced)")
	name := flag.String("name", image.Name, "the image's name, which the manifests run")
	arch := flag.String("arch", runtime.GOARCH, "the binary's GOARCH")
	version := flag.String("version", "unknown", "the org.opencontainers.image.version label")
	revision := flag.String("revision", "unknown", "the org.opencontainers.image.revision label")
	epoch := flag.Int64("created", 0, "every timestamp in the image, in seconds since the epoch (the commit's time: reproducible)")
	flag.Parse()
	if err := run(*binary, *out, *name, image.Options{Arch: *arch, Version: *version, Revision: *revision, Created: time.Unix(*epoch, 0)}); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(binary, out, name string, opts image.Options) error {
	data, err := os.ReadFile(binary)
	if err != nil {
		return err
	}
	img, err := image.Build(data, opts)
	if err != nil {
		return err
	}
	if err := image.WriteLayout(out, img, name); err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("%s: %s %s\n", out, name, digest)
	return nil
}
