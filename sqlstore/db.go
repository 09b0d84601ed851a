// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/pactum/pactum"
)

//go:embed migrations
var migrations embed.FS

// Dialects.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Options configure a DB. Zero values are sensible defaults.
type Options struct {
	// Now is the clock; time.Now when nil. Times are stored in UTC,
	// truncated to microseconds (PostgreSQL's precision).
	Now func() time.Time
	// Logger receives operational messages; discarded when nil.
	Logger *slog.Logger
	// Readers is the size of SQLite's read pool (default 4). PostgreSQL
	// uses MaxConns for everything.
	Readers int
	// MaxConns caps PostgreSQL connections (default 16); Ping keeps one
	// more of its own.
	MaxConns int
	// ReadOnly opens the database for reading only, for offline tools
	// (audit verify, rules diff): nothing is created, written or migrated
	// (a SQLite file whose permissions forbid writing is read all the
	// same), and a schema other than this binary's is refused with
	// ErrSchema.
	ReadOnly bool
	// MinFreeBytes is the free space below which Ping (readiness) reports
	// a SQLite database's disk full; MinFreeBytes (64 MiB) when 0.
	MinFreeBytes uint64
}

// ErrSchema is returned by Open when the database's schema is not one this
// binary may use: newer than its newest migration (a newer pactum wrote it:
// an older binary must not run on it and write), or, read-only, older
// (offline tools never migrate).
var ErrSchema = errors.New("database schema")

// ErrUnreachable is returned by Open (wrapped) when the database does not
// answer: a server may wait and retry.
var ErrUnreachable = errors.New("database unreachable")

// DB is a handle on the store. Create it with Open, close it with Close.
type DB struct {
	dialect string
	// w is the handle for write transactions. On SQLite it holds a single
	// connection whose transactions begin IMMEDIATE: writers queue in Go
	// instead of failing with SQLITE_BUSY. r serves reads; in WAL mode
	// they never wait for the writer. On PostgreSQL both are one pool.
	w, r *sql.DB
	// probe is a connection of its own for Ping: readiness probes must
	// not wait in r's queue behind user queries (64 concurrent list
	// requests took all of SQLite's four readers, and /healthz answered
	// 503 after waiting two seconds for one).
	probe  *sql.DB
	now    func() time.Time
	logger *slog.Logger
	dsn    string

	// stmts caches statements prepared on w, by query text. Parsing a
	// statement costs SQLite as much as running it, and a use case runs the
	// same dozen statements every time.
	stmtMu sync.RWMutex
	stmts  map[string]*sql.Stmt

	// group is SQLite's single writer and ckpt its WAL checkpointer (nil
	// on PostgreSQL).
	group *groupCommit
	ckpt  *checkpointer
	// seq seals committed audit events into the chain (PostgreSQL; nil on
	// SQLite, whose writer seals in its transaction).
	seq *sequencer
	// buckets caches usage bucket ids (see usage.go).
	buckets bucketCache
	// runs caches decoded allocation runs (runcache.go).
	runs *runCache
	// parts caches the months usage_records has partitions for
	// (PostgreSQL; partition.go).
	parts partitionSet

	// ro: opened with Options.ReadOnly.
	ro bool
	// path is the SQLite file ("" on PostgreSQL); diskFree measures the
	// free space of its filesystem (a field, so tests can fill the disk).
	path    string
	minFree uint64

	// inst identifies this process to the claims it makes (instance.go).
	inst instance

	// queries runs the Store's reads on the read pool.
	queries
}

