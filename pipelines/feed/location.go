//go:build !noiceberg

package feed

import (
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/apache/iceberg-go/catalog/hadoop"
	icebergio "github.com/apache/iceberg-go/io"

	"coxswain"
)

var _ hadoop.HadoopCatalogFS = (*localAs)(nil)

// An Iceberg table's metadata names every file by its full address. An
// engine in the cloud reads the tables from a bucket, so the metadata must
// name the bucket's addresses, although the build writes to a local folder
// that is then copied to the bucket as it is (aws s3 sync, gsutil rsync,
// azcopy sync). The catalog is opened at the bucket's address, and
// iceberg-go's file system for its scheme is this one: it reads and writes
// the local folder for the addresses under the location.

// Property names under which the catalog passes the location and its local
// folder to the file system.
const (
	propLocation = "coxswain.location"
	propLocalDir = "coxswain.local-dir"
)

var registerSchemes sync.Once

// registerLocalAs makes iceberg-go open the location schemes through
// localAs; a scheme some other package registered first is left to it, and
// opening a catalog at it then fails with iceberg-go's own message.
func registerLocalAs() {
	registerSchemes.Do(func() {
		registered := icebergio.GetRegisteredSchemes()
		for _, scheme := range coxswain.IcebergSchemes {
			if !slices.Contains(registered, scheme) {
				icebergio.Register(scheme, newLocalAs)
			}
		}
	})
}

func newLocalAs(_ context.Context, _ *url.URL, props map[string]string) (icebergio.IO, error) {
	location, dir := strings.TrimRight(props[propLocation], "/"), props[propLocalDir]
	if location == "" || dir == "" {
		return nil, fmt.Errorf("coxswain's Iceberg feed: no local folder for the location %q", location)
	}
	return &localAs{location: location, dir: dir}, nil
}

// localAs is an iceberg-go file system that keeps under a local folder
// what the metadata names under a location (s3://bucket/prefix).
type localAs struct {
	location, dir string
	local         icebergio.LocalFS
}

// path is the local path of an address under the location.
func (l *localAs) path(name string) (string, error) {
	rest, ok := strings.CutPrefix(name, l.location)
	if !ok || rest != "" && rest[0] != '/' {
		return "", &fs.PathError{Op: "open", Path: name, Err: fmt.Errorf("not under the feed's location %s", l.location)}
	}
	return filepath.Join(l.dir, filepath.FromSlash(rest)), nil
}

// address is the address under the location of a local path.
func (l *localAs) address(path string) string { return addressUnder(l.location, l.dir, path) }

// addressUnder is the address of a local path under dir, where dir is
// copied to location.
func addressUnder(location, dir, path string) string {
	rel, err := filepath.Rel(dir, path)
	if err != nil || rel == "." {
		return location
	}
	return location + "/" + filepath.ToSlash(rel)
}

func (l *localAs) Open(name string) (icebergio.File, error) {
	p, err := l.path(name)
	if err != nil {
		return nil, err
	}
	return l.local.Open(p)
}

func (l *localAs) ReadFile(name string) ([]byte, error) {
	p, err := l.path(name)
	if err != nil {
		return nil, err
	}
	return l.local.ReadFile(p)
}

func (l *localAs) Create(name string) (icebergio.FileWriter, error) {
	p, err := l.path(name)
	if err != nil {
		return nil, err
	}
	return l.local.Create(p)
}

func (l *localAs) WriteFile(name string, content []byte) error {
	p, err := l.path(name)
	if err != nil {
		return err
	}
	return l.local.WriteFile(p, content)
}

func (l *localAs) Remove(name string) error {
	p, err := l.path(name)
	if err != nil {
		return err
	}
	return l.local.Remove(p)
}

func (l *localAs) RemoveAll(name string) error {
	p, err := l.path(name)
	if err != nil {
		return err
	}
	return l.local.RemoveAll(p)
}

func (l *localAs) MkdirAll(name string) error {
	p, err := l.path(name)
	if err != nil {
		return err
	}
	return l.local.MkdirAll(p)
}

func (l *localAs) Stat(name string) (fs.FileInfo, error) {
	p, err := l.path(name)
	if err != nil {
		return nil, err
	}
	return l.local.Stat(p)
}

func (l *localAs) Rename(oldpath, newpath string) error {
	src, dst, err := l.paths(oldpath, newpath)
	if err != nil {
		return err
	}
	return l.local.Rename(src, dst)
}

func (l *localAs) RenameNoReplace(oldpath, newpath string) error {
	src, dst, err := l.paths(oldpath, newpath)
	if err != nil {
		return err
	}
	return l.local.RenameNoReplace(src, dst)
}

// paths is path of both addresses of a rename.
func (l *localAs) paths(oldpath, newpath string) (string, string, error) {
	src, err := l.path(oldpath)
	if err != nil {
		return "", "", err
	}
	dst, err := l.path(newpath)
	return src, dst, err
}

// WalkDir walks the local folder of root and gives fn the addresses.
func (l *localAs) WalkDir(root string, fn fs.WalkDirFunc) error {
	p, err := l.path(root)
	if err != nil {
		return err
	}
	return filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		return fn(l.address(path), d, err)
	})
}
