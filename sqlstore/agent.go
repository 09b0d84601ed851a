// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"fmt"

	"github.com/pactum/pactum"
)

// ClaimAgentLease implements pactum.AgentWrites: one upsert that renews
// the holder's own lease or takes an expired one, then a read of what
// stands.
func (tx *Tx) ClaimAgentLease(ctx context.Context, l pactum.AgentLease) (*pactum.AgentLease, error) {
	if _, err := tx.ExecContext(ctx, `INSERT INTO agent_leases (site, cluster, holder, result, renewed_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (site, cluster) DO UPDATE SET holder = excluded.holder, result = excluded.result,
			renewed_at = excluded.renewed_at, expires_at = excluded.expires_at
		WHERE agent_leases.holder = excluded.holder OR agent_leases.expires_at <= excluded.renewed_at`,
		l.Site, l.Cluster, l.Holder, l.Result, l.RenewedAt.UTC(), l.ExpiresAt.UTC()); err != nil {
		return nil, fmt.Errorf("claim agent lease: %w", mapError(err))
	}
	got := pactum.AgentLease{Site: l.Site, Cluster: l.Cluster}
	if err := tx.QueryRowContext(ctx, `SELECT holder, result, renewed_at, expires_at FROM agent_leases WHERE site = $1 AND cluster = $2`,
		l.Site, l.Cluster).Scan(&got.Holder, &got.Result, &got.RenewedAt, &got.ExpiresAt); err != nil {
		return nil, fmt.Errorf("read agent lease: %w", mapError(err))
	}
	got.RenewedAt, got.ExpiresAt = got.RenewedAt.UTC(), got.ExpiresAt.UTC()
	return &got, nil
}

// ListAgentLeases implements pactum.AgentQueries.
func (q *queries) ListAgentLeases(ctx context.Context) ([]pactum.AgentLease, error) {
	rows, err := q.q.QueryContext(ctx, `SELECT site, cluster, holder, result, renewed_at, expires_at FROM agent_leases ORDER BY site, cluster`)
	if err != nil {
		return nil, fmt.Errorf("list agent leases: %w", mapError(err))
	}
	defer rows.Close()
	var out []pactum.AgentLease
	for rows.Next() {
		var l pactum.AgentLease
		if err := rows.Scan(&l.Site, &l.Cluster, &l.Holder, &l.Result, &l.RenewedAt, &l.ExpiresAt); err != nil {
			return nil, fmt.Errorf("list agent leases: %w", err)
		}
		l.RenewedAt, l.ExpiresAt = l.RenewedAt.UTC(), l.ExpiresAt.UTC()
		out = append(out, l)
	}
	return out, rows.Err()
}
