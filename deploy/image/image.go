// Package image builds rtsec_exporter's OCI image without a container
// engine: one layer holding the static binary at /rtsec_exporter, every
// timestamp fixed, so the same binary gives the same image digest.
package image

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Entrypoint is the binary's path in the image; the DaemonSet passes the
// arguments.
const Entrypoint = "/rtsec_exporter"

// Source is the repository the image's source label names.
const Source = "https://github.com/rtsec/rtsec"

// Version is the release the manifests run: the chart's appVersion, the
// kustomization's image tag and the newest CHANGELOG.md entry (tested). A
// version tag never moves, so the manifests pull it IfNotPresent.
const Version = "0.1.0"

// Name is the image the Kubernetes manifests and the chart run by default,
// and so where a build is pushed to.
const Name = "ghcr.io/rtsec/rtsec_exporter:" + Version

// Options describe the image of one binary.
type Options struct {
	// Arch is the binary's GOARCH.
	Arch string
	// Version and Revision label the image (org.opencontainers.image.*).
	Version, Revision string
	// Created is the time of every timestamp in the image; the commit's
	// time makes the image reproducible.
	Created time.Time
}

// Platforms are the architectures `make image` builds, with the ELF
// machine of each one's binary.
var Platforms = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

// Build returns the image of the static executable binary.
func Build(binary []byte, opts Options) (v1.Image, error) {
	if err := checkBinary(binary, opts.Arch); err != nil {
		return nil, err
	}
	layer, err := binaryLayer(binary, opts.Created)
	if err != nil {
		return nil, err
	}
	created := v1.Time{Time: opts.Created.UTC()}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{
		Architecture: opts.Arch,
		OS:           "linux",
		Created:      created,
		Config: v1.Config{
			Entrypoint: []string{Entrypoint},
			// uid 0 holding only the DaemonSet's capabilities: docs/deploy.md.
			User:         "0",
			ExposedPorts: map[string]struct{}{"9730/tcp": {}},
			Labels: map[string]string{
				"org.opencontainers.image.title":    "rtsec_exporter",
				"org.opencontainers.image.source":   Source,
				"org.opencontainers.image.version":  opts.Version,
				"org.opencontainers.image.revision": opts.Revision,
				"org.opencontainers.image.created":  created.Format(time.RFC3339),
			},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("image config: %w", err)
	}
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:   layer,
		History: v1.History{Created: created, CreatedBy: "deploy/image: " + Entrypoint},
	})
	if err != nil {
		return nil, fmt.Errorf("image layer: %w", err)
	}
	return img, nil
}

// checkBinary fails unless binary is an ELF executable for arch without a
// dynamic loader: the image holds nothing else, no libc.
func checkBinary(binary []byte, arch string) error {
	f, err := elf.NewFile(bytes.NewReader(binary))
	if err != nil {
		return fmt.Errorf("not an executable: %w", err)
	}
	defer f.Close()
	machine, ok := Platforms[arch]
	if !ok {
		return fmt.Errorf("architecture %q: want one of amd64, arm64", arch)
	}
	if f.Machine != machine {
		return fmt.Errorf("the binary is for %v, not %s: build it with GOARCH=%s", f.Machine, arch, arch)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New("the binary is dynamically linked: build it with CGO_ENABLED=0 (make build)")
		}
	}
	return nil
}

// binaryLayer is a gzip layer holding binary at Entrypoint, root-owned,
// mode 0755, modified at created.
func binaryLayer(binary []byte, created time.Time) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     Entrypoint[1:],
		Mode:     0o755,
		Size:     int64(len(binary)),
		ModTime:  created.UTC(),
		Format:   tar.FormatPAX,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := tw.Write(binary); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

// Index returns the multi-platform image index of imgs, one image per
// architecture, each described by its platform.
func Index(imgs ...v1.Image) (v1.ImageIndex, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	seen := map[string]bool{}
	for _, img := range imgs {
		cfg, err := img.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("image index: %w", err)
		}
		if seen[cfg.Architecture] {
			return nil, fmt.Errorf("image index: two images for %s", cfg.Architecture)
		}
		seen[cfg.Architecture] = true
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture}},
		})
	}
	return idx, nil
}

// WriteIndexLayout replaces dir with an OCI image layout holding idx (a
// multi-platform image), named and tagged as WriteLayout does.
func WriteIndexLayout(dir string, idx v1.ImageIndex, name string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	path, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("image layout: %w", err)
	}
	if err := path.AppendIndex(idx, layout.WithAnnotations(nameAnnotations(name))); err != nil {
		return fmt.Errorf("image layout: %w", err)
	}
	return nil
}

// nameAnnotations name an image for `ctr images import` (the full
// reference) and tag it for skopeo's oci:DIR:TAG.
func nameAnnotations(name string) map[string]string {
	return map[string]string{
		"io.containerd.image.name":          name,
		"org.opencontainers.image.ref.name": name[strings.LastIndex(name, ":")+1:],
	}
}

// WriteLayout replaces dir with an OCI image layout holding img alone,
// named name (a full reference, for ctr images import) and tagged with
// name's tag (for skopeo's oci:dir:tag).
func WriteLayout(dir string, img v1.Image, name string) error {
	cfg, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("image layout: %w", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	path, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("image layout: %w", err)
	}
	err = path.AppendImage(img,
		layout.WithPlatform(v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture}),
		layout.WithAnnotations(nameAnnotations(name)))
	if err != nil {
		return fmt.Errorf("image layout: %w", err)
	}
	return nil
}
