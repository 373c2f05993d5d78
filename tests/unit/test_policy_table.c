/* test_policy_table.c - the IAM policy evaluation table: every case of
 * tests/unit/policy_cases.json goes through policy_parse + policy_decide and must reach
 * its "expect" (allowed | explicitDeny | implicitDeny). A case:
 *   {"name": "...", "policies": [doc...], "boundary": doc|null, "session": [doc...],
 *    "request": {"action", "resource", "context": {key: value|[values]},
 *                "context_types": {key: "string|numeric|date|bool|ip|binary"}},
 *    "expect": "...", "xfail": "why (optional: a known divergence; it must fail)"}
 * A document is a JSON object (printed back to text) or a string (the text as is).
 * The file is found through $CATALOGD_SOURCE_DIR, then the working directory (ctest runs
 * tests from the repository root), then next to this source file. */

// Standalone build (cmake builds it as a unit test too), from the repository root:
//   gcc -std=c17 -g -Wall -Wextra -Werror -D_GNU_SOURCE -fsanitize=address,undefined -Isrc
//       src/core/*.c src/iam/policy*.c tests/unit/test_policy_table.c
//       -lcjson -lcrypto -lpthread -lm -o /tmp/tpt && /tmp/tpt

#include "core/mem.h"
#include "iam/policy.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_CASES 150

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, 4096, f);
        n += got;
        if (got < 4096) break;
    }
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* The cases file's text, and where it was found in *where. */
static char *load_cases(char *where, size_t wn)
{
    const char *rel = "tests/unit/policy_cases.json";
    const char *src = getenv("CATALOGD_SOURCE_DIR");
    char *text;
    if (src && *src) {
        snprintf(where, wn, "%s/%s", src, rel);
        if ((text = slurp(where))) return text;
    }
    snprintf(where, wn, "%s", rel);
    if ((text = slurp(where))) return text;
    const char *file = __FILE__, *slash = strrchr(file, '/');
    snprintf(where, wn, "%.*spolicy_cases.json", slash ? (int)(slash - file + 1) : 0, file);
    return slurp(where);
}

/* ---- one case */

typedef struct run {
    policy_t *parsed[64];
    size_t n_parsed;
    const policy_t *identity[32], *session[16];
    size_t n_identity, n_session;
    const policy_t *boundary;
    /* the context */
    policy_ctx_entry_t ents[32];
    const char *vals[32][16];
    char *owned[512];
    size_t n_owned, n_ents;
    char why[1200];
} run_t;

static char *keep(run_t *r, char *s)
{
    if (r->n_owned < sizeof(r->owned) / sizeof(r->owned[0]))
        r->owned[r->n_owned++] = s;
    else
        free(s); /* not reached with the shipped table */
    return s;
}

static void run_free(run_t *r)
{
    for (size_t i = 0; i < r->n_parsed; i++) policy_free(r->parsed[i]);
    for (size_t i = 0; i < r->n_owned; i++) free(r->owned[i]);
}

/* Parses one document (object or string); NULL with r->why set on failure. */
static const policy_t *doc_parse(run_t *r, const cJSON *j, const char *what)
{
    if (r->n_parsed == sizeof(r->parsed) / sizeof(r->parsed[0])) {
        snprintf(r->why, sizeof(r->why), "too many documents");
        return NULL;
    }
    const char *text = NULL;
    if (cJSON_IsString(j))
        text = j->valuestring;
    else if (cJSON_IsObject(j))
        text = keep(r, cJSON_PrintUnformatted(j));
    if (!text) {
        snprintf(r->why, sizeof(r->why), "%s is neither a JSON object nor a string", what);
        return NULL;
    }
    policy_t *p = NULL;
    errbuf_t eb = {{0}};
    if (policy_parse(span_of(text), POLICY_IDENTITY, &p, &eb) != ERR_OK) {
        snprintf(r->why, sizeof(r->why), "%s did not parse: %s", what, eb.msg);
        return NULL;
    }
    r->parsed[r->n_parsed++] = p;
    return p;
}

