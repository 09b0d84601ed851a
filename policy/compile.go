// SPDX-License-Identifier: EUPL-1.2

package policy

import (
	"fmt"
	"io/fs"
	"math"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/ext"

	"github.com/pactum/pactum"
)

// compile does the work of Load and Lint: it returns the ruleset (nil when
// it cannot be built) and every problem, errors and warnings. Each step
// reports what it finds and carries on where it can, so that one run names
// every problem of a ruleset.
func compile(fsys fs.FS) (*Ruleset, []Problem) {
	l := &loader{}
	names := l.yamlFiles(fsys)
	if names == nil {
		return nil, l.problems
	}
	src := l.readSources(fsys, names)

	rs := &Ruleset{version: src.version, description: src.description, params: map[string]ref.Val{}, paramSrc: map[string]any{},
		index: map[string]int{}}
	env, err := l.newEnv(rs, src.params)
	if err != nil {
		l.errf("", 0, "", "cannot build the CEL environment: %v", err)
		return nil, l.problems
	}
	progOpts := []cel.ProgramOption{cel.EvalOptions(cel.OptOptimize)}
	env = l.compileDerived(rs, env, progOpts, src.derived)
	rs.names = newNameTable(rs.index)
	rs.acts.New = rs.newActivation
	l.compileRules(rs, env, progOpts, src.rules)
	l.compileQuestions(rs, src.questions)
	l.compileText(rs, src.text)
	if len(src.rules) == 0 {
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

// newEnv declares the facts and parameters in rs and returns the CEL
// environment the derived facts and rules compile in. It checks the
// parameter the Go code itself needs, default_utilisation.
func (l *loader) newEnv(rs *Ruleset, params map[string]pendingParam) (*cel.Env, error) {
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
	return cel.NewEnv(opts...)
}

// compileDerived compiles the derived facts, in file then list order, into
// rs and gives each an activation slot after the facts'. Each may use the
// earlier ones, so each extends the environment; the returned environment
// declares them all, for the rules.
func (l *loader) compileDerived(rs *Ruleset, env *cel.Env, progOpts []cel.ProgramOption, derived []pendingDerived) *cel.Env {
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
			typ: ast.OutputType(), slot: slot, prg: prg, native: compileNativeDerived(rs, full, ast)})
		slot++
	}
	rs.slots = slot
	return env
}

// compileRules compiles the rules into rs in load order. A rule with
// problems is left out, after all of its problems are reported.
func (l *loader) compileRules(rs *Ruleset, env *cel.Env, progOpts []cel.ProgramOption, rules []pendingRule) {
	seen := map[string]pendingRule{}
	for i, pr := range rules {
		if r := l.compileRule(rs, env, progOpts, pr, seen); r != nil {
			r.order = i
			rs.rules = append(rs.rules, r)
		}
	}
}

// ruleProblems reports the problems of one rule, under its file, line and
// id, and remembers whether there were any.
type ruleProblems struct {
	l    *loader
	file string
	line int
	id   string
	bad  bool
}

func (p *ruleProblems) fail(format string, args ...any) {
	p.l.errf(p.file, p.line, p.id, format, args...)
	p.bad = true
}

