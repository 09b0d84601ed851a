// SPDX-License-Identifier: EUPL-1.2

// Package agent is the site agent: it runs beside a hosting site's Slurm
// cluster, pulls the desired state of the site's allocations from the
// pactum server, reconciles the cluster's accounts to it, and posts the
// cluster's job accounting back as usage.
package agent
