/* node.h - managed nodes: how catalogd reaches a machine to run a command on it (Run
 * Command, issue 12). A node is an EC2 instance with a transport: `local` (the catalogd
 * host, as a configured unprivileged user) or `ssh` (libssh; host, port, user from the
 * provider or the instance's tags; the private key sealed at rest). An instance without a
 * transport is not a managed node: commands sent to it end Undeliverable.
 *
 * A command runs detached on the node under a small wrapper that keeps, in a run directory
 * on the node, the script (delivered as a file, never spliced into a shell line), its pid
 * (the leader of its own process group), its capped stdout and stderr, and its exit status.
 * So an engine step starts a run and then polls it without holding a worker thread, and a
 * catalogd that dies meanwhile finds the run's outcome after its restart instead of running
 * it again. Timeouts and cancellation kill the run's process group. */
#ifndef CATALOGD_NODE_NODE_H
#define CATALOGD_NODE_NODE_H

#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct node_pool node_pool_t; /* transports, connections, sealed keys: one per app */

typedef enum node_transport {
    NODE_NONE = 0, /* not a managed node */
    NODE_LOCAL,    /* the catalogd host, as user */
    NODE_SSH,      /* host:port as user, with the key named by key_id */
} node_transport_t;

/* Where one instance's commands go (from the provider's configuration or the instance's
 * tags; node_target_for fills it). Strings are borrowed for the call. */
typedef struct node_target {
    const char *instance_id;
    node_transport_t transport;
    const char *host;   /* ssh */
    int port;           /* ssh (22) */
    const char *user;   /* local and ssh */
    const char *key_id; /* ssh: which sealed private key (NULL: the pool's default) */
} node_target_t;

/* One run of a script on a node. */
typedef struct node_run {
    const char *run_id; /* unique, stable across restarts (invocation id + plugin) */
    const char *script; /* the script's text (runs under /bin/sh) */
    size_t script_len;
    const char *workdir;    /* NULL: the run directory */
    int64_t timeout_ms;     /* executionTimeout: past it the process group is killed */
    const char *const *env; /* NULL-terminated "K=V" additions, or NULL */
    int64_t wait_ms;        /* a poll of a started run waits up to this for it to end (0: answers
                               at once); under NODE_CMD_TIMEOUT_MS. For background polls only */
} node_run_t;

typedef enum node_state {
    NODE_RUN_RUNNING = 0,   /* poll again */
    NODE_RUN_EXITED,        /* exit_code is the script's status */
    NODE_RUN_TIMED_OUT,     /* timeout_ms passed; the group was killed */
    NODE_RUN_CANCELLED,     /* node_cancel killed it */
    NODE_RUN_UNDELIVERABLE, /* the node could not be reached to start it (detail says why) */
    NODE_RUN_LOST,          /* started, but the node lost it (rebooted, run dir gone) */
    NODE_RUN_DELAYED,       /* not started: the node did not answer now (connection refused,
                               unreachable, silent); a later poll tries to deliver it again */
} node_state_t;

typedef struct node_status {
    node_state_t state;
    int exit_code;
    char detail[256]; /* a short operator-facing reason for UNDELIVERABLE / DELAYED / LOST */
} node_status_t;

/* Starts run r on target t the first time it is called for r->run_id, and reports its state
 * on every later call (never starts it twice, also across a catalogd restart). Returns an
 * error only for catalogd's own failures; an unreachable node is a status, not an error. */
err_t node_poll(node_pool_t *p, const node_target_t *t, const node_run_t *r, node_status_t *st,
                errbuf_t *eb);

/* Kills run_id's process group if it still runs (a later node_poll says CANCELLED). */
err_t node_cancel(node_pool_t *p, const node_target_t *t, const char *run_id, errbuf_t *eb);

/* Reads up to cap bytes of run_id's stdout (which = 1) or stderr (which = 2) starting at
 * offset into buf; *n receives the count and *total the whole size kept on the node (capped
 * at NODE_OUTPUT_CAP). */
#define NODE_OUTPUT_CAP (8 * 1024 * 1024)
err_t node_output(node_pool_t *p, const node_target_t *t, const char *run_id, int which,
                  size_t offset, char *buf, size_t cap, size_t *n, size_t *total, errbuf_t *eb);

/* Removes run_id's run directory once its outcome and output are stored. */
void node_cleanup(node_pool_t *p, const node_target_t *t, const char *run_id);

/* A real reachability check (connect, authenticate, run `true`), bounded by timeout_ms:
 * true for Online, false for ConnectionLost (detail says why). */
bool node_ping(node_pool_t *p, const node_target_t *t, int64_t timeout_ms, char *detail,
               size_t cap);

/* --- background work, for callers that must never wait on a node (an engine step
 * polling a fan-out: a node that hangs on connect must not hold up the others) --- */

#define NODE_BG_MAX 64 /* threads of a pool's background work at once */

/* Who to tell when a background poll is done: fn(ctx, key) on the poll's thread (key is
 * copied; ctx must outlive the pool's background work, see node_pool_quiesce). */
