package coxswain

import (
	"strings"
	"unicode/utf8"
)

// Closest is the candidate a user most likely meant by word (a misspelt
// key, command or flag), or "" when none is close: one written alike but
// for case, _ and - (followUpHours, follow-up-hours); one word begins
// (sched, for schedule); else the nearest by edit distance, within a third
// of its length (at least one slip).
func Closest(word string, candidates []string) string {
	fold := func(s string) string {
		return strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.ToLower(s))
	}
	for _, c := range candidates {
		if fold(c) == fold(word) {
			return c
		}
	}
	if utf8.RuneCountInString(word) >= 3 {
		for _, c := range candidates {
			if strings.HasPrefix(c, strings.ToLower(word)) {
				return c
			}
		}
	}
	best, bestDist := "", -1
	for _, c := range candidates {
		d := editDistance(strings.ToLower(word), c)
		if d <= max(1, utf8.RuneCountInString(c)/3) && (bestDist < 0 || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b,
// in runes: Levenshtein's, with a swap of two neighbours (tpye) counted as
// one slip rather than two.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
