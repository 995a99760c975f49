package ingest

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"coxswain"
)

// Drop is one export delivered into a source folder: a sub-folder or a ZIP
// archive holding one CSV file per object.
type Drop struct {
	Name     string // the folder or archive name; drops load in name order
	Path     string
	Kind     string // "folder" or "zip"
	Modified time.Time
	Size     int64 // the archive's size; for a folder, the sum of its files
}

// ListDrops finds the drops in a source folder, ordered as they must load:
// by name (which carries the export timestamp), then by modification time.
// Loose files in the source folder are not drops and are left alone.
func ListDrops(dir string) ([]Drop, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var drops []Drop
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue // hidden files and in-progress uploads
		}
		p := filepath.Join(dir, e.Name())
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		switch {
		case fi.IsDir():
			d := Drop{Name: e.Name(), Path: p, Kind: "folder", Modified: fi.ModTime()}
			files, err := folderFiles(p)
			if err != nil {
				return nil, err
			}
			for _, f := range files {
				d.Size += f.size
				if f.modified.After(d.Modified) {
					d.Modified = f.modified
				}
			}
			drops = append(drops, d)
		case strings.EqualFold(filepath.Ext(e.Name()), ".zip"):
			drops = append(drops, Drop{Name: e.Name(), Path: p, Kind: "zip", Modified: fi.ModTime(), Size: fi.Size()})
		}
	}
	sort.SliceStable(drops, func(i, j int) bool {
		if drops[i].Name != drops[j].Name {
			return drops[i].Name < drops[j].Name
		}
		return drops[i].Modified.Before(drops[j].Modified)
	})
	return drops, nil
}

// dropFile is one CSV file of a drop, as found on disk (a ZIP's files are
// extracted first).
type dropFile struct {
	name     string // base name in the drop
	path     string // where it can be read
	size     int64
	modified time.Time
	// cacheKey identifies the bytes for the hash cache: the file's own path,
	// or archive!entry for a file inside a ZIP (whose size and time are the archive's).
	cacheKey  string
	cacheSize int64
	cacheTime time.Time
	head      *scan // the first megabyte: enough to choose the encoding
	scan      *scan // the whole file, once read
	// symlink says the file is a symbolic link: a drop's files must be
	// the files themselves, never a way to read something outside it.
	symlink bool
	// compressed is an archive entry's compressed size, which bounds what
	// extracting it may write (a ZIP bomb expands a thousand times).
	compressed int64
	// lenient: DuckDB's strict reader refused the file (its rows end in
	// more than one way past its first megabyte); it is read leniently.
	lenient bool
}

func folderFiles(dir string) ([]*dropFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []*dropFile
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") || !isCSV(e.Name()) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		fi, err := os.Lstat(p)
		if err != nil {
			return nil, err
		}
		files = append(files, &dropFile{name: e.Name(), path: p, size: fi.Size(), modified: fi.ModTime(), cacheKey: p, cacheSize: fi.Size(), cacheTime: fi.ModTime(),
			symlink: fi.Mode()&os.ModeSymlink != 0})
	}
	return files, nil
}

func isCSV(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".csv" || ext == ".txt" || ext == ".tsv"
}