typedef struct node_wake {
    void (*fn)(void *ctx, const char *key);
    void *ctx;
    const char *key;
} node_wake_t;

/* Looks at run r on t without waiting. The first call for r->run_id starts node_poll on a
 * thread of the pool's (which may wait up to r->wait_ms on the node for a started run to
 * end); when that finds the run ended (EXITED, TIMED_OUT, CANCELLED, LOST) the same thread
 * copies its whole stdout and stderr (node_output, up to NODE_OUTPUT_CAP) into the files
 * out_paths[0] and [1] (NULL: not kept; directories made, fsynced, renamed into place),
 * then calls wake (NULL: none). Later calls answer *ready false while it runs, then *ready
 * true once, with its status in *st (or its error: catalogd's own failure), and forget it.
 * Nothing starts (*ready false) while NODE_BG_MAX threads run or the pool is closing: call
 * again later. */
err_t node_poll_bg(node_pool_t *p, const node_target_t *t, const node_run_t *r,
                   const char *const out_paths[2], const node_wake_t *wake, bool *ready,
                   node_status_t *st, errbuf_t *eb);
/* Is a background poll of run_id done and not yet collected? (A caller that is about to
 * sleep checks the polls it waits on, so that one done before its wake could be heard is
 * not missed.) */
bool node_poll_bg_done(node_pool_t *p, const char *run_id);

/* Refuses background work from now on and waits for what runs (and its wakes): call it
 * while what the wakes touch (the engine, the store) still stands. */
void node_pool_quiesce(node_pool_t *p);
/* node_cancel and node_cleanup on a thread of the pool's, not waiting for them (best
 * effort: a failure is logged; the run's next poll tells what happened). */
void node_cancel_bg(node_pool_t *p, const node_target_t *t, const char *run_id);
void node_cleanup_bg(node_pool_t *p, const node_target_t *t, const char *run_id);

/* --- added by the implementation (issue 12, deliver 3) --- */

/* The pool's settings (from the serve flags; strings are copied). */
typedef struct node_config {
    const char *data_dir;
    const char *seal_key_file; /* the key ring (auth/seal.h); NULL or "": <data_dir>/master.key */
    const char *transport;     /* default for every instance: "" (none), "local" or "ssh" */
    const char *local_user;    /* --node-user: the only user local commands run as */
    const char *ssh_host;      /* ssh defaults, each overridable by an instance's tags */
    int ssh_port;
    const char *ssh_user;
    const char *ssh_key; /* key id (<data-dir>/node-keys/<id>.sealed); NULL: "default" */
    int64_t ping_ms;     /* how long a ping result is reused (DescribeInstanceInformation) */
} node_config_t;

/* Opens the pool: resolves and checks the local user (ERR_VALIDATION with one line when
 * it is root, unknown, or another user while catalogd is not root). */
err_t node_pool_open(const node_config_t *c, node_pool_t **out, errbuf_t *eb);
/* Stops the ping thread and frees the pool (NULL is fine). */
void node_pool_close(node_pool_t *p);

/* Fills t for the instance instance_id with tags (EC2's [{Key, Value}] array, or NULL):
 * the pool's defaults, overridden by the tags catalogd:node-transport (local|ssh|none),
 * catalogd:node-host, catalogd:node-port, catalogd:node-user (ssh only: local commands
 * always run as --node-user) and catalogd:node-key. Strings borrow from tags and the pool.
 * False (t->transport NODE_NONE) when the instance is not a managed node. */
struct cJSON;
bool node_target_for(const node_pool_t *p, const char *instance_id, const struct cJSON *tags,
                     node_target_t *t);

/* The last ping of t, never blocking: known false until a first ping finished; a result
 * older than the pool's ping_ms (or none) asks the pool's thread for a fresh one. */
typedef struct node_ping_info {
    bool known;
    bool online;
    int64_t at_ms;      /* wall clock of that ping */
    int64_t last_ok_ms; /* of the last one that reached the node (0: none) */
    char detail[256];
    char computer_name[128];   /* what the node said when it was last reached: uname -n */
    char platform_name[128];   /* NAME of /etc/os-release */
    char platform_version[64]; /* VERSION_ID of /etc/os-release */
} node_ping_info_t;
void node_ping_cached(node_pool_t *p, const node_target_t *t, node_ping_info_t *out);

/* Runs on the catalogd host as catalogd itself, without a pool: the exec EC2 provider's
 * commands (src/prov/exec.c). The same run protocol as node_poll / node_output /
 * node_cleanup, with the run directories in base and catalogd's record of started runs in
 * base/.started. */
err_t node_self_poll(const char *base, const node_run_t *r, node_status_t *st, errbuf_t *eb);
err_t node_self_output(const char *base, const char *run_id, int which, size_t offset, char *buf,
                       size_t cap, size_t *n, size_t *total, errbuf_t *eb);
void node_self_cleanup(const char *base, const char *run_id);

/* `catalogd node-key import`: seals the private key in file under data_dir/node-keys/
 * <id>.sealed (0600) with the data directory's master key. */
err_t node_key_import(const char *data_dir, const char *seal_key_file, const char *id,
                      const char *file, errbuf_t *eb);

#endif
