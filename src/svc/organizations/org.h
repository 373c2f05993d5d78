/* org.h - AWS Organizations (the slice that creates, describes and lists accounts) and the
 * registry of the accounts one catalogd serves: the management account (the configured
 * default account, which always exists) and every account made since, by CreateAccount or
 * by the `catalogd account create` admin command. Each account has its own root user and
 * root access key (auth/keys.h). */
#ifndef CATALOGD_ORG_H
#define CATALOGD_ORG_H

#include "app.h"
#include "core/err.h"
#include "store/store.h"

#include <stdbool.h>

/* Registers the CreateAccount job kind (before the engine starts). */
void org_register_jobs(app_t *app);

/* Ensures the registry holds the management account (the configured default account
 * `management`), in its own transaction; called at every start. Store errors as they
 * come. */
err_t org_install(store_t *s, const char *management, int64_t now_ms, errbuf_t *eb);

/* Whether account is one of this catalogd's accounts (*known), for services that take
 * an account id from a caller (portfolio shares). */
err_t org_account_known(store_tx_t *tx, const char *account, bool *known, errbuf_t *eb);

/* `catalogd account create --name N --email E` / `catalogd account list` on the data
 * directory of cfg (the daemon may be running): creates a standalone account and prints
 * its id and root access key pair (sub "create"), or prints every account as one JSON
 * object a line (sub "list"). Returns the process exit status (2: usage, 1: failure). */
int org_account_main(const app_config_t *cfg, const char *sub, const char *name, const char *email);

#endif
