//go:build !noiceberg

package feed

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	"github.com/apache/iceberg-go/catalog/hadoop"
	"github.com/apache/iceberg-go/table"

	"coxswain"
	"coxswain/pipelines/warehouse"
)

// IcebergBuiltIn says whether this coxswain writes the Iceberg feed.
const IcebergBuiltIn = true

// tmpPrefix starts the name of a file being written: DuckDB writes a data
// file under it, then it is renamed after its rows' fingerprint.
const tmpPrefix = ".writing-"

// WriteIceberg writes each exported mart as an Apache Iceberg table of the
// filesystem (Hadoop) catalog rooted at dir: dir/coxswain/<mart>/metadata
// holds the versions of its metadata, dir/coxswain/<mart>/data/<column>=<month>/
// its Parquet files, one per month.
//
// DuckDB writes each month's rows, sorted and with the table's field ids,
// to a file named after a fingerprint of them. A month whose file is the
// one the table already holds is left alone; the others are overwritten,
// month by month, in one new snapshot per table, and a month no longer in
// the mart is dropped. A build that changes nothing in a table adds no
// snapshot to it. The earlier snapshots
// stay, and with them the files they name: an engine reads the table as it
// was after any earlier build (time travel).
//
// props are recorded in each new snapshot's summary.
func WriteIceberg(ctx context.Context, conn *sql.Conn, feed Iceberg, props map[string]string) (changes []TableChange, err error) {
	dir := feed.Dir
	if err := os.MkdirAll(dir, coxswain.DirMode); err != nil {
		return nil, err
	}
	if err := sweep(dir); err != nil {
		return nil, err
	}
	cat, err := feed.catalog()
	if err != nil {
		return nil, err
	}
	ns := table.Identifier{Namespace}
	if ok, err := cat.CheckNamespaceExists(ctx, ns); err != nil {
		return nil, err
	} else if !ok {
		if err := cat.CreateNamespace(ctx, ns, nil); err != nil {
			return nil, err
		}
	}
	// iceberg-go and DuckDB write as the umask says; a failed build's files
	// too hold the company's figures.
	defer func() {
		if merr := restrictModes(dir); err == nil {
			err = merr
		}
	}()
	for _, e := range Exported {
		ch, werr := feed.writeTable(ctx, conn, cat, e.Mart, e.MonthColumn, props)
		if werr != nil {
			return changes, fmt.Errorf("iceberg feed, table %s.%s: %w", Namespace, e.Mart, werr)
		}
		changes = append(changes, ch)
	}
	return changes, nil
}

// catalog opens the feed's catalog: at the local folder, or at the
// location, read and written in the local folder (location.go).
func (f Iceberg) catalog() (*hadoop.Catalog, error) {
	if f.Location == "" {
		return hadoop.NewCatalog("coxswain", f.Dir, iceberg.Properties{})
	}
	if err := coxswain.CheckIcebergLocation(f.Location); err != nil {
		return nil, fmt.Errorf("the feed's location %q %w", f.Location, err)
	}
	registerLocalAs()
	return hadoop.NewCatalog("coxswain", f.root(), iceberg.Properties{
		// The catalog's commits are not atomic on a bucket; here they are
		// made in a local folder by one build at a time (the warehouse's
		// lock), and the folder is copied after.
		"allow-unsafe-commits": "true",
		propLocation:           f.root(),
		propLocalDir:           f.Dir,
	})
}

// root is the address of the catalog's root folder.
func (f Iceberg) root() string {
	if f.Location == "" {
		return f.Dir
	}
	return strings.TrimRight(f.Location, "/")
}

// address is the address the metadata names a local file by.
func (f Iceberg) address(path string) string {
	if f.Location == "" {
		return path
	}
	return addressUnder(f.root(), f.Dir, path)
}

