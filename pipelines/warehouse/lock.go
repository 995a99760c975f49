package warehouse

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/gofrs/flock"

	"coxswain"
)

// Lock is the right to use a warehouse: one coxswain command at a time,
// whether a manual build or a scheduled one. It is an flock on
// <warehouse>.lock, which the kernel releases when its process ends, so a
// killed build never blocks the next; <warehouse>.holder says who holds it.
type Lock struct {
	fl     *flock.Flock
	holder string
}

// Holder is who holds a warehouse's lock.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
}

// LockedError is a warehouse another process is using.
type LockedError struct {
	Path   string
	Holder *Holder // nil when the holder did not say
}

func (e *LockedError) Error() string {
	if e.Holder == nil {
		return fmt.Sprintf("warehouse %s is in use by another coxswain process", e.Path)
	}
	return fmt.Sprintf("warehouse %s is in use by coxswain %s (pid %d on %s, since %s); only one command may use it at a time",
		e.Path, e.Holder.Command, e.Holder.PID, e.Holder.Host, e.Holder.Since.UTC().Format(time.RFC3339))
}

// AcquireLock takes the warehouse's lock for command, or fails at once
// naming the holder.
func AcquireLock(path, command string, now time.Time) (*Lock, error) {
	fl := flock.New(path + ".lock")
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path+".lock", err)
	}
	if !ok {
		le := &LockedError{Path: path}
		if data, err := os.ReadFile(path + ".holder"); err == nil {
			var h Holder
			if json.Unmarshal(data, &h) == nil {
				le.Holder = &h
			}
		}
		return nil, coxswain.WithAdvice(le, "wait for it to finish; a process that was killed releases the lock by itself")
	}
	host, _ := os.Hostname()
	data, _ := json.Marshal(Holder{PID: os.Getpid(), Host: host, Command: command, Since: now})
	if err := os.WriteFile(path+".holder", data, coxswain.FileMode); err != nil {
		fl.Unlock()
		return nil, err
	}
	return &Lock{fl: fl, holder: path + ".holder"}, nil
}

// Release gives the lock back.
func (l *Lock) Release() error {
	os.Remove(l.holder)
	return l.fl.Unlock()
}
