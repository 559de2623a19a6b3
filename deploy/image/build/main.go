// Command build writes rtsec_exporter's OCI image (see package image) as an
// OCI image layout directory, to push with crane or skopeo: make image, or
//
//	go run ./deploy/image/build -binary amd64=rtsec_exporter-amd64 -binary arm64=rtsec_exporter-arm64
//
// With one binary the layout holds that image; with several, an image
// index (one image per architecture).
package main

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/rtsec/rtsec/deploy/image"
)

// binaries is the repeatable -binary flag: ARCH=PATH, or PATH for the
// machine's architecture.
type binaries map[string]string

func (b binaries) String() string { return fmt.Sprint(map[string]string(b)) }

func (b binaries) Set(v string) error {
	arch, path, ok := strings.Cut(v, "=")
	if !ok {
		arch, path = runtime.GOARCH, v
	}
	if _, dup := b[arch]; dup {
		return fmt.Errorf("two binaries for %s", arch)
	}
	b[arch] = path
	return nil
}

func main() {
	bins := binaries{}
	flag.Var(bins, "binary", "a static exporter binary (CGO_ENABLED=0), as ARCH=PATH (repeatable) or PATH for this machine's architecture")
	out := flag.String("o", "rtsec_exporter.oci", "the OCI image layout directory to write (replaced)")
	name := flag.String("name", image.Name, "the image's name, which the manifests run")
	version := flag.String("version", "unknown", "the org.opencontainers.image.version label")
	revision := flag.String("revision", "unknown", "the org.opencontainers.image.revision label")
	epoch := flag.Int64("created", 0, "every timestamp in the image, in seconds since the epoch (the commit's time: reproducible)")
	flag.Parse()
	if len(bins) == 0 {
		bins[runtime.GOARCH] = "rtsec_exporter"
	}
	opts := image.Options{Version: *version, Revision: *revision, Created: time.Unix(*epoch, 0)}
	if err := run(bins, *out, *name, opts); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(bins binaries, out, name string, opts image.Options) error {
	var imgs []v1.Image
	for _, arch := range slices.Sorted(maps.Keys(bins)) {
		data, err := os.ReadFile(bins[arch])
		if err != nil {
			return err
		}
		opts.Arch = arch
		img, err := image.Build(data, opts)
		if err != nil {
			return fmt.Errorf("%s: %w", bins[arch], err)
		}
		digest, err := img.Digest()
		if err != nil {
			return err
		}
		fmt.Printf("%s: linux/%s %s\n", out, arch, digest)
		imgs = append(imgs, img)
	}
	if len(imgs) == 1 {
		return image.WriteLayout(out, imgs[0], name)
	}
	idx, err := image.Index(imgs...)
	if err != nil {
		return err
	}
	if err := image.WriteIndexLayout(out, idx, name); err != nil {
		return err
	}
	digest, err := idx.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("%s: %s %s (index)\n", out, name, digest)
	return nil
}
