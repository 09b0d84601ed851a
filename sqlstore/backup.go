// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"

	"github.com/pactum/pactum"
)

// BackupSQLite writes a consistent copy of the SQLite database at path to
// out, while servers go on reading and writing it: VACUUM INTO copies one
// read transaction's snapshot, compacted, into a new file. out is created
// with mode 0600 and must not exist. PostgreSQL databases are backed up
// with pg_dump (README).
func BackupSQLite(ctx context.Context, path, out string) error {
	if IsPostgresDSN(path) {
		return pactum.Errorf(pactum.EINVALID, "pactum backup copies the embedded SQLite database; back up PostgreSQL with pg_dump --format=custom, then restore with pg_restore and check it with pactum audit verify.")
	}
	path = strings.TrimPrefix(path, "sqlite:")
	if _, err := os.Stat(path); err != nil {
		return pactum.Errorf(pactum.ENOTFOUND, "No database at %s: %v", path, err)
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return pactum.Errorf(pactum.ECONFLICT, "%s exists; a backup never overwrites a file.", out)
	} else if err != nil {
		return fmt.Errorf("create backup: %w", err)
	}
	f.Close()
	u := "file:" + (&url.URL{Path: path}).EscapedPath() + "?mode=ro&_pragma=busy_timeout(10000)"
	db, err := sql.Open("sqlite", u)
	if err != nil {
		os.Remove(out)
		return fmt.Errorf("open sqlite: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO $1`, out); err != nil {
		os.Remove(out)
		return fmt.Errorf("back up %s: %w", path, err)
	}
	return os.Chmod(out, 0o600)
}