static bool ctx_type(const char *t, policy_ctx_type_t *out)
{
    static const struct {
        const char *name;
        policy_ctx_type_t type;
    } types[] = {{"string", PCT_STRING}, {"numeric", PCT_NUMERIC}, {"date", PCT_DATE},
                 {"bool", PCT_BOOL},     {"ip", PCT_IP},           {"binary", PCT_BINARY}};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (!strcmp(t, types[i].name)) return (*out = types[i].type), true;
    return false;
}

/* One context value as text: strings as they are, numbers and booleans spelled out. */
static const char *value_text(run_t *r, const cJSON *v)
{
    if (cJSON_IsString(v)) return v->valuestring;
    if (cJSON_IsBool(v)) return cJSON_IsTrue(v) ? "true" : "false";
    if (cJSON_IsNumber(v)) {
        char tmp[64];
        snprintf(tmp, sizeof(tmp), "%.17g", v->valuedouble);
        return keep(r, strdup(tmp));
    }
    return NULL;
}

static bool build_context(run_t *r, const cJSON *ctx, const cJSON *types)
{
    for (const cJSON *e = ctx ? ctx->child : NULL; e; e = e->next) {
        if (r->n_ents == sizeof(r->ents) / sizeof(r->ents[0])) {
            snprintf(r->why, sizeof(r->why), "too many context keys");
            return false;
        }
        size_t k = r->n_ents, nv = 0;
        const cJSON *list = cJSON_IsArray(e) ? e->child : e;
        for (const cJSON *v = list; v; v = cJSON_IsArray(e) ? v->next : NULL) {
            const char *s = value_text(r, v);
            if (!s || nv == 16) {
                snprintf(r->why, sizeof(r->why), "bad context value for %s", e->string);
                return false;
            }
            r->vals[k][nv++] = s;
        }
        policy_ctx_type_t t = PCT_STRING;
        const cJSON *tj = cJSON_GetObjectItemCaseSensitive(types, e->string);
        if (tj && !(cJSON_IsString(tj) && ctx_type(tj->valuestring, &t))) {
            snprintf(r->why, sizeof(r->why), "bad context type for %s", e->string);
            return false;
        }
        r->ents[k] = (policy_ctx_entry_t){e->string, t, r->vals[k], nv};
        r->n_ents++;
    }
    for (const cJSON *t = types ? types->child : NULL; t; t = t->next)
        if (!cJSON_GetObjectItemCaseSensitive(ctx, t->string)) {
            snprintf(r->why, sizeof(r->why), "context_types names %s, which has no value",
                     t->string);
            return false;
        }
    return true;
}

static const char *decision_name(policy_decision_t d)
{
    return d == POLICY_ALLOWED         ? "allowed"
           : d == POLICY_EXPLICIT_DENY ? "explicitDeny"
                                       : "implicitDeny";
}

