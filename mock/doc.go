// SPDX-License-Identifier: EUPL-1.2

// Package mock holds hand-written fakes of pactum's service interfaces for
// tests: each has function fields the test sets, and panics when an unset one
// is called, so a test never passes by accident through a fake it forgot.
package mock
