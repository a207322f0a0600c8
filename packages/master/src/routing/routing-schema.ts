/**
 * Schema v6 (issue #20): the tables that make several masters one system. `job_owners` says
 * which master runs each unfinished job, under that master's lease in `masters`, and keeps the
 * request so another master can take the job over; `routed_frames` carries frames between
 * masters: job frames for minions another master holds (`minion`), and minions' acks and
 * progress for the master that owns the job (`owner`), one row per batch and target master;
 * `minion_grains` lets every master match grain targets against minions it never held.
 */
export const ROUTING_MIGRATION = `
  CREATE TABLE job_owners (
    jid text PRIMARY KEY,
    master_id text NOT NULL,
    -- msgpack of the JobRequest, so a master taking the job over knows its terms.
    request bytea NOT NULL,
    "user" text NOT NULL,
    started_at bigint NOT NULL,
    -- How many times the job changed owner after its owner's lease ended.
    takeovers integer NOT NULL DEFAULT 0
  );
  CREATE INDEX job_owners_master ON job_owners (master_id);
  CREATE TABLE routed_frames (
    id bigserial PRIMARY KEY,
    to_master text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('minion', 'owner')),
    -- kind 'minion': the minions the master sends frames[1] to; kind 'owner': NULL.
    minion_ids text[],
    -- kind 'minion': one encoded frame; kind 'owner': msgpack JobFrames for the owner's router.
    frames bytea[] NOT NULL,
    created_at bigint NOT NULL
  );
  CREATE INDEX routed_frames_to ON routed_frames (to_master, id);
  -- The last grains of each minion, written by the master it connects to, so every master
  -- resolves grain targets over all minions. seq orders the changes for readers.
  CREATE SEQUENCE minion_grains_seq;
  CREATE TABLE minion_grains (
    minion_id text PRIMARY KEY,
    grains bytea NOT NULL,
    seq bigint NOT NULL DEFAULT nextval('minion_grains_seq')
  );
  CREATE INDEX minion_grains_seq_idx ON minion_grains (seq);
`;
