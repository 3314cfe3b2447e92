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
