package image

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/rtsec/rtsec/test/exporter"
)

var testOptions = Options{Arch: runtime.GOARCH, Version: "v1.2.3", Revision: "0123abc", Created: time.Unix(1700000000, 0)}

// The image is the documented one: an OCI manifest with one layer holding
// only the binary, root-owned and executable, the entrypoint, user 0 and
// the labels; every timestamp is the given time, so two builds have one
// digest; and the binary in the layer runs.
func TestImage(t *testing.T) {
	binary, err := os.ReadFile(exporter.Build(t))
	if err != nil {
		t.Fatal(err)
	}
	img, err := Build(binary, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Build(binary, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := img.Digest()
	d2, _ := again.Digest()
	if d1 != d2 {
		t.Errorf("two builds of one binary: digests %s and %s", d1, d2)
	}

	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Config.Entrypoint, []string{Entrypoint}) || cfg.Config.Cmd != nil || cfg.Config.User != "0" {
		t.Errorf("entrypoint %q, cmd %q, user %q; want [%s], none, 0", cfg.Config.Entrypoint, cfg.Config.Cmd, cfg.Config.User, Entrypoint)
	}
	if cfg.OS != "linux" || cfg.Architecture != runtime.GOARCH || !cfg.Created.Equal(testOptions.Created) {
		t.Errorf("platform %s/%s created %v; want linux/%s created %v", cfg.OS, cfg.Architecture, cfg.Created, runtime.GOARCH, testOptions.Created)
	}
	for label, want := range map[string]string{
		"org.opencontainers.image.source":   Source,
		"org.opencontainers.image.version":  "v1.2.3",
		"org.opencontainers.image.revision": "0123abc",
		"org.opencontainers.image.created":  "2023-11-14T22:13:20Z",
	} {
		if got := cfg.Config.Labels[label]; got != want {
			t.Errorf("label %s = %q, want %q", label, got, want)
		}
	}
	manifest, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if manifest.MediaType != types.OCIManifestSchema1 || manifest.Config.MediaType != types.OCIConfigJSON {
		t.Errorf("media types %s, %s; want OCI's", manifest.MediaType, manifest.Config.MediaType)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("%d layers (%v), want 1", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	hdr, err := tr.Next()
	if err != nil {
		t.Fatal(err)
	}
	if hdr.Name != "rtsec_exporter" || hdr.Mode != 0o755 || hdr.Uid != 0 || hdr.Gid != 0 || !hdr.ModTime.Equal(testOptions.Created) {
		t.Errorf("layer entry %s mode %o owner %d:%d time %v; want rtsec_exporter 755 0:0 %v", hdr.Name, hdr.Mode, hdr.Uid, hdr.Gid, hdr.ModTime, testOptions.Created)
	}
	inImage, err := io.ReadAll(tr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Next(); err != io.EOF {
		t.Errorf("the layer holds more than the binary (%v)", err)
	}
	path := filepath.Join(t.TempDir(), "rtsec_exporter")
	if err := os.WriteFile(path, inImage, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(path, "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "rtsec_exporter, version") {
		t.Errorf("the image's binary --version: %v: %s", err, out)
	}
}

// Only a static ELF binary is accepted: the image has no libc.
func TestBuildRejectsDynamicBinaries(t *testing.T) {
	dynamic, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Skip(err)
	}
	if _, err := Build(dynamic, testOptions); err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
		t.Errorf("dynamic binary: error %v, want one asking for CGO_ENABLED=0", err)
	}
	if _, err := Build([]byte("#!/bin/sh\n"), testOptions); err == nil {
		t.Error("a script: no error")
	}
}

// crossBuild builds the exporter as make image does for arch.
func crossBuild(t *testing.T, arch string) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rtsec_exporter-"+arch)
	cmd := exec.Command("go", "build", "-o", path, "./exporter")
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build for %s: %v\n%s", arch, err, out)
	}
	binary, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return binary
}

// make image's layout: an OCI image index with one image per platform,
// linux/amd64 and linux/arm64, each holding its architecture's binary (the
// arm64 one with the arm64 BPF objects), named for containerd and tagged
// with the version; a binary of the wrong architecture is refused.
func TestMultiPlatformIndex(t *testing.T) {
	var imgs []v1.Image
	binaries := map[string][]byte{}
	for _, arch := range []string{"amd64", "arm64"} {
		binaries[arch] = crossBuild(t, arch)
		opts := testOptions
		opts.Arch = arch
		img, err := Build(binaries[arch], opts)
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	opts := testOptions
	opts.Arch = "amd64"
	if _, err := Build(binaries["arm64"], opts); err == nil || !strings.Contains(err.Error(), "GOARCH=amd64") {
		t.Errorf("an arm64 binary as amd64: error %v, want one naming GOARCH=amd64", err)
	}
	idx, err := Index(imgs...)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "image.oci")
	if err := WriteIndexLayout(dir, idx, Name); err != nil {
		t.Fatal(err)
	}
	top, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := top.IndexManifest()
	if err != nil || len(tm.Manifests) != 1 {
		t.Fatalf("layout index: %v, %v; want one entry", tm, err)
	}
	entry := tm.Manifests[0]
	want, _ := idx.Digest()
	if entry.MediaType != types.OCIImageIndex || entry.Digest != want || entry.Annotations["io.containerd.image.name"] != Name || entry.Annotations["org.opencontainers.image.ref.name"] != Version {
		t.Errorf("layout holds %s %s %v; want the index %s named %s", entry.MediaType, entry.Digest, entry.Annotations, want, Name)
	}
	inner, err := top.ImageIndex(entry.Digest)
	if err != nil {
		t.Fatal(err)
	}
	im, err := inner.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var platforms []string
	for _, desc := range im.Manifests {
		if desc.Platform == nil {
			t.Fatalf("manifest %s has no platform", desc.Digest)
		}
		arch := desc.Platform.Architecture
		platforms = append(platforms, desc.Platform.OS+"/"+arch)
		img, err := inner.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cfg, _ := img.ConfigFile()
		layers, _ := img.Layers()
		if cfg.Architecture != arch || len(layers) != 1 {
			t.Errorf("%s: config architecture %s, %d layers", arch, cfg.Architecture, len(layers))
			continue
		}
		rc, _ := layers[0].Uncompressed()
		tr := tar.NewReader(rc)
		if _, err := tr.Next(); err != nil {
			t.Fatal(err)
		}
		inImage, _ := io.ReadAll(tr)
		rc.Close()
		f, err := elf.NewFile(bytes.NewReader(inImage))
		if err != nil || f.Machine != Platforms[arch] {
			t.Errorf("%s image: binary %v (%v), want %v", arch, f, err, Platforms[arch])
		}
	}
	if slices.Sort(platforms); !slices.Equal(platforms, []string{"linux/amd64", "linux/arm64"}) {
		t.Errorf("platforms %v, want linux/amd64 and linux/arm64", platforms)
	}
	again, _ := Index(imgs...)
	if d, _ := again.Digest(); d != want {
		t.Errorf("two indexes of the same images: %s and %s", want, d)
	}
}

// The layout names the image for containerd's import and tags it for
// skopeo, and holds the built image.
func TestWriteLayout(t *testing.T) {
	binary, err := os.ReadFile(exporter.Build(t))
	if err != nil {
		t.Fatal(err)
	}
	img, err := Build(binary, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "image.oci")
	if err := WriteLayout(dir, img, Name); err != nil {
		t.Fatal(err)
	}
	index, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	im, err := index.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 {
		t.Fatalf("%d manifests in the layout, want 1", len(im.Manifests))
	}
	desc := im.Manifests[0]
	want, _ := img.Digest()
	if desc.Digest != want || desc.Annotations["io.containerd.image.name"] != Name || desc.Annotations["org.opencontainers.image.ref.name"] != Version {
		t.Errorf("layout holds %s %v; want %s named %s, tagged %s", desc.Digest, desc.Annotations, want, Name, Version)
	}
	if desc.Platform == nil || desc.Platform.Architecture != runtime.GOARCH {
		t.Errorf("layout platform %v, want linux/%s", desc.Platform, runtime.GOARCH)
	}
}
