// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// MinFreeBytes is the free space below which a SQLite database's
// filesystem is reported full by Ping (readiness): writes may still fit,
// but the next checkpoint or a large transaction will not.
const MinFreeBytes = 64 << 20

// Unavailable reports whether err means the database cannot serve for now
// — it is unreachable, shutting down, out of connections, or its disk is
// full or failing — rather than that the request or pactum is wrong: the
// caller may retry later (HTTP 503 with Retry-After).
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnreachable) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) {
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // the primary result code
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_NOMEM:
			return true
		}
		return false
	}
	// A failed connection is an outage whatever the server said (a
	// database not accepting connections answers 55000).
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case len(pe.Code) == 5 && pe.Code[:2] == "08": // connection exception
			return true
		case len(pe.Code) == 5 && pe.Code[:2] == "53": // insufficient resources: disk full, out of memory, too many connections
			return true
		case pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03": // shutting down, crash recovery, cannot connect now
			return true
		case pe.Code == "25006": // read-only transaction: a standby after failover
			return true
		}
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return pgconn.SafeToRetry(err)
}

// diskFree returns the bytes free to unprivileged writers on the
// filesystem holding path.
func diskFree(path string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(path), &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// checkDisk reports a SQLite database's filesystem as full when it has
// less than Options.MinFreeBytes free.
func (db *DB) checkDisk(ctx context.Context) error {
	if db.dialect != SQLite || db.path == "" {
		return nil
	}
	free, err := diskFree(db.path)
	if err != nil {
		return fmt.Errorf("disk: %w", err)
	}
	if free < db.minFree {
		return fmt.Errorf("%w: the disk holding %s has %d bytes free (less than %d)", ErrDiskFull, db.path, free, db.minFree)
	}
	return nil
}

// ErrDiskFull is returned by Ping when the database's disk is (nearly)
// full.
var ErrDiskFull = errors.New("disk full")
