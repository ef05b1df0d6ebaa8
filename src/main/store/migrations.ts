/**
 * Numbered schema migrations. Migration N brings a database from `user_version` N-1 to N and runs in
 * one transaction together with its `user_version` bump, so a crash mid-way leaves the old version.
 * Never edit a migration that has shipped; add a new one.
 */
export interface Migration {
  version: number
  name: string
  sql: string
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'runs, metrics, rollouts, jobs',
    sql: `
CREATE TABLE runs (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL,
  kind          TEXT NOT NULL CHECK (kind IN ('train', 'import')),
  status        TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  backend       TEXT,
  tags          TEXT NOT NULL DEFAULT '[]',
  notes         TEXT NOT NULL DEFAULT '',
  config        TEXT,
  source        TEXT,
  error         TEXT,
  -- pid of the process writing the run while it is live, so a later start can tell a dead writer
  owner_pid     INTEGER
);
-- One row per logged step: step counts and wall-clock x-axes without scanning every metric.
CREATE TABLE run_steps (
  run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step      INTEGER NOT NULL,
  wall_time REAL NOT NULL,
  PRIMARY KEY (run_id, step)
) WITHOUT ROWID;
CREATE TABLE metrics (
  run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  key       TEXT NOT NULL,
  step      INTEGER NOT NULL,
  value     REAL NOT NULL,
  wall_time REAL NOT NULL,
  PRIMARY KEY (run_id, key, step)
) WITHOUT ROWID;
-- Per-token arrays are typed-array BLOBs (little-endian): Int32 starts/ends, Float32 logprobs and
-- entropies, Uint8 planning mask. One row per response, never one row per token.
CREATE TABLE rollouts (
  id             INTEGER PRIMARY KEY,
  run_id         INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step           INTEGER NOT NULL,
  prompt_id      TEXT,
  prompt         TEXT,
  response       TEXT NOT NULL,
  score          REAL,
  correct        INTEGER,
  answer         TEXT,
  gold           TEXT,
  n_tokens       INTEGER,
  token_starts   BLOB,
  token_ends     BLOB,
  logprobs       BLOB,
  entropies      BLOB,
  planning_mask  BLOB,
  has_sg         INTEGER NOT NULL DEFAULT 0,
  extra          TEXT
);
CREATE INDEX rollouts_run_step ON rollouts(run_id, step);
CREATE TABLE jobs (
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL,
  status      TEXT NOT NULL,
  run_id      INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  done        REAL NOT NULL DEFAULT 0,
  total       REAL,
  unit        TEXT NOT NULL DEFAULT '',
  message     TEXT,
  params      TEXT,
  result      TEXT,
  error       TEXT,
  owner_pid   INTEGER
);
CREATE INDEX jobs_status ON jobs(status);
`
  },
  {
    version: 2,
    name: 'strategic gram sets, error labels, import files, settings',
    sql: `
CREATE TABLE sg_sets (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  note          TEXT NOT NULL DEFAULT '',
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  head_version  INTEGER NOT NULL DEFAULT 0
);
-- Every edit of a set writes a new version; old versions stay for diff and revert.
CREATE TABLE sg_set_versions (
  set_id      INTEGER NOT NULL REFERENCES sg_sets(id) ON DELETE CASCADE,
  version     INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  message     TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (set_id, version)
) WITHOUT ROWID;
CREATE TABLE sg_grams (
  set_id    INTEGER NOT NULL,
  version   INTEGER NOT NULL,
  ord       INTEGER NOT NULL,
  phrase    TEXT NOT NULL,
  category  TEXT NOT NULL,
  source    TEXT NOT NULL,
  note      TEXT,
  PRIMARY KEY (set_id, version, ord),
  FOREIGN KEY (set_id, version) REFERENCES sg_set_versions(set_id, version) ON DELETE CASCADE
) WITHOUT ROWID;
-- Mining candidates the user rejected, by normalized phrase, hidden from later mining.
CREATE TABLE sg_rejected (
  phrase_norm  TEXT PRIMARY KEY,
  created_at   INTEGER NOT NULL
) WITHOUT ROWID;
ALTER TABLE runs ADD COLUMN sg_set_id INTEGER REFERENCES sg_sets(id) ON DELETE SET NULL;
ALTER TABLE runs ADD COLUMN sg_set_version INTEGER;
CREATE TABLE error_labels (
  rollout_id  INTEGER NOT NULL REFERENCES rollouts(id) ON DELETE CASCADE,
  source      TEXT NOT NULL CHECK (source IN ('truth', 'manual', 'rule', 'judge')),
  error_type  TEXT NOT NULL,
  note        TEXT,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (rollout_id, source)
) WITHOUT ROWID;
-- Content hashes of imported files, so re-importing the same file does not duplicate rows.
CREATE TABLE import_files (
  id            INTEGER PRIMARY KEY,
  run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  path          TEXT NOT NULL,
  content_hash  TEXT NOT NULL,
  size          INTEGER NOT NULL,
  lines         INTEGER NOT NULL DEFAULT 0,
  imported      INTEGER NOT NULL DEFAULT 0,
  skipped       INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  UNIQUE (run_id, content_hash)
);
CREATE INDEX import_files_hash ON import_files(content_hash);
CREATE TABLE settings (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
) WITHOUT ROWID;
`
  },
  {
    version: 3,
    name: 'rollout outcome index',
    // Failure counts and the labelling queue read only (run, step, correct, score); covering them
    // keeps those queries off the rows' response text and token blobs.
    sql: `
CREATE INDEX rollouts_run_outcome ON rollouts(run_id, step, correct, score);
`
  },
  {
    version: 4,
    name: 'experiments',
    // An experiment's grid is expanded once, when it is created: one row per (arm, seed) with its
    // full config, so running it again continues the same cells and never starts a run twice.
    sql: `
CREATE TABLE experiments (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  spec        TEXT NOT NULL,
  spec_hash   TEXT NOT NULL,
  status      TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  owner_pid   INTEGER
);
CREATE INDEX experiments_spec_hash ON experiments(spec_hash);
CREATE TABLE experiment_runs (
  experiment_id  INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
  idx            INTEGER NOT NULL,
  arm            TEXT NOT NULL,
  seed           INTEGER NOT NULL,
  config         TEXT NOT NULL,
  run_id         INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  -- seconds the run's worker was alive, summed over its launches (warm-up included)
  elapsed_s      REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (experiment_id, idx)
) WITHOUT ROWID;
CREATE UNIQUE INDEX experiment_runs_run ON experiment_runs(run_id) WHERE run_id IS NOT NULL;
`
  },
  {
    version: 5,
    name: 'metric blocks',
    // A wide chart reads a series' points packed 32 steps to a row instead of one row a point, and
    // buckets them in JavaScript: SQLite's GROUP BY over 20,000 rows (a temporary B-tree sort) was
    // most of a Compare view's server time. MetricsRepo.append rebuilds the blocks it touches from
    // the rows; any other change of a row (a DELETE, an UPDATE) marks its block stale, and a stale
    // block is read from the rows until append or the store's opening rebuilds it. Block of a step:
    // floor(step / 32), written below for INTEGER and REAL steps alike. The existing rows are all
    // marked stale here, so the first opening fills their blocks (MetricsRepo.repairAll).
    sql: `
-- data: (step, value, wall_time) of each point of the block by step, as Float64 (little-endian);
-- 32 points are 768 bytes, which stay inside a 4 KB page (no overflow pages to read).
CREATE TABLE metric_blocks (
  run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  key     TEXT NOT NULL,
  block   INTEGER NOT NULL,
  data    BLOB NOT NULL,
  PRIMARY KEY (run_id, key, block)
) WITHOUT ROWID;
CREATE TABLE metric_blocks_stale (
  run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  key     TEXT NOT NULL,
  block   INTEGER NOT NULL,
  PRIMARY KEY (run_id, key, block)
) WITHOUT ROWID;
-- A deleted run's rows go with it (the cascade runs after its runs row is gone): nothing to mark.
CREATE TRIGGER metrics_delete_stales_block AFTER DELETE ON metrics
WHEN EXISTS (SELECT 1 FROM runs WHERE id = OLD.run_id)
BEGIN
  INSERT OR IGNORE INTO metric_blocks_stale (run_id, key, block)
    VALUES (OLD.run_id, OLD.key, (CAST(OLD.step AS INTEGER) - (OLD.step < CAST(OLD.step AS INTEGER))) >> 5);
END;
CREATE TRIGGER metrics_update_stales_block AFTER UPDATE ON metrics
BEGIN
  INSERT OR IGNORE INTO metric_blocks_stale (run_id, key, block)
    VALUES (OLD.run_id, OLD.key, (CAST(OLD.step AS INTEGER) - (OLD.step < CAST(OLD.step AS INTEGER))) >> 5);
  INSERT OR IGNORE INTO metric_blocks_stale (run_id, key, block)
    VALUES (NEW.run_id, NEW.key, (CAST(NEW.step AS INTEGER) - (NEW.step < CAST(NEW.step AS INTEGER))) >> 5);
END;
INSERT INTO metric_blocks_stale (run_id, key, block)
  SELECT DISTINCT run_id, key, (CAST(step AS INTEGER) - (step < CAST(step AS INTEGER))) >> 5 FROM metrics;
`
  }
]

export const LATEST_SCHEMA_VERSION = migrations[migrations.length - 1]!.version
