// Package warehouse opens the DuckDB file that every stage reads and writes,
// with the resources the configuration gives it, brings its bookkeeping
// schema up to date with the numbered migrations of sql/migrations, and
// (re)defines the macros of sql/macros.
package warehouse

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"coxswain"
)

// Warehouse is an open warehouse file.
type Warehouse struct {
	DB       *sql.DB
	Path     string
	readOnly bool
}

// OpenReadOnly opens an existing warehouse for reading only (report,
// verify): it changes nothing, and other readers may have it open too.
func OpenReadOnly(ctx context.Context, path string, cfg coxswain.DuckDB) (*Warehouse, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no warehouse at %s (run coxswain build first): %w", path, err)
	}
	db, err := connect(ctx, path, cfg, url.Values{"access_mode": {"read_only"}})
	if err != nil {
		return nil, err
	}
	return &Warehouse{DB: db, Path: path, readOnly: true}, nil
}

// Open opens (creating if needed) the warehouse at path with the engine
// settings of cfg, and brings its schema up to date.
func Open(ctx context.Context, path string, cfg coxswain.DuckDB) (*Warehouse, error) {
	if err := os.MkdirAll(filepath.Dir(path), coxswain.DirMode); err != nil {
		return nil, fmt.Errorf("warehouse: %w", err)
	}
	db, err := connect(ctx, path, cfg, url.Values{"temp_directory": {cfg.TempDir(path)}})
	if err != nil {
		return nil, err
	}
	w := &Warehouse{DB: db, Path: path}
	// DuckDB creates the file as the umask says; it holds the company's
	// numbers, so others may not read it.
	for _, p := range []string{path, path + ".wal"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&^coxswain.FileMode != 0 {
			os.Chmod(p, coxswain.FileMode)
		}
	}
	if err := w.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return w, nil
}

// connect opens the DuckDB file with the configured resources and the given
// extra settings, and checks that it answers.
func connect(ctx context.Context, path string, cfg coxswain.DuckDB, q url.Values) (*sql.DB, error) {
	if cfg.Threads > 0 {
		q.Set("threads", fmt.Sprint(cfg.Threads))
	}
	if cfg.MemoryLimit != "" {
		q.Set("memory_limit", cfg.MemoryLimit)
	}
	readOnly := q.Get("access_mode") == "read_only"
	connector, err := duckdb.NewConnector(path+"?"+q.Encode(), nil)
	if err != nil {
		return nil, openError(path, readOnly, err)
	}
	db := sql.OpenDB(connector)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, openError(path, readOnly, err)
	}
	return db, nil
}

func openError(path string, readOnly bool, err error) error {
	if !strings.Contains(err.Error(), "Could not set lock") {
		return fmt.Errorf("open warehouse %s: %w", path, err)
	}
	if !readOnly {
		// A writer (build, or a run being recorded) holds coxswain's own
		// lock already: what holds DuckDB's is a reader, which takes none.
		return coxswain.WithAdvice(fmt.Errorf("warehouse %s is open for reading in another process (coxswain report, send or status, or a DuckDB client), and a build needs it alone: %w", path, err),
			"run the build again once that process has finished (readers hold the warehouse only while they run)")
	}
	// A reader: name the coxswain command that holds the lock, if one does.
	if l, lerr := AcquireLock(path, "probe", time.Now()); lerr == nil {
		l.Release()
	} else {
		var le *LockedError
		if errors.As(lerr, &le) {
			return lerr
		}
	}
	return fmt.Errorf("warehouse %s is in use by another process: %w", path, err)
}

