//go:build unix

package build

import "syscall"

// diskOf is the disk (its device number) dir is on and the space an
// unprivileged writer has left there.
func diskOf(dir string) (disk uint64, free uint64, ok bool) {
	var st syscall.Stat_t
	var fs syscall.Statfs_t
	if syscall.Stat(dir, &st) != nil || syscall.Statfs(dir, &fs) != nil {
		return 0, 0, false
	}
	return uint64(st.Dev), fs.Bavail * uint64(fs.Bsize), true
}