func (f Iceberg) writeTable(ctx context.Context, conn *sql.Conn, cat *hadoop.Catalog, mart, monthCol string, props map[string]string) (TableChange, error) {
	ch := TableChange{Mart: mart}
	tableDir := filepath.Join(f.Dir, Namespace, mart)
	months, err := fingerprints(ctx, conn, mart, monthCol)
	if err != nil {
		return ch, err
	}

	ident := table.Identifier{Namespace, mart}
	exists, err := cat.CheckTableExists(ctx, ident)
	if err != nil {
		return ch, err
	}
	var tbl *table.Table
	var schema *iceberg.Schema
	if exists {
		if tbl, err = cat.LoadTable(ctx, ident); err != nil {
			return ch, err
		}
		if want := f.address(tableDir); strings.TrimRight(tbl.Location(), "/") != want {
			if f.Location != "" || !isLocal(tbl.Location()) {
				return ch, fmt.Errorf("the table's metadata names its files under %s, where this config's feed is %s: "+
					"remove the folder %s to write the feed again (the engines that read the table must then be pointed at the new one)",
					tbl.Location(), want, f.Dir)
			}
			// A local feed whose folder was moved or copied: its metadata
			// names the old place. The table is written again here.
			ch.Moved = tbl.Location()
			if err := os.RemoveAll(tableDir); err != nil {
				return ch, err
			}
			exists = false
		}
	}
	if !exists {
		if schema, err = martSchema(ctx, conn, tableDir, mart); err != nil {
			return ch, err
		}
		field, ok := schema.FindFieldByName(monthCol)
		if !ok {
			return ch, fmt.Errorf("the mart has no column %s to partition by", monthCol)
		}
		if !field.Type.Equals(iceberg.PrimitiveTypes.String) {
			return ch, fmt.Errorf("the mart's %s is %s: the feed partitions by a month written as text (YYYY-MM)", monthCol, field.Type)
		}
		spec := iceberg.NewPartitionSpec(iceberg.PartitionField{
			SourceIDs: []int{field.ID}, FieldID: 1000, Name: monthCol, Transform: iceberg.IdentityTransform{},
		})
		tbl, err = cat.CreateTable(ctx, ident, schema,
			catalog.WithPartitionSpec(&spec),
			catalog.WithProperties(iceberg.Properties{"comment": "coxswain mart " + mart + ", one partition per " + monthCol}))
		if err != nil {
			return ch, err
		}
		ch.Created = true
	}

	current, err := filesByMonth(ctx, tbl)
	if err != nil {
		return ch, err
	}
	var del []string
	var write []month
	for _, m := range months {
		cur, ok := current[m.value]
		switch {
		case !ok:
			ch.Added = append(ch.Added, m.value)
		case len(cur) == 1 && filepath.Base(cur[0]) == m.fingerprint+".parquet":
			continue
		default:
			ch.Replaced = append(ch.Replaced, m.value)
			del = append(del, cur...)
		}
		write = append(write, m)
	}
	for _, value := range slices.Sorted(maps.Keys(current)) {
		if !slices.ContainsFunc(months, func(m month) bool { return m.value == value }) {
			ch.Removed = append(ch.Removed, value)
			del = append(del, current[value]...)
		}
	}
	if len(del) == 0 && len(write) == 0 {
		return ch, nil
	}

	tx := tbl.NewTransaction()
	if schema == nil {
		if schema, err = martSchema(ctx, conn, tableDir, mart); err != nil {
			return ch, err
		}
	}
	tableSchema := tbl.Schema()
	if !sameColumns(schema, tableSchema) {
		if tableSchema, err = evolve(tx, schema, tableSchema, tableDir); err != nil {
			return ch, err
		}
	}
	// The files carry the table's field ids, so that an engine needs no
	// name mapping to read them.
	ids, err := fieldIDs(schema, tableSchema)
	if err != nil {
		return ch, err
	}
	var add []string
	for _, m := range write {
		path, err := writeMonth(ctx, conn, tableDir, mart, monthCol, ids, m)
		if err != nil {
			return ch, err
		}
		add = append(add, f.address(path))
	}
	snapProps := iceberg.Properties(maps.Clone(props))
	if len(del) == 0 {
		err = tx.AddFiles(ctx, add, snapProps, false)
	} else {
		err = tx.ReplaceDataFiles(ctx, del, add, snapProps)
	}
	if err != nil {
		return ch, err
	}
	if tbl, err = tx.Commit(ctx); err != nil {
		return ch, err
	}
	ch.Snapshot = tbl.CurrentSnapshot().SnapshotID
	return ch, nil
}

