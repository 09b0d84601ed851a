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
// grows without end slows every page lookup; so once it passes walRestart,
// a RESTART checkpoint briefly holds new writes back until everything is
// copied, and the next write starts the log from the beginning. On close a
// TRUNCATE checkpoint leaves a compact database file behind.
type checkpointer struct {
	db      *sql.DB
	wal     string // path of the -wal file
	logger  *slog.Logger
	stop    chan struct{}
	stopped chan struct{}
}

// walRestart is the log size above which the checkpointer restarts it.
const walRestart = 256 << 20

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
			mode := "PASSIVE"
			if st, err := os.Stat(c.wal); err == nil && st.Size() > walRestart {
				mode = "RESTART"
			}
			start := time.Now()
			if _, err := c.db.Exec(`PRAGMA wal_checkpoint(` + mode + `)`); err != nil {
				c.logger.Warn("wal checkpoint", "mode", mode, "err", err)
			} else if mode == "RESTART" {
				c.logger.Debug("wal restarted", "duration", time.Since(start))
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
