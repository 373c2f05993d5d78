/* schema.c - the numbered schema migrations, portable SQL only (SQLite and PostgreSQL).
 * Never edit a released migration: add the next one. */
#include "store/store_int.h"

#include <stddef.h>

/* 1: the foundation - metadata, credentials, the durable job queue, and the generic
 * resource and link tables every service keeps its entities in (a resource's attributes
 * live in `body` as JSON; the columns are what queries filter and sort on). */
static const char *const m1[] = {
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE access_keys ("
    " access_key_id TEXT PRIMARY KEY,"
    " account_id TEXT NOT NULL,"
    " kind TEXT NOT NULL,"      /* root | user | session */
    " principal TEXT NOT NULL," /* user name, or the session's identity as JSON */
    " secret TEXT NOT NULL,"    /* sealed secret access key */
    " status TEXT NOT NULL,"    /* Active | Inactive */
    " token_hash TEXT,"         /* sessions: sha256 of the session token */
    " expires_ms BIGINT,"
    " created_ms BIGINT NOT NULL,"
    " last_used_ms BIGINT,"
    " last_used_service TEXT,"
    " last_used_region TEXT)",
    "CREATE INDEX access_keys_principal ON access_keys (account_id, kind, principal)",
    "CREATE TABLE jobs ("
    " id TEXT PRIMARY KEY,"
    " kind TEXT NOT NULL,"
    " payload TEXT NOT NULL,"
    " state TEXT NOT NULL," /* ready | done | failed */
    " run_at BIGINT NOT NULL,"
    " attempts BIGINT NOT NULL,"
    " max_attempts BIGINT NOT NULL,"
    " lease_owner TEXT,"
    " lease_until BIGINT NOT NULL,"
    " last_error TEXT,"
    " created_ms BIGINT NOT NULL,"
    " updated_ms BIGINT NOT NULL)",
    "CREATE INDEX jobs_due ON jobs (state, run_at)",
    "CREATE TABLE job_probe (job_id TEXT NOT NULL, step BIGINT NOT NULL, owner TEXT NOT NULL,"
    " at_ms BIGINT NOT NULL)",
    "CREATE TABLE resources ("
    " account TEXT NOT NULL,"
    " kind TEXT NOT NULL," /* "sc.portfolio", "ssm.document", "ec2.instance", ... */
    " id TEXT NOT NULL,"
    " name TEXT," /* unique within (account, kind) when set */
    " parent TEXT,"
    " state TEXT,"
    " created_ms BIGINT NOT NULL,"
    " updated_ms BIGINT NOT NULL,"
    " body TEXT NOT NULL,"
    " PRIMARY KEY (account, kind, id))",
    "CREATE UNIQUE INDEX resources_name ON resources (account, kind, name)",
    "CREATE INDEX resources_parent ON resources (account, kind, parent)",
    "CREATE INDEX resources_created ON resources (account, kind, created_ms)",
    "CREATE TABLE links ("
    " account TEXT NOT NULL,"
    " kind TEXT NOT NULL,"
    " a TEXT NOT NULL,"
    " b TEXT NOT NULL,"
    " created_ms BIGINT NOT NULL,"
    " body TEXT,"
    " PRIMARY KEY (account, kind, a, b))",
    "CREATE INDEX links_b ON links (account, kind, b)",
    "CREATE TABLE idempotency ("
    " account TEXT NOT NULL,"
    " scope TEXT NOT NULL,"
    " token TEXT NOT NULL,"
    " request_hash TEXT NOT NULL,"
    " response TEXT NOT NULL,"
    " created_ms BIGINT NOT NULL,"
    " PRIMARY KEY (account, scope, token))",
    NULL,
};

/* 2: jobs waiting on a topic ("ec2.instance:i-...") are woken when it is signalled */
static const char *const m2[] = {
    "CREATE TABLE job_watch (topic TEXT NOT NULL, job TEXT NOT NULL, PRIMARY KEY (topic, job))",
    "CREATE INDEX job_watch_job ON job_watch (job)",
    NULL,
};

/* 3: an insertion sequence, so that rows created in the same millisecond list in the order
 * they were made (list order is created_ms, then seq). Set on insert as one past the
 * highest (writers are serialized on SQLite; a PostgreSQL backend would use a sequence). */
static const char *const m3[] = {
    "ALTER TABLE resources ADD COLUMN seq BIGINT",
    "ALTER TABLE links ADD COLUMN seq BIGINT",
    "CREATE INDEX resources_seq ON resources (seq)",
    "CREATE INDEX links_seq ON links (seq)",
    NULL,
};

/* 4: paging by key. Lists read `(created_ms, seq) > (token's key)` in index order and stop
 * when the page is full, so every row needs a seq (rows from before migration 3 get
 * distinct negative ones, in creation order) and the indexes end in (created_ms, seq);
 * they replace the shorter ones they extend. */
static const char *const m4[] = {
    "UPDATE resources SET seq = w.n FROM (SELECT account AS wa, kind AS wk, id AS wi,"
    " ROW_NUMBER() OVER (ORDER BY created_ms, account, kind, id) - 1 - COUNT(*) OVER () AS n"
    " FROM resources WHERE seq IS NULL) AS w"
    " WHERE resources.account = w.wa AND resources.kind = w.wk AND resources.id = w.wi",
    "UPDATE links SET seq = w.n FROM (SELECT account AS wa, kind AS wk, a AS wx, b AS wy,"
    " ROW_NUMBER() OVER (ORDER BY created_ms, account, kind, a, b) - 1 - COUNT(*) OVER () AS n"
    " FROM links WHERE seq IS NULL) AS w"
    " WHERE links.account = w.wa AND links.kind = w.wk AND links.a = w.wx AND links.b = w.wy",
    "DROP INDEX resources_created",
    "DROP INDEX resources_parent",
    "DROP INDEX links_b",
    "CREATE INDEX resources_page ON resources (account, kind, created_ms, seq)",
    "CREATE INDEX resources_parent_page ON resources (account, kind, parent, created_ms, seq)",
    "CREATE INDEX links_a_page ON links (account, kind, a, created_ms, seq)",
    "CREATE INDEX links_b_page ON links (account, kind, b, created_ms, seq)",
    NULL,
};

/* 5: indexed keys of resources (res/keys.c): values read out of a kind's bodies (an
 * owner, a member a list sorts by), one row per key, with the resource's created_ms and
 * seq, so lists filter and sort by them in index order. The daemon writes the keys of
 * existing rows at start-up (res_keys_backfill): they come from JSON bodies, which
 * portable SQL cannot read. */
static const char *const m5[] = {
    "CREATE TABLE resource_keys ("
    " account TEXT NOT NULL,"
    " kind TEXT NOT NULL,"
    " id TEXT NOT NULL,"
    " field TEXT NOT NULL,"
    " value TEXT NOT NULL,"
    " created_ms BIGINT NOT NULL,"
    " seq BIGINT NOT NULL,"
    " PRIMARY KEY (account, kind, id, field))",
    "CREATE INDEX resource_keys_page ON resource_keys (account, kind, field, value, created_ms,"
    " seq)",
    NULL,
};

/* 6: state every node must agree on (docs/internals/cluster.md), kept in the store rather
 * than in a process: the console's sign-in guard (failures and locks per keyed hash of
 * account, user name and source; `forget_ms` is when a row carries nothing any more), the
 * console's federated sign-ins under way and their tickets (by hash, sealed), and token
 * buckets of API rate quotas (per scope and quota, in thousandths of a token). */
static const char *const m6[] = {
    "CREATE TABLE signin_guard ("
    " key TEXT PRIMARY KEY,"
    " failures BIGINT NOT NULL,"
    " locks BIGINT NOT NULL,"
    " first_ms BIGINT NOT NULL,"
    " locked_until_ms BIGINT NOT NULL,"
    " forget_ms BIGINT NOT NULL)",
    "CREATE INDEX signin_guard_forget ON signin_guard (forget_ms)",
    "CREATE TABLE console_pending ("
    " key TEXT PRIMARY KEY,"
    " body TEXT NOT NULL," /* sealed */
    " until_ms BIGINT NOT NULL)",
    "CREATE INDEX console_pending_until ON console_pending (until_ms)",
    "CREATE TABLE rate_buckets ("
    " scope TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " milli_tokens BIGINT NOT NULL,"
    " last_ms BIGINT NOT NULL,"
    " PRIMARY KEY (scope, name))",
    NULL,
};

/* 7: jobs pinned to the node that keeps their local state (engine_pin), and the nodes'
 * heartbeats that tell the others whether that node lives. */
static const char *const m7[] = {
    "ALTER TABLE jobs ADD COLUMN pin TEXT",
    "CREATE TABLE engine_nodes (id TEXT PRIMARY KEY, seen_ms BIGINT NOT NULL)",
    NULL,
};

/* 8: how many resources of a counted kind each partition holds (res_count without reading
 * the index: a COUNT over a million provisioned products takes seconds), kept by
 * res_insert and res_delete for the kinds whose keyer says `counted` (res.h). The kinds
 * counted here must be those: a kind that becomes counted needs a migration that counts
 * its rows. */
static const char *const m8[] = {
    "CREATE TABLE resource_counts (account TEXT NOT NULL, kind TEXT NOT NULL, n BIGINT NOT NULL,"
    " PRIMARY KEY (account, kind))",
    "INSERT INTO resource_counts (account, kind, n) SELECT account, kind, COUNT(*) FROM resources"
    " WHERE kind = 'sc.pp' GROUP BY account, kind",
    NULL,
};

const char *const *const store_migrations[] = {m1, m2, m3, m4, m5, m6, m7, m8};
const int store_n_migrations = (int)(sizeof(store_migrations) / sizeof(store_migrations[0]));
