// SPDX-License-Identifier: EUPL-1.2

package solver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// WriteLP writes in as a mixed-integer program in CPLEX LP format, the same
// model Solve optimises: y<p> ∈ {0,1} accepts proposal p (0-based index in
// in.Proposals) and g<p>_<s> ≥ 0 is its grant on system s (0-based index in
// in.Systems), defined only for requested, compatible systems. It returns an
// EINVALID *pactum.Error for a malformed instance and any write error.
func WriteLP(w io.Writer, in *Instance) error {
	if err := in.Validate(); err != nil {
		return err
	}
	m := compile(in)
	bw := bufio.NewWriter(w)
	// line keeps lines short: some LP readers limit line length.
	var n int
	term := func(coef float64, name string, first bool) {
		if n >= 8 {
			bw.WriteString("\n ")
			n = 0
		}
		switch {
		case first && coef == 1:
			fmt.Fprintf(bw, " %s", name)
		case first:
			fmt.Fprintf(bw, " %s %s", num(coef), name)
		case coef == 1:
			fmt.Fprintf(bw, " + %s", name)
		case coef < 0:
			fmt.Fprintf(bw, " - %s %s", num(-coef), name)
		default:
			fmt.Fprintf(bw, " + %s %s", num(coef), name)
		}
		n++
	}
	gname := func(p, a int) string { return fmt.Sprintf("g%d_%d", m.props[p].idx, m.props[p].arcs[a].sys) }
	yname := func(p int) string { return fmt.Sprintf("y%d", m.props[p].idx) }

	bw.WriteString("\\ pactum allocation model\nMaximize\n obj:")
	first := true
	for p := range m.props {
		for a := range m.props[p].arcs {
			term(m.props[p].score, gname(p, a), first)
			first = false
		}
	}
	if first {
		bw.WriteString(" 0 dummy")
	}
	bw.WriteString("\nSubject To\n")
	// coupling rows
	rowArcs := make([][][2]int, len(m.rowCap))
	for p := range m.props {
		for a, arc := range m.props[p].arcs {
			for _, r := range arc.rows {
				rowArcs[r] = append(rowArcs[r], [2]int{p, a})
			}
		}
	}
	for r, arcs := range rowArcs {
		if len(arcs) == 0 {
			continue
		}
		if m.rowKind[r] == rowCapacity {
			fmt.Fprintf(bw, " cap%d:", m.rowSys[r])
		} else {
			fmt.Fprintf(bw, " res%d_%d:", m.rowRes[r], m.rowSys[r])
		}
		n = 0
		for i, pa := range arcs {
			term(1, gname(pa[0], pa[1]), i == 0)
		}
		fmt.Fprintf(bw, " <= %s\n", num(m.rowCap[r]))
	}
	for o, og := range m.orgs {
		if math.IsInf(og.cap, 1) || len(og.props) == 0 {
			continue
		}
		fmt.Fprintf(bw, " org%d:", o)
		n = 0
		first := true
		for _, p := range og.props {
			for a := range m.props[p].arcs {
				term(1, gname(p, a), first)
				first = false
			}
		}
		if first {
			continue
		}
		fmt.Fprintf(bw, " <= %s\n", num(og.cap))
	}
	for p := range m.props {
		pp := &m.props[p]
		if len(pp.arcs) == 0 {
			continue
		}
		for a, arc := range pp.arcs {
			fmt.Fprintf(bw, " ub%d_%d: %s - %s %s <= 0\n", pp.idx, arc.sys, gname(p, a), num(arc.req), yname(p))
		}
		fmt.Fprintf(bw, " min%d:", pp.idx)
		n = 0
		for a := range pp.arcs {
			term(1, gname(p, a), a == 0)
		}
		fmt.Fprintf(bw, " - %s %s >= 0\n", num(pp.min), yname(p))
	}
	bw.WriteString("Binaries\n")
	n = 0
	for p := range m.props {
		if len(m.props[p].arcs) == 0 {
			continue
		}
		if n >= 10 {
			bw.WriteString("\n")
			n = 0
		}
		fmt.Fprintf(bw, " %s", yname(p))
		n++
	}
	bw.WriteString("\nEnd\n")
	return bw.Flush()
}

