// SPDX-License-Identifier: EUPL-1.2

package policy

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"
	"go.yaml.in/yaml/v3"

	"github.com/pactum/pactum"
)

//go:embed rules/*.yaml
var embedded embed.FS

// Referral kinds for refer rules: which human review a finding asks for.
const (
	ReferralEthics    = "ethics"
	ReferralTechnical = "technical"
	ReferralLegal     = "legal"
)

// Rule is one compiled rule. Its exported fields are the rule as written;
// the compiled program is private. A Rule is immutable once loaded.
type Rule struct {
	ID       string        `json:"id"`
	Basis    string        `json:"basis"`
	Effect   pactum.Effect `json:"effect"`
	Referral string        `json:"referral,omitempty"`
	When     string        `json:"when"`
	Message  string        `json:"message"`
	// ValidFrom and ValidTo bound, inclusively, the decision dates on which
	// the rule applies; zero means unbounded.
	ValidFrom   pactum.Date `json:"valid_from"`
	ValidTo     pactum.Date `json:"valid_to"`
	Description string      `json:"description,omitempty"`
	File        string      `json:"file"`
	Line        int         `json:"line"`

	order    int // load order, for a stable finding order
	rank     int // effectRank(Effect)
	prg      cel.Program
	msg      template
	from, to int64 // validity as days since 1970-01-01, inclusive
}

// AppliesOn reports whether the rule applies to a decision taken at t (by
// its UTC date).
func (r *Rule) AppliesOn(t time.Time) bool { return r.appliesOnDay(dayNumber(t)) }

func (r *Rule) appliesOnDay(d int64) bool { return r.from <= d && d <= r.to }

// dayNumber is t's UTC date as days since 1970-01-01, so that validity is
// two integer comparisons per rule.
func dayNumber(t time.Time) int64 {
	return pactum.DateOf(t).Time().Unix() / 86400
}

// derivedFact is a named CEL expression evaluated once per screening,
// before the rules, so that shared notions (high risk, GPAI model) are
// written once in data and cost one evaluation.
type derivedFact struct {
	name, expr, doc, file string
	line                  int
	typ                   *cel.Type
	slot                  int
	prg                   cel.Program
}

// Ruleset is a loaded, compiled ruleset. It is immutable and safe for
// concurrent use.
type Ruleset struct {
	version     string
	description string
	hash        string
	params      map[string]ref.Val
	paramSrc    map[string]any
	derived     []*derivedFact
	rules       []*Rule
	all         cel.Program    // every rule's condition as one list, see buildAll
	acts        sync.Pool      // *activation, sized for this ruleset
	index       map[string]int // activation slot by fact name
	names       *nameTable     // the same, for fast lookup while screening
	slots       int
	defaultU    float64
}

// Version returns the ruleset's declared version.
func (rs *Ruleset) Version() string { return rs.version }

// Description returns the ruleset's declared description.
func (rs *Ruleset) Description() string { return rs.description }

// Hash returns "sha256:" and the hex SHA-256 of the ruleset's canonical
// form: its version, parameters, derived facts and rules with every field
// that affects a decision, independent of file layout, key order, YAML
// comments and descriptions. Equal hashes mean equal decisions.
func (rs *Ruleset) Hash() string { return rs.hash }

// Rules returns copies of the rules in load order.
func (rs *Ruleset) Rules() []Rule {
	out := make([]Rule, len(rs.rules))
	for i, r := range rs.rules {
		out[i] = *r
	}
	return out
}

// Params returns the ruleset's parameters as written (numbers as float64,
// lists as []string), keyed by name without the "params." prefix.
func (rs *Ruleset) Params() map[string]any {
	out := make(map[string]any, len(rs.paramSrc))
	for k, v := range rs.paramSrc {
		out[k] = v
	}
	return out
}

// EmbeddedFS returns the files of the embedded ruleset, for example to copy
// them as the starting point of a new ruleset directory.
func EmbeddedFS() fs.FS {
	sub, err := fs.Sub(embedded, "rules")
	if err != nil {
		panic(err) // "rules" is a valid path into the embedded tree
	}
	return sub
}

// Default loads the ruleset embedded in the binary. It compiles every rule,
// which takes milliseconds: load once and share the result.
func Default() (*Ruleset, error) {
	return Load(EmbeddedFS())
}

