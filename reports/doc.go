// Package reports groups what coxswain delivers from the marts: the monthly
// pack finance loads (reports/pack), the HTML report leaders open
// (reports/report), and the e-mail that carries it (reports/mail).
package reports
