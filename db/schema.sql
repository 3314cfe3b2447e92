-- Ranking.Gateway schema. Idempotent: applied on every scripts/services-up.sh run.

CREATE TABLE IF NOT EXISTS ranking_scores (
  group_id   text        NOT NULL,
  user_id    text        NOT NULL,
  score      bigint      NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, user_id));

-- Serves "top N of a group" straight from the index (ORDER BY score DESC, user_id).
CREATE INDEX IF NOT EXISTS ranking_scores_top_idx ON ranking_scores (group_id, score DESC, user_id);

-- Serves Ranking:ChangedGroupsSql ("which groups changed since T", the Queue refresh mode's producer) as an
-- index-only scan: updated_at to find the rows, group_id so the table is not visited.
CREATE INDEX IF NOT EXISTS ranking_scores_changed_idx ON ranking_scores (updated_at, group_id);
DROP INDEX IF EXISTS ranking_scores_updated_at_idx;

-- Deleted groups, so the Queue mode's change scan sees a group disappear (Ranking:ChangedGroupsSql reads both tables):
-- one row per group a DELETE statement touched, written by the trigger below; rows older than a day are pruned by the
-- same trigger, so the table holds only recent deletions.
CREATE TABLE IF NOT EXISTS ranking_deletions (
  group_id   text        NOT NULL,
  deleted_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS ranking_deletions_at_idx ON ranking_deletions (deleted_at, group_id);

CREATE OR REPLACE FUNCTION ranking_scores_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO ranking_deletions (group_id) SELECT DISTINCT group_id FROM deleted;
  DELETE FROM ranking_deletions WHERE deleted_at < now() - interval '1 day';
  RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER ranking_scores_deleted AFTER DELETE ON ranking_scores
  REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION ranking_scores_deleted();
