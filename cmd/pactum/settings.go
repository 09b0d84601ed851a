// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/pactum/pactum"
)

// settingsHelp is appended to the help of commands that read settings
// (withSettings).
const settingsHelp = `

Settings: every flag may also come from an environment variable, PACTUM_
and the flag's name upper-cased with '-' as '_' (--rate-limit:
PACTUM_RATE_LIMIT), or from the YAML file named by --config (or
PACTUM_CONFIG), whose keys are the flags' names:

  addr: 127.0.0.1:8080
  db-file: /etc/pactum/db-url
  log-format: json
  alert-fractions: [0.5, 0.9, 1]

A flag on the command line wins over the environment, which wins over the
file, which wins over the default; a key the file does not know is an
error. --data, --db and --db-file name the database together: the one given
at the highest level wins.

Keep the database password off the command line: give --db without it
(postgres://pactum@db.example/pactum) and set PGPASSWORD or a PGPASSFILE
(~/.pgpass by default), or put the whole URL in a file readable only by
pactum's user and name it with --db-file (or PACTUM_DB_FILE), or set
PACTUM_DB in the service's environment file. A settings file or --db-file
holding a password that every user of the machine may read is refused.`

// exclusiveSettings are flags that say the same thing in different ways:
// one set at a higher level hides the others at lower levels.
var exclusiveSettings = [][]string{{"data", "db", "db-file"}}

// withSettings makes cmd read every flag it has (including those added
// after this call) also from the environment and a --config file, and
// resolves --db-file into --db, before cmd runs.
func withSettings(e *env, cmd *cobra.Command) {
	cmd.Flags().String("config", "", "YAML settings file, keys being flag names (default $PACTUM_CONFIG); see Settings above")
	if cmd.Flags().Lookup("db") != nil {
		cmd.Flags().String("db-file", "", "file holding the database URL instead of --db, so that its password stays off the command line")
	}
	cmd.Long += settingsHelp
	prev := cmd.PreRunE
	cmd.PreRunE = func(cmd *cobra.Command, args []string) error {
		// Local flags only: the client's --server and --token are not
		// the server's settings.
		if err := applySettings(cmd.LocalFlags(), e.getenv, os.ReadFile); err != nil {
			return err
		}
		if err := dbFromFile(cmd.Flags(), os.ReadFile); err != nil {
			return err
		}
		if prev != nil {
			return prev(cmd, args)
		}
		return nil
	}
}

// envName is the environment variable of a flag: PACTUM_RATE_LIMIT for
// --rate-limit.
func envName(flag string) string {
	return "PACTUM_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applySettings fills each flag of fs not given on the command line from
// its environment variable, else from the settings file (--config or
// PACTUM_CONFIG). Errors name the variable or the file's key.
func applySettings(fs *pflag.FlagSet, getenv func(string) string, readFile func(string) ([]byte, error)) error {
	var file map[string][]string
	path, _ := fs.GetString("config")
	if fs.Lookup("config") == nil {
		path = "" // a command without a settings file (withStoreEnv)
	} else if !fs.Changed("config") {
		path = getenv(envName("config"))
	}
	if path != "" {
		data, err := readFile(path)
		if err != nil {
			return pactum.Errorf(pactum.EINVALID, "--config: %v", err)
		}
		if file, err = parseSettings(data); err != nil {
			return pactum.Errorf(pactum.EINVALID, "--config %s: %v", path, err)
		}
		if err := passwordExposed(path, file); err != nil {
			return err
		}
		for _, k := range sortedKeys(file) {
			if f := fs.Lookup(k); f == nil || !settable(f) {
				return pactum.Errorf(pactum.EINVALID, "--config %s: unknown setting %q; the settings are the flags' names: %s",
					path, k, strings.Join(settableNames(fs), ", "))
			}
		}
	}
	// given reports whether a flag, or one that excludes it, is set at a
	// higher level than the one being applied.
	given := func() func(string) bool {
		set := map[string]bool{}
		fs.VisitAll(func(f *pflag.Flag) { set[f.Name] = f.Changed })
		return func(name string) bool {
			if set[name] {
				return true
			}
			for _, g := range exclusiveSettings {
				if slices.Contains(g, name) {
					for _, other := range g {
						if set[other] {
							return true
						}
					}
				}
			}
			return false
		}
	}
	var err error
	fromCLI := given()
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || !settable(f) || fromCLI(f.Name) {
			return
		}
		if v := getenv(envName(f.Name)); v != "" {
			if e := fs.Set(f.Name, v); e != nil {
				err = pactum.Errorf(pactum.EINVALID, "%s: %v", envName(f.Name), e)
			}
		}
	})
	if err != nil || file == nil {
		return err
	}
	fromEnv := given()
	fs.VisitAll(func(f *pflag.Flag) {
		vs, ok := file[f.Name]
		if err != nil || !ok || fromEnv(f.Name) {
			return
		}
		if e := setFromFile(fs, f, vs); e != nil {
			err = pactum.Errorf(pactum.EINVALID, "--config %s: %s: %v", path, f.Name, e)
		}
	})
	return err
}

// settable reports whether a flag may come from the environment or a
// file: all but --help and --config itself.
func settable(f *pflag.Flag) bool { return f.Name != "help" && f.Name != "config" }

func settableNames(fs *pflag.FlagSet) []string {
	var names []string
	fs.VisitAll(func(f *pflag.Flag) {
		if settable(f) {
			names = append(names, f.Name)
		}
	})
	return names
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// setFromFile sets a flag to a file's value: a list only for a list flag.
func setFromFile(fs *pflag.FlagSet, f *pflag.Flag, vs []string) error {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		if err := sv.Replace(vs); err != nil {
			return err
		}
		f.Changed = true
		return nil
	}
	if len(vs) != 1 {
		return errors.New("give one value, not a list")
	}
	return fs.Set(f.Name, vs[0])
}