func num(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// CBCOptions tune RunCBC.
type CBCOptions struct {
	// Path is the cbc binary (default: "cbc" on PATH).
	Path string
	// TimeLimit is passed to cbc as -sec (0: none; ctx still applies).
	TimeLimit time.Duration
	// RatioGap stops cbc at this relative gap (0: prove optimality).
	RatioGap float64
	// Dir holds the model and solution files (default: a fresh temporary
	// directory, removed afterwards).
	Dir string
	// Now is the clock for Elapsed (default time.Now).
	Now func() time.Time
}

// CBCResult is cbc's answer on the same model.
type CBCResult struct {
	// Status is cbc's first word on the solution: "Optimal", "Stopped",
	// "Infeasible", ...
	Status    string  `json:"status"`
	Optimal   bool    `json:"optimal"`
	Objective float64 `json:"objective"`
	// Bound is cbc's best bound when it reports one (stopped early), else
	// the objective when optimal.
	Bound   float64       `json:"bound"`
	Elapsed time.Duration `json:"elapsed"`
	// Grants[p][s] is the grant of proposal p on system s (indices into
	// the instance), for checking cbc's solution with Check.
	Grants [][]float64 `json:"-"`
	Log    string      `json:"-"`
}

// ErrCBCNotFound is returned by RunCBC when no cbc binary can be found.
var ErrCBCNotFound = errors.New("cbc not found (Debian: apt-get install coinor-cbc)")

// RunCBC solves in with COIN-OR cbc (Debian's coinor-cbc 2.10.8) by writing a
// CPLEX-LP file and parsing cbc's solution file. It returns ErrCBCNotFound
// (wrapped) when cbc is missing, ctx's error if ctx ends first, and an
// error with cbc's output when cbc fails.
func RunCBC(ctx context.Context, in *Instance, opts CBCOptions) (*CBCResult, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	bin := opts.Path
	if bin == "" {
		bin = "cbc"
	}
	bin, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("run cbc: %w: %v", ErrCBCNotFound, err)
	}
	dir := opts.Dir
	if dir == "" {
		dir, err = os.MkdirTemp("", "pactum-cbc-")
		if err != nil {
			return nil, fmt.Errorf("run cbc: %w", err)
		}
		defer os.RemoveAll(dir)
	}
	lpPath := filepath.Join(dir, "model.lp")
	solPath := filepath.Join(dir, "solution.txt")
	f, err := os.Create(lpPath)
	if err != nil {
		return nil, fmt.Errorf("run cbc: %w", err)
	}
	if err := WriteLP(f, in); err != nil {
		f.Close()
		return nil, fmt.Errorf("run cbc: write model: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("run cbc: %w", err)
	}
	args := []string{lpPath}
	if opts.TimeLimit > 0 {
		args = append(args, "-sec", num(opts.TimeLimit.Seconds()))
	}
	if opts.RatioGap > 0 {
		args = append(args, "-ratio", num(opts.RatioGap))
	}
	args = append(args, "-solve", "-solu", solPath)
	cmd := exec.CommandContext(ctx, bin, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	start := opts.Now()
	runErr := cmd.Run()
	elapsed := opts.Now().Sub(start)
	if ctx.Err() != nil {
		return nil, fmt.Errorf("run cbc: %w", ctx.Err())
	}
	if runErr != nil {
		return nil, fmt.Errorf("run cbc: %w\n%s", runErr, tail(out.String(), 2000))
	}
	sol, err := os.ReadFile(solPath)
	if err != nil {
		return nil, fmt.Errorf("run cbc: no solution file: %w\n%s", err, tail(out.String(), 2000))
	}
	res, err := parseCBCSolution(sol, in)
	if err != nil {
		return nil, fmt.Errorf("run cbc: %w", err)
	}
	res.Elapsed = elapsed
	res.Log = out.String()
	res.Bound = res.Objective
	if b, ok := parseCBCBound(out.String()); ok && !res.Optimal {
		res.Bound = b
	}
	return res, nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

// parseCBCSolution reads cbc's -solu file: a status line such as
// "Optimal - objective value 156.64" then one line per variable:
// index, name, value, reduced cost.
func parseCBCSolution(b []byte, in *Instance) (*CBCResult, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	if !sc.Scan() {
		return nil, errors.New("empty cbc solution file")
	}
	head := sc.Text()
	i := strings.Index(head, "objective value")
	if i < 0 {
		return nil, fmt.Errorf("unexpected cbc solution header %q", head)
	}
	res := &CBCResult{Status: strings.Fields(head)[0]}
	res.Optimal = strings.HasPrefix(head, "Optimal")
	obj, err := strconv.ParseFloat(strings.TrimSpace(head[i+len("objective value"):]), 64)
	if err != nil {
		return nil, fmt.Errorf("cbc objective in %q: %w", head, err)
	}
	res.Objective = obj
	if strings.HasPrefix(head, "Infeasible") || strings.HasPrefix(head, "Integer infeasible") {
		return nil, fmt.Errorf("cbc reports %q", head)
	}
	res.Grants = make([][]float64, len(in.Proposals))
	for p := range res.Grants {
		res.Grants[p] = make([]float64, len(in.Systems))
	}
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 3 {
			continue
		}
		// "**" marks an infeasible value in some cbc versions.
		if fs[0] == "**" {
			fs = fs[1:]
		}
		name := fs[1]
		if !strings.HasPrefix(name, "g") {
			continue
		}
		ps, ss, ok := strings.Cut(name[1:], "_")
		if !ok {
			continue
		}
		p, err1 := strconv.Atoi(ps)
		s, err2 := strconv.Atoi(ss)
		v, err3 := strconv.ParseFloat(fs[2], 64)
		if err1 != nil || err2 != nil || err3 != nil || p < 0 || p >= len(in.Proposals) || s < 0 || s >= len(in.Systems) {
			return nil, fmt.Errorf("bad cbc solution line %q", sc.Text())
		}
		res.Grants[p][s] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read cbc solution: %w", err)
	}
	return res, nil
}

// parseCBCBound finds "Lower bound: x" in cbc's log (printed in the
// problem's own sense, here an upper bound on the maximum) when cbc stopped
// before proving optimality.
func parseCBCBound(log string) (float64, bool) {
	for _, line := range strings.Split(log, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "Lower bound:"); ok {
			if v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64); err == nil {
				return v, true
			}
		}
	}
	return 0, false
}

