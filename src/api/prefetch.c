/* prefetch.c - template URLs read before the request's transaction, and off the HTTP
 * threads. A handler holds its transaction (for a write, SQLite's write lock and every
 * writer waiting on it) until it returns, and an HTTP thread serves every connection
 * assigned to it: a template read over http from either could hold everyone up for the
 * whole fetch timeout. So the wire front end (front.c) asks api_prefetch_url whether a
 * request names a template it may fetch, hands the fetch to the fetch threads
 * (api_prefetch_submit) and defers its answer; api_invoke then takes the copy. In-process
 * callers on their own threads (engine steps) read synchronously (api_prefetch). Every
 * fetch goes through the one outbound client (prov/fetch.c); a failure reaches the caller
 * as one AWS message per class and the real reason goes to the log. */
#include "api/api.h"

#include "core/buf.h"
#include "core/log.h"
#include "core/workq.h"
#include "proto/proto.h"
#include "svc/sts/sts.h"

#include <string.h>
#include <strings.h>

/* The operations that name a template by URL, and where ("A.B.C": nested members). */
static const struct {
    const char *service, *op, *path;
} prefetch_members[] = {
    {"cloudformation", "CreateStack", "TemplateURL"},
    {"cloudformation", "UpdateStack", "TemplateURL"},
    {"cloudformation", "ValidateTemplate", "TemplateURL"},
    {"cloudformation", "CreateChangeSet", "TemplateURL"},
    {"cloudformation", "GetTemplateSummary", "TemplateURL"},
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

/* The caller's message for a failed fetch of class k (AWS's wording per service). */
static err_t prefetch_error(const char *service, prov_fetch_class_t k, errbuf_t *eb)
{
    bool sc = !strcmp(service, "servicecatalog");
    switch (k) {
    case PROV_FETCH_FILE:
        return ERR_VALIDATION; /* the confinement message stands */
    case PROV_FETCH_BAD_URL:
        return err_fail(eb, ERR_VALIDATION,
                        sc ? "LoadTemplateFromURL must be a supported URL."
                           : "TemplateURL must be a supported URL.");
    case PROV_FETCH_TOO_LARGE:
        return err_fail(eb, ERR_VALIDATION, "Template may not exceed %d bytes in size.",
                        API_MAX_TEMPLATE);
    case PROV_FETCH_CANCELLED:
        return err_fail(eb, ERR_UNAVAILABLE, "catalogd is shutting down; retry the call.");
    default:
        return err_fail(eb, ERR_VALIDATION,
                        sc ? "LoadTemplateFromURL must reference a template to which you have "
                             "access."
                           : "TemplateURL must reference a valid S3 object to which you have "
                             "access.");
    }
}

/* Reads url into arena text (*text, *len): the outcome, with the caller's message in eb;
 * the real reason of a failure is logged (info) with the request id. */
static err_t prefetch_read(app_t *app, const char *service, const char *request_id, const char *url,
                           arena_t *arena, const char **text, size_t *len, errbuf_t *eb)
{
    buf_t b;
    buf_init(&b, API_MAX_TEMPLATE);
    prov_fetch_class_t k = prov_fetch(&app->fetch, url, &b, eb);
    err_t rc = ERR_OK;
    if (k == PROV_FETCH_OK) {
        *text = arena_strndup(arena, buf_str(&b), b.len);
        *len = b.len;
    } else {
        char eu[512], er[600];
        log_info("template fetch failed",
                 "\"request_id\":\"%s\",\"service\":\"%s\",\"url\":\"%s\",\"reason\":\"%s\"",
                 request_id ? request_id : "", service, log_escape(eu, sizeof(eu), url),
                 log_escape(er, sizeof(er), eb->msg));
        rc = prefetch_error(service, k, eb);
    }
    buf_free(&b);
    return rc;
}

/* True for the operation whose prefetch is a web identity provider's keys. */
static bool prefetch_is_webid(const api_op_t *op)
{
    return !strcmp(op->svc->name, "sts") && !strcmp(op->name, "AssumeRoleWithWebIdentity");
}

/* True for iam:CreateOpenIDConnectProvider, whose prefetch (when the call gives no
 * thumbprint) is the thumbprint of the IdP's certificate. */
static bool prefetch_is_oidc_create(const api_op_t *op)
{
    return !strcmp(op->svc->name, "iam") && !strcmp(op->name, "CreateOpenIDConnectProvider");
}

/* The SHA-1 of the top certificate the https server at url sends (IAM retrieves it when a
 * provider is created without thumbprints) into pf->text; none when it cannot be read
 * (the provider then relies on the system's CAs alone). */
static void prefetch_thumbprint(app_t *app, const char *url, arena_t *arena, api_prefetch_t *pf)
{
    size_t n = strlen(url);
    while (n && url[n - 1] == '/') n--;
    prov_fetch_req_t r = {
        .url = arena_printf(arena, "%.*s/.well-known/openid-configuration", (int)n, url),
        .want_top_sha1 = true};
    buf_t b;
    buf_init(&b, 64 * 1024);
    errbuf_t why = {{0}};
    if (!strncasecmp(url, "https://", 8)) (void)prov_fetch_req(&app->fetch, &r, &b, &why);
    buf_free(&b);
    if (r.top_sha1[0]) {
        pf->text = arena_strdup(arena, r.top_sha1);
        pf->len = strlen(pf->text);
    } else {
        char eu[512], er[600];
        log_info("identity provider thumbprint not read", "\"url\":\"%s\",\"reason\":\"%s\"",
                 log_escape(eu, sizeof(eu), url), log_escape(er, sizeof(er), why.msg));
    }
}

/* Reads what url names for call: a template, or a provider's keys (web identity). */
static void prefetch_run_for(app_t *app, const api_op_t *op, const cJSON *in,
                             const char *request_id, arena_t *arena, api_prefetch_t *pf)
{
    if (prefetch_is_webid(op))
        sts_webid_prefetch(app, in, pf->url, arena, pf);
    else if (prefetch_is_oidc_create(op))
        prefetch_thumbprint(app, pf->url, arena, pf);
    else
        pf->rc = prefetch_read(app, op->svc->name, request_id, pf->url, arena, &pf->text, &pf->len,
                               &pf->eb);
}

const char *api_prefetch_url(app_t *app, const api_call_t *call, arena_t *arena)
{
    const char *url = NULL;
    const cJSON *in = call->input;
    if (prefetch_is_webid(call->op)) {
        /* an unsigned call: no authorization to check, and the fetch only ever reaches the
         * issuer of an IAM OIDC provider the role's account registered */
        errbuf_t eb;
        if (proto_validate(call->op->svc, call->op->input, in, &eb)) return NULL;
        return sts_webid_prefetch_key(app, in, arena);
    }
    for (size_t i = 0; i < sizeof prefetch_members / sizeof *prefetch_members && !url; i++)
        if (!strcmp(call->op->svc->name, prefetch_members[i].service) &&
            !strcmp(call->op->name, prefetch_members[i].op))
            url = prefetch_lookup(in, prefetch_members[i].path);
    if (!url && prefetch_is_oidc_create(call->op) &&
        !cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(in, "ThumbprintList")))
        url = prefetch_lookup(in, "Url");
    if (!url) return NULL;
    /* only for a valid call by a caller who may make it: nobody else gets the daemon to
     * fetch (api_invoke then refuses the call the usual way) */
    errbuf_t eb;
    if (proto_validate(call->op->svc, call->op->input, in, &eb)) return NULL;
    store_tx_t *tx = NULL;
    uint64_t gen = auth_keys_generation(app->keys); /* read before the snapshot */
    err_t rc = store_begin(app->store, false, &tx, &eb);
    if (!rc) {
        rc = api_authorize(app, call, tx, gen, &eb);
        store_rollback(tx);
    }
    return rc ? NULL : arena_strdup(arena, url);
}