// migrate runs each migration of sql/migrations that the warehouse has not
// recorded, in number order, each in a transaction with its record in
// meta.schema_migrations; then it (re)defines the macros, which are code
// rather than schema and are replaced at every open.
func (w *Warehouse) migrate(ctx context.Context) error {
	migrations, err := Migrations(coxswain.SQL)
	if err != nil {
		return err
	}
	if _, err := w.DB.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS meta;
		CREATE TABLE IF NOT EXISTS meta.schema_migrations (
			version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`); err != nil {
		return fmt.Errorf("meta.schema_migrations: %w", err)
	}
	applied := map[int]string{}
	rows, err := w.DB.QueryContext(ctx, `SELECT version, sha256 FROM meta.schema_migrations`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var v int
		var sum string
		if err := rows.Scan(&v, &sum); err != nil {
			rows.Close()
			return err
		}
		applied[v] = sum
	}
	rows.Close()
	known := map[int]bool{}
	for _, m := range migrations {
		known[m.Version] = true
	}
	for v := range applied {
		if !known[v] {
			return fmt.Errorf("warehouse %s was migrated by a newer coxswain (migration %d, which this one, %s, does not know): use that release or a newer one", w.Path, v, coxswain.Version)
		}
	}
	for _, m := range migrations {
		if sum, ok := applied[m.Version]; ok {
			if sum != m.SHA256 {
				return fmt.Errorf("%s was changed after this warehouse ran it: migrations are never edited once released; put the change in a new numbered file", m.Path)
			}
			continue
		}
		if err := w.apply(ctx, m); err != nil {
			return fmt.Errorf("%s: %w", m.Path, err)
		}
	}
	return execDir(ctx, w.DB, "sql/macros")
}

func (w *Warehouse) apply(ctx context.Context, m Migration) error {
	tx, err := w.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta.schema_migrations (version, name, sha256, applied_at) VALUES (?, ?, ?, now())`,
		m.Version, m.Name, m.SHA256); err != nil {
		return err
	}
	return tx.Commit()
}

// Migration is one numbered schema change, sql/migrations/NNNN_name.sql.
type Migration struct {
	Version    int
	Name, Path string
	SQL        string
	SHA256     string // of the file, so that an edited migration is caught
}

// Migrations reads the migrations of fsys in version order. Numbers must be
// unique; a file that is not NNNN_name.sql is an error, not skipped.
func Migrations(fsys fs.FS) ([]Migration, error) {
	const dir = "sql/migrations"
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var out []Migration
	seen := map[int]string{}
	for _, e := range entries {
		p := dir + "/" + e.Name()
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") || v <= 0 {
			return nil, fmt.Errorf("%s: a migration is named NNNN_what.sql", p)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("%s and %s have the same number", other, p)
		}
		seen[v] = p
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		out = append(out, Migration{Version: v, Name: name, Path: p, SQL: string(data), SHA256: hex.EncodeToString(sum[:])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

func execDir(ctx context.Context, db *sql.DB, dir string) error {
	entries, err := fs.ReadDir(coxswain.SQL, dir)
	if err != nil {
		return err
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		data, err := fs.ReadFile(coxswain.SQL, dir+"/"+e.Name())
		if err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, string(data)); err != nil {
			return fmt.Errorf("%s/%s: %w", dir, e.Name(), err)
		}
	}
	return nil
}

// Close folds the write-ahead log into the file and closes it. Always call
// it: an unclosed warehouse replays its log at the next open.
func (w *Warehouse) Close() error {
	if w.readOnly {
		return w.DB.Close()
	}
	_, cerr := w.DB.Exec("CHECKPOINT")
	return errors.Join(cerr, w.DB.Close())
}

// QuoteIdent quotes a name for use as a SQL identifier.
func QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// NullIfEmpty is a bind value for a nullable text column: NULL for "".
func NullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// QuoteString quotes a value as a SQL string literal, for the few places
// where DuckDB takes no bind parameter (table function options, DDL).
func QuoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// EngineVersion is the version of the DuckDB library linked in (v1.5.6,
// say), asked of an in-memory database.
func EngineVersion(ctx context.Context) (string, error) {
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return "", fmt.Errorf("duckdb: %w", err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	var v string
	if err := db.QueryRowContext(ctx, `SELECT library_version FROM pragma_version()`).Scan(&v); err != nil {
		return "", fmt.Errorf("duckdb: %w", err)
	}
	return v, nil
}

// InTransaction runs fn in a transaction on conn, committed when fn
// succeeds and rolled back otherwise: also when COMMIT itself fails or the
// context is cancelled, since the connection goes on to other work (the
// build's record) that must not land in this transaction.
func InTransaction(ctx context.Context, conn *sql.Conn, fn func() error) error {
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	if err := fn(); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return err
	}
	committed = true
	return nil
}