// LoadDir loads the ruleset in directory dir (its *.yaml and *.yml files).
func LoadDir(dir string) (*Ruleset, error) {
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("policy: ruleset directory: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("policy: ruleset %s is not a directory", dir)
	}
	return Load(os.DirFS(dir))
}

// Load loads and compiles the ruleset in the root of fsys: every *.yaml and
// *.yml file, in name order. Any error refuses the whole ruleset: the
// returned *LoadError lists every problem found, each naming its file, rule
// and reason. Warnings (see Lint) do not refuse a ruleset.
func Load(fsys fs.FS) (*Ruleset, error) {
	rs, problems := compile(fsys)
	var errs []Problem
	for _, p := range problems {
		if p.Severity == SeverityError {
			errs = append(errs, p)
		}
	}
	if len(errs) > 0 {
		return nil, &LoadError{Problems: errs}
	}
	return rs, nil
}

// Problem severities.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Problem is one thing wrong with a ruleset.
type Problem struct {
	Severity string `json:"severity"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
	Rule     string `json:"rule,omitempty"`
	Message  string `json:"message"`
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Severity)
	b.WriteString(": ")
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		b.WriteString(": ")
	}
	if p.Rule != "" {
		b.WriteString("rule ")
		b.WriteString(p.Rule)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// LoadError refuses a ruleset and lists why.
type LoadError struct {
	Problems []Problem
}

func (e *LoadError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return fmt.Sprintf("policy: ruleset refused, %d problem(s):\n  %s", len(e.Problems), strings.Join(parts, "\n  "))
}

// The YAML documents. Keys are checked by hand against these sets so that a
// misspelt key is reported with its rule, rather than silently ignored.
var (
	fileKeys    = []string{"version", "description", "params", "derived", "rules"}
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

// loader accumulates problems while compiling.
type loader struct {
	problems []Problem
}

func (l *loader) errf(file string, line int, rule, format string, args ...any) {
	l.problems = append(l.problems, Problem{Severity: SeverityError, File: file, Line: line, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

func (l *loader) warnf(file string, line int, rule, format string, args ...any) {
	l.problems = append(l.problems, Problem{Severity: SeverityWarning, File: file, Line: line, Rule: rule, Message: fmt.Sprintf(format, args...)})
}

type pendingRule struct {
	doc  ruleDoc
	file string
	line int
}

type pendingDerived struct {
	doc  derivedDoc
	file string
	line int
}

type pendingParam struct {
	value any
	file  string
	line  int
}

// compile does the work of Load and Lint: it returns the ruleset (nil when
// it cannot be built) and every problem, errors and warnings.
func compile(fsys fs.FS) (*Ruleset, []Problem) {
	l := &loader{}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		l.errf("", 0, "", "cannot read the ruleset directory: %v", err)
		return nil, l.problems
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
		return nil, l.problems
	}

	var (
		version, description, versionFile string
		params                            = map[string]pendingParam{}
		derived                           []pendingDerived
		rules                             []pendingRule
	)
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			l.errf(name, 0, "", "cannot read: %v", err)
			continue
		}
		var root yaml.Node
		if err := yaml.Unmarshal(data, &root); err != nil {
			l.errf(name, 0, "", "not valid YAML: %v", err)
			continue
		}
		if len(root.Content) == 0 {
			l.warnf(name, 0, "", "empty file")
			continue
		}
		doc := root.Content[0]
		if doc.Kind != yaml.MappingNode {
			l.errf(name, doc.Line, "", "the file must be a mapping with keys %s", strings.Join(fileKeys, ", "))
			continue
		}
		for i := 0; i+1 < len(doc.Content); i += 2 {
			k, v := doc.Content[i], doc.Content[i+1]
			switch k.Value {
			case "version":
				if version != "" {
					l.errf(name, k.Line, "", "version is declared again (first in %s): declare it in one file only", versionFile)
					continue
				}
				if v.Kind != yaml.ScalarNode || strings.TrimSpace(v.Value) == "" {
					l.errf(name, v.Line, "", "version must be a non-empty string")
					continue
				}
				version, versionFile = strings.TrimSpace(v.Value), name
			case "description":
				description = strings.TrimSpace(v.Value)
			case "params":
				if v.Kind != yaml.MappingNode {
					l.errf(name, v.Line, "", "params must be a mapping of name to value")
					continue
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
			case "derived":
				if v.Kind != yaml.SequenceNode {
					l.errf(name, v.Line, "", "derived must be a list")
					continue
				}
				for _, n := range v.Content {
					var d derivedDoc
					if !checkKeys(l, name, n, "derived fact", derivedKeys) {
						continue
					}
					if err := n.Decode(&d); err != nil {
						l.errf(name, n.Line, "", "derived fact: %v", err)
						continue
					}
					derived = append(derived, pendingDerived{d, name, n.Line})
				}
			case "rules":
				if v.Kind != yaml.SequenceNode {
					l.errf(name, v.Line, "", "rules must be a list")
					continue
				}
				for _, n := range v.Content {
					var d ruleDoc
					if !checkKeys(l, name, n, "rule", ruleKeys) {
						continue
					}
					if err := n.Decode(&d); err != nil {
						l.errf(name, n.Line, ruleIDOf(n), "%v", err)
						continue
					}
					rules = append(rules, pendingRule{d, name, n.Line})
				}
			default:
				l.errf(name, k.Line, "", "unknown key %q (allowed: %s)", k.Value, strings.Join(fileKeys, ", "))
			}
		}
	}
	if version == "" {
		l.errf("", 0, "", "no file declares the ruleset version")
	}

	rs := &Ruleset{version: version, description: description, params: map[string]ref.Val{}, paramSrc: map[string]any{},
		index: map[string]int{}}

	// Parameters become CEL constants, so thresholds and lists are inlined
	// and `x in params.list` is optimised into a set lookup.
	// ext.Sets gives sets.contains/intersects/equivalent over lists, which
	// run natively, much faster than an exists() comprehension.
	opts := []cel.EnvOption{cel.CrossTypeNumericComparisons(true), ext.Sets()}
	for i, f := range facts {
		opts = append(opts, cel.Variable(f.name, f.typ))
		rs.index[f.name] = i
	}
	for _, k := range sortedKeys(params) {
		p := params[k]
		val, typ := celParam(p.value)
		rs.params[k] = val
		rs.paramSrc[k] = p.value
		opts = append(opts, cel.Constant("params."+k, typ, val))
	}
	if p, ok := params["default_utilisation"]; !ok {
		l.errf("", 0, "", "param default_utilisation is required (the hardware estimate's utilisation when none is declared)")
	} else if u, isNum := p.value.(float64); !isNum || u <= 0 || u > 1 {
		l.errf(p.file, p.line, "", "param default_utilisation must be a number in (0, 1]")
	} else {
		rs.defaultU = u
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		l.errf("", 0, "", "cannot build the CEL environment: %v", err)
		return nil, l.problems
	}
	progOpts := []cel.ProgramOption{cel.EvalOptions(cel.OptOptimize)}

	// Derived facts, in file then list order; each may use the earlier ones.
	slot := len(facts)
	seenDerived := map[string]bool{}
	for _, pd := range derived {
		d := pd.doc
		if !nameRE.MatchString(d.Name) {
			l.errf(pd.file, pd.line, "", "derived fact %q: a name is lower-case letters, digits and underscores", d.Name)
			continue
		}
		full := "derived." + d.Name
		if seenDerived[full] {
			l.errf(pd.file, pd.line, "", "derived fact %s is declared twice", full)
			continue
		}
		seenDerived[full] = true
		ast, iss := env.Compile(d.Expr)
		if iss.Err() != nil {
			l.errf(pd.file, pd.line, "", "derived fact %s does not compile: %s", full, oneLine(iss.Err().Error()))
			continue
		}
		prg, err := env.Program(ast, progOpts...)
		if err != nil {
			l.errf(pd.file, pd.line, "", "derived fact %s: %v", full, err)
			continue
		}
		env, err = env.Extend(cel.Variable(full, ast.OutputType()))
		if err != nil {
			l.errf(pd.file, pd.line, "", "derived fact %s: %v", full, err)
			continue
		}
		rs.index[full] = slot
		rs.derived = append(rs.derived, &derivedFact{name: full, expr: d.Expr, doc: d.Doc, file: pd.file, line: pd.line,
			typ: ast.OutputType(), slot: slot, prg: prg})
		slot++
	}
	rs.slots = slot
	rs.names = newNameTable(rs.index)
	rs.acts.New = rs.newActivation

	seen := map[string]pendingRule{}
	for i, pr := range rules {
		d, file, line := pr.doc, pr.file, pr.line
		id := d.ID
		bad := false
		fail := func(format string, args ...any) {
			l.errf(file, line, id, format, args...)
			bad = true
		}
		if !idRE.MatchString(id) {
			fail("the id must be lower-case letters, digits, '.', '_' or '-' (got %q)", id)
		}
		if prev, dup := seen[id]; dup && id != "" {
			fail("duplicate id (first at %s:%d)", prev.file, prev.line)
		}
		seen[id] = pr
		if strings.TrimSpace(d.Basis) == "" {
			fail("no legal basis: every rule must cite one (for example \"AI Act Art. 5(1)(f)\")")
		}
		eff := pactum.Effect(d.Effect)
		switch eff {
		case pactum.EffectDeny, pactum.EffectCondition, pactum.EffectInfo:
			if d.Referral != "" {
				fail("referral %q is only for effect refer", d.Referral)
			}
		case pactum.EffectRefer:
			if d.Referral != ReferralEthics && d.Referral != ReferralTechnical && d.Referral != ReferralLegal {
				fail("effect refer needs referral ethics, technical or legal (got %q)", d.Referral)
			}
		default:
			fail("unknown effect %q: must be deny, refer, condition or info", d.Effect)
		}
		if strings.TrimSpace(d.Message) == "" {
			fail("no message for the applicant")
		}
		var from, to pactum.Date
		if d.ValidFrom != "" {
			if from, err = pactum.ParseDate(d.ValidFrom); err != nil {
				fail("valid_from: %v", err)
			}
		}
		if d.ValidTo != "" {
			if to, err = pactum.ParseDate(d.ValidTo); err != nil {
				fail("valid_to: %v", err)
			}
		}
		if !from.IsZero() && !to.IsZero() && to.Time().Before(from.Time()) {
			fail("valid_to %s is before valid_from %s", to, from)
		}
		var prg cel.Program
		if strings.TrimSpace(d.When) == "" {
			fail("no condition (when)")
		} else if ast, iss := env.Compile(d.When); iss.Err() != nil {
			fail("the condition does not compile: %s", oneLine(iss.Err().Error()))
		} else if !ast.OutputType().IsExactType(cel.BoolType) {
			fail("the condition must be a bool, not %s", ast.OutputType())
		} else if prg, err = env.Program(ast, progOpts...); err != nil {
			fail("the condition cannot be planned: %v", err)
		}
		tpl, err := parseTemplate(d.Message, rs)
		if err != nil {
			fail("message: %v", err)
		}
		if bad {
			continue
		}
		r := &Rule{ID: id, Basis: strings.TrimSpace(d.Basis), Effect: eff, Referral: d.Referral,
			When: d.When, Message: strings.TrimSpace(d.Message), ValidFrom: from, ValidTo: to,
			Description: strings.TrimSpace(d.Description), File: file, Line: line, order: i, prg: prg, msg: tpl,
			from: math.MinInt64, to: math.MaxInt64, rank: effectRank(eff)}
		if !from.IsZero() {
			r.from = dayNumber(from.Time())
		}
		if !to.IsZero() {
			r.to = dayNumber(to.Time())
		}
		rs.rules = append(rs.rules, r)
	}
	if len(rules) == 0 {
		l.errf("", 0, "", "the ruleset has no rules")
	}
	lintWarnings(l, rs)

	for _, p := range l.problems {
		if p.Severity == SeverityError {
			return nil, l.problems
		}
	}
	if err := rs.buildAll(env, progOpts); err != nil {
		l.errf("", 0, "", "cannot combine the rules into one program: %v", err)
		return nil, l.problems
	}
	rs.hash = canonicalHash(rs)
	return rs, l.problems
}

// buildAll compiles every rule's condition into one program that returns a
// list of booleans, one per rule in load order. One evaluation of it costs
// far less than one per rule, because each cel Program.Eval pays a fixed
// overhead (frame, pool, panic guard) of the order of the cheap conditions
// themselves. The conditions were already compiled one by one, so errors
// name their rule; this program only changes how they are run.
func (rs *Ruleset) buildAll(env *cel.Env, opts []cel.ProgramOption) error {
	var b strings.Builder
	b.WriteString("[")
	for i, r := range rs.rules {
		if i > 0 {
			b.WriteString(",")
		}
		// Newlines keep a trailing // comment in a condition from
		// swallowing the rest.
		b.WriteString("\n(")
		b.WriteString(r.When)
		b.WriteString("\n)")
	}
	b.WriteString("]")
	ast, iss := env.Compile(b.String())
	if iss.Err() != nil {
		return iss.Err()
	}
	prg, err := env.Program(ast, opts...)
	if err != nil {
		return err
	}
	rs.all = prg
	return nil
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

func celParam(v any) (ref.Val, *cel.Type) {
	switch x := v.(type) {
	case float64:
		return types.Double(x), cel.DoubleType
	case string:
		return types.String(x), cel.StringType
	case bool:
		return types.Bool(x), cel.BoolType
	case []string:
		return types.NewStringList(adapter, x), strList
	}
	panic(fmt.Sprintf("policy: param of type %T", v)) // paramValue admits no other
}

func oneLine(s string) string {
	s = strings.TrimPrefix(s, "ERROR: ")
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimPrefix(s, "<input>:")
}

// lintWarnings adds the cheap "is this what you meant" checks: conditions
// that do not depend on the proposal, unused parameters and derived facts,
// and rules whose conditions repeat another's.
func lintWarnings(l *loader, rs *Ruleset) {
	used := map[string]bool{}
	texts := []string{}
	for _, d := range rs.derived {
		texts = append(texts, d.expr)
	}
	for _, r := range rs.rules {
		texts = append(texts, r.When, r.Message)
	}
	all := strings.Join(texts, "\n")
	for k := range rs.params {
		// default_utilisation is read by the Go estimate, not by rules.
		used["params."+k] = k == "default_utilisation" || containsIdent(all, "params."+k)
	}
	for _, d := range rs.derived {
		used[d.name] = containsIdent(all, d.name)
	}
	for _, k := range sortedKeys(used) {
		if !used[k] {
			l.warnf("", 0, "", "%s is never used", k)
		}
	}
	byWhen := map[string]*Rule{}
	for _, r := range rs.rules {
		// A condition that evaluates without any fact does not depend on the
		// proposal: CEL's && and || absorb the missing variables' errors
		// only when the other side alone decides.
		v, _, err := r.prg.Eval(interpreter.EmptyActivation())
		if err == nil {
			if v == types.False {
				l.warnf(r.File, r.Line, r.ID, "the condition is always false: the rule can never fire")
			} else if v == types.True {
				l.warnf(r.File, r.Line, r.ID, "the condition is always true: the rule fires for every proposal")
			}
		}
		key := strings.Join(strings.Fields(r.When), " ")
		if prev := byWhen[key]; prev != nil && prev.Effect == r.Effect && prev.Basis == r.Basis && sameValidity(prev, r) {
			l.warnf(r.File, r.Line, r.ID, "same condition, basis, effect and validity as rule %s: merge them or tell them apart", prev.ID)
		} else if prev == nil {
			byWhen[key] = r
		}
	}
}

func sameValidity(a, b *Rule) bool { return a.ValidFrom == b.ValidFrom && a.ValidTo == b.ValidTo }

// containsIdent reports whether name occurs in s as a whole identifier.
func containsIdent(s, name string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], name)
		if j < 0 {
			return false
		}
		end := i + j + len(name)
		if end == len(s) || !isIdentByte(s[end]) {
			return true
		}
		i = end
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// canonicalHash hashes the decision-relevant content in a fixed layout:
// JSON with sorted parameter names, derived facts and rules in load order.
func canonicalHash(rs *Ruleset) string {
	type cr struct {
		ID, Basis, Effect, Referral, When, Message, ValidFrom, ValidTo string
	}
	type cd struct{ Name, Expr string }
	c := struct {
		Version string
		Params  map[string]any
		Derived []cd
		Rules   []cr
	}{Version: rs.version, Params: rs.paramSrc}
	for _, d := range rs.derived {
		c.Derived = append(c.Derived, cd{d.name, strings.TrimSpace(d.expr)})
	}
	for _, r := range rs.rules {
		c.Rules = append(c.Rules, cr{r.ID, r.Basis, string(r.Effect), r.Referral, strings.TrimSpace(r.When), r.Message,
			r.ValidFrom.String(), r.ValidTo.String()})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		panic(err) // plain strings, floats and slices always encode
	}
	sum := sha256.Sum256(buf.Bytes())
	return "sha256:" + hex.EncodeToString(sum[:])
}
