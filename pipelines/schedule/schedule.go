// Package schedule runs coxswain's jobs on their cron schedules.
//
// github.com/go-co-op/gocron/v2 is only the trigger: each firing wakes one
// worker, which runs, one at a time and in the order the jobs are listed,
// every job that is due. That order is what makes a build and a report due
// in the same minute run build first, whatever order gocron's goroutines
// wake in, and the single worker is what lets a stop (SIGINT, SIGTERM)
// promise that no job starts after it: nothing waits on a lock that a stop
// could forget. A second stop cancels the running job. A failed run's alert
// is sent in the background so that a slow mail server never holds the
// queue. Time comes from an injected clockwork.Clock, so that tests drive
// the schedule with a fake clock instead of sleeping.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"
	"github.com/robfig/cron/v3"
)

// Job is a scheduled job.
type Job struct {
	Name string
	// Cron is a crontab line: five fields, or six with seconds first.
	Cron string
	// Run does the job. now is when it started, by the scheduler's clock,
	// so that a job that asks what day it is (the report's month just
	// ended) agrees with the schedule and with a test's fake clock. ctx is
	// not cancelled by a first stop, so that a build in progress completes;
	// a second stop cancels it.
	Run func(ctx context.Context, now time.Time) error
	// LastRun is when the job last started, if it ever did. A job whose
	// next scheduled time after its last run is already past runs at start
	// (a run missed while the process was down); a job that never ran
	// waits for its schedule.
	LastRun func() (time.Time, bool)
}

// Failure is a failed run, as told to Options.Alert. It carries its
// times by the scheduler's clock, because the alert is sent later, in the
// background, when the clock has moved on.
type Failure struct {
	Job               string
	Err               error
	Started, Finished time.Time
}

// Options configure Run; a zero field takes its default.
type Options struct {
	// Location is the zone the crontab lines are read in (default UTC).
	Location *time.Location
	// Clock tells the time and drives gocron's timers (default: the real
	// clock); tests pass a clockwork.FakeClock.
	Clock clockwork.Clock
	// Log receives a record per job start, end, failure and alert, with
	// each job's next run (default slog.Default()).
	Log *slog.Logger
	// Kill, once closed (a second SIGINT or SIGTERM), cancels the running
	// job's context; Run then returns ErrKilled after the job returns, or
	// after KillWait if it ignores the cancel.
	Kill <-chan struct{}
	// KillWait bounds the wait for a cancelled job (default 25 s), so that
	// a second signal ends the process in bounded time.
	KillWait time.Duration
	// Alert is told of every failed run, in the background: at most one
	// alert per job is in flight, and a failure meanwhile waits for it
	// (only the latest one, so the queue stays bounded).
	Alert func(ctx context.Context, f Failure) error
	// AlertTimeout bounds each alert, retries included (default 2 min).
	AlertTimeout time.Duration
	// AlertWait bounds how long a stop waits for alerts in flight
	// (default 10 s): a stuck mail server must not keep the process up.
	AlertWait time.Duration
}

// ErrKilled is returned by Run when a second stop cancelled the running job.
var ErrKilled = errors.New("stopped by a second signal")

// Parse reads a crontab line of five fields, or six with seconds.
func Parse(spec string) (s cron.Schedule, withSeconds bool, err error) {
	// robfig/cron panics on some lines (a TZ= prefix with nothing after it).
	defer func() {
		if recover() != nil {
			s, err = nil, errors.New("the cron parser cannot read it")
		}
	}()
	withSeconds = len(strings.Fields(spec)) == 6
	var p cron.Parser
	if withSeconds {
		p = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)
	} else {
		p = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)
	}
	s, err = p.Parse(spec)
	return s, withSeconds, err
}

// Missed says whether a job last run at last is due at now: its next
// scheduled run after last is not after now. The schedule reads the times
// in their own zone, so pass them in the schedule's.
func Missed(s cron.Schedule, last, now time.Time) bool {
	return !s.Next(last).After(now)
}

// job is a Job with its parsed schedule and its last start.
type job struct {
	Job
	sched       cron.Schedule
	withSeconds bool
	// last is the start of the job's last run; only the worker touches it
	// once Run has started the worker.
	last time.Time
}

// scheduler is the state of one Run.
type scheduler struct {
	opt  Options
	jobs []*job

	// mu guards the fields below. A job starts, and a stop is decided,
	// under it, so that after a stop no job starts and the log says which
	// job the stop waits for.
	mu      sync.Mutex
	fired   time.Time     // the latest trigger the worker has not served yet
	running string        // the job running now
	stopped bool          // no job may start
	wake    chan struct{} // a trigger arrived; capacity 1, so triggers merge

	alerts alerts
}