// evolve makes the table's columns the mart's (a newer coxswain's mart):
// new columns are added, and read as NULL from the files of earlier
// snapshots; columns the mart no longer has are dropped from the current
// schema (earlier snapshots keep them); a type is widened where Iceberg
// allows it. It returns the new schema.
func evolve(tx *table.Transaction, mart, current *iceberg.Schema, tableDir string) (*iceberg.Schema, error) {
	u := tx.UpdateSchema(true, false).UnionByNameWith(mart)
	for _, c := range current.Fields() {
		if _, ok := mart.FindFieldByName(c.Name); !ok {
			u = u.DeleteColumn([]string{c.Name})
		}
	}
	if err := u.Commit(); err != nil {
		return nil, fmt.Errorf("the mart's columns changed in a way the table's cannot follow (%w): remove the folder %s to write the table again", err, tableDir)
	}
	staged, err := tx.StagedTable()
	if err != nil {
		return nil, err
	}
	// Files written before the ids were (and any written by another tool)
	// are read by name: the mapping must know the new columns.
	mapping, err := json.Marshal(staged.Schema().NameMapping())
	if err != nil {
		return nil, err
	}
	if err := tx.SetProperties(iceberg.Properties{table.DefaultNameMappingKey: string(mapping)}); err != nil {
		return nil, err
	}
	return staged.Schema(), nil
}

// fieldIDs is DuckDB's FIELD_IDS option for the mart's columns: the ids the
// table gives them.
func fieldIDs(mart, tbl *iceberg.Schema) (string, error) {
	var ids []string
	for _, c := range mart.Fields() {
		f, ok := tbl.FindFieldByName(c.Name)
		if !ok {
			return "", fmt.Errorf("the table has no column %s", c.Name)
		}
		ids = append(ids, fmt.Sprintf("%s: %d", warehouse.QuoteIdent(c.Name), f.ID))
	}
	return "{" + strings.Join(ids, ", ") + "}", nil
}

// isLocal says whether an address is a path on this machine.
func isLocal(address string) bool {
	u, err := url.Parse(address)
	return err == nil && (u.Scheme == "" || u.Scheme == "file")
}

// month is one partition of a mart: its value, the condition that selects
// its rows, and a fingerprint of them.
type month struct {
	value, where, fingerprint string
}

// nullPartition is the folder name of a NULL month, as Hive and Iceberg's
// writers name it.
const nullPartition = "__HIVE_DEFAULT_PARTITION__"

// fingerprints lists the mart's months with an MD5 of their rows as text,
// sorted, and of the mart's column names and types: a month whose rows and
// columns are the same has the same fingerprint, which names its data file.
// Reading the marts is far cheaper than writing each month again to see
// whether it changed.
func fingerprints(ctx context.Context, conn *sql.Conn, mart, monthCol string) ([]month, error) {
	q := fmt.Sprintf(`WITH cols AS (
			SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY column_index) AS signature
			FROM duckdb_columns() WHERE schema_name = 'marts' AND table_name = %[3]s AND NOT internal)
		SELECT CAST(t.%[1]s AS VARCHAR), md5(any_value(cols.signature) || chr(10) || string_agg(CAST(t AS VARCHAR), chr(10) ORDER BY CAST(t AS VARCHAR)))
		FROM marts.%[2]s t, cols GROUP BY 1 ORDER BY 1`, monthCol, mart, warehouse.QuoteString(mart))
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var months []month
	for rows.Next() {
		var v sql.NullString
		var m month
		if err := rows.Scan(&v, &m.fingerprint); err != nil {
			return nil, err
		}
		m.value, m.where = nullPartition, monthCol+" IS NULL"
		if v.Valid {
			m.value, m.where = v.String, fmt.Sprintf("CAST(%s AS VARCHAR) = %s", monthCol, warehouse.QuoteString(v.String))
		}
		months = append(months, m)
	}
	return months, rows.Err()
}

// writeMonth has DuckDB write the month's rows, sorted, as
// data/<column>=<month>/<fingerprint>.parquet under tableDir.
func writeMonth(ctx context.Context, conn *sql.Conn, tableDir, mart, monthCol, fieldIDs string, m month) (string, error) {
	partDir := filepath.Join(tableDir, "data", monthCol+"="+url.PathEscape(m.value))
	path := filepath.Join(partDir, m.fingerprint+".parquet")
	// A file of these rows is there already: a killed build's, or an
	// earlier snapshot's whose month has come back to them. It is not
	// written again: older snapshots' manifests describe it.
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if err := os.MkdirAll(partDir, coxswain.DirMode); err != nil {
		return "", err
	}
	tmp := filepath.Join(partDir, tmpPrefix+m.fingerprint+".parquet")
	q := fmt.Sprintf(`COPY (SELECT * FROM marts.%s WHERE %s ORDER BY ALL) TO %s (FORMAT parquet, FIELD_IDS %s)`, mart, m.where, warehouse.QuoteString(tmp), fieldIDs)
	if _, err := conn.ExecContext(ctx, q); err != nil {
		return "", err
	}
	return path, os.Rename(tmp, path)
}

