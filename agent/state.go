// SPDX-License-Identifier: EUPL-1.2

package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/pactum/pactum/slurm"
)

// stateFile is the agent's state in its state directory.
const stateFile = "agent-state.json"

// stateVersion is the state file's format.
const stateVersion = 1

// State is what the agent keeps between cycles and across restarts.
type State struct {
	Version int    `json:"version"`
	Site    string `json:"site"`
	Cluster string `json:"cluster"`
	// Cursor is the end of the last sacct window whose records the server
	// accepted; the next window starts an overlap before it. Zero before
	// the first.
	Cursor time.Time `json:"cursor"`
	// Applied is the desired state of each account as last applied, to
	// tell drift (the cluster changed) from a changed award (the desired
	// state changed).
	Applied map[string]AppliedAccount `json:"applied"`
	// Absent counts, for each of pactum's accounts on the cluster that the
	// server's desired state no longer mentions, the cycles in a row it
	// has been absent: it is removed only after Config.RemoveAfter.
	Absent map[string]int `json:"absent,omitempty"`
	// Deferred holds when each account's removal was first deferred
	// because jobs remained (see Config.QueueGrace).
	Deferred map[string]time.Time `json:"deferred,omitempty"`
	// Held lists the accounts whose removal waits for confirmation
	// (Config.AcceptRemovals), Foreign the accounts found beneath the root
	// without pactum's mark, as of the last reconcile.
	Held    []string `json:"held,omitempty"`
	Foreign []string `json:"foreign,omitempty"`
	// HeldJobs are the jobs the agent held because their model was held
	// (holds.go), by job id, for it to release once the model is not.
	HeldJobs map[string]HeldJob `json:"held_jobs,omitempty"`
	// LastReconcile is when the last reconcile ended, LastError its
	// failure ("" when it succeeded).
	LastReconcile time.Time `json:"last_reconcile,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
	// Saved is when the file was written.
	Saved time.Time `json:"saved"`

	existed bool // loaded from a file, not fresh
}

// Existed reports whether the state was read from a file: false on the
// agent's first run on a cluster (or after its state was lost).
func (st State) Existed() bool { return st.existed }

// AppliedAccount is one account's settings as last applied.
type AppliedAccount struct {
	Parent       string   `json:"parent"`
	Description  string   `json:"description"`
	Organization string   `json:"organization"`
	Limits       string   `json:"limits"`
	Suspended    bool     `json:"suspended"`
	Users        []string `json:"users"`
}

func applied(d slurm.DesiredAccount) AppliedAccount {
	users := slices.Clone(d.Users)
	slices.Sort(users)
	if users == nil {
		users = []string{}
	}
	return AppliedAccount{Parent: d.Parent, Description: slurm.CleanText(d.Description), Organization: slurm.CleanText(d.Organization),
		Limits: d.Limits.String(), Suspended: d.Suspended, Users: users}
}

func (a AppliedAccount) equal(b AppliedAccount) bool {
	return a.Parent == b.Parent && a.Description == b.Description && a.Organization == b.Organization &&
		a.Limits == b.Limits && a.Suspended == b.Suspended && slices.Equal(a.Users, b.Users)
}

// LoadState reads the state in dir, or returns a fresh one for site and
// cluster when there is none. It refuses a state written for another site
// or cluster, or one it cannot read, rather than guess: a wrong cursor
// would skip usage.
func LoadState(dir, site, cluster string) (*State, error) {
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return &State{Version: stateVersion, Site: site, Cluster: cluster, Applied: map[string]AppliedAccount{}, Absent: map[string]int{}}, nil
	} else if err != nil {
		return nil, fmt.Errorf("read agent state: %w", err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("agent state %s is corrupt (%w); move it away to start over from the earliest allocation", filepath.Join(dir, stateFile), err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("agent state %s has version %d, want %d", filepath.Join(dir, stateFile), st.Version, stateVersion)
	}
	if st.Site != site || st.Cluster != cluster {
		return nil, fmt.Errorf("agent state in %s belongs to site %s, cluster %s, not site %s, cluster %s; give each agent its own --state-dir",
			dir, st.Site, st.Cluster, site, cluster)
	}
	if st.Applied == nil {
		st.Applied = map[string]AppliedAccount{}
	}
	if st.Absent == nil {
		st.Absent = map[string]int{}
	}
	st.existed = true
	return &st, nil
}

// Save writes the state atomically: a temporary file in the same
// directory, synced, renamed over the old one, and the directory synced,
// so that a crash leaves either the old state or the new one.
func (st *State) Save(dir string, now time.Time) error {
	st.Saved = now.UTC()
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode agent state: %w", err)
	}
	f, err := os.CreateTemp(dir, stateFile+".*")
	if err != nil {
		return fmt.Errorf("write agent state: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, stateFile))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write agent state: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // best effort: not every file system syncs directories
		d.Close()
	}
	return nil
}
