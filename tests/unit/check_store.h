/* check_store.h - a store of its own for a unit test: a fresh temporary data directory
 * (dir, a mkdtemp template the caller owns, filled in) with the store opened in it
 * exclusively, as the daemon opens it; sync_full as --sync full. NULL (with a failed
 * CHECK) when either step fails. */
#ifndef CATALOGD_CHECK_STORE_H
#define CATALOGD_CHECK_STORE_H

#include "check.h"
#include "store/store.h"

#include <stdbool.h>
#include <stdlib.h>

static inline store_t *check_store_open(char *dir, bool sync_full)
{
    CHECK(mkdtemp(dir) != NULL);
    errbuf_t eb = {{0}};
    store_opts_t so = {.data_dir = dir, .exclusive = true, .sync_full = sync_full};
    store_t *s = NULL;
    CHECK(store_open(&so, &s, &eb) == ERR_OK);
    return s;
}

#endif