// sameColumns says whether the two schemas have the same columns, by name
// and type, whatever their order and field ids.
func sameColumns(a, b *iceberg.Schema) bool {
	if len(a.Fields()) != len(b.Fields()) {
		return false
	}
	for _, x := range a.Fields() {
		y, ok := b.FindFieldByName(x.Name)
		if !ok || !x.Type.Equals(y.Type) {
			return false
		}
	}
	return true
}

// martSchema is the mart's schema as Iceberg has it: read from an empty
// Parquet file DuckDB writes of it, so that it is the schema of the data
// files exactly.
func martSchema(ctx context.Context, conn *sql.Conn, tableDir, mart string) (*iceberg.Schema, error) {
	if err := os.MkdirAll(tableDir, coxswain.DirMode); err != nil {
		return nil, err
	}
	probe := filepath.Join(tableDir, tmpPrefix+"schema.parquet")
	defer os.Remove(probe)
	q := fmt.Sprintf(`COPY (SELECT * FROM marts.%s LIMIT 0) TO %s (FORMAT parquet)`, mart, warehouse.QuoteString(probe))
	if _, err := conn.ExecContext(ctx, q); err != nil {
		return nil, err
	}
	sc, err := parquetSchema(probe)
	if err != nil {
		return nil, err
	}
	return table.ArrowSchemaToIcebergWithFreshIDs(sc, false)
}

func parquetSchema(path string) (*arrow.Schema, error) {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, err
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		return nil, err
	}
	return fr.Schema()
}

// filesByMonth lists the data files of the table's current snapshot by the
// partition value they hold.
func filesByMonth(ctx context.Context, tbl *table.Table) (map[string][]string, error) {
	byMonth := map[string][]string{}
	if tbl.CurrentSnapshot() == nil {
		return byMonth, nil
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		return nil, err
	}
	spec := tbl.Spec()
	if spec.NumFields() != 1 {
		return nil, fmt.Errorf("the table is partitioned by %d fields, not by its month alone: it was not written by coxswain", spec.NumFields())
	}
	fieldID := spec.Field(0).FieldID
	for _, t := range tasks {
		value := nullPartition
		if v, ok := t.File.Partition()[fieldID]; ok && v != nil {
			value = fmt.Sprint(v)
		}
		byMonth[value] = append(byMonth[value], t.File.FilePath())
	}
	return byMonth, nil
}

// sweep removes what a killed build left in the catalog: the data files
// it was writing, which no metadata names, and the Hadoop catalog's
// temporary files and claims, which would refuse the next commit for a
// minute (only one build runs at a time: the warehouse's lock). A version
// hint the kill left behind the newest metadata file is set to it, for
// the engines that read the hint.
func sweep(dir string) error {
	tables, err := os.ReadDir(filepath.Join(dir, Namespace))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	for _, t := range tables {
		if !t.IsDir() {
			continue
		}
		tableDir := filepath.Join(dir, Namespace, t.Name())
		err := filepath.WalkDir(tableDir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasPrefix(d.Name(), tmpPrefix) {
				return os.Remove(p)
			}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := settleMetadata(filepath.Join(tableDir, "metadata")); err != nil {
			return err
		}
	}
	return nil
}

var (
	metadataVersion = regexp.MustCompile(`^v([0-9]+)\.metadata\.json$`)
	// The Hadoop catalog's temporary files: the next metadata file before
	// it is claimed, its claim, and the next version hint.
	catalogTemp = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(\.metadata\.json|-version-hint\.temp)$|^v[0-9]+\.metadata\.json\.claim$`)
)

func settleMetadata(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	newest := 0
	for _, e := range entries {
		if catalogTemp.MatchString(e.Name()) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		} else if m := metadataVersion.FindStringSubmatch(e.Name()); m != nil {
			if v, err := strconv.Atoi(m[1]); err == nil && v > newest {
				newest = v
			}
		}
	}
	hint := filepath.Join(dir, "version-hint.text")
	if b, err := os.ReadFile(hint); newest == 0 || err == nil && strings.TrimSpace(string(b)) == strconv.Itoa(newest) {
		return nil
	}
	tmp := filepath.Join(dir, tmpPrefix+"version-hint.text")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(newest)), coxswain.FileMode); err != nil {
		return err
	}
	return os.Rename(tmp, hint)
}
