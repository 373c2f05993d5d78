/* console.h - the web console: the browser assets built from web/ and served at /console,
 * and the one endpoint of its own, sign-in, which trades a console password for
 * short-lived credentials. Everything else the console does is a SigV4-signed call to
 * the public API, made by the browser. docs/console.md describes it. */
#ifndef CATALOGD_CONSOLE_H
#define CATALOGD_CONSOLE_H

#include "app.h"
#include "http/http.h"

#include <stdbool.h>
#include <stdio.h>

/* Readies what the console needs before catalogd serves: unless CATALOGD_ROOT_PASSWORD is
 * set, the root user's console password in DATA_DIR/root-console-password (mode 0600),
 * generated on the first start and read as it is after that. ERR_INTERNAL with a message
 * when that file cannot be created or is empty. */
err_t console_prepare(app_t *app, errbuf_t *eb);

/* Answers a request for /console or anything below it (assets, the pages' index.html,
 * POST /console/api/signin) and returns true; returns false, touching nothing, for any
 * other path. Never fails: every problem becomes an HTTP answer. */
bool console_http(app_t *app, const http_request_t *req, http_response_t *resp);

/* Prints where the console is served (url is "http://HOST:PORT") and where the root
 * user's console password comes from, or that the console is not built. */
void console_banner(const app_t *app, const char *url, FILE *out);

#endif
