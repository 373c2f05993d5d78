/* prefetch.c - template URLs read before the request's transaction. A handler holds its
 * write transaction (and so SQLite's write lock, and every other writer waiting on it)
 * until it returns; a template fetched over http from inside it could hold everyone up for
 * the whole fetch timeout. api_invoke therefore reads the URL first, and the handler takes
 * the copy from its context. */
#include "api/api.h"

#include "core/buf.h"
#include "prov/fetch.h"

#include <string.h>

/* The operations that name a template by URL, and where ("A.B.C": nested members). */
static const struct {
    const char *service, *op, *path;
} prefetch_members[] = {
    {"cloudformation", "CreateStack", "TemplateURL"},
    {"cloudformation", "UpdateStack", "TemplateURL"},
    {"servicecatalog", "CreateProduct", "ProvisioningArtifactParameters.Info.LoadTemplateFromURL"},
    {"servicecatalog", "CreateProvisioningArtifact", "Parameters.Info.LoadTemplateFromURL"},
};

/* The string at a dotted member path of in, or NULL. */
static const char *prefetch_lookup(const cJSON *in, const char *path)
{
    const cJSON *v = in;
    while (v && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        const cJSON *next = NULL;
        for (const cJSON *m = cJSON_IsObject(v) ? v->child : NULL; m && !next; m = m->next)
            if (m->string && strlen(m->string) == n && !memcmp(m->string, path, n)) next = m;
        v = next;
        path += n + (dot != NULL);
    }
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Reads url into arena text; the outcome and message in rc / eb. */
static err_t prefetch_read(app_t *app, const char *url, arena_t *arena, const char **text,
                           size_t *len, errbuf_t *eb)
{
    buf_t b;
    buf_init(&b, API_MAX_TEMPLATE);
    err_t rc = prov_fetch(url, app->cfg.template_dir, 10, &b, eb);
    if (!rc) {
        *text = arena_strndup(arena, buf_str(&b), b.len);
        *len = b.len;
    }
    buf_free(&b);
    return rc;
}

void api_prefetch(app_t *app, const api_call_t *call, const cJSON *in, arena_t *arena,
                  api_prefetch_t *pf)
{
    memset(pf, 0, sizeof(*pf));
    const char *url = NULL;
    for (size_t i = 0; i < sizeof prefetch_members / sizeof *prefetch_members && !url; i++)
        if (!strcmp(call->op->svc->name, prefetch_members[i].service) &&
            !strcmp(call->op->name, prefetch_members[i].op))
            url = prefetch_lookup(in, prefetch_members[i].path);
    if (!url) return;
    /* only for a caller who may make the call: nobody else gets the daemon to fetch */
    store_tx_t *tx = NULL;
    errbuf_t eb;
    err_t rc = store_begin(app->store, false, &tx, &eb);
    if (!rc) {
        rc = api_authorize(app, call, tx, &eb);
        store_rollback(tx);
    }
    if (rc) return;
    pf->url = arena_strdup(arena, url);
    pf->rc = prefetch_read(app, url, arena, &pf->text, &pf->len, &pf->eb);
}

err_t api_fetch_template(api_ctx_t *c, const char *url, const char **text)
{
    const api_prefetch_t *pf = c->prefetch;
    if (pf && pf->url && !strcmp(pf->url, url)) {
        if (pf->rc) return err_fail(c->eb, pf->rc, "%s", pf->eb.msg);
        *text = pf->text;
        return ERR_OK;
    }
    size_t len;
    return prefetch_read(c->app, url, c->arena, text, &len, c->eb);
}
