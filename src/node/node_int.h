/* node_int.h - the node module's insides: a connection runs one shell command at a time
 * on a node (the local host as a user, or an ssh session), and the run protocol
 * (wrap.c) is nothing but shell snippets sent through it, so both transports, and the
 * exec EC2 provider, share one wrapper and one reading of a run directory. */
#ifndef CATALOGD_NODE_INT_H
#define CATALOGD_NODE_INT_H

#include "core/buf.h"
#include "core/span.h"
#include "node/node.h"

#include <stdbool.h>
#include <sys/types.h>

#define NODE_CONNECT_TIMEOUT_MS 4000  /* ssh connect + authenticate */
#define NODE_CMD_TIMEOUT_MS     15000 /* one protocol command (not the run itself) */

/* Who runs local commands: the current user (switch false) or a fixed unprivileged one. */
typedef struct node_local {
    bool switch_user;
    uid_t uid;
    gid_t gid;
    gid_t groups[64];
    int ngroups;
    char user[64];
    char home[512];
} node_local_t;

/* Resolves user into l: as is when it is the current user (or NULL), a switch when
 * catalogd runs as root; refused (ERR_VALIDATION, one line) for root itself, an unknown
 * user, or another user while catalogd is not root. */
err_t node_local_init(node_local_t *l, const char *user, errbuf_t *eb);

/* An open connection to a node: every protocol command runs through node_conn_sh. */
typedef struct node_conn node_conn_t;
typedef struct node_shres node_shres_t;
struct node_conn {
    err_t (*sh)(node_conn_t *c, const char *cmd, span_t in, size_t out_cap, node_shres_t *r,
                errbuf_t *eb);
    void (*close)(node_conn_t *c);
};

/* What one command did: reached false (with detail) when the node could not be reached
 * or the command could not run there (transient when the connection itself failed, so a
 * later try may reach it); else status (exit code) and out (capped). */
struct node_shres {
    bool reached;
    bool transient;
    int status;
    buf_t out;
    char detail[256];
};

/* A connection that runs commands locally in base (created 0700 and owned by l's user
 * when missing), as l says. Never fails to open: errors show on each command. */
node_conn_t *node_conn_local(const node_local_t *l, const char *base);
/* An ssh connection to t (connect, host key check against the pinned one, key auth),
 * bounded by NODE_CONNECT_TIMEOUT_MS. NULL with detail filled when it cannot be opened,
 * *transient true when the connection itself failed (refused, unreachable, no answer in
 * time) rather than the node refusing us (host key, user key); the base is
 * ~/.catalogd/runs on the node. */
node_conn_t *node_conn_ssh(node_pool_t *p, const node_target_t *t, char *detail, size_t cap,
                           bool *transient);
void node_conn_close(node_conn_t *c);

/* Runs `cmd` under /bin/sh in the connection's base directory with in as its stdin,
 * keeping up to out_cap bytes of its stdout in r->out (initialised here; the caller
 * frees it). ERR_INTERNAL only for catalogd's own failures. */
err_t node_conn_sh(node_conn_t *c, const char *cmd, span_t in, size_t out_cap, node_shres_t *r,
                   errbuf_t *eb);

/* The local runner underneath node_conn_local (also used by ssh's tests of it). */
err_t node_local_sh(const node_local_t *l, const char *base, const char *cmd, span_t in,
                    size_t out_cap, int64_t timeout_ms, node_shres_t *r, errbuf_t *eb);

/* The run protocol over c (wrap.c). recdir is catalogd's own record of the runs it
 * started (a directory on the catalogd host), which tells a vanished run directory
 * (LOST) from one never created. */
err_t node_run_poll(node_conn_t *c, const char *recdir, const node_run_t *r, node_status_t *st,
                    errbuf_t *eb);
err_t node_run_cancel(node_conn_t *c, const char *recdir, const char *run_id, errbuf_t *eb);
err_t node_run_output(node_conn_t *c, const char *run_id, int which, size_t offset, char *buf,
                      size_t cap, size_t *n, size_t *total, errbuf_t *eb);
void node_run_cleanup(node_conn_t *c, const char *recdir, const char *run_id);
/* True when id is usable as a run directory name. */
bool node_run_id_ok(const char *id);

/* ssh.c: the pool's ssh settings. */
const char *node_pool_data_dir(const node_pool_t *p);
/* The key file that seals node keys ("": <data_dir>/master.key). */
const char *node_pool_seal_key_file(const node_pool_t *p);

/* bg.c: the pool's background threads (node_poll_bg and friends). node_bg_free refuses
 * new work and waits for every running thread before freeing. */
typedef struct node_bg node_bg_t;
node_bg_t *node_bg_new(void);
void node_bg_quiesce(node_bg_t *bg);
void node_bg_free(node_bg_t *bg);
node_bg_t *node_pool_bg(node_pool_t *p);

#endif
