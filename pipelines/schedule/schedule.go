// Package schedule runs coxswain's jobs on their cron schedules with
// github.com/go-co-op/gocron/v2: a job never overlaps itself or another
// job, a run missed while the process was down is caught up at start, and
// a stop (SIGINT, SIGTERM) lets the running job finish.
package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/robfig/cron/v3"
)

// Job is a scheduled job.
type Job struct {
	Name string
	// Cron is a crontab line: five fields, or six with seconds first.
	Cron string
	// Run does the job. Its context is not cancelled by a stop, so that a
	// build in progress completes.
	Run func(ctx context.Context) error
	// LastRun is when the job last ran, if it ever did; a job whose last
	// run is older than its latest scheduled time runs at start.
	LastRun func() (time.Time, bool)
}

// Options configure a scheduler.
type Options struct {
	Location *time.Location
	Now      func() time.Time
	Log      *slog.Logger
	// OnFailure is told of every failed run (to send an alert, say).
	OnFailure func(job string, err error)
}

// Parse reads a crontab line of five fields, or six with seconds.
func Parse(spec string) (cron.Schedule, bool, error) {
	withSeconds := len(strings.Fields(spec)) == 6
	var p cron.Parser
	if withSeconds {
		p = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)
	} else {
		p = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)
	}
	s, err := p.Parse(spec)
	return s, withSeconds, err
}

// Missed says whether a job last run at last has missed a scheduled run
// by now: its next run after last is already past.
func Missed(s cron.Schedule, last, now time.Time) bool {
	return !s.Next(last).After(now)
}

// Run schedules the jobs and blocks until ctx is done, then waits for the
// running job to finish.
func Run(ctx context.Context, jobs []Job, opt Options) error {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	s, err := gocron.NewScheduler(gocron.WithLocation(opt.Location), gocron.WithStopTimeout(6*time.Hour))
	if err != nil {
		return err
	}
	var one sync.Mutex // one job at a time: the report waits for a build
	jobCtx := context.WithoutCancel(ctx)
	for _, j := range jobs {
		sched, withSeconds, err := Parse(j.Cron)
		if err != nil {
			return fmt.Errorf("schedule.%s: %q is not a crontab line: %w", j.Name, j.Cron, err)
		}
		task := func() {
			one.Lock()
			defer one.Unlock()
			started := opt.Now()
			opt.Log.Info("job started", "job", j.Name)
			if err := j.Run(jobCtx); err != nil {
				opt.Log.Error("job failed", "job", j.Name, "seconds", opt.Now().Sub(started).Seconds(), "error", err)
				if opt.OnFailure != nil {
					opt.OnFailure(j.Name, err)
				}
				return
			}
			opt.Log.Info("job finished", "job", j.Name, "seconds", opt.Now().Sub(started).Seconds())
		}
		jobOpts := []gocron.JobOption{gocron.WithName(j.Name), gocron.WithSingletonMode(gocron.LimitModeReschedule)}
		if j.LastRun != nil {
			if last, ok := j.LastRun(); ok && Missed(sched, last.In(opt.Location), opt.Now().In(opt.Location)) {
				opt.Log.Info("catching up a missed run", "job", j.Name, "last_run", last.UTC().Format(time.RFC3339))
				jobOpts = append(jobOpts, gocron.WithStartAt(gocron.WithStartImmediately()))
			}
		}
		gj, err := s.NewJob(gocron.CronJob(j.Cron, withSeconds), gocron.NewTask(task), jobOpts...)
		if err != nil {
			return fmt.Errorf("schedule.%s: %w", j.Name, err)
		}
		if next, err := gj.NextRun(); err == nil {
			opt.Log.Info("job scheduled", "job", j.Name, "cron", j.Cron, "next_run", next.Format(time.RFC3339))
		}
	}
	s.Start()
	<-ctx.Done()
	opt.Log.Info("stopping: waiting for the running job to finish")
	return s.Shutdown()
}
