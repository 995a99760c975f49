package report

import (
	"database/sql"
	"math"
	"strconv"
	"strings"
	"time"
)

// symbols are the currencies written with a sign before the amount; any
// other ISO code is written before it with a space ("CHF 1.43M").
var symbols = map[string]string{"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$", "INR": "₹", "BRL": "R$", "CNY": "CN¥"}

// currencySign is what goes before an amount of the currency.
func currencySign(currency string) string {
	if currency == "" {
		return ""
	}
	if s, ok := symbols[currency]; ok {
		return s
	}
	return currency + " "
}

// Format writes a value for people: counts with thousands separators,
// money in the currency and short from 10,000 up ($1.43M), ratios as
// percentages, multiples as 2.4×; a dash when undefined.
func Format(v sql.NullFloat64, kind, currency string) string {
	if !v.Valid {
		return "–"
	}
	return Short(v.Float64, kind, currency)
}

// noCents are the currencies without minor units in everyday use.
var noCents = map[string]bool{"JPY": true, "KRW": true, "ISK": true, "CLP": true, "VND": true, "HUF": true}

// Short writes a defined value as Format does.
func Short(v float64, kind, currency string) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	switch kind {
	case "ratio":
		return strconv.FormatFloat(100*v, 'f', 1, 64) + "%"
	case "multiple":
		return strconv.FormatFloat(v, 'f', 1, 64) + "×"
	case "money":
		sign := ""
		if v < 0 && compact(-v, false) != "0" {
			sign, v = "-", -v
		}
		return sign + currencySign(currency) + compact(math.Abs(v), !noCents[currency])
	case "count":
		s := strconv.FormatFloat(math.Round(v), 'f', 0, 64)
		if s == "-0" {
			s = "0"
		}
		return group(s)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

// compact writes an amount to three significant digits from 1,000 up
// (9.41k, 31.2k, 312k, 1.43M, 1.43B, 1.43T), whole below that, and with
// cents below 10 where the currency has them (a cost per click of 4.25).
func compact(v float64, cents bool) string {
	switch {
	case v < 10 && cents && v != math.Trunc(v):
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v < 999.5:
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	}
	div, unit := 1e3, "k"
	switch {
	case v >= 999.5e9:
		div, unit = 1e12, "T"
	case v >= 999.5e6:
		div, unit = 1e9, "B"
	case v >= 999.5e3:
		div, unit = 1e6, "M"
	}
	x := v / div
	decimals := 2
	switch {
	case x >= 99.95:
		decimals = 0
	case x >= 9.995:
		decimals = 1
	}
	s := strconv.FormatFloat(x, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s + unit
}

// group puts thousands separators into an integer string.
func group(s string) string {
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// MonthName writes a YYYY-MM month as "October 2026".
func MonthName(month string) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return month
	}
	return t.Format("January 2006")
}

// ShortMonth writes a YYYY-MM month as "Oct 26", for chart axes.
func ShortMonth(month string) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return month
	}
	return t.Format("Jan 06")
}

// vsMonth names the month a figure is compared with: the month alone for
// the previous month ("September"), with its year otherwise ("October 2025").
func vsMonth(month, of string) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return month
	}
	if o, err := time.Parse("2006-01", of); err == nil && o.AddDate(0, -1, 0).Equal(t) {
		return t.Format("January")
	}
	return t.Format("January 2006")
}
