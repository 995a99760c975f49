package ingest

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// excerpt is s as an error message may show it: control characters (a NUL,
// a stray carriage return) escaped, and cut to at most n characters. Error
// messages travel into terminals, logs and e-mails; a hostile or broken file
// must not pour its content into them.
func excerpt(s string, n int) string {
	var b strings.Builder
	count := 0
	for i, r := range s {
		if count == n {
			rest := len([]rune(s[i:]))
			fmt.Fprintf(&b, "… (%d more characters)", rest)
			break
		}
		switch {
		case r == unicode.ReplacementChar:
			b.WriteString(`\ufffd`) // an invalid byte, or the character itself: both say the text is damaged
		case unicode.IsControl(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
		count++
	}
	return b.String()
}

// headerList names a file's columns for an error message: the first few,
// each cut short, and how many more there are.
func headerList(cols []string) string {
	const shown = 40
	var parts []string
	for i, c := range cols {
		if i == shown {
			parts = append(parts, fmt.Sprintf("and %d more", len(cols)-shown))
			break
		}
		parts = append(parts, excerpt(c, 60))
	}
	return strings.Join(parts, ", ")
}
