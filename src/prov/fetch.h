/* fetch.h - reading a template from a URL (CloudFormation TemplateURL, Service Catalog
 * LoadTemplateFromURL): http(s) through libcurl, file: URLs only inside the operator's
 * configured template directory. Bounded in size and time. */
#ifndef CATALOGD_PROV_FETCH_H
#define CATALOGD_PROV_FETCH_H

#include "core/buf.h"
#include "core/err.h"

/* Appends the document at url to out (whose cap bounds it). file_root: the directory
 * file: URLs must resolve inside ("" refuses them). ERR_VALIDATION with a clear message
 * for a refused or failed fetch (the caller may re-code it for its service). */
err_t prov_fetch(const char *url, const char *file_root, int timeout_s, buf_t *out, errbuf_t *eb);

#endif
