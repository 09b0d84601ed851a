-- SPDX-License-Identifier: EUPL-1.2
-- A system's energy and utilisation figures: the accelerator's rated power
-- per scheduler GPU, the node's overhead beside its GPUs, the site's PUE,
-- the carbon intensity of its electricity, the planning band of model
-- FLOP utilisation, and where those figures come from (pactum.System).
-- Zero and the empty string mean "not catalogued", which System.Validate
-- accepts, so the rows stored before this migration stay valid; the
-- server's start writes the catalogue's figures over them.
-- +goose Up
ALTER TABLE systems ADD COLUMN tdp_watts_per_gpu DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE systems ADD COLUMN node_overhead DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE systems ADD COLUMN pue DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE systems ADD COLUMN grid_gco2_per_kwh DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE systems ADD COLUMN mfu_low DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE systems ADD COLUMN mfu_high DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE systems ADD COLUMN energy_source TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE systems DROP COLUMN energy_source;
ALTER TABLE systems DROP COLUMN mfu_high;
ALTER TABLE systems DROP COLUMN mfu_low;
ALTER TABLE systems DROP COLUMN grid_gco2_per_kwh;
ALTER TABLE systems DROP COLUMN pue;
ALTER TABLE systems DROP COLUMN node_overhead;
ALTER TABLE systems DROP COLUMN tdp_watts_per_gpu;
