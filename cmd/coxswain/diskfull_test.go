//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRun_DiskFull fills a real, small file system: the warehouse lives on
// a tmpfs mounted in a user and mount namespace of the test's own (no root
// needed). The first drop loads; the file system is then shrunk to just
// above what it holds, and the build of the second drop fails for want of
// space, saying so in plain words (which folder, how much is free) and
// keeping the previous state; once the file system grows again, the next
// build completes, and its numbers are those of a build that never ran out.
func TestRun_DiskFull(t *testing.T) {
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("no unshare here")
	}
	if out, err := exec.Command("unshare", "-rm", "true").CombinedOutput(); err != nil {
		t.Skipf("no unprivileged user and mount namespaces here: %v %s", err, out)
	}
	dir, _ := sample(t, "3000")
	// The reference: the same org built where space is plenty.
	ref := filepath.Join(t.TempDir(), "ref")
	if err := os.CopyFS(ref, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "build", "--config", filepath.Join(ref, "coxswain.yaml"), "--as-of", "2026-11-15T06:00:00Z")

	// The org's config, with its warehouse on the small file system.
	small := filepath.Join(dir, "small")
	if err := os.Mkdir(small, 0o755); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "coxswain.yaml")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), "warehouse: warehouse.duckdb", "warehouse: small/warehouse.duckdb", 1))
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	zips, _ := filepath.Glob(filepath.Join(dir, "exports", "salesforce", "*.ZIP"))
	if len(zips) != 1 {
		t.Fatalf("the sample's weekly ZIP: %v", zips)
	}
	aside := filepath.Join(dir, "aside.zip")

	// One shell in the namespace runs the scenario, since the mount lives
	// as long as it; each build's output and exit status land in files.
	self := os.Args[0]
	build := self + " build --config " + cfgPath + " --as-of 2026-11-15T06:00:00Z"
	script := strings.Join([]string{
		"set -u",
		"mount -t tmpfs -o size=512m tmpfs " + small,
		"mv " + zips[0] + " " + aside,
		build + " > " + dir + "/first.out 2>&1; echo $? > " + dir + "/first.code",
		"mv " + aside + " " + zips[0],
		// Just above what the first build left: the second drop cannot fit.
		"used=$(du -sk " + small + " | cut -f1)",
		"mount -o remount,size=$((used + 256))k " + small,
		build + " > " + dir + "/full.out 2>&1; echo $? > " + dir + "/full.code",
		"ls -A " + small + " > " + dir + "/full.ls",
		"mount -o remount,size=512m " + small,
		build + " > " + dir + "/second.out 2>&1; echo $? > " + dir + "/second.code",
		"cp " + small + "/warehouse.duckdb " + dir + "/after.duckdb",
	}, "\n")
	cmd := exec.Command("unshare", "-rm", "sh", "-c", script)
	cmd.Env = append(os.Environ(), "COXSWAIN_TEST_CHILD=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the scenario: %v\n%s", err, out)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	if code := read("first.code"); code != "0" {
		t.Fatalf("the first build, with room: exit %s\n%s", code, read("first.out"))
	}
	full := read("full.out")
	if code := read("full.code"); code != "1" {
		t.Fatalf("the build on a full disk: exit %s\n%s", code, full)
	}
	mustSay(t, "the build on a full disk", full, "the disk is full", "free space in "+small+" (", "free), then run the build again", "the warehouse keeps its previous state")
	if strings.Contains(full, "FATAL") {
		t.Errorf("DuckDB's raw words reach the user:\n%s", full)
	}
	if code := read("second.code"); code != "0" {
		t.Fatalf("the build once space is back: exit %s\n%s", code, read("second.out"))
	}
	mustSay(t, "the build once space is back", read("second.out"), "1 drop loaded")

	// The numbers are the reference's.
	after, wh := filepath.Join(dir, "after.duckdb"), filepath.Join(ref, "warehouse.duckdb")
	for _, q := range []string{
		"SELECT count(*) FROM meta.drops",
		"SELECT count(*) FROM raw.crm__lead",
		"SELECT count(*) FROM staging.leads",
		"SELECT sum(hash(metric, month, value) % 1000000)::BIGINT FROM marts.kpis",
	} {
		if got, want := queryInt(t, after, q), queryInt(t, wh, q); got != want {
			t.Errorf("%s: %d after the full disk, %d in the reference", q, got, want)
		}
	}
}
