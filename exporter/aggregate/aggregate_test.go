package aggregate

import (
	"fmt"
	"testing"

	"github.com/rtsec/rtsec/exporter/container"
)

var (
	host = container.Identity{}
	web  = container.Identity{ID: "web", Runtime: "runc"}
)

// resolveTable maps cgroup ids 1..9 to the host and 10.. to web.
func resolveTable(id uint64) container.Identity {
	if id < 10 {
		return host
	}
	return web
}

func budgetOf(n int) func(container.Identity) int {
	return func(container.Identity) int { return n }
}

func byIdentityValue(sums *Sums) map[string]uint64 {
	m := map[string]uint64{}
	for _, s := range sums.Series {
		m[s.Identity.ID+"/"+s.Value] += s.Count
	}
	return m
}

func TestSumMergesKeysOfOneIdentity(t *testing.T) {
	tbl := NewTable(budgetOf(64))
	series, folded := tbl.Sum(map[Key]uint64{
		{1, "sh"}: 2, {2, "sh"}: 3, {3, "ls"}: 1, {10, "sh"}: 7,
	}, resolveTable)
	got := byIdentityValue(series)
	want := map[string]uint64{"/sh": 5, "/ls": 1, "web/sh": 7}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Sum = %v, want %v", got, want)
	}
	if len(series.Series) != len(want) {
		t.Errorf("Sum returned %d series, want %d (one per identity and value)", len(series.Series), len(want))
	}
	if folded != 0 {
		t.Errorf("folded = %d, want 0", folded)
	}
}

func TestBudgetIsPerIdentityAndSticky(t *testing.T) {
	tbl := NewTable(budgetOf(2))
	// Three host cgroups, three names: the third name found overflows.
	live := map[Key]uint64{{1, "a"}: 1, {2, "b"}: 1}
	tbl.Sum(live, resolveTable)
	live[Key{3, "c"}] = 4
	live[Key{10, "c"}] = 1 // another identity has its own budget
	series, folded := tbl.Sum(live, resolveTable)
	got := byIdentityValue(series)
	want := map[string]uint64{"/a": 1, "/b": 1, "/_other": 4, "web/c": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Sum = %v, want %v", got, want)
	}
	if folded != 4 {
		t.Errorf("folded = %d, want 4", folded)
	}
	// Admission is sticky: "c" keeps overflowing even as counts change.
	live[Key{3, "c"}] = 9
	series, folded = tbl.Sum(live, resolveTable)
	if got := byIdentityValue(series)["/_other"]; got != 9 {
		t.Errorf("/_other = %d, want 9", got)
	}
	if folded != 9 {
		t.Errorf("folded = %d, want 9", folded)
	}
}

func TestKernelOverflowValueNeedsNoBudget(t *testing.T) {
	tbl := NewTable(budgetOf(1))
	series, folded := tbl.Sum(map[Key]uint64{{10, "a"}: 1, {10, "_other"}: 5}, resolveTable)
	got := byIdentityValue(series)
	if got["web/a"] != 1 || got["web/_other"] != 5 {
		t.Errorf("Sum = %v, want web/a=1 web/_other=5", got)
	}
	if folded != 0 {
		t.Errorf("folded = %d, want 0: the kernel counted those overflows", folded)
	}
}

func TestRetireKeepsSumsMonotonic(t *testing.T) {
	tbl := NewTable(budgetOf(64))
	live := map[Key]uint64{{1, "sh"}: 5, {2, "sh"}: 3, {10, "sh"}: 2}
	tbl.Sum(live, resolveTable)

	// Host cgroup 2 and the whole web container go away.
	tbl.Retire(live, map[uint64]bool{2: true, 10: true})
	delete(live, Key{2, "sh"})
	delete(live, Key{10, "sh"})

	series, _ := tbl.Sum(live, resolveTable)
	got := byIdentityValue(series)
	if got["/sh"] != 8 {
		t.Errorf("host sh = %d after retiring one of its cgroups, want 8 (no counter reset)", got["/sh"])
	}
	if _, ok := got["web/sh"]; ok {
		t.Errorf("web's series still exported after its last key was retired: %v", got)
	}
	if len(tbl.retired) != 1 || len(tbl.admitted) != 1 {
		t.Errorf("state not forgotten for gone identities: retired %v admitted %v", tbl.retired, tbl.admitted)
	}
}

func TestRetireFoldedKeepsOverflowTotal(t *testing.T) {
	tbl := NewTable(budgetOf(1))
	live := map[Key]uint64{{1, "a"}: 1, {2, "b"}: 6}
	_, folded := tbl.Sum(live, resolveTable)
	if folded != 6 {
		t.Fatalf("folded = %d, want 6", folded)
	}
	tbl.Retire(map[Key]uint64{{1, "a"}: 1, {2, "b"}: 7}, map[uint64]bool{2: true})
	delete(live, Key{2, "b"})
	series, folded := tbl.Sum(live, resolveTable)
	if folded != 7 {
		t.Errorf("folded = %d after retiring the folded key, want 7", folded)
	}
	if got := byIdentityValue(series)["/_other"]; got != 7 {
		t.Errorf("/_other = %d, want 7", got)
	}
}

// The series of one Sum keep their identities after the next Sum, which
// resolves the same keys to others (a container's metadata arrived).
func TestSeriesIdentitiesOutliveNextSum(t *testing.T) {
	tbl := NewTable(budgetOf(64))
	live := map[Key]uint64{{10, "sh"}: 1, {11, "ls"}: 2}
	first, _ := tbl.Sum(live, resolveTable)
	named := container.Identity{ID: "web", Runtime: "runc", Pod: "web-0"}
	second, _ := tbl.Sum(live, func(uint64) container.Identity { return named })
	for _, s := range first.Series {
		if *s.Identity != web {
			t.Errorf("first Sum's series %s has identity %+v after the second Sum, want %+v", s.Value, *s.Identity, web)
		}
	}
	for _, s := range second.Series {
		if *s.Identity != named {
			t.Errorf("second Sum's series %s has identity %+v, want %+v", s.Value, *s.Identity, named)
		}
	}
}

// A released Sums is the next Sum's, with that Sum's series and identities;
// one not released is never reused (TestSeriesIdentitiesOutliveNextSum).
func TestReleasedSumsReused(t *testing.T) {
	tbl := NewTable(budgetOf(64))
	live := map[Key]uint64{{10, "sh"}: 1, {11, "ls"}: 2, {1, "cron"}: 3}
	first, _ := tbl.Sum(live, resolveTable)
	array := &first.Series[0]
	tbl.Release(first)
	live[Key{10, "sh"}] = 5
	second, _ := tbl.Sum(live, resolveTable)
	if &second.Series[0] != array {
		t.Errorf("the Sum after a Release made new series, want the released ones")
	}
	want := map[string]uint64{"web/sh": 5, "web/ls": 2, "/cron": 3}
	if got := byIdentityValue(second); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Sum on released buffers = %v, want %v", got, want)
	}
	third, _ := tbl.Sum(live, resolveTable)
	if &third.Series[0] == &second.Series[0] {
		t.Errorf("a Sum reused the series of one not released")
	}
}
