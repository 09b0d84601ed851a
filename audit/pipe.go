// SPDX-License-Identifier: EUPL-1.2

package audit

import (
	"github.com/pactum/pactum"
)

// Pipe checks rows on a goroutine of its own while the caller reads the
// next ones: reading a long chain from the database and hashing it then
// overlap on two cores. It copies each row, since the store reuses them,
// and hands them over in batches, so the goroutines meet once a batch.
type Pipe struct {
	fn   func(*pactum.AuditRow) bool
	full chan *rowBatch
	free chan *rowBatch
	done chan struct{}
	cur  *rowBatch
	// stop is closed once fn returns false.
	stop chan struct{}
}

// pipeBatch is how many rows a batch holds; pipeBatches how many batches
// are in flight.
const (
	pipeBatch   = 512
	pipeBatches = 3
)

type rowBatch struct {
	buf  []byte
	ends [][10]int // each row's field ends in buf
	seqs []int64
	rows []pactum.AuditRow
}

// NewPipe starts a pipe that calls fn with every row added, in order,
// until fn returns false. Close it.
func NewPipe(fn func(*pactum.AuditRow) bool) *Pipe {
	p := &Pipe{fn: fn, full: make(chan *rowBatch, pipeBatches), free: make(chan *rowBatch, pipeBatches), done: make(chan struct{}),
		stop: make(chan struct{})}
	for range pipeBatches {
		p.free <- &rowBatch{}
	}
	go p.run()
	return p
}

func (p *Pipe) run() {
	defer close(p.done)
	stopped := false
	for b := range p.full {
		if !stopped {
			b.slice()
			for i := range b.rows {
				if !p.fn(&b.rows[i]) {
					stopped = true
					close(p.stop)
					break
				}
			}
		}
		p.free <- b
	}
}

// slice points the batch's rows into its buffer.
func (b *rowBatch) slice() {
	b.rows = b.rows[:0]
	start := 0
	for i, ends := range b.ends {
		var r pactum.AuditRow
		r.Seq = b.seqs[i]
		fields := [10]*[]byte{&r.ID, &r.At, &r.ActorID, &r.Action, &r.SubjectType, &r.SubjectID, &r.Before, &r.After, &r.PrevHash, &r.Hash}
		for k, end := range ends {
			*fields[k] = b.buf[start:end:end]
			start = end
		}
		b.rows = append(b.rows, r)
	}
}

// Add queues a copy of r, and reports false once fn has returned false
// (the caller may stop reading).
func (p *Pipe) Add(r *pactum.AuditRow) bool {
	select {
	case <-p.stop:
		return false
	default:
	}
	if p.cur == nil {
		p.cur = <-p.free
		p.cur.buf, p.cur.ends, p.cur.seqs = p.cur.buf[:0], p.cur.ends[:0], p.cur.seqs[:0]
	}
	b := p.cur
	var ends [10]int
	for k, f := range [10][]byte{r.ID, r.At, r.ActorID, r.Action, r.SubjectType, r.SubjectID, r.Before, r.After, r.PrevHash, r.Hash} {
		b.buf = append(b.buf, f...)
		ends[k] = len(b.buf)
	}
	b.ends = append(b.ends, ends)
	b.seqs = append(b.seqs, r.Seq)
	if len(b.ends) == pipeBatch {
		p.full <- b
		p.cur = nil
	}
	return true
}

// Close hands over the last rows and waits until fn has seen them all.
func (p *Pipe) Close() {
	if p.cur != nil && len(p.cur.ends) > 0 {
		p.full <- p.cur
	}
	p.cur = nil
	close(p.full)
	<-p.done
}
