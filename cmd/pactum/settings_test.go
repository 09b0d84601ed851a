// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// settingsFlags is a flag set like serve's, for applySettings.
func settingsFlags(t *testing.T, args ...string) *pflag.FlagSet {
	t.Helper()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	fs.String("config", "", "")
	fs.String("addr", "127.0.0.1:8080", "")
	fs.String("data", "", "")
	fs.String("db", "", "")
	fs.String("db-file", "", "")
	fs.Int("rate-limit", 1200, "")
	fs.Bool("metrics-public", false, "")
	fs.Float64Slice("alert-fractions", []float64{0.5, 1}, "")
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return fs
}

func files(m map[string]string) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		if s, ok := m[p]; ok {
			return []byte(s), nil
		}
		return nil, os.ErrNotExist
	}
}

// TestSettingsPrecedence: a flag wins over its environment variable, which
// wins over the file, which wins over the default; --data, --db and
// --db-file hide each other across levels.
func TestSettingsPrecedence(t *testing.T) {
	file := files(map[string]string{"pactum.yaml": `
addr: 0.0.0.0:1
rate-limit: 5
metrics-public: true
alert-fractions: [0.25, 0.75]
db: postgres://pactum@file/pactum
`})
	env := map[string]string{"PACTUM_CONFIG": "pactum.yaml", "PACTUM_RATE_LIMIT": "7", "PACTUM_ADDR": "0.0.0.0:2", "PACTUM_DATA": "/env/data"}
	fs := settingsFlags(t, "--addr", "0.0.0.0:3")
	if err := applySettings(fs, func(k string) string { return env[k] }, file); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"addr": "0.0.0.0:3", "rate-limit": "7", "metrics-public": "true",
		"alert-fractions": "[0.250000,0.750000]",
		// PACTUM_DATA hides the file's db.
		"data": "/env/data", "db": "",
	}
	for k, v := range want {
		if got := fs.Lookup(k).Value.String(); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	// --db on the command line hides PACTUM_DATA.
	fs = settingsFlags(t, "--db", "postgres://pactum@cli/pactum")
	if err := applySettings(fs, func(k string) string { return env[k] }, file); err != nil {
		t.Fatal(err)
	}
	if fs.Lookup("data").Value.String() != "" || fs.Lookup("db").Value.String() != "postgres://pactum@cli/pactum" {
		t.Errorf("data %q db %q", fs.Lookup("data").Value, fs.Lookup("db").Value)
	}
	// Without environment, the file applies; the default stays for what
	// nobody set.
	fs = settingsFlags(t, "--config", "pactum.yaml")
	if err := applySettings(fs, func(string) string { return "" }, file); err != nil {
		t.Fatal(err)
	}
	if fs.Lookup("db").Value.String() != "postgres://pactum@file/pactum" || fs.Lookup("rate-limit").Value.String() != "5" {
		t.Errorf("file not applied: db %q rate-limit %q", fs.Lookup("db").Value, fs.Lookup("rate-limit").Value)
	}
}

// TestSettingsErrors: an unknown key, a bad value and a bad variable are
// refused naming what is wrong.
func TestSettingsErrors(t *testing.T) {
	for _, c := range []struct {
		file string
		env  map[string]string
		want string
	}{
		{"adr: x\n", nil, `unknown setting "adr"`},
		{"help: true\n", nil, `unknown setting "help"`},
		{"config: other.yaml\n", nil, `unknown setting "config"`},
		{"rate-limit: lots\n", nil, "rate-limit"},
		{"addr: [a, b]\n", nil, "addr: give one value"},
		{"addr: {host: x}\n", nil, "not a mapping"},
		{"addr: x\naddr: y\n", nil, "addr is set twice"},
		{"- addr\n", nil, "give a mapping"},
		{"addr: \"a\\nb\"\n", nil, "control characters"},
		{"", map[string]string{"PACTUM_RATE_LIMIT": "many"}, "PACTUM_RATE_LIMIT"},
		{"", map[string]string{"PACTUM_CONFIG": "missing.yaml"}, "--config"},
	} {
		env := map[string]string{"PACTUM_CONFIG": "f.yaml"}
		for k, v := range c.env {
			env[k] = v
		}
		err := applySettings(settingsFlags(t), func(k string) string { return env[k] }, files(map[string]string{"f.yaml": c.file}))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("file %q env %v: %v, want %q", c.file, c.env, err, c.want)
		}
	}
}

