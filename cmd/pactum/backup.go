// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/user"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/usecase"
)

func newBackupCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "backup --data DIR --out FILE",
		Short: "Copy the embedded database, consistently, while the server runs",
		Long: `Write a consistent copy of the embedded SQLite database of --data to --out
(mode 0600, never overwriting a file), while servers go on reading and writing
it: SQLite's VACUUM INTO copies one snapshot, compacted. The copy's audit chain
is then verified, and its head printed: keep it with the copy.

PostgreSQL is backed up with its own tools, online and consistent:

  pg_dump --format=custom --file=pactum.dump "$DATABASE_URL"
  createdb pactum_restored && pg_restore --dbname=pactum_restored pactum.dump
  pactum audit verify --db postgres://…/pactum_restored --state

Exit status: 0 when the copy is written and its chain verifies, 7 when the
chain does not verify (the copy is kept, for inspection), 5 when --out exists.`,
		Example: `  pactum backup --data ./pactum-data --out /backups/pactum-$(date +%F).db`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, _ := cmd.Flags().GetString("out")
			if out == "" {
				return pactum.Errorf(pactum.EINVALID, "--out FILE is required.")
			}
			dsn, err := readOnlyDSN(cmd)
			if err != nil {
				return err
			}
			if err := sqlstore.BackupSQLite(cmd.Context(), dsn, out); err != nil {
				return err
			}
			r, err := verifyStoredAudit(cmd.Context(), out, false, nil)
			if err != nil {
				return err
			}
			res := map[string]any{"file": out, "audit": r}
			if wantJSON(cmd) {
				if err := writeJSONValue(e.stdout, res); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(e.stdout, "Backed up to %s.\n", out)
				printReport(e, r)
			}
			if !r.OK {
				return &exitError{code: exitCheck, err: fmt.Errorf("the backup's audit chain does not verify")}
			}
			return nil
		},
	}
	storeFlags(cmd)
	jsonFlag(cmd)
	cmd.Flags().String("out", "", "file to write the copy to (must not exist)")
	return cmd
}

func newRestoreCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "restore --from FILE --data DIR",
		Short: "Put a backup in place as a new data directory, once its audit chain verifies",
		Long: `Restore a backup made by "pactum backup" into the data directory --data, which
must not hold a database yet: the backup is copied in beside it, upgraded to
this pactum's schema if it is older (a newer one is refused), and its audit
chain verified (with --state, the tables too); only then is it put in place
as DIR/pactum.db (mode 0600). A backup that does not verify is not put in
place. Then start the server on DIR.

For PostgreSQL, restore with pg_restore and check with "pactum audit verify
--state" (see "pactum backup --help").

Exit status: 0 when restored, 7 when the backup does not verify, 5 when DIR
already holds a database.`,
		Example: `  pactum restore --from /backups/pactum-2026-12-01.db --data ./pactum-data-restored
  pactum serve --data ./pactum-data-restored`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			from, _ := cmd.Flags().GetString("from")
			dir, _ := cmd.Flags().GetString("data")
			state, _ := cmd.Flags().GetBool("state")
			if from == "" || dir == "" {
				return pactum.Errorf(pactum.EINVALID, "--from FILE and --data DIR are required.")
			}
			dst, err := sqlstore.DataDirDSN(dir)
			if err != nil {
				return err
			}
			if _, err := os.Stat(dst); err == nil {
				return pactum.Errorf(pactum.ECONFLICT, "%s already holds a database; restore into a new directory.", dir)
			}
			tmp := dst + ".restoring"
			cleanup := func() {
				for _, s := range []string{"", "-wal", "-shm"} {
					os.Remove(tmp + s)
				}
			}
			if err := copyPrivate(from, tmp); err != nil {
				return err
			}
			ctx := cmd.Context()
			db, err := sqlstore.Open(ctx, tmp, sqlstore.Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				cleanup()
				return err
			}
			var r *pactum.AuditReport
			if state {
				r, err = usecase.VerifyAuditState(ctx, db, nil)
			} else {
				r, err = usecase.VerifyAudit(ctx, db)
			}
			if cerr := db.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				cleanup()
				return err
			}
			if wantJSON(cmd) {
				if err := writeJSONValue(e.stdout, map[string]any{"data": dir, "restored": r.OK, "audit": r}); err != nil {
					cleanup()
					return err
				}
			} else {
				printReport(e, r)
			}
			if !r.OK {
				cleanup()
				return &exitError{code: exitCheck, err: fmt.Errorf("the backup does not verify; nothing was restored")}
			}
			for _, s := range []string{"-wal", "-shm"} {
				if _, err := os.Stat(tmp + s); err == nil {
					if err := os.Rename(tmp+s, dst+s); err != nil {
						cleanup()
						return err
					}
				}
			}
			if err := os.Rename(tmp, dst); err != nil {
				cleanup()
				return err
			}
			if !wantJSON(cmd) {
				fmt.Fprintf(e.stdout, "Restored into %s.\n", dst)
			}
			return nil
		},
	}
	cmd.Flags().String("from", "", "backup file (from pactum backup)")
	cmd.Flags().String("data", "", "new data directory to restore into")
	cmd.Flags().Bool("state", false, "also replay the audit log and compare it with the tables before restoring")
	jsonFlag(cmd)
	return cmd
}