// Open opens (creating if needed) the database named by dsn and migrates it
// to the newest schema. dsn is either a PostgreSQL URL (postgres://… or
// postgresql://…) or a SQLite file path, optionally prefixed with "sqlite:".
func Open(ctx context.Context, dsn string, opt Options) (*DB, error) {
	db := &DB{now: opt.Now, logger: opt.Logger, dsn: dsn, stmts: map[string]*sql.Stmt{}, buckets: newBucketCache(), runs: newRunCache(),
		inst: instance{id: newID()}, ro: opt.ReadOnly, minFree: opt.MinFreeBytes}
	if db.now == nil {
		db.now = time.Now
	}
	if db.minFree == 0 {
		db.minFree = MinFreeBytes
	}
	if db.logger == nil {
		db.logger = slog.New(slog.DiscardHandler)
	}
	var err error
	switch {
	case IsPostgresDSN(dsn):
		err = db.openPostgres(dsn, opt)
	default:
		err = db.openSQLite(strings.TrimPrefix(dsn, "sqlite:"), opt)
	}
	if err != nil {
		return nil, err
	}
	if err := db.w.PingContext(ctx); err != nil {
		db.Close()
		if db.dialect == Postgres {
			err = fmt.Errorf("%w: %w", ErrUnreachable, err)
		}
		return nil, fmt.Errorf("connect to %s database: %w", db.dialect, err)
	}
	if opt.ReadOnly {
		if err := db.checkSchema(ctx); err != nil {
			db.Close()
			return nil, err
		}
		db.queries = queries{q: db.r, dialect: db.dialect, runs: db.runs}
		return db, nil
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if db.dialect == SQLite {
		db.group = newGroupCommit(db)
	} else {
		if err := db.openPartitions(ctx); err != nil {
			db.Close()
			return nil, err
		}
		db.seq = newSequencer(db)
	}
	db.queries = queries{q: db.r, dialect: db.dialect, runs: db.runs}
	return db, nil
}

// DataDirDSN returns the SQLite path inside a data directory, creating the
// directory (mode 0700: the database holds token hashes and personal data).
func DataDirDSN(dir string) (string, error) {
	if dir == "" {
		return "", pactum.Errorf(pactum.EINVALID, "A data directory is required.")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create data directory: %w", err)
	}
	return filepath.Join(dir, "pactum.db"), nil
}

// IsPostgresDSN reports whether dsn names a PostgreSQL database: a
// postgres:// or postgresql:// URL, or a libpq keyword/value string
// ("host=db dbname=pactum user=pactum"). Anything else is a SQLite path.
func IsPostgresDSN(dsn string) bool {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return true
	}
	if strings.HasPrefix(dsn, "sqlite:") {
		return false
	}
	// A keyword string: its first word is one of libpq's keywords
	// followed by "=". A file named so is given as sqlite:NAME.
	k, _, ok := strings.Cut(strings.TrimSpace(dsn), "=")
	if !ok {
		return false
	}
	switch strings.TrimSpace(k) {
	case "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "sslmode", "service",
		"connect_timeout", "application_name", "sslrootcert", "sslcert", "sslkey", "target_session_attrs", "options":
		return true
	}
	return false
}

// createPrivate creates the SQLite file at path, if missing, with mode 0600
// whatever the umask and the directory's mode: it holds token hashes and
// personal data. SQLite gives its -wal and -shm files the database file's
// mode.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create sqlite %s: %w", path, err)
	}
	if err := f.Chmod(0o600); err != nil { // the umask may have taken bits off, never added
		f.Close()
		return err
	}
	return f.Close()
}

