package schedule

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"
)

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
	} {
		if got := Missed(s, tc.last, tc.now); got != tc.want {
			t.Errorf("Missed(last %s, now %s) = %v", tc.last, tc.now, got)
		}
	}
	if _, _, err := Parse("every night"); err == nil {
		t.Error("a bad crontab line parsed")
	}
}

// TestRun_NoOverlapAndCatchUp: a job every second that takes longer than a
// second never overlaps itself; a job that missed its run starts at once;
// a stop waits for the running job.
func TestRun_NoOverlapAndCatchUp(t *testing.T) {
	var mu sync.Mutex
	running, maxRunning, runs, caughtUp := 0, 0, 0, 0
	ctx, cancel := context.WithCancel(context.Background())
	slow := func(context.Context) error {
		mu.Lock()
		running++
		runs++
		maxRunning = max(maxRunning, running)
		mu.Unlock()
		time.Sleep(1500 * time.Millisecond)
		mu.Lock()
		running--
		mu.Unlock()
		return nil
	}
	monthly := func(context.Context) error { mu.Lock(); caughtUp++; mu.Unlock(); return nil }
	done := make(chan error)
	go func() {
		done <- Run(ctx, []Job{
			{Name: "build", Cron: "* * * * * *", Run: slow},
			{Name: "report", Cron: "0 7 1 * *", Run: monthly,
				LastRun: func() (time.Time, bool) { return time.Now().AddDate(0, -2, 0), true }},
		}, Options{Location: time.UTC, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	}()
	time.Sleep(4 * time.Second)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if maxRunning != 1 {
		t.Errorf("%d runs at once", maxRunning)
	}
	if runs < 2 {
		t.Errorf("the every-second job ran %d times in 4 s", runs)
	}
	if running != 0 {
		t.Errorf("the stop did not wait for the running job")
	}
	if caughtUp != 1 {
		t.Errorf("the missed monthly job ran %d times at start, want 1", caughtUp)
	}
}
