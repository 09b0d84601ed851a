// SPDX-License-Identifier: EUPL-1.2

package policy

// nameTable maps fact names to activation slots. CEL resolves every
// variable by name on every evaluation, a few hundred lookups a screening,
// so this replaces a Go map (which hashes the whole name and probes) with a
// table indexed by the name's length and three of its bytes. The byte
// positions are searched at load so that no two names share a cell; a
// lookup is four loads, a multiply-xor and one string comparison. When no
// collision-free choice exists, it falls back to the map.
type nameTable struct {
	cells   []nameCell
	i, j, k int // byte positions, counted from the end of the name
	byName  map[string]int
}

type nameCell struct {
	name string
	slot int
}

const nameTableSize = 4096 // a power of two, ~30× the number of names

func newNameTable(index map[string]int) *nameTable {
	t := &nameTable{byName: index}
	cells := make([]nameCell, nameTableSize)
	for i := 1; i <= 20; i++ {
		for j := i + 1; j <= 20; j++ {
			for k := j + 1; k <= 20; k++ {
				clear(cells)
				ok := true
				for name, slot := range index {
					h := cellOf(name, i, j, k)
					if cells[h].name != "" {
						ok = false
						break
					}
					cells[h] = nameCell{name, slot}
				}
				if ok {
					t.cells, t.i, t.j, t.k = cells, i, j, k
					return t
				}
			}
		}
	}
	return t
}

func cellOf(name string, i, j, k int) int {
	n := len(name)
	var a, b, c byte
	if n >= i {
		a = name[n-i]
	}
	if n >= j {
		b = name[n-j]
	}
	if n >= k {
		c = name[n-k]
	}
	h := uint32(n)*0x9E3779B1 ^ uint32(a)*0x85EBCA77 ^ uint32(b)*0xC2B2AE3D ^ uint32(c)*0x27D4EB2F
	return int(h^h>>13) & (nameTableSize - 1)
}

func (t *nameTable) lookup(name string) (int, bool) {
	if t.cells == nil {
		slot, ok := t.byName[name]
		return slot, ok
	}
	c := &t.cells[cellOf(name, t.i, t.j, t.k)]
	if c.name != name || name == "" {
		return 0, false
	}
	return c.slot, true
}