// Run schedules the jobs, which are listed in priority order, and blocks
// until ctx is done; it then starts no other job and returns once the
// running job has finished (nil), or, after Options.Kill, once it has
// returned from its cancel or KillWait has passed (ErrKilled).
func Run(ctx context.Context, jobs []Job, opt Options) error {
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	if opt.Clock == nil {
		opt.Clock = clockwork.NewRealClock()
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.KillWait == 0 {
		opt.KillWait = 25 * time.Second
	}
	if opt.AlertTimeout == 0 {
		opt.AlertTimeout = 2 * time.Minute
	}
	if opt.AlertWait == 0 {
		opt.AlertWait = 10 * time.Second
	}
	s := &scheduler{opt: opt, wake: make(chan struct{}, 1)}
	s.alerts.init(opt)

	now := s.now()
	catchUp := false
	for _, j := range jobs {
		sched, withSeconds, err := Parse(j.Cron)
		if err != nil {
			return fmt.Errorf("schedule.%s: %q is not a crontab line: %w", j.Name, j.Cron, err)
		}
		sj := &job{Job: j, sched: sched, withSeconds: withSeconds, last: now}
		if j.LastRun != nil {
			if last, ok := j.LastRun(); ok {
				sj.last = last.In(opt.Location)
				if Missed(sched, sj.last, now) {
					opt.Log.Info("catching up a missed run", "job", j.Name, "last_run", last.UTC().Format(time.RFC3339))
					catchUp = true
				}
			}
		}
		s.jobs = append(s.jobs, sj)
	}

	g, err := gocron.NewScheduler(gocron.WithLocation(opt.Location), gocron.WithClock(opt.Clock))
	if err != nil {
		return err
	}
	for _, j := range s.jobs {
		// The task only wakes the worker, so gocron never has a job of
		// ours running or waiting: its singleton and stop machinery have
		// nothing to get wrong.
		if _, err := g.NewJob(gocron.CronJob(j.Cron, j.withSeconds), gocron.NewTask(s.fire), gocron.WithName(j.Name)); err != nil {
			g.Shutdown()
			return fmt.Errorf("schedule.%s: %w", j.Name, err)
		}
		opt.Log.Info("job scheduled", "job", j.Name, "cron", j.Cron, "next_run", s.next(j))
	}

	jobCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()
	stop := make(chan struct{})
	worked := make(chan struct{})
	go func() {
		defer close(worked)
		s.work(jobCtx, stop)
	}()
	if catchUp && ctx.Err() == nil { // a stop that came during set-up starts nothing
		s.fire()
	}
	g.Start()

	killed := false
	select {
	case <-ctx.Done():
	case <-opt.Kill:
		killed = true
	}
	s.mu.Lock()
	s.stopped = true
	if s.running != "" {
		opt.Log.Info("stopping: waiting for the running job to finish", "job", s.running)
	} else {
		opt.Log.Info("stopping: no job is running")
	}
	s.mu.Unlock()
	close(stop)
	if err := g.Shutdown(); err != nil {
		opt.Log.Warn("stopping the trigger", "error", err)
	}

	var killErr error
	select {
	case <-worked:
	case <-opt.Kill:
		killed = true
	}
	if killed {
		killErr = s.kill(cancelJobs, worked)
	}
	s.alerts.stop(killed)
	opt.Log.Info("stopped")
	return killErr
}

// kill cancels the running job and waits for it at most KillWait.
func (s *scheduler) kill(cancel context.CancelFunc, worked <-chan struct{}) error {
	job := s.runningJob()
	if job == "" {
		return ErrKilled
	}
	s.opt.Log.Warn("second stop: cancelling the running job", "job", job)
	cancel()
	select {
	case <-worked:
		return fmt.Errorf("%w: the running %s was cancelled", ErrKilled, job)
	case <-s.opt.Clock.After(s.opt.KillWait):
		return fmt.Errorf("%w: the running %s was cancelled but had not returned %s later", ErrKilled, job, s.opt.KillWait)
	}
}

// now is the clock's time in the schedule's zone, which cron.Schedule.Next
// reads times in.
func (s *scheduler) now() time.Time { return s.opt.Clock.Now().In(s.opt.Location) }

// next is a job's next scheduled run, as logged.
func (s *scheduler) next(j *job) string {
	return j.sched.Next(s.now()).Format(time.RFC3339)
}

func (s *scheduler) runningJob() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running
}

// fire records a trigger at the clock's time and wakes the worker. Two
// triggers the worker has not served yet merge into the later one: a job
// due at the earlier is also due at the later.
func (s *scheduler) fire() {
	at := s.now()
	s.mu.Lock()
	if at.After(s.fired) {
		s.fired = at
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default: // the worker is already woken and will read s.fired
	}
}

