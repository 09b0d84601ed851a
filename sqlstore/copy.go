// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// copyFrom writes n rows into table through PostgreSQL's COPY protocol, in
// the transaction, on its connection: rows travel in pgx's binary format,
// with no statement to parse or plan. row(i) returns row i's values in the
// order of cols. PostgreSQL only.
func (tx *Tx) copyFrom(ctx context.Context, table string, cols []string, n int, row func(i int) []any) error {
	if tx.conn == nil {
		return errors.New("copy: not a PostgreSQL transaction")
	}
	if err := tx.flush(ctx); err != nil {
		return err
	}
	return tx.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("copy: driver connection is %T, not pgx", dc)
		}
		copied, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromSlice(n, func(i int) ([]any, error) {
			return row(i), nil
		}))
		if err != nil {
			return mapError(err)
		}
		if copied != int64(n) {
			return fmt.Errorf("copy: %d of %d rows written to %s", copied, n, table)
		}
		return nil
	})
}