// copyPrivate copies from to a new file to, mode 0600.
func copyPrivate(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return pactum.Errorf(pactum.ENOTFOUND, "%v", err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return pactum.Errorf(pactum.ECONFLICT, "%s exists: another restore is under way, or one was interrupted (remove it).", to)
	} else if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(to)
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		os.Remove(to)
		return err
	}
	return out.Close()
}

func newAdminCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "admin", Short: "Tools for the machine's operator, run on the database's host"}
	cmd.AddCommand(newAdminRecoverCmd(e), newAdminSignInLinkCmd(e))
	return cmd
}

// openExisting opens the use cases on the existing database of --data or
// --db, for the operator's offline commands: it never creates one.
func openExisting(cmd *cobra.Command) (*app, error) {
	dsn, err := readOnlyDSN(cmd)
	if err != nil {
		return nil, err
	}
	return openApp(cmd.Context(), dsn, slog.New(slog.DiscardHandler), "", nil)
}

func newAdminRecoverCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "recover --email EMAIL (--data DIR | --db URL)",
		Short: "Issue a new token to an access manager whose tokens are all lost",
		Long: `Issue a new full API token, valid for 24 hours, to the active access manager
with --email, straight in the database (no server, no token needed): for when
the last access manager's token is lost. Only whoever can open the database can
run it, which is the point. Make a lasting token with it ("pactum tokens
create"), then let it expire or revoke it.

The recovery is recorded in the audit log (user.recover_access and
token.create, by the system) with the operator's login (--operator, default
the login running the command). It is safe while servers run.

Exit status: 0 when issued, 3 when no access manager has that e-mail, 5 when
they are deactivated.`,
		Example: `  sudo -u pactum pactum admin recover --data /var/lib/pactum --email mara@eurohpc.example`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			email, _ := cmd.Flags().GetString("email")
			operator, _ := cmd.Flags().GetString("operator")
			if operator == "" {
				if u, err := user.Current(); err == nil {
					operator = u.Username
				}
			}
			ctx := cmd.Context()
			a, err := openExisting(cmd)
			if err != nil {
				return err
			}
			defer a.Close()
			u, t, secret, err := a.uc.RecoverAccess(ctx, email, operator)
			if err != nil {
				return err
			}
			if wantJSON(cmd) {
				return writeJSONValue(e.stdout, map[string]any{"user": u, "token": t, "secret": secret})
			}
			fmt.Fprintf(e.stdout, "New token for %s (%s), valid until %s (shown once): %s\n\n  export PACTUM_TOKEN=%s\n",
				u.Email, u.ID, t.ExpiresAt.UTC().Format("2006-01-02 15:04 MST"), secret, secret)
			return nil
		},
	}
	storeFlags(cmd)
	jsonFlag(cmd)
	cmd.Flags().String("email", "", "e-mail of the access manager (required)")
	cmd.Flags().String("operator", "", "your login, for the audit log (default: the login running the command)")
	_ = cmd.MarkFlagRequired("email")
	return cmd
}