// TestDBFile: --db-file's line becomes --db; with --db too it is refused.
func TestDBFile(t *testing.T) {
	fs := settingsFlags(t, "--db-file", "dsn")
	if err := dbFromFile(fs, files(map[string]string{"dsn": "postgres://pactum:s3cret@db/pactum\n"})); err != nil {
		t.Fatal(err)
	}
	if got := fs.Lookup("db").Value.String(); got != "postgres://pactum:s3cret@db/pactum" {
		t.Errorf("db = %q", got)
	}
	fs = settingsFlags(t, "--db-file", "dsn", "--db", "postgres://x")
	if err := dbFromFile(fs, files(map[string]string{"dsn": "postgres://y"})); err == nil {
		t.Error("--db-file with --db accepted")
	}
	fs = settingsFlags(t, "--db-file", "dsn")
	if err := dbFromFile(fs, files(map[string]string{"dsn": "a\nb\n"})); err == nil {
		t.Error("two lines accepted")
	}
}

// TestServeSettingsFromFileAndEnv: pactum serve reads its settings from a
// --config file and PACTUM_ variables (a wrong value from each is refused
// before serving, naming where it came from), and serves from a file that
// names the database.
func TestServeSettingsFromFileAndEnv(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "pactum.yaml")
	if err := os.WriteFile(cfg, []byte("data: "+dir+"\naddr: 127.0.0.1:0\ntoken-ttl: 400d\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := cli(t, nil, "serve", "--config", cfg); code != exitInvalid || !strings.Contains(stderr, "--token-ttl") {
		t.Errorf("token-ttl from the file: exit %d %s", code, stderr)
	}
	if code, _, stderr := cli(t, map[string]string{"PACTUM_CONFIG": cfg, "PACTUM_TOKEN_TTL": "bad"}, "serve"); code != exitInvalid || !strings.Contains(stderr, `--token-ttl "bad"`) {
		t.Errorf("env over file: exit %d %s", code, stderr)
	}
	if code, _, stderr := cli(t, map[string]string{"PACTUM_CONFIG": cfg}, "serve", "--colour", "x"); code != exitInvalid {
		t.Errorf("unknown flag: exit %d %s", code, stderr)
	}
	if err := os.WriteFile(cfg, []byte("data: "+dir+"\nadr: 127.0.0.1:0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := cli(t, nil, "serve", "--config", cfg); code != exitInvalid || !strings.Contains(stderr, `unknown setting "adr"`) {
		t.Errorf("unknown key: exit %d %s", code, stderr)
	}
}

// FuzzParseSettings: any input is parsed or refused without panicking;
// what is accepted has valid names and values without control characters.
func FuzzParseSettings(f *testing.F) {
	for _, s := range []string{"addr: x\n", "alert-fractions: [0.5, 1]\n", "a: null\n", "", "- 1\n", "a: &x 1\nb: *x\n", "a: {b: c}\n", "---\na: 1\n---\nb: 2\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseSettings(data)
		if err != nil {
			return
		}
		for k, vs := range m {
			if k == "" || strings.Trim(k, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
				t.Fatalf("name %q accepted", k)
			}
			for _, v := range vs {
				if plainValue(v) != nil {
					t.Fatalf("value %q accepted", v)
				}
			}
		}
	})
}

