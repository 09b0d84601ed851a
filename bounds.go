// SPDX-License-Identifier: EUPL-1.2

package pactum

import "math"

// Upper bounds of the numbers people type. Each is far above anything real
// yet far below where arithmetic on it overflows: the screener multiplies
// parameters by tokens, hours by peak FLOP/s, and a value such as 1e200
// would make an estimate infinite, which JSON cannot carry. A value over
// its bound is refused as EINVALID naming the field and the bound.
const (
	// MaxAmount bounds a request, grant or call cap in a system's unit
	// (GPU- or node-hours): a billion, several times the largest EuroHPC
	// machine's GPU-hours over the 36 months an allocation may last.
	MaxAmount = 1e9
	// MaxStorageTB bounds a storage request: 100 PB.
	MaxStorageTB = 1e5
	// MaxParameterCount bounds a model's parameters: a quadrillion, some
	// hundred times today's largest models.
	MaxParameterCount = 1e15
	// MaxTrainingTokens bounds a training set: 1e16 tokens, some hundred
	// times today's largest.
	MaxTrainingTokens = 1e16
	// MaxTrainingFLOP bounds a declared training compute: 1e30 FLOP, four
	// orders above the AI Act's systemic-risk presumption of 1e25.
	MaxTrainingFLOP = 1e30
	// MaxStaff bounds an organization's headcount: ten million, above the
	// largest employer on earth.
	MaxStaff = 10_000_000
	// MaxEUR bounds a turnover or balance sheet: ten trillion euro.
	MaxEUR = 10_000_000_000_000
	// MaxNodes, MaxGPUsPerNode and MaxPeakTFLOPS bound a catalogue entry:
	// ten times the largest machine, node and accelerator there are.
	MaxNodes       = 100_000
	MaxGPUsPerNode = 64
	MaxPeakTFLOPS  = 100_000
	// MaxTDPWatts bounds an accelerator's rated power: 10 kW, ten times
	// the largest GPU module sold (about 1 kW).
	MaxTDPWatts = 10_000
	// MaxNodeOverhead and MaxPUE bound the factors on top of the GPUs'
	// power: a node drawing three times its GPUs' power is a CPU node,
	// and a PUE of 3 an air-cooled server room of the 2000s; anything
	// above is a typing slip.
	MaxNodeOverhead = 3
	MaxPUE          = 3
	// MaxGridGCO2PerKWh bounds a grid's carbon intensity: 2,000 g/kWh,
	// above lignite's (about 1,100), the dirtiest source there is.
	MaxGridGCO2PerKWh = 2_000
	// CallWindowYears bounds how far from now a call's opening and cut-off
	// may lie, either way.
	CallWindowYears = 5
	// AffiliationMaxYearsAhead bounds how far ahead a reviewer's
	// affiliation may be known to end (a fixed-term contract).
	AffiliationMaxYearsAhead = 10
	// TokenMaxYears bounds how far ahead an API token may expire.
	TokenMaxYears = 10
)

// EarliestDate is the earliest date a person may enter for a founding or an
// affiliation: anything before is a typing slip (0000-01-01 is the usual).
var EarliestDate = MustDate("1800-01-01")

// inRange reports whether x is a finite number in [lo, hi].
func inRange(x, lo, hi float64) bool {
	return !math.IsNaN(x) && x >= lo && x <= hi
}
