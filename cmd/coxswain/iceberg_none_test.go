//go:build noiceberg

package main

import "testing"

// feedFolders are the feeds a build without the Iceberg feed writes.
var feedFolders = []string{"export"}

// icebergDiffs has no tables to read in a build without the Iceberg feed
// (make test-iceberg checks them).
func icebergDiffs(*testing.T, string) []string { return nil }
