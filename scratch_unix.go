//go:build unix

package coxswain

import (
	"errors"
	"syscall"
)

// processAlive says whether a process with that id exists (one of another
// user's counts: it cannot be signalled, but it is there).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