// zipEntries lists the CSV entries of an archive without extracting them.
// An entry whose name would escape the extraction folder (ZIP slip) makes
// the whole archive refused: it is either broken or hostile.
func zipEntries(d Drop) ([]*dropFile, *zip.ReadCloser, error) {
	zr, err := zip.OpenReader(d.Path)
	if errors.Is(err, zip.ErrFormat) {
		// No central directory: the archive is empty, or cut short (still
		// being copied, or a transfer that failed).
		return nil, nil, coxswain.WithAdvice(fmt.Errorf("open archive %s: it is not a whole ZIP archive (%s): empty, or cut short", d.Name, coxswain.FormatBytes(d.Size)),
			"if it is still being copied, wait for the copy to end; otherwise download or export it again")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("open archive %s: %w", d.Name, err)
	}
	var files []*dropFile
	seen := map[string]bool{}
	for _, f := range zr.File {
		// Archives made on Windows may separate folders with backslashes.
		name := strings.ReplaceAll(f.Name, `\`, "/")
		if !filepath.IsLocal(filepath.FromSlash(name)) {
			zr.Close()
			return nil, nil, fmt.Errorf("archive %s: entry %q points outside the archive's folder; the archive is refused (is it the export you expect?)", d.Name, name)
		}
		if f.Mode()&os.ModeSymlink != 0 {
			zr.Close()
			return nil, nil, fmt.Errorf("archive %s: entry %q is a symbolic link; the archive is refused (an export holds files, not links)", d.Name, excerpt(name, 200))
		}
		if f.FileInfo().IsDir() || !isCSV(name) || strings.HasPrefix(filepath.Base(name), ".") {
			continue
		}
		base := filepath.Base(filepath.FromSlash(name))
		if seen[strings.ToLower(base)] {
			zr.Close()
			return nil, nil, fmt.Errorf("archive %s: two entries are named %s", d.Name, base)
		}
		seen[strings.ToLower(base)] = true
		files = append(files, &dropFile{name: base, path: f.Name, size: int64(f.UncompressedSize64), modified: f.Modified,
			cacheKey: d.Path + "!" + name, cacheSize: d.Size, cacheTime: d.Modified, compressed: int64(f.CompressedSize64)})
	}
	return files, zr, nil
}

// extract writes an archive's CSV entries into dir, scanning (hashing and
// sniffing) each while it is written, so that the bytes are read once.
func extract(zr *zip.ReadCloser, files []*dropFile, dir string, maxRatio, maxTotal int64) error {
	initial := maxTotal
	byName := map[string]*zip.File{}
	for _, f := range zr.File {
		byName[f.Name] = f
	}
	for _, df := range files {
		zf := byName[df.path]
		rc, err := zf.Open()
		if err != nil {
			return fmt.Errorf("%s: %w", df.name, err)
		}
		out := filepath.Join(dir, df.name)
		w, err := os.Create(out)
		if err != nil {
			rc.Close()
			return err
		}
		// What an entry may expand to is bounded by its compressed size,
		// counted as it is written: the header's sizes can lie.
		// So is what the archive expands to in all.
		limit := max(df.compressed, 1<<20) * maxRatio
		byTotal := maxTotal < limit
		limit = min(limit, maxTotal)
		lr := &io.LimitedReader{R: rc, N: limit + 1}
		sc, err := scanReader(io.TeeReader(lr, w))
		rc.Close()
		switch {
		case err != nil || lr.N > 0:
		case byTotal:
			err = fmt.Errorf("the archive expands to more than %s in all; refused (load.max_extracted_bytes raises the limit)", coxswain.FormatBytes(initial))
		default:
			err = fmt.Errorf("expands to more than %d times its compressed size (%d bytes); refused as a possible ZIP bomb (load.max_zip_ratio raises the limit)", maxRatio, df.compressed)
		}
		if sc != nil {
			maxTotal -= sc.size
		}
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", df.name, err)
		}
		df.path, df.scan = out, sc
	}
	return nil
}

// contentHash is a drop's identity: the hash of its files' names and
// contents, the same whether it arrives as a folder or an archive, and
// whatever the drop is called.
func contentHash(files []*dropFile, hashes map[*dropFile]string) string {
	lines := make([]string, 0, len(files))
	for _, f := range files {
		lines = append(lines, strings.ToLower(f.name)+"\x00"+hashes[f])
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		io.WriteString(h, l+"\n")
	}
	return hex.EncodeToString(h.Sum(nil))
}

// dropFiles lists a drop's CSV files, sorted by name; for an archive it also
// returns the open archive, which the caller closes.
func dropFiles(d Drop) ([]*dropFile, *zip.ReadCloser, error) {
	var files []*dropFile
	var zr *zip.ReadCloser
	var err error
	if d.Kind == "zip" {
		files, zr, err = zipEntries(d)
	} else {
		files, err = folderFiles(d.Path)
	}
	if err != nil {
		return nil, nil, err
	}
	for _, f := range files {
		if f.symlink {
			return nil, nil, fmt.Errorf("%s is a symbolic link; a drop's files must be the files themselves (copy the file into the drop)", f.name)
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	return files, zr, nil
}