/* Runs case c; returns true when it reached its expectation, with r->why saying why not. */
static bool run_case(const cJSON *c, run_t *r)
{
    const cJSON *policies = cJSON_GetObjectItemCaseSensitive(c, "policies");
    const cJSON *boundary = cJSON_GetObjectItemCaseSensitive(c, "boundary");
    const cJSON *session = cJSON_GetObjectItemCaseSensitive(c, "session");
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(c, "request");
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(c, "expect");
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(req, "action");
    const cJSON *resource = cJSON_GetObjectItemCaseSensitive(req, "resource");
    if (!cJSON_IsArray(policies) || !cJSON_IsArray(session) || !cJSON_IsString(action) ||
        !cJSON_IsString(resource) || !cJSON_IsString(expect) ||
        !(cJSON_IsNull(boundary) || cJSON_IsObject(boundary) || cJSON_IsString(boundary))) {
        snprintf(r->why, sizeof(r->why), "malformed case");
        return false;
    }
    int i = 0;
    for (const cJSON *p = policies->child; p; p = p->next, i++) {
        char what[32];
        snprintf(what, sizeof(what), "policies[%d]", i);
        const policy_t *pp = doc_parse(r, p, what);
        if (!pp || r->n_identity == sizeof(r->identity) / sizeof(r->identity[0])) return false;
        r->identity[r->n_identity++] = pp;
    }
    i = 0;
    for (const cJSON *p = session->child; p; p = p->next, i++) {
        char what[32];
        snprintf(what, sizeof(what), "session[%d]", i);
        const policy_t *pp = doc_parse(r, p, what);
        if (!pp || r->n_session == sizeof(r->session) / sizeof(r->session[0])) return false;
        r->session[r->n_session++] = pp;
    }
    if (!cJSON_IsNull(boundary) && !(r->boundary = doc_parse(r, boundary, "boundary")))
        return false;
    if (!build_context(r, cJSON_GetObjectItemCaseSensitive(req, "context"),
                       cJSON_GetObjectItemCaseSensitive(req, "context_types")))
        return false;

    policy_ctx_t ctx = {r->ents, r->n_ents};
    policy_set_t set = {r->identity, r->n_identity, r->boundary, r->session, r->n_session};
    policy_request_t rq = {action->valuestring, resource->valuestring, &ctx, NULL};
    policy_decision_t got = policy_decide(&set, &rq, NULL);
    if (strcmp(decision_name(got), expect->valuestring) != 0) {
        snprintf(r->why, sizeof(r->why), "got %s, want %s (%s on %s)", decision_name(got),
                 expect->valuestring, action->valuestring, resource->valuestring);
        return false;
    }
    /* the same request twice gives the same answer (no state kept between calls) */
    if (policy_decide(&set, &rq, NULL) != got) {
        snprintf(r->why, sizeof(r->why), "a second evaluation disagreed");
        return false;
    }
    return true;
}

int main(void)
{
    mem_init();
    char where[4096];
    char *text = load_cases(where, sizeof(where));
    if (!text) {
        fprintf(
            stderr,
            "policy table: cannot read tests/unit/policy_cases.json (set CATALOGD_SOURCE_DIR)\n");
        return 1;
    }
    cJSON *root = cJSON_Parse(text);
    free(text);
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases");
    if (!cJSON_IsArray(cases)) {
        fprintf(stderr, "policy table: %s has no \"cases\" array\n", where);
        cJSON_Delete(root);
        return 1;
    }
    int n = 0, passed = 0, failed = 0, xfailed = 0;
    for (const cJSON *c = cases->child; c; c = c->next, n++) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
        const cJSON *xfail = cJSON_GetObjectItemCaseSensitive(c, "xfail");
        const char *nm = cJSON_IsString(name) ? name->valuestring : "(unnamed)";
        for (const cJSON *o = cases->child; o != c; o = o->next) {
            const cJSON *on = cJSON_GetObjectItemCaseSensitive(o, "name");
            if (cJSON_IsString(on) && cJSON_IsString(name) && !strcmp(on->valuestring, nm)) {
                fprintf(stderr, "FAIL [%d] %s: the name is used twice\n", n, nm);
                failed++;
            }
        }
        run_t *r = calloc(1, sizeof(*r));
        if (!r) return 1;
        bool ok = run_case(c, r);
        if (cJSON_IsString(xfail)) {
            if (ok) {
                fprintf(stderr, "FAIL [%d] %s: passed but is marked xfail (%s): remove the mark\n",
                        n, nm, xfail->valuestring);
                failed++;
            } else {
                fprintf(stderr, "xfail [%d] %s: %s -- %s\n", n, nm, r->why, xfail->valuestring);
                xfailed++;
            }
        } else if (ok) {
            passed++;
        } else {
            fprintf(stderr, "FAIL [%d] %s: %s\n", n, nm, r->why);
            failed++;
        }
        run_free(r);
        free(r);
    }
    cJSON_Delete(root);
    if (n < MIN_CASES) {
        fprintf(stderr, "FAIL: only %d cases in %s (at least %d wanted)\n", n, where, MIN_CASES);
        failed++;
    }
    fprintf(stderr, "policy table (%s): %d cases, %d xfailed\n", where, n, xfailed);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
