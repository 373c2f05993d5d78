/* res.h - the resource layer every service keeps its entities in: typed rows of the
 * generic `resources` and `links` tables (schema.c), with the entity's attributes as a
 * JSON body that maps straight onto the model's output shapes. Also the opaque page
 * tokens the list operations hand out. */
#ifndef CATALOGD_RES_H
#define CATALOGD_RES_H

#include "core/err.h"
#include "store/store.h"

#include <cjson/cJSON.h>
#include <stdint.h>

typedef struct res_key {
    const char *account;
    const char *kind; /* "sc.portfolio" */
    const char *id;
} res_key_t;

typedef struct res_row {
    const char *name;   /* unique within (account, kind), or NULL */
    const char *parent; /* or NULL */
    const char *state;  /* or NULL */
    int64_t created_ms, updated_ms;
} res_row_t;

/* Inserts a resource; ERR_STORE on a duplicate id or name (check first where it matters). */
err_t res_insert(store_tx_t *tx, const res_key_t *k, const res_row_t *row, const cJSON *body,
                 errbuf_t *eb);
/* Replaces body, state and updated_ms; *found tells whether the row exists. */
err_t res_update(store_tx_t *tx, const res_key_t *k, const char *state, int64_t updated_ms,
                 const cJSON *body, bool *found, errbuf_t *eb);
/* Deletes a resource; *found tells whether it existed. */
err_t res_delete(store_tx_t *tx, const res_key_t *k, bool *found, errbuf_t *eb);
/* Loads a body by id (*out NULL when absent; the caller owns the tree). */
err_t res_get(store_tx_t *tx, const res_key_t *k, cJSON **out, errbuf_t *eb);
/* Loads a body by unique name. */
err_t res_get_by_name(store_tx_t *tx, const char *account, const char *kind, const char *name,
                      cJSON **out, errbuf_t *eb);

typedef struct res_query {
    const char *account;
    const char *kind;
    const char *parent; /* NULL: any */
    int64_t offset;
    int64_t limit; /* <= 0: no limit */
} res_query_t;

/* Appends the bodies of matching resources (oldest first) to array; *more tells whether
 * rows remain past offset + limit. */
err_t res_list(store_tx_t *tx, const res_query_t *q, cJSON *array, bool *more, errbuf_t *eb);

/* Page tokens: an opaque encoding of an offset. Returns false for a token this
 * server did not issue. */
void res_page_token(int64_t offset, char out[64]);
bool res_page_offset(const char *token, int64_t *offset);
/* When more, adds member (the service's name for it: "NextToken", "NextPageToken") to out:
 * the token of the page that starts at next_offset. */
void res_page_out(cJSON *out, const char *member, bool more, int64_t next_offset);

#endif
