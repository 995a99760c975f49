package feed

import "errors"

// Namespace is the Iceberg namespace the marts are tables of.
const Namespace = "coxswain"

// TableChange is what one build did to one Iceberg table.
type TableChange struct {
	Mart string
	// Snapshot is the id of the snapshot the build added, 0 when the
	// build changed nothing in the table.
	Snapshot int64
	// Added, Replaced and Removed are the partitions (months) the
	// snapshot added, overwrote and dropped.
	Added, Replaced, Removed []string
	// Created says the table was new.
	Created bool
	// Moved is where the metadata of a local feed named its files when
	// its folder had been moved or copied since: the table was written
	// again.
	Moved string
}

// Iceberg says where the Iceberg feed is written.
type Iceberg struct {
	// Dir is the local folder of the catalog.
	Dir string
	// Location is the address its metadata names for Dir, the bucket Dir
	// is copied to (s3://bucket/prefix); empty, the metadata names Dir.
	Location string
}

// ErrNoIceberg is WriteIceberg's error in a coxswain built without the
// Iceberg feed (go build -tags noiceberg, as make test builds it).
var ErrNoIceberg = errors.New("this coxswain was built without the Iceberg feed (-tags noiceberg); go build ./cmd/coxswain or make build includes it")
