// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"database/sql"
	"log/slog"
	"os"
	"time"
)

// checkpointer copies SQLite's write-ahead log into the database file in
// the background, on its own connection, so that the writer never pays for
// it. PASSIVE checkpoints never wait for readers or the writer. But under
// steady writes and reads the log never empties by itself, and a log that
// grows without end slows every page lookup; so once it passes walRestart
// the writer restarts it between two groups (groupCommit.restartWAL), when
// it is sure no write is in flight. On close a TRUNCATE checkpoint leaves a
// compact database file behind.
type checkpointer struct {
	db      *sql.DB
	wal     string // path of the -wal file
	logger  *slog.Logger
	stop    chan struct{}
	stopped chan struct{}
}

// walRestart is the log size above which the writer restarts it.
const walRestart = 256 << 20

// walTooLong reports whether the log has grown past walRestart.
func (c *checkpointer) walTooLong() bool {
	st, err := os.Stat(c.wal)
	return err == nil && st.Size() > walRestart
}

// checkpointEvery is how often the WAL is copied back: often enough that
// it stays a few megabytes under sustained writes.
const checkpointEvery = 200 * time.Millisecond

func newCheckpointer(db *sql.DB, path string, logger *slog.Logger) *checkpointer {
	c := &checkpointer{db: db, wal: path + "-wal", logger: logger, stop: make(chan struct{}), stopped: make(chan struct{})}
	go c.loop()
	return c
}

func (c *checkpointer) loop() {
	defer close(c.stopped)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if _, err := c.db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
				c.logger.Warn("wal checkpoint", "err", err)
			}
		case <-c.stop:
			return
		}
	}
}

func (c *checkpointer) close() {
	close(c.stop)
	<-c.stopped
	if _, err := c.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		c.logger.Warn("final wal checkpoint", "err", err)
	}
	c.db.Close()
}
