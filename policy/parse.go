// SPDX-License-Identifier: EUPL-1.2

package policy

import (
	"fmt"
	"io/fs"
	"math"
	"path"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// This file reads a ruleset's YAML files into the pending parameters,
// derived facts and rules that compile.go turns into CEL programs.

// The YAML documents. Keys are checked by hand against these sets so that a
// misspelt key is reported with its rule, rather than silently ignored.
var (
	fileKeys    = []string{"version", "description", "params", "derived", "rules", "questions", "text"}
	ruleKeys    = []string{"id", "basis", "effect", "referral", "when", "message", "valid_from", "valid_to", "description"}
	derivedKeys = []string{"name", "expr", "doc"}
)

type ruleDoc struct {
	ID          string `yaml:"id"`
	Basis       string `yaml:"basis"`
	Effect      string `yaml:"effect"`
	Referral    string `yaml:"referral"`
	When        string `yaml:"when"`
	Message     string `yaml:"message"`
	ValidFrom   string `yaml:"valid_from"`
	ValidTo     string `yaml:"valid_to"`
	Description string `yaml:"description"`
}

type derivedDoc struct {
	Name string `yaml:"name"`
	Expr string `yaml:"expr"`
	Doc  string `yaml:"doc"`
}

var (
	idRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,79}$`)
	nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
)

// pending is one entry of a ruleset file, decoded but not yet compiled,
// with where it was written.
type pending[D any] struct {
	doc  D
	file string
	line int
}

type (
	pendingRule     = pending[ruleDoc]
	pendingDerived  = pending[derivedDoc]
	pendingQuestion = pending[questionDoc]
)

type pendingParam struct {
	value any
	file  string
	line  int
}

// sources is what the files of a ruleset declare, before compilation.
type sources struct {
	version, description, versionFile string
	params                            map[string]pendingParam
	derived                           []pendingDerived
	rules                             []pendingRule
	questions                         []pendingQuestion
	text                              *pendingText
}

// yamlFiles returns the names of the *.yaml and *.yml files in the root of
// fsys, sorted; nil, with the problem recorded, when there are none.
func (l *loader) yamlFiles(fsys fs.FS) []string {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		l.errf("", 0, "", "cannot read the ruleset directory: %v", err)
		return nil
	}
	var names []string
	for _, e := range entries {
		ext := path.Ext(e.Name())
		if !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		l.errf("", 0, "", "no *.yaml files: a ruleset needs at least one")
		return nil
	}
	return names
}

// readSources reads the named files in order. A file that cannot be read
// or parsed is reported and skipped, so that the others are still checked.
func (l *loader) readSources(fsys fs.FS, names []string) *sources {
	src := &sources{params: map[string]pendingParam{}}
	for _, name := range names {
		l.readFile(fsys, name, src)
	}
	if src.version == "" {
		l.errf("", 0, "", "no file declares the ruleset version")
	}
	return src
}

// readFile adds what file name declares to src.
func (l *loader) readFile(fsys fs.FS, name string, src *sources) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		l.errf(name, 0, "", "cannot read: %v", err)
		return
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		l.errf(name, 0, "", "not valid YAML: %v", err)
		return
	}
	if len(root.Content) == 0 {
		l.warnf(name, 0, "", "empty file")
		return
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		l.errf(name, doc.Line, "", "the file must be a mapping with keys %s", strings.Join(fileKeys, ", "))
		return
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		switch k.Value {
		case "version":
			l.readVersion(name, k, v, src)
		case "description":
			src.description = strings.TrimSpace(v.Value)
		case "params":
			l.readParams(name, v, src.params)
		case "derived":
			src.derived = append(src.derived, readList[derivedDoc](l, name, k.Value, v, "derived fact", derivedKeys)...)
		case "rules":
			src.rules = append(src.rules, readList[ruleDoc](l, name, k.Value, v, "rule", ruleKeys)...)
		case "text":
			l.readText(name, v, src)
		case "questions":
			src.questions = append(src.questions, readList[questionDoc](l, name, k.Value, v, "question", questionKeys)...)
		default:
			l.errf(name, k.Line, "", "unknown key %q (allowed: %s)", k.Value, strings.Join(fileKeys, ", "))
		}
	}
}

// readVersion records the version declared by key k, value v of file name:
// exactly one file may declare it.
func (l *loader) readVersion(name string, k, v *yaml.Node, src *sources) {
	if src.version != "" {
		l.errf(name, k.Line, "", "version is declared again (first in %s): declare it in one file only", src.versionFile)
		return
	}
	if v.Kind != yaml.ScalarNode || strings.TrimSpace(v.Value) == "" {
		l.errf(name, v.Line, "", "version must be a non-empty string")
		return
	}
	src.version, src.versionFile = strings.TrimSpace(v.Value), name
}

// readParams adds the parameters of mapping v in file name to params. A
// name may be declared once across all files.
func (l *loader) readParams(name string, v *yaml.Node, params map[string]pendingParam) {
	if v.Kind != yaml.MappingNode {
		l.errf(name, v.Line, "", "params must be a mapping of name to value")
		return
	}
	for j := 0; j+1 < len(v.Content); j += 2 {
		pk, pv := v.Content[j], v.Content[j+1]
		if !nameRE.MatchString(pk.Value) {
			l.errf(name, pk.Line, "", "param %q: a name is lower-case letters, digits and underscores", pk.Value)
			continue
		}
		if prev, dup := params[pk.Value]; dup {
			l.errf(name, pk.Line, "", "param %q is declared twice (first in %s:%d)", pk.Value, prev.file, prev.line)
			continue
		}
		val, err := paramValue(pv)
		if err != nil {
			l.errf(name, pv.Line, "", "param %q: %v", pk.Value, err)
			continue
		}
		params[pk.Value] = pendingParam{val, name, pk.Line}
	}
}

// readList decodes the list v under key of file name, entries of one kind
// (what: "rule", "question" …), leaving out and reporting, with the entry's id
// when it has one, those with unknown keys or that do not decode.
func readList[D any](l *loader, name, key string, v *yaml.Node, what string, keys []string) []pending[D] {
	if v.Kind != yaml.SequenceNode {
		l.errf(name, v.Line, "", "%s must be a list", key)
		return nil
	}
	var out []pending[D]
	for _, n := range v.Content {
		var d D
		if !checkKeys(l, name, n, what, keys) {
			continue
		}
		if err := n.Decode(&d); err != nil {
			l.errf(name, n.Line, ruleIDOf(n), "%s: %v", what, err)
			continue
		}
		out = append(out, pending[D]{d, name, n.Line})
	}
	return out
}

// checkKeys reports keys of mapping n that are not in allowed.
func checkKeys(l *loader, file string, n *yaml.Node, what string, allowed []string) bool {
	if n.Kind != yaml.MappingNode {
		l.errf(file, n.Line, "", "each %s must be a mapping", what)
		return false
	}
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		found := false
		for _, a := range allowed {
			if a == k {
				found = true
				break
			}
		}
		if !found {
			rule := ""
			if what == "rule" {
				rule = ruleIDOf(n)
			}
			l.errf(file, n.Content[i].Line, rule, "unknown key %q in %s (allowed: %s)", k, what, strings.Join(allowed, ", "))
			ok = false
		}
	}
	return ok
}

func ruleIDOf(n *yaml.Node) string {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "id" {
			return n.Content[i+1].Value
		}
	}
	return ""
}

// paramValue accepts numbers, strings, booleans and lists of strings: what
// rules compare facts against.
func paramValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, err
		}
		switch x := v.(type) {
		case int:
			return float64(x), nil
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("must be a finite number")
			}
			return x, nil
		case string, bool:
			return x, nil
		}
		return nil, fmt.Errorf("must be a number, string, boolean or list of strings")
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode || c.Tag != "!!str" {
				return nil, fmt.Errorf("a list may hold strings only (line %d)", c.Line)
			}
			out = append(out, c.Value)
		}
		return out, nil
	}
	return nil, fmt.Errorf("must be a number, string, boolean or list of strings")
}
