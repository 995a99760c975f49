package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"coxswain"
	"coxswain/pipelines/ingest"
)

// runInspect sniffs each file and prints what it found and how the file
// would load; with --csv-dir it writes each file's table as
// DIR/<name>_converted.csv.
func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("inspect")
	csvDir := fs.String("csv-dir", "", "write each file's table, as the loader reads it, to DIR/<file name>_converted.csv (RFC 4180, UTF-8, header first; \"Application Error\" where it cannot be read)")
	asJSON := fs.Bool("json", false, "print the findings as JSON")
	files, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usageError{"inspect: name at least one file"}
	}
	if *csvDir != "" {
		if err := os.MkdirAll(*csvDir, 0o750); err != nil {
			return err
		}
	}
	tmp, err := os.MkdirTemp("", "coxswain-inspect-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var failed []error
	// In JSON, every file has an entry: its findings, or its error.
	type entry struct {
		*ingest.Inspection
		File  string `json:"File"`
		Error string `json:"Error,omitempty"`
	}
	all := []entry{}
	for i, f := range files {
		in, err := ingest.Inspect(ctx, f, tmp)
		if err == nil && *csvDir != "" {
			err = in.WriteTable(ctx, converted(*csvDir, f))
		}
		if err != nil {
			err = fmt.Errorf("%s: %w", f, err)
			failed = append(failed, err)
			if *csvDir != "" {
				if werr := ingest.WriteFailure(converted(*csvDir, f), err); werr != nil {
					return werr
				}
			}
		}
		if *asJSON {
			e := entry{Inspection: in, File: f}
			if err != nil {
				e.Error = err.Error()
			}
			all = append(all, e)
			continue
		}
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		if in != nil {
			printInspection(stdout, in)
		}
		if err != nil {
			fmt.Fprintf(stdout, "Error: %v\n", err)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(all); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		return errors.Join(failed...)
	}
	return nil
}

// converted is where a file's table goes: DIR/<file name>_converted.csv.
func converted(dir, file string) string {
	return filepath.Join(dir, filepath.Base(file)+"_converted.csv")
}

func printInspection(w io.Writer, in *ingest.Inspection) {
	fmt.Fprintf(w, "%s (%s)\n", in.File, coxswain.FormatBytes(in.Size))
	if in.Empty {
		fmt.Fprintf(w, "  empty: no header and no rows (a build refuses it)\n")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	enc := in.Encoding
	if in.BOM != "" {
		enc += ", with a byte-order mark"
	}
	fmt.Fprintf(tw, "  encoding\t%s\n", enc)
	fmt.Fprintf(tw, "  line ends\t%s\n", in.LineEnds)
	fmt.Fprintf(tw, "  delimiter\t%s\n", charName(in.Delimiter))
	fmt.Fprintf(tw, "  quote\t%s\n", charName(in.Quote))
	esc := charName(in.Escape)
	if in.Escape == in.Quote && in.Quote != 0 {
		esc = "the quote, doubled"
	}
	fmt.Fprintf(tw, "  escape\t%s\n", esc)
	if in.Preamble > 0 {
		fmt.Fprintf(tw, "  preamble\t%s before the header, skipped\n", plural(int64(in.Preamble), "line"))
	} else {
		fmt.Fprintf(tw, "  preamble\tnone\n")
	}
	switch in.HeaderRows {
	case 0:
		fmt.Fprintf(tw, "  header\tnone: the first row looks like data\n")
	case 1:
		fmt.Fprintf(tw, "  header\t%s\n", columnList(in.Header))
	default:
		fmt.Fprintf(tw, "  header\t%d rows, joined: %s\n", in.HeaderRows, columnList(in.Header))
	}
	switch {
	case in.Truncated:
		fmt.Fprintf(tw, "  end\tcut short: the file ends inside a record (a full snapshot like it is held)\n")
	case len(in.Footer) > 0:
		fmt.Fprintf(tw, "  footer\t%s after the data, set aside: %s\n", plural(int64(len(in.Footer)), "line"), quoteShort(in.Footer[0]))
	default:
		fmt.Fprintf(tw, "  footer\tnone\n")
	}
	fmt.Fprintf(tw, "  rows\t%d read, %d rejected\n", in.Rows, in.Rejected)
	tw.Flush()
	for _, r := range in.Rejects {
		fmt.Fprintf(w, "    %s\n", r)
	}
	switch {
	case len(in.Matches) > 0:
		fmt.Fprintf(w, "  loads as  %s\n", strings.Join(in.Matches, "; "))
	case len(in.Close) > 0:
		fmt.Fprintf(w, "  loads as  no preset's object:\n")
		for _, u := range in.Close {
			fmt.Fprintf(w, "    %s\n", u)
		}
	default:
		fmt.Fprintf(w, "  loads as  no preset's object: its columns are none a preset knows (map them in a source's fields:)\n")
	}
	if len(in.Preview) > 0 {
		fmt.Fprintf(w, "  first rows:\n")
		pw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		if len(in.Header) > 0 {
			fmt.Fprintf(pw, "    %s\n", strings.Join(cells(in.Header), "\t"))
		}
		for _, r := range in.Preview {
			fmt.Fprintf(pw, "    %s\n", strings.Join(cells(r), "\t"))
		}
		pw.Flush()
	}
}

// cells shortens values for a preview: at most eight columns of 24
// characters, with control characters escaped.
func cells(row []string) []string {
	var out []string
	for i, c := range row {
		if i == 8 {
			out = append(out, fmt.Sprintf("… %d more", len(row)-8))
			break
		}
		if r := []rune(c); len(r) > 24 {
			c = string(r[:23]) + "…"
		}
		c = quoteShort(c)
		out = append(out, c)
	}
	return out
}

func columnList(h []string) string {
	if len(h) > 12 {
		return fmt.Sprintf("%d columns: %s, … %s", len(h), strings.Join(h[:10], ", "), h[len(h)-1])
	}
	return fmt.Sprintf("%d columns: %s", len(h), strings.Join(h, ", "))
}

// quoteShort is a line cut to 60 characters, control characters escaped.
func quoteShort(s string) string {
	if r := []rune(s); len(r) > 60 {
		s = string(r[:59]) + "…"
	}
	return strings.NewReplacer("\r", `\r`, "\n", `\n`, "\t", `\t`, "\x00", `\x00`).Replace(s)
}

func charName(b byte) string {
	switch b {
	case 0:
		return "none"
	case '\t':
		return "tab"
	case ' ':
		return "space"
	case '"':
		return `" (double quote)`
	case '\'':
		return "' (single quote)"
	case '\\':
		return `\ (backslash)`
	}
	return string(b)
}
