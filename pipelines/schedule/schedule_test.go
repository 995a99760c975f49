package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// patience bounds every wait for an event. Nothing is ordered by the wall
// clock: it only keeps a broken test from hanging.
const patience = 20 * time.Second

func TestMissed(t *testing.T) {
	s, _, err := Parse("0 2 * * *")
	if err != nil {
		t.Fatal(err)
	}
	day := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		last, now time.Time
		want      bool
	}{
		{day(20, 2), day(20, 23), false}, // ran at 02:00 today, next is tomorrow
		{day(20, 2), day(21, 3), true},   // down over tomorrow's 02:00
		{day(19, 2), day(21, 1), true},
		{day(20, 2), day(21, 2), true}, // due exactly at its time
	} {
		if got := Missed(s, tc.last, tc.now); got != tc.want {
			t.Errorf("Missed(last %s, now %s) = %v", tc.last, tc.now, got)
		}
	}
	for _, bad := range []string{"every night", "TZ=Europe/Paris", "61 2 * * *"} {
		if _, _, err := Parse(bad); err == nil {
			t.Errorf("the bad crontab line %q parsed", bad)
		}
	}
}

// trace records what the jobs did, in order, and lets a test wait for it.
type trace struct {
	mu      sync.Mutex
	events  []string
	changed chan struct{}
}

func newTrace() *trace { return &trace{changed: make(chan struct{})} }

func (tr *trace) add(format string, args ...any) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.events = append(tr.events, fmt.Sprintf(format, args...))
	close(tr.changed)
	tr.changed = make(chan struct{})
}

func (tr *trace) all() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.events)
}

// waitLen waits until the trace holds n events.
func (tr *trace) waitLen(tb testing.TB, n int) []string {
	tb.Helper()
	deadline := time.After(patience)
	for {
		tr.mu.Lock()
		got, changed := slices.Clone(tr.events), tr.changed
		tr.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-deadline:
			tb.Fatalf("waited for %d events, have %q", n, got)
		}
	}
}

// logs is a slog.Handler that keeps every record as a line of
// msg key=value..., for tests to read and wait for.
type logs struct{ tr *trace }

func (l logs) Enabled(context.Context, slog.Level) bool { return true }
func (l logs) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l logs) WithGroup(string) slog.Handler            { return l }
func (l logs) Handle(_ context.Context, r slog.Record) error {
	line := r.Message
	r.Attrs(func(a slog.Attr) bool { line += " " + a.Key + "=" + a.Value.String(); return true })
	l.tr.add("%s", line)
	return nil
}

// waitLog waits for a log line that starts with prefix.
func (tr *trace) waitLog(tb testing.TB, prefix string) string {
	tb.Helper()
	deadline := time.After(patience)
	for {
		tr.mu.Lock()
		got, changed := slices.Clone(tr.events), tr.changed
		tr.mu.Unlock()
		for _, l := range got {
			if strings.HasPrefix(l, prefix) {
				return l
			}
		}
		select {
		case <-changed:
		case <-deadline:
			tb.Fatalf("no log line %q in:\n%s", prefix, strings.Join(got, "\n"))
		}
	}
}

// run is a scheduler under test: Run in a goroutine on a fake clock.
type run struct {
	clock  *clockwork.FakeClock
	log    *trace
	cancel context.CancelFunc
	kill   chan struct{}
	done   chan struct{} // closed when Run has returned err
	err    error
}

func start(tb testing.TB, at time.Time, jobs []Job, opt Options) *run {
	tb.Helper()
	r := &run{clock: clockwork.NewFakeClockAt(at), log: newTrace(), kill: make(chan struct{}), done: make(chan struct{})}
	opt.Clock, opt.Log, opt.Kill = r.clock, slog.New(logs{r.log}), r.kill
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		r.err = Run(ctx, jobs, opt)
		close(r.done)
	}()
	tb.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(patience):
		}
	})
	return r
}

// timers waits until the fake clock has n timers: gocron's, one per job,
// plus any alert deadline or stop wait.
func (r *run) timers(tb testing.TB, n int) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	if err := r.clock.BlockUntilContext(ctx, n); err != nil {
		tb.Fatalf("the clock never had %d timers", n)
	}
}

