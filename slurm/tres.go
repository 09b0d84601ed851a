// SPDX-License-Identifier: EUPL-1.2

package slurm

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	pactum "github.com/pactum/pactum"
)

// TRES maps trackable-resource names (cpu, node, gres/gpu, ...) to counts:
// minutes in GrpTRESMins, units in AllocTRES. In a limit, NoLimit (-1)
// clears that TRES.
type TRES map[string]int64

// NoLimit is the value that clears a limit in sacctmgr.
const NoLimit = -1

// String formats t as Slurm writes it: "cpu=8,gres/gpu=4", sorted by name
// so that equal maps give equal strings.
func (t TRES) String() string {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strconv.FormatInt(t[k], 10))
	}
	return b.String()
}

// Validate returns EINVALID for an unknown TRES name or a count below
// NoLimit.
func (t TRES) Validate() error {
	var v pactum.Validator
	for k, n := range t {
		v.Check(ValidTRESName(k), k, "is not a TRES name Slurm accepts")
		v.Check(n >= NoLimit, k, "must be a count of minutes, or -1 to clear")
	}
	return v.Err("The TRES limits are not valid.")
}

// ParseTRES parses Slurm's "name=count,..." form (GrpTRESMins in sacctmgr
// output, AllocTRES in sacct). Memory-like values with a unit suffix
// (mem=64G) are returned in megabytes; an empty string gives an empty map.
func ParseTRES(s string) (TRES, error) {
	t := TRES{}
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, ",")
		k, v, ok := strings.Cut(pair, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("TRES %q: missing '='", pair)
		}
		n, ok := parseCount([]byte(v))
		if !ok {
			return nil, fmt.Errorf("TRES %q: bad count", pair)
		}
		t[k] = n
	}
	return t, nil
}

// parseCount parses a TRES count: digits, optionally with a decimal part
// and a K/M/G/T/P suffix (sacct converts memory unless --noconvert), which
// is returned in M (mebibytes, Slurm's memory unit). Fractions of a unit
// are truncated.
func parseCount(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	mult := int64(1)
	scaled := false
	switch b[len(b)-1] {
	case 'K':
		mult, scaled = 1, true // K: divided below
	case 'M':
		mult, scaled = 1, true
	case 'G':
		mult, scaled = 1<<10, true
	case 'T':
		mult, scaled = 1<<20, true
	case 'P':
		mult, scaled = 1<<30, true
	}
	kilo := scaled && b[len(b)-1] == 'K'
	if scaled {
		b = b[:len(b)-1]
	}
	var whole, frac, fracDiv int64 = 0, 0, 1
	i := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if whole > (1<<62)/10 {
			return 0, false
		}
		whole = whole*10 + int64(b[i]-'0')
	}
	if i == 0 {
		return 0, false
	}
	if i < len(b) {
		if !scaled || b[i] != '.' || i+1 == len(b) {
			return 0, false
		}
		for i++; i < len(b); i++ {
			c := b[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			if fracDiv < 1e9 {
				frac = frac*10 + int64(c-'0')
				fracDiv *= 10
			}
		}
	}
	if kilo {
		return (whole*fracDiv + frac) / fracDiv / 1024, true
	}
	if whole > (1<<62)/mult {
		return 0, false
	}
	return whole*mult + frac*mult/fracDiv, true
}