// Comparison puts Solve's and cbc's answers to one instance side by side.
type Comparison struct {
	Proposals int        `json:"proposals"`
	Systems   int        `json:"systems"`
	Go        *Result    `json:"go"`
	CBC       *CBCResult `json:"cbc"`
	// RelDiff is (cbc objective − Go objective)/cbc objective: how much
	// the pure-Go answer leaves on the table (negative if cbc, stopped
	// early, did worse).
	RelDiff float64 `json:"rel_diff"`
	// BoundHolds reports whether Go's proven bound is at least cbc's
	// objective, as it must be.
	BoundHolds bool `json:"bound_holds"`
	// CBCFeasible is Check's verdict on cbc's solution (nil: feasible).
	CBCFeasible error `json:"-"`
}

// CompareWithCBC solves in with Solve and with cbc and reports both
// objectives, times and the difference; `pactum allocate --check` prints
// it. It returns Solve's errors, and RunCBC's (ErrCBCNotFound when cbc is
// missing).
func CompareWithCBC(ctx context.Context, in *Instance, opts Options, cbc CBCOptions) (*Comparison, error) {
	res, err := Solve(ctx, in, opts)
	if err != nil {
		return nil, fmt.Errorf("compare with cbc: %w", err)
	}
	cr, err := RunCBC(ctx, in, cbc)
	if err != nil {
		return nil, fmt.Errorf("compare with cbc: %w", err)
	}
	c := &Comparison{Proposals: len(in.Proposals), Systems: len(in.Systems), Go: res, CBC: cr}
	if cr.Objective != 0 {
		c.RelDiff = (cr.Objective - res.Objective) / cr.Objective
	}
	c.BoundHolds = res.Bound >= cr.Objective*(1-1e-7)
	c.CBCFeasible = CheckGrants(in, cr.Grants)
	return c, nil
}
