package coxswain

import "testing"

func TestClosest(t *testing.T) {
	commands := []string{"build", "status", "report", "verify", "send", "runs", "schedule", "sample", "version", "help"}
	keys := []string{"follow_up_hours", "business_hours", "type", "column"}
	for _, tc := range []struct {
		word  string
		among []string
		want  string
	}{
		{"bulid", commands, "build"}, {"staus", commands, "status"}, {"sched", commands, "schedule"},
		{"rpeort", commands, "report"}, {"sent", commands, "send"}, {"x", commands, ""}, {"deploy", commands, ""},
		{"folow_up_hours", keys, "follow_up_hours"}, {"followUpHours", keys, "follow_up_hours"}, {"tpye", keys, "type"},
		{"colour", keys, ""},
	} {
		if got := Closest(tc.word, tc.among); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}