// advanceTo moves the fake clock to a millisecond past at, once the
// scheduler has set its n timers. Not onto at itself: a clock that stands
// still exactly on a trigger's instant can make gocron schedule the next
// run at that same instant and fire it again and again (thousands of
// times, harmless to the schedule but a waste), which a real clock, always
// past the instant by the time gocron asks, never does.
func (r *run) advanceTo(tb testing.TB, n int, at time.Time) {
	tb.Helper()
	r.timers(tb, n)
	r.clock.Advance(at.Add(time.Millisecond).Sub(r.clock.Now()))
}

// wait waits for Run to return.
func (r *run) wait(tb testing.TB) error {
	tb.Helper()
	select {
	case <-r.done:
		return r.err
	case <-time.After(patience):
		tb.Fatalf("Run did not return; log:\n%s", strings.Join(r.log.all(), "\n"))
		return nil
	}
}

// record is a job that notes its name and the time it was given.
func record(tr *trace, name string) func(context.Context, time.Time) error {
	return func(_ context.Context, now time.Time) error {
		tr.add("%s %s", name, now.Format(time.RFC3339))
		return nil
	}
}

// TestRun_DueTogetherRunInPriorityOrder: a build and a report due at the
// same instant run build first, each once, day after day, whichever of
// gocron's goroutines wakes first; each job is told the clock's time.
func TestRun_DueTogetherRunInPriorityOrder(t *testing.T) {
	tr := newTrace()
	day0 := time.Date(2026, 11, 1, 1, 0, 0, 0, time.UTC)
	r := start(t, day0, []Job{
		{Name: "build", Cron: "0 2 * * *", Run: record(tr, "build")},
		{Name: "report", Cron: "0 2 * * *", Run: record(tr, "report")},
	}, Options{})
	var want []string
	for d := range 20 {
		at := day0.Add(time.Hour).AddDate(0, 0, d)
		r.advanceTo(t, 2, at)
		want = append(want, "build "+at.Format(time.RFC3339), "report "+at.Format(time.RFC3339))
		tr.waitLen(t, len(want))
	}
	r.cancel()
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
	if got := tr.all(); !slices.Equal(got, want) {
		t.Errorf("runs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestRun_StopLetsRunningJobFinish: a stop while the build runs lets it
// finish; the report due with it, and a later tick, never start; Run
// returns nil.
func TestRun_StopLetsRunningJobFinish(t *testing.T) {
	tr := newTrace()
	release := make(chan struct{})
	at := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	r := start(t, at.Add(-time.Minute), []Job{
		{Name: "build", Cron: "0 2 * * *", Run: func(ctx context.Context, _ time.Time) error {
			tr.add("build started")
			<-release
			tr.add("build finished, cancelled: %v", ctx.Err() != nil)
			return nil
		}},
		{Name: "report", Cron: "0 2 * * *", Run: record(tr, "report")},
	}, Options{})
	r.advanceTo(t, 2, at)
	tr.waitLen(t, 1)
	r.cancel()
	r.log.waitLog(t, "stopping: waiting for the running job to finish job=build")
	// The next day's tick comes while the build still runs.
	r.clock.Advance(24 * time.Hour)
	close(release)
	if err := r.wait(t); err != nil {
		t.Fatalf("Run after a stop: %v", err)
	}
	want := []string{"build started", "build finished, cancelled: false"}
	if got := tr.all(); !slices.Equal(got, want) {
		t.Errorf("runs %q, want %q", got, want)
	}
	lines := r.log.all()
	stopAt := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "stopping") })
	for _, l := range lines[stopAt:] {
		if strings.HasPrefix(l, "job started") {
			t.Errorf("a job started after the stop:\n%s", strings.Join(lines, "\n"))
		}
	}
}

