/* webid_keys.c - the signing keys of OpenID Connect identity providers, as
 * AssumeRoleWithWebIdentity needs them: discovered as AWS documents it
 * (https://ISSUER/.well-known/openid-configuration -> jwks_uri), read through the one
 * outbound client with the provider's thumbprints as certificate pins, and kept per
 * (account, provider, thumbprints) for STS_WEBID_KEYS_TTL_MS of service time (app->clock, which
 * the test clock advances). Fetches happen only on the
 * fetch threads (prefetch.c calls sts_webid_fetch); a handler only reads what is kept. */
#include "svc/sts/webid_int.h"

#include "core/clk.h"
#include "core/log.h"
#include "core/mem.h"
#include "prov/fetch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WEBID_SLOTS           64
#define WEBID_MAX_DOC         (256 * 1024) /* discovery document, key set */
#define WEBID_REFETCH_MS      (30 * 1000)  /* an unknown kid refetches at most this often */
#define STS_WEBID_KEYS_TTL_MS (60 * 60 * 1000)

typedef struct webid_slot {
    char key[STS_WEBID_KEY_MAX]; /* "" : free */
    char *jwks;                  /* the key set's text (owned) */
    int64_t fetched_ms, expires_ms;
} webid_slot_t;

static pthread_mutex_t webid_mu = PTHREAD_MUTEX_INITIALIZER;
static webid_slot_t webid_slots[WEBID_SLOTS];

/* The slot holding key, or NULL; webid_mu held. */
static webid_slot_t *webid_slot(const char *key)
{
    for (size_t i = 0; i < WEBID_SLOTS; i++)
        if (!strcmp(webid_slots[i].key, key)) return &webid_slots[i];
    return NULL;
}

char *sts_webid_cached(const char *key, int64_t now_ms, int64_t *fetched_ms)
{
    pthread_mutex_lock(&webid_mu);
    webid_slot_t *s = webid_slot(key);
    char *text = s && s->expires_ms > now_ms ? xstrdup(s->jwks) : NULL;
    if (fetched_ms) *fetched_ms = text ? s->fetched_ms : 0;
    pthread_mutex_unlock(&webid_mu);
    return text;
}

/* Keeps text under key (replacing it, or the oldest entry). */
static void webid_keep(const char *key, const char *text, int64_t now_ms)
{
    pthread_mutex_lock(&webid_mu);
    webid_slot_t *s = webid_slot(key);
    if (!s) { /* a free slot has fetched_ms 0: the oldest of all */
        s = &webid_slots[0];
        for (size_t i = 1; i < WEBID_SLOTS; i++)
            if (webid_slots[i].fetched_ms < s->fetched_ms) s = &webid_slots[i];
    }
    free(s->jwks);
    snprintf(s->key, sizeof(s->key), "%s", key);
    s->jwks = xstrdup(text);
    s->fetched_ms = now_ms;
    s->expires_ms = now_ms + STS_WEBID_KEYS_TTL_MS;
    pthread_mutex_unlock(&webid_mu);
}

/* GETs url with the provider's pins into out: ERR_OK, or the caller's error (the reason
 * is logged): InvalidIdentityToken when the certificate matches no thumbprint,
 * IDPCommunicationError for anything else. */
static err_t webid_get(app_t *app, const sts_webid_plan_t *plan, const char *url, buf_t *out,
                       errbuf_t *eb)
{
    prov_fetch_req_t r = {
        .url = url, .accept = "application/json", .pins = plan->pins, .n_pins = plan->n_pins};
    errbuf_t why = {{0}};
    prov_fetch_class_t k = strncmp(url, "https://", 8) ? PROV_FETCH_BAD_URL
                                                       : prov_fetch_req(&app->fetch, &r, out, &why);
    if (k == PROV_FETCH_OK) return ERR_OK;
    char eu[512], er[600];
    log_info("web identity key fetch failed", "\"url\":\"%s\",\"reason\":\"%s\"",
             log_escape(eu, sizeof(eu), url),
             log_escape(er, sizeof(er), k == PROV_FETCH_BAD_URL ? "not an https URL" : why.msg));
    if (k == PROV_FETCH_UNTRUSTED)
        return err_fail(eb, ERR_STS_INVALID_IDENTITY_TOKEN,
                        "OpenIDConnect provider's HTTPS certificate doesn't match configured "
                        "thumbprint");
    if (k == PROV_FETCH_CANCELLED)
        return err_fail(eb, ERR_UNAVAILABLE, "catalogd is shutting down; retry the call.");
    return err_fail(eb, ERR_STS_IDP_COMMUNICATION, STS_WEBID_IDP_UNREACHABLE);
}

err_t sts_webid_discover(app_t *app, const sts_webid_plan_t *plan, const char *member,
                         arena_t *arena, const char **value, errbuf_t *eb)
{
    buf_t b;
    buf_init(&b, WEBID_MAX_DOC);
    const char *url =
        arena_printf(arena, "https://%s/.well-known/openid-configuration", plan->provider_id);
    err_t rc = webid_get(app, plan, url, &b, eb);
    cJSON *conf = rc ? NULL : cJSON_ParseWithLength(buf_str(&b), b.len);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(conf, member);
    if (!rc && !cJSON_IsString(v))
        rc = err_fail(eb, ERR_STS_IDP_COMMUNICATION, STS_WEBID_IDP_UNREACHABLE);
    if (!rc) *value = arena_strdup(arena, v->valuestring);
    cJSON_Delete(conf);
    buf_free(&b);
    return rc;
}

char *sts_webid_usable(const sts_webid_plan_t *plan, int64_t now_ms)
{
    int64_t fetched = 0;
    char *have = sts_webid_cached(plan->key, now_ms, &fetched);
    /* kept keys serve; a kid they lack refetches, at most every WEBID_REFETCH_MS */
    if (!have || now_ms - fetched < WEBID_REFETCH_MS) return have;
    jwt_keys_t keys;
    errbuf_t ignore;
    jwt_t t = {.alg = plan->alg, .kid = plan->kid};
    bool known = !jwt_keys_parse(span_of(have), &keys, &ignore) && jwt_keys_find(&keys, &t);
    jwt_keys_free(&keys);
    if (known) return have;
    free(have);
    return NULL;
}

void sts_webid_fetch(app_t *app, const sts_webid_plan_t *plan, arena_t *arena, api_prefetch_t *pf)
{
    int64_t now = clk_now_ms(&app->clock);
    char *have = sts_webid_usable(plan, now);
    if (have) {
        pf->text = arena_strdup(arena, have);
        pf->len = strlen(pf->text);
        free(have);
        return;
    }
    const char *jwks_uri = NULL;
    pf->rc = sts_webid_discover(app, plan, "jwks_uri", arena, &jwks_uri, &pf->eb);
    buf_t b;
    buf_init(&b, WEBID_MAX_DOC);
    if (!pf->rc) pf->rc = webid_get(app, plan, jwks_uri, &b, &pf->eb);
    jwt_keys_t keys;
    errbuf_t why;
    if (!pf->rc && jwt_keys_parse(buf_span(&b), &keys, &why))
        pf->rc = err_fail(&pf->eb, ERR_STS_IDP_COMMUNICATION, STS_WEBID_IDP_UNREACHABLE);
    else if (!pf->rc)
        jwt_keys_free(&keys);
    if (!pf->rc) {
        webid_keep(plan->key, buf_str(&b), now);
        pf->text = arena_strndup(arena, buf_str(&b), b.len);
        pf->len = b.len;
    }
    buf_free(&b);
}
