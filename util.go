// SPDX-License-Identifier: EUPL-1.2

package pactum

import "strconv"

func itoa(i int) string { return strconv.Itoa(i) }

func formatFloat(x float64, prec int) string { return strconv.FormatFloat(x, 'f', prec, 64) }
