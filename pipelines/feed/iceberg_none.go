//go:build noiceberg

package feed

import (
	"context"
	"database/sql"
)

// IcebergBuiltIn says whether this coxswain writes the Iceberg feed.
const IcebergBuiltIn = false

// WriteIceberg is left out of this build: iceberg-go and Arrow double the
// time a build of coxswain takes from an empty cache, so make test builds
// without them (make test-iceberg with them).
func WriteIceberg(context.Context, *sql.Conn, Iceberg, map[string]string) ([]TableChange, error) {
	return nil, ErrNoIceberg
}