// TestRun_SecondStopCancelsRunningJob: after a stop, a kill cancels the
// running job's context and Run returns ErrKilled; a job that ignores the
// cancel does not hold Run past KillWait.
func TestRun_SecondStopCancelsRunningJob(t *testing.T) {
	at := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	t.Run("job returns on cancel", func(t *testing.T) {
		tr := newTrace()
		r := start(t, at.Add(-time.Minute), []Job{{Name: "build", Cron: "0 2 * * *", Run: func(ctx context.Context, _ time.Time) error {
			tr.add("build started")
			<-ctx.Done()
			tr.add("build cancelled")
			return ctx.Err()
		}}}, Options{})
		r.advanceTo(t, 1, at)
		tr.waitLen(t, 1)
		r.cancel()
		r.log.waitLog(t, "stopping: waiting for the running job to finish job=build")
		close(r.kill)
		if err := r.wait(t); !errors.Is(err, ErrKilled) {
			t.Errorf("Run after a kill: %v, want ErrKilled", err)
		}
		if got := tr.all(); !slices.Equal(got, []string{"build started", "build cancelled"}) {
			t.Errorf("runs %q", got)
		}
	})
	t.Run("job ignores cancel", func(t *testing.T) {
		stuck := make(chan struct{})
		defer close(stuck)
		started := make(chan struct{})
		r := start(t, at.Add(-time.Minute), []Job{{Name: "build", Cron: "0 2 * * *", Run: func(context.Context, time.Time) error {
			close(started)
			<-stuck
			return nil
		}}}, Options{KillWait: 25 * time.Second})
		r.advanceTo(t, 1, at)
		<-started
		r.cancel()
		close(r.kill)
		r.log.waitLog(t, "second stop: cancelling the running job job=build")
		// gocron's timers are gone; the one left is KillWait's.
		r.timers(t, 1)
		r.clock.Advance(25 * time.Second)
		err := r.wait(t)
		if !errors.Is(err, ErrKilled) || !strings.Contains(err.Error(), "had not returned 25s later") {
			t.Errorf("Run after a kill of a stuck job: %v", err)
		}
	})
}

// TestRun_CatchUpOnceInPriorityOrder: at start, jobs that missed a run
// while the process was down run once, in priority order; a job that never
// ran waits for its schedule.
func TestRun_CatchUpOnceInPriorityOrder(t *testing.T) {
	tr := newTrace()
	now := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	ranAt := func(at time.Time) func() (time.Time, bool) { return func() (time.Time, bool) { return at, true } }
	r := start(t, now, []Job{
		{Name: "build", Cron: "0 2 * * *", Run: record(tr, "build"), LastRun: ranAt(time.Date(2026, 10, 30, 2, 0, 3, 0, time.UTC))},
		{Name: "report", Cron: "0 7 1 * *", Run: record(tr, "report"), LastRun: ranAt(time.Date(2026, 10, 1, 7, 0, 9, 0, time.UTC))},
		{Name: "export", Cron: "0 3 * * *", Run: record(tr, "export"), LastRun: func() (time.Time, bool) { return time.Time{}, false }},
		{Name: "fresh", Cron: "0 2 * * *", Run: record(tr, "fresh"), LastRun: ranAt(time.Date(2026, 11, 1, 2, 0, 1, 0, time.UTC))},
	}, Options{})
	tr.waitLen(t, 2)
	// Nothing else is due before tomorrow's 02:00.
	r.advanceTo(t, 4, time.Date(2026, 11, 2, 1, 59, 0, 0, time.UTC))
	r.cancel()
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
	want := []string{"build 2026-11-01T08:00:00Z", "report 2026-11-01T08:00:00Z"}
	if got := tr.all(); !slices.Equal(got, want) {
		t.Errorf("runs %q, want %q", got, want)
	}
	var caught []string
	for _, l := range r.log.all() {
		if strings.HasPrefix(l, "catching up") {
			caught = append(caught, l)
		}
	}
	wantLog := []string{
		"catching up a missed run job=build last_run=2026-10-30T02:00:03Z",
		"catching up a missed run job=report last_run=2026-10-01T07:00:09Z",
	}
	if !slices.Equal(caught, wantLog) {
		t.Errorf("log %q, want %q", caught, wantLog)
	}
}

// TestRun_LogsNextRun: each job logs its real next run in the schedule's
// zone, at start and after each run, and gocron fires at that time.
func TestRun_LogsNextRun(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no zone database:", err)
	}
	tr := newTrace()
	r := start(t, time.Date(2026, 11, 21, 23, 0, 0, 0, ny), []Job{
		{Name: "build", Cron: "0 2 * * *", Run: record(tr, "build")},
		{Name: "report", Cron: "0 7 1 * *", Run: record(tr, "report")},
	}, Options{Location: ny})
	for _, want := range []string{
		"job scheduled job=build cron=0 2 * * * next_run=2026-11-22T02:00:00-05:00",
		"job scheduled job=report cron=0 7 1 * * next_run=2026-12-01T07:00:00-05:00",
	} {
		r.log.waitLog(t, want)
	}
	r.advanceTo(t, 2, time.Date(2026, 11, 22, 2, 0, 0, 0, ny))
	if got := tr.waitLen(t, 1); got[0] != "build 2026-11-22T02:00:00-05:00" {
		t.Errorf("run %q", got)
	}
	r.log.waitLog(t, "job finished job=build seconds=0 next_run=2026-11-23T02:00:00-05:00")
	r.cancel()
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
}

