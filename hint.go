package coxswain

import "strings"

// Hint is an error together with what the user can do about it: a coxswain
// command to run, or advice (a key to set, a file to fix). It is the one way
// an error carries a hint; only the CLI formats it ("Try: ..." for a
// command, "Hint: ..." for advice), so that error texts stored in the run
// log, meta.builds and alerts carry none.
type Hint struct {
	Err error
	// Command is a coxswain command to run, as arguments after "coxswain"
	// and without --config: the CLI adds the configuration in use.
	Command []string
	// Advice says what to change, in words.
	Advice string
}

func (h *Hint) Error() string { return h.Err.Error() }

// Unwrap gives the error hinted at, so that errors.As still finds it.
func (h *Hint) Unwrap() error { return h.Err }

// WithCommand wraps err with a coxswain command that helps.
func WithCommand(err error, args ...string) error {
	return &Hint{Err: err, Command: args}
}

// WithAdvice wraps err with advice.
func WithAdvice(err error, advice string) error {
	return &Hint{Err: err, Advice: advice}
}

// String is the hint alone, for logs: the command or the advice.
func (h *Hint) String() string {
	if len(h.Command) > 0 {
		return "coxswain " + strings.Join(h.Command, " ")
	}
	return h.Advice
}

// Hints lists the hints inside err, in the order its tree holds them
// (wrapped errors, joined errors, a drop's files).
func Hints(err error) []*Hint {
	var out []*Hint
	var walk func(error)
	walk = func(e error) {
		if h, ok := e.(*Hint); ok {
			out = append(out, h)
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, c := range u.Unwrap() {
				walk(c)
			}
		case interface{ Unwrap() error }:
			if c := u.Unwrap(); c != nil {
				walk(c)
			}
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}