void api_prefetch(app_t *app, const api_call_t *call, arena_t *arena, api_prefetch_t *pf)
{
    memset(pf, 0, sizeof(*pf));
    const char *url = api_prefetch_url(app, call, arena);
    if (!url) return;
    pf->url = url;
    prefetch_run_for(app, call->op, call->input, call->request_id, arena, pf);
}

/* One fetch handed to the fetch threads; lives in the request's arena. */
typedef struct prefetch_job {
    app_t *app;
    const api_op_t *op;
    const cJSON *input; /* the request's (owned by it, which waits for us) */
    const char *request_id;
    arena_t *arena;
    api_prefetch_t *pf;
    void (*done)(void *ud);
    void *ud;
} prefetch_job_t;

static void prefetch_run(void *arg)
{
    prefetch_job_t *j = arg;
    prefetch_run_for(j->app, j->op, j->input, j->request_id, j->arena, j->pf);
    j->done(j->ud); /* the last touch: the request may be gone once it returns */
}

err_t api_prefetch_submit(app_t *app, const api_call_t *call, const char *url, arena_t *arena,
                          api_prefetch_t *pf, void (*done)(void *ud), void *ud, errbuf_t *eb)
{
    memset(pf, 0, sizeof(*pf));
    pf->url = url;
    prefetch_job_t *j = arena_zalloc(arena, sizeof(*j));
    *j = (prefetch_job_t){app,   call->op, call->input, arena_strdup(arena, call->request_id),
                          arena, pf,       done,        ud};
    if (!app->fetchq || atomic_load(&app->fetch_cancel))
        return err_fail(eb, ERR_UNAVAILABLE, "catalogd is shutting down; retry the call.");
    if (!workq_submit(app->fetchq, prefetch_run, j))
        return err_fail(eb, ERR_THROTTLING, "Rate exceeded");
    return ERR_OK;
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
    return prefetch_read(c->app, c->op->svc->name, c->request_id, url, c->arena, text, &len, c->eb);
}