// work serves triggers until stop: at each, it runs every job due at the
// trigger's time, in priority order. A job that ran for an earlier job's
// trigger is not due when its own trigger arrives, so it does not run
// twice. Nothing starts once stop is closed.
func (s *scheduler) work(ctx context.Context, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-s.wake:
		}
		s.mu.Lock()
		at := s.fired
		s.fired = time.Time{}
		s.mu.Unlock()
		for _, j := range s.jobs {
			if !Missed(j.sched, j.last, at) {
				continue
			}
			if !s.run(ctx, j) {
				return
			}
		}
	}
}

// run runs one job and logs, and alerts on, its outcome; after a stop it
// starts nothing and returns false.
func (s *scheduler) run(ctx context.Context, j *job) bool {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return false
	}
	s.running = j.Name
	started := s.now()
	j.last = started
	s.opt.Log.Info("job started", "job", j.Name)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running = ""
		s.mu.Unlock()
	}()
	err := runJob(ctx, j.Run, started)
	finished := s.now()
	seconds := finished.Sub(started).Seconds()
	if err != nil {
		s.opt.Log.Error("job failed", "job", j.Name, "seconds", seconds, "error", err, "next_run", s.next(j))
		if ctx.Err() == nil { // a job a second stop cancelled is no news to alert anyone of
			s.alerts.send(Failure{Job: j.Name, Err: err, Started: started, Finished: finished})
		}
		return true
	}
	s.opt.Log.Info("job finished", "job", j.Name, "seconds", seconds, "next_run", s.next(j))
	return true
}

// runJob calls run, turning a panic into an error: the worker runs every
// job, so one job's bug must not end the schedule.
func runJob(ctx context.Context, run func(context.Context, time.Time) error, now time.Time) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return run(ctx, now)
}

// alerts sends failure alerts in the background, at most one per job at a
// time.
type alerts struct {
	opt     Options
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	busy    map[string]bool
	pending map[string]*Failure
	closed  bool // stopping: no new alert starts
}

func (a *alerts) init(opt Options) {
	a.opt = opt
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.busy = map[string]bool{}
	a.pending = map[string]*Failure{}
}

// send starts an alert for f, or, when the job's previous alert is still
// in flight, keeps f to send after it (replacing an older waiting one:
// the latest failure is the one worth reading).
func (a *alerts) send(f Failure) {
	if a.opt.Alert == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		// Only a job that outlived its kill gets here.
		a.opt.Log.Warn("alert not sent: stopping", "job", f.Job)
		return
	}
	if a.busy[f.Job] {
		if a.pending[f.Job] != nil {
			a.opt.Log.Warn("alert dropped: a later failure of the job replaces it", "job", f.Job)
		}
		a.pending[f.Job] = &f
		return
	}
	a.busy[f.Job] = true
	a.wg.Add(1)
	go a.deliver(f)
}

// deliver sends f, then whatever failure of the same job waited for it.
func (a *alerts) deliver(f Failure) {
	defer a.wg.Done()
	for {
		ctx, cancel := clockwork.WithTimeout(a.ctx, a.opt.Clock, a.opt.AlertTimeout)
		err := a.opt.Alert(ctx, f)
		cancel()
		if err != nil {
			a.opt.Log.Error("alert not sent", "job", f.Job, "error", err)
		} else {
			a.opt.Log.Info("alert sent", "job", f.Job)
		}
		a.mu.Lock()
		next := a.pending[f.Job]
		delete(a.pending, f.Job)
		if next == nil {
			a.busy[f.Job] = false
			a.mu.Unlock()
			return
		}
		a.mu.Unlock()
		f = *next
	}
}

// stop waits at most AlertWait for the alerts in flight (not at all after
// a kill), then cancels them.
func (a *alerts) stop(killed bool) {
	done := make(chan struct{})
	go func() {
		a.wg.Wait()
		close(done)
	}()
	a.mu.Lock()
	a.closed = true
	inFlight := 0
	for _, busy := range a.busy {
		if busy {
			inFlight++
		}
	}
	a.mu.Unlock()
	if inFlight == 0 {
		a.cancel()
		return
	}
	if !killed {
		a.opt.Log.Info("stopping: waiting for alerts in flight", "alerts", inFlight, "at_most", a.opt.AlertWait.String())
		select {
		case <-done:
			a.cancel()
			return
		case <-a.opt.Clock.After(a.opt.AlertWait):
		}
	}
	a.cancel()
	select {
	case <-done:
	default:
		a.opt.Log.Warn("stopping: alerts in flight abandoned")
	}
}
