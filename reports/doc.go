// Package reports renders the monthly pack, the HTML report and the e-mail
// that delivers it. It is filled by the metrics-pack and report issues.
package reports