// compileRule checks and compiles one rule, recording it in seen by id;
// nil when it has problems. Every check runs, so all of a rule's problems
// are reported together.
func (l *loader) compileRule(rs *Ruleset, env *cel.Env, progOpts []cel.ProgramOption, pr pendingRule, seen map[string]pendingRule) *Rule {
	d := pr.doc
	p := &ruleProblems{l: l, file: pr.file, line: pr.line, id: d.ID}
	checkRuleID(p, pr, seen)
	if strings.TrimSpace(d.Basis) == "" {
		p.fail("no legal basis: every rule must cite one (for example \"AI Act Art. 5(1)(f)\")")
	}
	eff := checkEffect(p, d)
	if strings.TrimSpace(d.Message) == "" {
		p.fail("no message for the applicant")
	}
	from, to := checkValidity(p, d)
	prg, ast := compileCondition(p, env, progOpts, d.When)
	tpl, err := parseTemplate(d.Message, rs)
	if err != nil {
		p.fail("message: %v", err)
	}
	if p.bad {
		return nil
	}
	r := &Rule{ID: d.ID, Basis: strings.TrimSpace(d.Basis), Effect: eff, Referral: d.Referral,
		When: d.When, Message: strings.TrimSpace(d.Message), ValidFrom: from, ValidTo: to,
		Description: strings.TrimSpace(d.Description), File: pr.file, Line: pr.line, prg: prg, msg: tpl, native: compileNativeBool(rs, ast),
		from: math.MinInt64, to: math.MaxInt64, rank: effectRank(eff)}
	if !from.IsZero() {
		r.from = dayNumber(from.Time())
	}
	if !to.IsZero() {
		r.to = dayNumber(to.Time())
	}
	return r
}

// checkRuleID checks the rule's id is well formed and not taken by an
// earlier rule, then records the rule under it.
func checkRuleID(p *ruleProblems, pr pendingRule, seen map[string]pendingRule) {
	id := pr.doc.ID
	if !idRE.MatchString(id) {
		p.fail("the id must be lower-case letters, digits, '.', '_' or '-' (got %q)", id)
	}
	if prev, dup := seen[id]; dup && id != "" {
		p.fail("duplicate id (first at %s:%d)", prev.file, prev.line)
	}
	seen[id] = pr
}

// checkEffect checks the rule's effect and that a referral comes with
// effect refer, and with it only.
func checkEffect(p *ruleProblems, d ruleDoc) pactum.Effect {
	eff := pactum.Effect(d.Effect)
	switch eff {
	case pactum.EffectDeny, pactum.EffectCondition, pactum.EffectInfo:
		if d.Referral != "" {
			p.fail("referral %q is only for effect refer", d.Referral)
		}
	case pactum.EffectRefer:
		if d.Referral != ReferralEthics && d.Referral != ReferralTechnical && d.Referral != ReferralLegal {
			p.fail("effect refer needs referral ethics, technical or legal (got %q)", d.Referral)
		}
	default:
		p.fail("unknown effect %q: must be deny, refer, condition or info", d.Effect)
	}
	return eff
}

// checkValidity parses the rule's validity dates, each optional, and
// checks they are in order.
func checkValidity(p *ruleProblems, d ruleDoc) (from, to pactum.Date) {
	var err error
	if d.ValidFrom != "" {
		if from, err = pactum.ParseDate(d.ValidFrom); err != nil {
			p.fail("valid_from: %v", err)
		}
	}
	if d.ValidTo != "" {
		if to, err = pactum.ParseDate(d.ValidTo); err != nil {
			p.fail("valid_to: %v", err)
		}
	}
	if !from.IsZero() && !to.IsZero() && to.Time().Before(from.Time()) {
		p.fail("valid_to %s is before valid_from %s", to, from)
	}
	return from, to
}

// compileCondition compiles the rule's condition, which must be a CEL bool
// over the facts, parameters and derived facts, and its checked AST; nils
// when it is not.
func compileCondition(p *ruleProblems, env *cel.Env, progOpts []cel.ProgramOption, when string) (cel.Program, *cel.Ast) {
	if strings.TrimSpace(when) == "" {
		p.fail("no condition (when)")
		return nil, nil
	}
	ast, iss := env.Compile(when)
	if iss.Err() != nil {
		p.fail("the condition does not compile: %s", oneLine(iss.Err().Error()))
		return nil, nil
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		p.fail("the condition must be a bool, not %s", ast.OutputType())
		return nil, nil
	}
	prg, err := env.Program(ast, progOpts...)
	if err != nil {
		p.fail("the condition cannot be planned: %v", err)
		return nil, nil
	}
	return prg, ast
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
	rs.allNative = true
	for _, r := range rs.rules {
		rs.allNative = rs.allNative && r.native != nil
	}
	return nil
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
