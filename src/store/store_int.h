/* store_int.h - what a storage backend implements; only src/store/ sees this. */
#ifndef CATALOGD_STORE_INT_H
#define CATALOGD_STORE_INT_H

#include "store/store.h"

#include <stdarg.h>

typedef struct store_backend {
    const char *name;
    const char *skip_locked;
    bool shared; /* store_shared */
    err_t (*check)(const store_opts_t *o, bool *exists, errbuf_t *eb);
    err_t (*open)(store_t *s, const store_opts_t *o, errbuf_t *eb);
    /* after the migrations ran (or failed): a backend's own set-up that needs the schema,
     * and the release of what open took to run them alone (NULL: nothing) */
    err_t (*migrated)(store_t *s, err_t rc, errbuf_t *eb);
    void (*publish)(store_t *s, const char *msg); /* NULL: nothing */
    /* fn NULL: stop the listener */
    err_t (*listen)(store_t *s, store_listen_fn fn, void *ud, errbuf_t *eb); /* NULL: nothing */
    void (*close)(store_t *s);
    /* lazy: store_begin_lazy (write is true) */
    err_t (*begin)(store_t *s, bool write, bool lazy, store_tx_t **out, errbuf_t *eb);
    err_t (*commit)(store_tx_t *tx, errbuf_t *eb);
    /* store_commit_ticket / store_when_durable: NULL when a commit is durable when it returns */
    err_t (*commit_ticket)(store_tx_t *tx, uint64_t *ticket, errbuf_t *eb);
    void (*when_durable)(store_t *s, uint64_t ticket, store_durable_fn fn, void *arg);
    void (*rollback)(store_tx_t *tx);
    err_t (*prepare)(store_tx_t *tx, const char *sql, store_stmt_t **out, errbuf_t *eb);
    void (*bind_text)(store_stmt_t *st, int i, const char *p, size_t n);
    void (*bind_int)(store_stmt_t *st, int i, int64_t v);
    void (*bind_null)(store_stmt_t *st, int i);
    err_t (*step)(store_stmt_t *st, bool *row, errbuf_t *eb);
    const char *(*col_text)(store_stmt_t *st, int i);
    int64_t (*col_int)(store_stmt_t *st, int i);
    bool (*col_null)(store_stmt_t *st, int i);
    int64_t (*changes)(store_tx_t *tx);
    int64_t (*work)(const store_t *s); /* store_work */
} store_backend_t;

/* Common head of every backend's store, transaction and statement objects. */
struct store {
    const store_backend_t *be;
    int schema_version;
    bool created;    /* the backend created the database in this open (a first start) */
    int lock_fd;     /* the data directory's lock (store_lock_dir), or -1; store.c closes it */
    char *lock_made; /* its path when this open created it (removed again if the open fails) */
    void *impl;
};

struct store_tx {
    store_t *store;
    bool write;
};

struct store_stmt {
    store_tx_t *tx;
};

/* Takes dir/catalogd.lock (flock, exclusive, not waiting): one daemon per data directory,
 * whichever backend. s->lock_fd holds it (close releases it); store_open writes the pid into it
 * once the store is open (a refused start leaves the file as it was).
 * ERR_STORE with one line naming the directory when another process holds it. */
err_t store_lock_dir(store_t *s, const char *dir, errbuf_t *eb);

extern const store_backend_t store_sqlite_backend;
extern const store_backend_t store_pg_backend;

/* The numbered migrations (schema.c): migration i (1-based) is store_migrations[i-1],
 * a NULL-terminated list of statements. */
extern const char *const *const store_migrations[];
extern const int store_n_migrations;

#endif
