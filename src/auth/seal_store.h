/* seal_store.h - the sealing key against a database: the check value that tells whether a
 * key file opens this database's secrets (so a node given another cluster's database, or
 * a key file that lost a key, refuses to start), and rotation (every sealed value of the
 * store re-sealed under the ring's current key). docs/internals/seal.md. */
#ifndef CATALOGD_SEAL_STORE_H
#define CATALOGD_SEAL_STORE_H

#include "auth/seal.h"
#include "store/store.h"

/* Where the key file is, for seal_store_check (store_opts_t.before_migrate's ud). */
typedef struct seal_src {
    const char *data_dir;
    const char *key_file; /* --seal-key-file; NULL or "": <data_dir>/master.key */
    ids_t *ids;
} seal_src_t;

/* store_opts_t.before_migrate (ud: a seal_src_t): on a database store_open did not
 * create, loads the key file and checks, read-only, that it opens the database's check
 * value (meta 'seal_check'), or, in a database from before check values, the root access
 * key's secret. ERR_STORE with one line naming the key file otherwise (a key file
 * missing, damaged, of another catalogd, or without the key the database was sealed
 * with). Changes nothing. */
err_t seal_store_check(store_t *s, void *ud, errbuf_t *eb);

/* Records the check value (sealed under the current key) unless the database has one,
 * then checks that seal opens the one recorded (two nodes first started together on a
 * new database with different key files: the second refuses). ERR_STORE as above. */
err_t seal_store_record(const seal_t *seal, store_t *s, ids_t *ids, errbuf_t *eb);

typedef struct seal_rotated {
    int64_t access_keys; /* access key secrets re-sealed */
    int64_t values;      /* sealed strings re-sealed inside resource, link and job bodies */
    int64_t unopened;    /* strings in bodies that look sealed but no key opens (left) */
    int64_t files;       /* node key files (<data-dir>/node-keys/ *.sealed) re-sealed */
} seal_rotated_t;

/* Re-seals every sealed value of the store under seal's current key in one write
 * transaction: access key secrets, sealed strings anywhere in resource, link and job
 * bodies, and the check value; then the node key files of data_dir. Afterwards a key
 * other than the current one may be dropped from every node's key file. ERR_STORE naming
 * the access key when a secret opens with no key of the ring (nothing is changed then). */
err_t seal_store_rotate(const seal_t *seal, store_t *s, const char *data_dir, ids_t *ids,
                        seal_rotated_t *out, errbuf_t *eb);

#endif
