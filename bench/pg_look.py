#!/usr/bin/python3
"""bench/pg_look.py - where a flow benchmark's time goes on PostgreSQL (issue 15).

Makes a PostgreSQL cluster of its own (tests/api/pgcluster.py, fsync on) with
pg_stat_statements loaded, runs bench/flow_bench.py against a fresh database of it (NODES,
N, T, PARTS as for flow_bench; PARTS defaults to "provision execute"), and meanwhile
samples what every catalogd session of that database is doing (pg_stat_activity: state
and wait event) every 0.1 s from one psql session (`\\watch`). Then prints:

  - how many sessions were, on average, in each state/wait event (e.g. `active
    Lock:advisory`: a writer waiting for the cluster-wide write lock; `holder: idle in
    transaction Client:ClientRead`: the session that holds that lock, waiting for
    catalogd's next statement);
  - the statements by total execution time (pg_stat_statements: calls, total and mean ms,
    rows), and the commits of the database (pg_stat_database).

    NODES=2 N=50 bench/pg_look.py
"""

import os
import re
import subprocess
import sys
import threading
from collections import Counter

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "api"))
from pgcluster import PgCluster  # noqa: E402

DB = "look"
with open(os.path.join(REPO, "src", "store", "pg_int.h")) as _f:  # the writers' advisory lock key
    WRITE_LOCK = int(re.search(r"#define PG_LOCK_WRITE\s+(0x[0-9a-fA-F]+|\d+)", _f.read()).group(1), 0)
SAMPLE = """SELECT coalesce(string_agg(CASE WHEN EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid
    AND l.locktype = 'advisory' AND l.granted AND l.objid = %d) THEN 'holder: ' ELSE '' END
    || coalesce(state, '-') || ' ' || coalesce(wait_event_type || ':' || wait_event, 'cpu'), ','), 'none')
  FROM pg_stat_activity a WHERE datname = '%s' AND pid <> pg_backend_pid() AND backend_type = 'client backend' \\watch 0.1
""" % (WRITE_LOCK, DB)


def main():
    pg = PgCluster(fsync=True)
    with open(os.path.join(pg.pgdata, "postgresql.auto.conf"), "a") as f:
        f.write("shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = 'all'\n"
                "pg_stat_statements.max = 5000\n")
    pg.start()
    try:
        url = pg.url(pg.create_db(DB))
        pg.sql(DB, "CREATE EXTENSION pg_stat_statements")
        psql = ["psql", "-X", "-q", "-A", "-t", "-h", pg.sockdir, "-p", str(pg.port), "-U", "postgres", "-d", DB]
        sampler = subprocess.Popen(psql, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, text=True, env=pg._env())
        sampler.stdin.write(SAMPLE)
        sampler.stdin.flush()
        counts, samples = Counter(), [0]

        def read():
            for line in sampler.stdout:
                line = line.strip()
                if not line:
                    continue
                samples[0] += 1
                counts.update(x for x in line.split(",") if x != "none")
        t = threading.Thread(target=read, daemon=True)
        t.start()
        env = dict(os.environ, DATABASE_URL=url)
        env.setdefault("PARTS", "provision execute")
        rc = subprocess.run([sys.executable, os.path.join(REPO, "bench", "flow_bench.py")], env=env).returncode
        sampler.kill()
        sampler.wait()
        t.join(5)

        n = max(1, samples[0])
        print("\npg_stat_activity: %d samples; catalogd sessions by state and wait (average sessions)" % samples[0])
        for k, v in counts.most_common(12):
            print("  %6.2f  %s" % (v / n, k))
        print("\npg_stat_statements by total time (calls, total ms, mean ms, rows):")
        rows = pg.sql(DB, "SELECT calls, round(total_exec_time::numeric, 1), round(mean_exec_time::numeric, 3), "
                          "rows, regexp_replace(left(query, 90), '\\s+', ' ', 'g') FROM pg_stat_statements "
                          "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = '%s') "
                          "ORDER BY total_exec_time DESC LIMIT 15" % DB)
        for r in rows:
            print("  %8s %10s %8s %8s  %s" % tuple(r))
        tot = pg.sql(DB, "SELECT sum(calls), round(sum(total_exec_time)::numeric, 0) FROM pg_stat_statements "
                         "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = '%s')" % DB)[0]
        xact = pg.sql(DB, "SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = '%s'" % DB)[0]
        print("  all statements: %s calls, %s ms; the database: %s commits, %s rollbacks" % (
            tot[0], tot[1], xact[0], xact[1]))
        sys.exit(rc)
    finally:
        pg.cleanup()


if __name__ == "__main__":
    main()