// TestRun_BlockedAlertDoesNotDelayNextJob: the alert of a failed build is
// sent in the background, so the report due with it runs while the alert
// is stuck; a stop waits for the alert only AlertWait, then cancels it.
func TestRun_BlockedAlertDoesNotDelayNextJob(t *testing.T) {
	tr := newTrace()
	at := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	r := start(t, at.Add(-time.Minute), []Job{
		{Name: "build", Cron: "0 2 * * *", Run: func(context.Context, time.Time) error { return errors.New("no warehouse") }},
		{Name: "report", Cron: "0 2 * * *", Run: record(tr, "report")},
	}, Options{AlertWait: 10 * time.Second, Alert: func(ctx context.Context, f Failure) error {
		tr.add("alert %s: %v", f.Job, f.Err)
		<-ctx.Done() // a mail server that never answers
		tr.add("alert given up: %v", ctx.Err())
		return ctx.Err()
	}})
	r.advanceTo(t, 2, at)
	got := tr.waitLen(t, 2)
	if !slices.Contains(got, "report 2026-11-22T02:00:00Z") || !slices.Contains(got, "alert build: no warehouse") {
		t.Fatalf("events %q", got)
	}
	r.cancel()
	r.log.waitLog(t, "stopping: waiting for alerts in flight")
	// The alert's own deadline and the stop's wait.
	r.timers(t, 2)
	r.clock.Advance(10 * time.Second)
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
	tr.waitLen(t, 3)
	if got := tr.all(); got[2] != "alert given up: context canceled" {
		t.Errorf("events %q", got)
	}
}

// TestRun_AlertsOnePerJobInFlight: failures while a job's alert is in
// flight wait for it, and only the latest is kept; each alert is bounded
// by AlertTimeout.
func TestRun_AlertsOnePerJobInFlight(t *testing.T) {
	tr := newTrace()
	day0 := time.Date(2026, 11, 20, 2, 0, 0, 0, time.UTC)
	release := make(chan struct{})
	var mu sync.Mutex
	inFlight, most := 0, 0
	r := start(t, day0.Add(-time.Minute), []Job{
		{Name: "build", Cron: "0 2 * * *", Run: func(_ context.Context, now time.Time) error {
			return fmt.Errorf("build of %s failed", now.Format("Jan 2"))
		}},
	}, Options{AlertTimeout: 72 * time.Hour, Alert: func(ctx context.Context, f Failure) error {
		mu.Lock()
		inFlight++
		most = max(most, inFlight)
		mu.Unlock()
		defer func() { mu.Lock(); inFlight--; mu.Unlock() }()
		deadline, _ := ctx.Deadline()
		tr.add("alert %v, deadline %s", f.Err, deadline.Sub(f.Finished))
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}})
	r.advanceTo(t, 1, day0)
	tr.waitLen(t, 1)
	// Days 2 and 3 fail while day 1's alert is in flight: gocron's timer
	// and the alert's deadline.
	r.advanceTo(t, 2, day0.AddDate(0, 0, 1))
	r.log.waitLog(t, "job failed job=build seconds=0 error=build of Nov 21 failed")
	r.advanceTo(t, 2, day0.AddDate(0, 0, 2))
	r.log.waitLog(t, "alert dropped: a later failure of the job replaces it job=build")
	close(release)
	tr.waitLen(t, 2)
	r.log.waitLog(t, "alert sent job=build")
	r.cancel()
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
	want := []string{"alert build of Nov 20 failed, deadline 72h0m0s", "alert build of Nov 22 failed, deadline 72h0m0s"}
	if got := tr.all(); !slices.Equal(got, want) {
		t.Errorf("alerts %q, want %q", got, want)
	}
	if most != 1 {
		t.Errorf("%d alerts of one job in flight at once", most)
	}
}
