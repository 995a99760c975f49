//go:build unix

package build

import "syscall"

// freeBytes is the space an unprivileged writer has left on dir's disk.
func freeBytes(dir string) (uint64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return st.Bavail * uint64(st.Bsize), true
}