// maxSettingsFile bounds a settings file: it holds a few dozen lines.
const maxSettingsFile = 1 << 20

// parseSettings reads a settings file: a YAML mapping from names to
// scalars or lists of scalars. A scalar is one value; null or an empty
// list leaves the setting out. Duplicate keys, nested mappings, anchors
// and anything but one document are errors.
func parseSettings(data []byte) (map[string][]string, error) {
	if len(data) > maxSettingsFile {
		return nil, fmt.Errorf("larger than %d bytes", maxSettingsFile)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return map[string][]string{}, nil
		}
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, errors.New("holds more than one YAML document")
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, errors.New("is not a YAML document")
	}
	root := doc.Content[0]
	out := map[string][]string{}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return out, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: give a mapping of settings (name: value)", root.Line)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Tag != "!!str" && k.Tag != "!!int" && k.Tag != "!!bool" {
			return nil, fmt.Errorf("line %d: a setting's name must be a plain word", k.Line)
		}
		name := k.Value
		if name == "" || strings.ContainsFunc(name, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') }) {
			return nil, fmt.Errorf("line %d: %q is not a setting's name (lower-case letters, digits, '-')", k.Line, name)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("line %d: %s is set twice", k.Line, name)
		}
		vals, err := settingValues(v)
		if err != nil {
			return nil, fmt.Errorf("line %d: %s: %v", v.Line, name, err)
		}
		if vals == nil {
			continue
		}
		out[name] = vals
	}
	return out, nil
}

// settingValues returns a setting's values: nil for null or an empty
// list, which leave the setting to its default.
func settingValues(v *yaml.Node) ([]string, error) {
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return nil, nil
		}
		if err := plainValue(v.Value); err != nil {
			return nil, err
		}
		return []string{v.Value}, nil
	case yaml.SequenceNode:
		var vals []string
		for _, it := range v.Content {
			if it.Kind != yaml.ScalarNode || it.Tag == "!!null" {
				return nil, errors.New("a list may hold only plain values")
			}
			if err := plainValue(it.Value); err != nil {
				return nil, err
			}
			vals = append(vals, it.Value)
		}
		return vals, nil
	case yaml.AliasNode:
		return nil, errors.New("aliases are not supported")
	}
	return nil, errors.New("give a value or a list of values, not a mapping")
}

// plainValue refuses control characters in a value: none of serve's
// settings has them, and they hide what a value says.
func plainValue(s string) error {
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return errors.New("control characters are not allowed in a value")
	}
	return nil
}

// passwordExposed refuses a settings file that holds a database password
// (in db) while every user of the machine may read it.
func passwordExposed(path string, file map[string][]string) error {
	vals := file["db"]
	if len(vals) != 1 || !hasPassword(vals[0]) {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o004 == 0 {
		return nil
	}
	return pactum.Errorf(pactum.EINVALID, "--config %s holds the database password and every user may read it: chmod o-r it, or move the URL to a file of its own (db-file) or the password to PGPASSFILE.", path)
}

// hasPassword reports whether a database URL or libpq string carries a
// password.
func hasPassword(dsn string) bool {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			return true
		}
	}
	return strings.Contains(dsn, "password=")
}

// dbFromFile resolves --db-file: the file's one line becomes --db.
func dbFromFile(fs *pflag.FlagSet, readFile func(string) ([]byte, error)) error {
	f := fs.Lookup("db-file")
	if f == nil || f.Value.String() == "" {
		return nil
	}
	if fs.Changed("db") || fs.Changed("data") {
		return pactum.Errorf(pactum.EINVALID, "Give --db-file, --db or --data, not several.")
	}
	data, err := readFile(f.Value.String())
	if err != nil {
		return pactum.Errorf(pactum.EINVALID, "--db-file: %v", err)
	}
	dsn := strings.TrimSpace(string(data))
	if dsn == "" || strings.ContainsAny(dsn, "\n\r") || plainValue(dsn) != nil {
		return pactum.Errorf(pactum.EINVALID, "--db-file %s: give one line, the database URL", f.Value.String())
	}
	if fi, err := os.Stat(f.Value.String()); err == nil && fi.Mode().Perm()&0o004 != 0 && hasPassword(dsn) {
		return pactum.Errorf(pactum.EINVALID, "--db-file %s holds the database password and every user may read it: chmod o-r it.", f.Value.String())
	}
	return fs.Set("db", dsn)
}

// withStoreEnv makes cmd (init) read --data and --db also from PACTUM_DATA,
// PACTUM_DB and --db-file / PACTUM_DB_FILE, as serve does: the same
// service environment initialises and serves the database. Only these: a
// command's other flags (init's --email) are not settings.
func withStoreEnv(e *env, cmd *cobra.Command) {
	cmd.Flags().String("db-file", "", "file holding the database URL instead of --db, so that its password stays off the command line")
	prev := cmd.PreRunE
	cmd.PreRunE = func(cmd *cobra.Command, args []string) error {
		store := pflag.NewFlagSet("store", pflag.ContinueOnError)
		for _, name := range exclusiveSettings[0] {
			store.AddFlag(cmd.Flags().Lookup(name))
		}
		if err := applySettings(store, e.getenv, os.ReadFile); err != nil {
			return err
		}
		if err := dbFromFile(cmd.Flags(), os.ReadFile); err != nil {
			return err
		}
		if prev != nil {
			return prev(cmd, args)
		}
		return nil
	}
}