// TestDeployExampleSettings: the example settings file shipped in deploy/
// is one serve accepts, key by key, and the help names every setting.
func TestDeployExampleSettings(t *testing.T) {
	e := &env{getenv: func(string) string { return "" }}
	cmd := newServeCmd(e)
	env := map[string]string{"PACTUM_CONFIG": filepath.Join("..", "..", "deploy", "pactum.yaml")}
	if err := applySettings(cmd.LocalFlags(), func(k string) string { return env[k] }, os.ReadFile); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"log-format": "json", "agent-silent-after": "15m0s", "addr": "127.0.0.1:8080"} {
		if got := cmd.Flags().Lookup(k).Value.String(); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if _, err := alertFractions(cmd); err != nil {
		t.Error(err)
	}
	if !strings.Contains(cmd.Long, "PACTUM_CONFIG") || !strings.Contains(cmd.Long, "PGPASSFILE") {
		t.Error("serve --help does not explain the settings")
	}
}

// TestInitStoreEnv: init finds its database in PACTUM_DATA, or in the
// file PACTUM_DB_FILE names, as serve does; its other flags are not read
// from the environment, and PACTUM_CONFIG does not apply to it.
func TestInitStoreEnv(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"PACTUM_DATA": dir, "PACTUM_EMAIL": "env@example.org", "PACTUM_CONFIG": filepath.Join(dir, "missing.yaml")}
	if code, _, stderr := cli(t, env, "init", "--email", "mara@eurohpc.example", "--json"); code != 0 {
		t.Fatalf("init from PACTUM_DATA: %d %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "pactum.db")); err != nil {
		t.Errorf("no database in PACTUM_DATA: %v", err)
	}
	if code, _, stderr := cli(t, env, "init"); code != exitInvalid || !strings.Contains(stderr, "email") {
		t.Errorf("init took --email from PACTUM_EMAIL: %d %s", code, stderr)
	}
	dsnFile := filepath.Join(t.TempDir(), "db-url")
	if err := os.WriteFile(dsnFile, []byte("sqlite:"+filepath.Join(dir, "pactum.db")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := cli(t, map[string]string{"PACTUM_DB_FILE": dsnFile}, "init", "--email", "other@example.org")
	if code == 0 || !strings.Contains(stderr, "already has an access manager") {
		t.Errorf("init from PACTUM_DB_FILE did not find the database: %d %s", code, stderr)
	}
}

// TestSettingsFileWithPassword: a world-readable settings file holding
// the database password is refused; readable by its owner and group only,
// it is accepted.
func TestSettingsFileWithPassword(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pactum.yaml")
	if err := os.WriteFile(path, []byte("db: postgres://pactum:s3cret@db/pactum\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	err := applySettings(settingsFlags(t, "--config", path), func(string) string { return "" }, os.ReadFile)
	if err == nil || !strings.Contains(err.Error(), "every user may read it") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("world-readable password: %v", err)
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := applySettings(settingsFlags(t, "--config", path), func(string) string { return "" }, os.ReadFile); err != nil {
		t.Errorf("0640: %v", err)
	}
	dsnFile := filepath.Join(t.TempDir(), "db-url")
	if err := os.WriteFile(dsnFile, []byte("postgres://pactum:s3cret@db/pactum\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dsnFile, 0o604); err != nil {
		t.Fatal(err)
	}
	if err := dbFromFile(settingsFlags(t, "--db-file", dsnFile), os.ReadFile); err == nil || !strings.Contains(err.Error(), "every user may read it") {
		t.Errorf("world-readable --db-file: %v", err)
	}
	if err := os.Chmod(dsnFile, 0o400); err != nil {
		t.Fatal(err)
	}
	if err := dbFromFile(settingsFlags(t, "--db-file", dsnFile), os.ReadFile); err != nil {
		t.Errorf("0400 --db-file: %v", err)
	}
	for dsn, want := range map[string]bool{"postgres://pactum@db/pactum": false, "postgres://pactum:x@db/pactum": true, "host=db password=x": true, "sqlite:/var/lib/pactum/pactum.db": false} {
		if hasPassword(dsn) != want {
			t.Errorf("hasPassword(%q) = %v", dsn, !want)
		}
	}
}
