package container

import (
	"os"
	"path/filepath"
	"testing"
)

// Between BeginListing and EndListing the listings share one walk: a
// container started after the first listing shows at the next scrape's,
// in all three listings alike.
func TestResolverSharedListing(t *testing.T) {
	r, cg := tempTree(t, ResolverOptions{})
	const late = "/docker/cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
	has := func(step string, want bool) {
		t.Helper()
		live, err := r.Live()
		if err != nil {
			t.Fatal(err)
		}
		cgroups, err := r.LiveCgroups()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, id := range live {
			got["live"] = got["live"] || id.ID == filepath.Base(late)
		}
		for _, c := range cgroups {
			got["cgroups"] = got["cgroups"] || c.Path == late
		}
		for name, g := range map[string]bool{"Live": got["live"], "LiveCgroups": got["cgroups"]} {
			if g != want {
				t.Errorf("%s: %s lists %s: %v, want %v", step, name, late, g, want)
			}
		}
	}
	r.BeginListing()
	has("first listing", false)
	if err := os.MkdirAll(filepath.Join(cg, late), 0o755); err != nil {
		t.Fatal(err)
	}
	has("same scrape", false)
	r.EndListing()
	has("after the scrape", true)
	r.BeginListing()
	has("next scrape", true)
	r.EndListing()
}