func (db *DB) openSQLite(path string, opt Options) error {
	if path == "" {
		return pactum.Errorf(pactum.EINVALID, "A SQLite database path is required.")
	}
	db.dialect = SQLite
	db.path = path
	// synchronous=NORMAL in WAL mode keeps the database consistent across
	// a crash and loses at most the last transactions on power loss,
	// the usual trade for an embedded server.
	params := "_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)&_pragma=cache_size(-32768)&_pragma=temp_store(MEMORY)&_time_format=sqlite"
	u := "file:" + (&url.URL{Path: path}).EscapedPath()
	if opt.ReadOnly {
		return db.openSQLiteReadOnly(path, u)
	}
	if err := createPrivate(path); err != nil {
		return err
	}
	// The writer never checkpoints (wal_autocheckpoint=0): copying the WAL
	// into the database and syncing it would stall every write queued
	// behind it. A background checkpointer does it instead.
	w, err := sql.Open("sqlite", u+"?"+params+"&_pragma=wal_autocheckpoint(0)&_txlock=immediate")
	if err != nil {
		return fmt.Errorf("open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	db.w = w
	// The writer creates the file and switches it to WAL before readers
	// (opened query_only) touch it.
	if err := w.Ping(); err != nil {
		return fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// Readers map the file (up to SQLite's cap of 2 GiB) rather than
	// copying each page in with a system call: a long scan (verifying the
	// audit log) runs a third faster.
	r, err := sql.Open("sqlite", u+"?"+params+"&_pragma=query_only(1)&_pragma=mmap_size(2147418112)")
	if err != nil {
		return fmt.Errorf("open sqlite: %w", err)
	}
	n := opt.Readers
	if n <= 0 {
		n = 4
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	db.r = r
	c, err := sql.Open("sqlite", u+"?"+params)
	if err != nil {
		return fmt.Errorf("open sqlite: %w", err)
	}
	c.SetMaxOpenConns(1)
	db.ckpt = newCheckpointer(c, path, db.logger)
	p, err := sql.Open("sqlite", u+"?"+params+"&_pragma=query_only(1)")
	if err != nil {
		return fmt.Errorf("open sqlite: %w", err)
	}
	db.probe = probePool(p)
	return nil
}

// probePool limits p to one connection, kept open, for Ping.
func probePool(p *sql.DB) *sql.DB {
	p.SetMaxOpenConns(1)
	p.SetMaxIdleConns(1)
	return p
}

// openSQLiteReadOnly opens path for reading only. The file must exist; it
// is read where it is, or, when SQLite cannot read it in place without
// writing (a WAL database whose directory or file is read-only: the reader
// needs the -shm file), as an immutable file: an auditor's copy does not
// change under the reader.
func (db *DB) openSQLiteReadOnly(path, u string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("open sqlite %s: %w", path, err)
	}
	params := "mode=ro&_pragma=busy_timeout(10000)&_pragma=query_only(1)&_time_format=sqlite"
	try := func(extra string) (*sql.DB, error) {
		r, err := sql.Open("sqlite", u+"?"+params+extra)
		if err != nil {
			return nil, err
		}
		var v int
		if err := r.QueryRow("SELECT COUNT(*) FROM sqlite_master").Scan(&v); err != nil {
			r.Close()
			return nil, err
		}
		return r, nil
	}
	r, err := try("")
	if err != nil {
		if r, err = try("&immutable=1"); err != nil {
			return fmt.Errorf("open sqlite %s read-only: %w", path, err)
		}
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	db.w, db.r, db.probe = r, r, r
	return nil
}

func (db *DB) openPostgres(dsn string, opt Options) error {
	db.dialect = Postgres
	if opt.ReadOnly {
		// Every transaction read-only, enforced by the server.
		var err error
		if dsn, err = withRuntimeParam(dsn, "default_transaction_read_only", "on"); err != nil {
			return err
		}
	}
	p, err := sql.Open("pgx", dsn)
	if err != nil {
		return fmt.Errorf("open postgres: %w", err)
	}
	n := opt.MaxConns
	if n <= 0 {
		n = 16
	}
	p.SetMaxOpenConns(n)
	p.SetMaxIdleConns(n)
	db.w, db.r = p, p
	// One more connection than MaxConns, for probes only.
	probe, err := sql.Open("pgx", dsn)
	if err != nil {
		return fmt.Errorf("open postgres: %w", err)
	}
	db.probe = probePool(probe)
	return nil
}

// Dialect returns SQLite or Postgres.
func (db *DB) Dialect() string { return db.dialect }

// Close closes the database.
func (db *DB) Close() error {
	if db.group != nil {
		db.group.close()
		db.group = nil
	}
	if db.ckpt != nil {
		db.ckpt.close()
		db.ckpt = nil
	}
	if db.seq != nil {
		db.seq.close() // kept: a Commit racing Close finds it stopped
	}
	errs := []error{db.closeInstance()}
	db.stmtMu.Lock()
	for _, st := range db.stmts {
		errs = append(errs, st.Close())
	}
	db.stmts = map[string]*sql.Stmt{}
	db.stmtMu.Unlock()
	if db.r != nil && db.r != db.w {
		errs = append(errs, db.r.Close())
	}
	if db.probe != nil && db.probe != db.w {
		errs = append(errs, db.probe.Close())
	}
	if db.w != nil {
		errs = append(errs, db.w.Close())
	}
	return errors.Join(errs...)
}

func (db *DB) migrate(ctx context.Context) error {
	dialect := goose.DialectSQLite3
	if db.dialect == Postgres {
		dialect = goose.DialectPostgres
	}
	fsys, err := fs.Sub(migrations, "migrations/"+db.dialect)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	var opts []goose.ProviderOption
	if db.dialect == Postgres {
		// Instances starting together take turns: the first migrates, the
		// others wait for its session lock (polled each second, up to ten
		// minutes) and then find nothing to do.
		l, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 600), lock.WithUnlockTimeout(1, 60))
		if err != nil {
			return fmt.Errorf("migrations: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(l))
	}
	p, err := goose.NewProvider(dialect, db.w, fsys, opts...)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	// A database migrated by a newer pactum is refused before anything is
	// written: this binary does not know what its tables mean now.
	if err := db.checkSchema(ctx); err != nil {
		return err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s database: %w", db.dialect, err)
	}
	for _, r := range results {
		db.logger.Info("migrated", "dialect", db.dialect, "version", r.Source.Version, "path", r.Source.Path, "duration", r.Duration)
	}
	return nil
}

func (db *DB) readOnly() bool { return db.ro }

// withRuntimeParam adds a run-time parameter to a PostgreSQL URL or
// keyword/value string.
func withRuntimeParam(dsn, key, value string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", pactum.Errorf(pactum.EINVALID, "The database URL does not parse: %v", err)
		}
		q := u.Query()
		q.Set(key, value)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return dsn + " " + key + "=" + value, nil
}

// SchemaVersion returns the newest schema version this binary knows (its
// last migration), the same on both engines.
func SchemaVersion() int64 {
	var v int64
	entries, _ := fs.ReadDir(migrations, "migrations/"+SQLite)
	for _, e := range entries {
		var n int64
		if _, err := fmt.Sscanf(e.Name(), "%d_", &n); err == nil && n > v {
			v = n
		}
	}
	return v
}

// DBSchemaVersion returns the newest migration applied to the database, 0
// for a database pactum has not created.
func (db *DB) DBSchemaVersion(ctx context.Context) (int64, error) {
	var exists bool
	q := `SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'goose_db_version'`
	if db.dialect == Postgres {
		q = `SELECT to_regclass('goose_db_version') IS NOT NULL`
	}
	if err := db.r.QueryRowContext(ctx, q).Scan(&exists); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v int64
	if err := db.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version WHERE is_applied`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// checkSchema refuses a database whose schema is newer than this binary's,
// and, read-only, one that is older.
func (db *DB) checkSchema(ctx context.Context) error {
	have, err := db.DBSchemaVersion(ctx)
	if err != nil {
		return err
	}
	want := SchemaVersion()
	switch {
	case have > want:
		return fmt.Errorf("%w: the database is at schema version %d, newer than this pactum's %d: a newer pactum has upgraded it; run that release (or newer), never an older one", ErrSchema, have, want)
	case db.readOnly() && have == 0:
		return fmt.Errorf("%w: the database has no pactum schema (nothing is created by a read-only tool)", ErrSchema)
	case db.readOnly() && have < want:
		return fmt.Errorf("%w: the database is at schema version %d, older than this pactum's %d, and read-only tools never migrate: use the pactum release that wrote it, or upgrade a copy (pactum migrate --data COPY) and read that", ErrSchema, have, want)
	}
	return nil
}

// stamp returns the current time as stored: UTC, microseconds.
func (db *DB) stamp() time.Time { return db.now().UTC().Truncate(time.Microsecond) }

// newID returns a UUIDv7: unique, and ordered by creation time, so
// "ORDER BY id" is "ORDER BY creation" on both engines.
func newID() string { return uuid.Must(uuid.NewV7()).String() }

// beginRead starts a read-only transaction, for reads that need a
// consistent view across several queries.
func (db *DB) beginRead(ctx context.Context) (*sql.Tx, error) {
	// On PostgreSQL a read-only transaction is one snapshot only at
	// repeatable read: at the default, read committed, each statement sees
	// what had committed when it began, so the audit head and the events
	// read after it could come from either side of a sequencer round.
	opts := &sql.TxOptions{}
	if db.dialect == Postgres {
		opts = &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}
	}
	tx, err := db.r.BeginTx(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("begin read: %w", err)
	}
	return tx, nil
}

// mapError turns driver errors into the domain vocabulary where they mean
// something to the caller: a unique violation is a conflict, a foreign-key
// violation names something that does not exist.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &pactum.Error{Code: pactum.ECONFLICT, Message: "It already exists."}
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return &pactum.Error{Code: pactum.EINVALID, Message: "It refers to something that does not exist."}
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return &pactum.Error{Code: pactum.ECONFLICT, Message: "It already exists."}
		case "23503":
			return &pactum.Error{Code: pactum.EINVALID, Message: "It refers to something that does not exist."}
		case "40001", "40P01":
			return &pactum.Error{Code: pactum.ECONFLICT, Message: "A concurrent change got there first; retry."}
		}
	}
	return err
}

// isConflict reports whether err is (or maps to) a conflict.
func isConflict(err error) bool { return pactum.ErrorCode(mapError(err)) == pactum.ECONFLICT }

// Ping checks that the database answers a query, and on SQLite that its
// disk has room (ErrDiskFull below MinFreeBytes), for readiness probes. It
// runs on a connection of its own, so it answers while user queries hold
// every connection of the pools; at most one second.
func (db *DB) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	// On SQLite, reading the schema version reads the database file's
	// header (SELECT 1 would not touch the file at all).
	q := "SELECT 1"
	if db.dialect == SQLite {
		q = "PRAGMA schema_version"
	}
	var v int
	if err := db.probe.QueryRowContext(ctx, q).Scan(&v); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	return db.checkDisk(ctx)
}
