//go:build !unix

package build

// diskOf is not known here.
func diskOf(string) (disk uint64, free uint64, ok bool) { return 0, 0, false }
