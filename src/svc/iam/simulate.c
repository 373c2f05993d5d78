/* simulate.c - the IAM policy simulator: SimulatePrincipalPolicy (a user's, group's or
 * role's own policies and permissions boundary, plus any given) and SimulateCustomPolicy
 * (only the given ones), decided by policy_decide, the function that authorizes every
 * request. */
#include "svc/iam/iam_int.h"
#include "core/jx.h"

#include "iam/identity.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct sim_policy {
    const char *id, *type;
    policy_t *p;
    const char *doc; /* its text (request arena) */
} sim_policy_t;

typedef struct sim {
    sim_policy_t v[64]; /* the identity-based policies */
    size_t n;
    policy_t *boundary;       /* the permissions boundary, or NULL */
    const char *boundary_doc; /* its text */
} sim_t;

static err_t sim_add(api_ctx_t *c, sim_t *s, const char *id, const char *type, const char *doc)
{
    if (!doc || s->n == sizeof(s->v) / sizeof(s->v[0])) return ERR_OK;
    policy_t *p = NULL;
    err_t rc = policy_parse(span_of(doc), POLICY_IDENTITY, &p, c->eb);
    if (rc) return rc;
    s->v[s->n++] = (sim_policy_t){arena_strdup(c->arena, id), type, p, arena_strdup(c->arena, doc)};
    return ERR_OK;
}

static void sim_free(sim_t *s)
{
    for (size_t i = 0; i < s->n; i++) policy_free(s->v[i].p);
    policy_free(s->boundary);
}

/* Makes doc the boundary (replacing any): a given one stands in for the entity's own. */
static err_t sim_boundary(api_ctx_t *c, sim_t *s, const char *doc)
{
    policy_t *p = NULL;
    err_t rc = policy_parse(span_of(doc), POLICY_IDENTITY, &p, c->eb);
    if (rc) return rc;
    policy_free(s->boundary);
    s->boundary = p;
    s->boundary_doc = arena_strdup(c->arena, doc);
    return ERR_OK;
}

/* The inline and attached policies of one owner. */
static err_t sim_owner(api_ctx_t *c, sim_t *s, const char *owner_id, const char *inline_type)
{
    cJSON *inl = cJSON_CreateArray();
    bool more;
    res_query_t q = {c->account, IAM_INLINE, owner_id, 0, 0};
    err_t rc = res_list(c->tx, &q, inl, &more, c->eb);
    for (cJSON *p = inl->child; !rc && p; p = p->next)
        rc = sim_add(c, s, jx_str(p, "PolicyName"), inline_type, jx_str(p, "PolicyDocument"));
    cJSON_Delete(inl);
    cJSON *arns = cJSON_CreateArray();
    if (!rc) rc = iam_links(c, IAM_LINK_ATTACH, true, owner_id, arns);
    for (cJSON *a = arns->child; !rc && a; a = a->next) {
        char *doc = NULL;
        rc = iam_managed_policy_doc(c->tx, c->account, a->valuestring, c->arena, &doc, c->eb);
        const char *name = strrchr(a->valuestring, '/');
        if (!rc)
            rc = sim_add(c, s, name ? name + 1 : a->valuestring,
                         strncmp(a->valuestring, "arn:aws:iam::aws:", 17) ? "user-managed"
                                                                          : "aws-managed",
                         doc);
    }
    cJSON_Delete(arns);
    return rc;
}

/* Maps a ContextKeyType to the engine's types. */
static policy_ctx_type_t sim_ctx_type(const char *t)
{
    if (!t) return PCT_STRING;
    if (!strncmp(t, "numeric", 7)) return PCT_NUMERIC;
    if (!strncmp(t, "date", 4)) return PCT_DATE;
    if (!strncmp(t, "boolean", 7)) return PCT_BOOL;
    if (!strncmp(t, "ip", 2)) return PCT_IP;
    if (!strncmp(t, "binary", 6)) return PCT_BINARY;
    return PCT_STRING;
}

static err_t sim_run(api_ctx_t *c, sim_t *s)
{
    const cJSON *given = cJSON_GetObjectItemCaseSensitive(c->in, "PolicyInputList");
    int i = 1;
    err_t rc = ERR_OK;
    for (const cJSON *g = given ? given->child : NULL; !rc && g; g = g->next, i++)
        rc = sim_add(c, s, arena_printf(c->arena, "PolicyInputList.%d", i), "IAM Policy",
                     g->valuestring);
    const cJSON *bounds =
        cJSON_GetObjectItemCaseSensitive(c->in, "PermissionsBoundaryPolicyInputList");
    if (!rc && cJSON_GetArraySize(bounds) > 1)
        return err_fail(c->eb, ERR_IAM_INVALID_INPUT,
                        "You can input only one permissions boundary policy.");
    if (!rc && cJSON_GetArraySize(bounds) == 1) rc = sim_boundary(c, s, bounds->child->valuestring);
    if (rc) return err_fail(c->eb, ERR_IAM_MALFORMED_POLICY, "%s", c->eb->msg);
    const policy_t **identity = arena_alloc(c->arena, sizeof(*identity) * (s->n ? s->n : 1));
    for (size_t p = 0; p < s->n; p++) identity[p] = s->v[p].p;
    policy_set_t set = {identity, s->n, s->boundary, NULL, 0};

    /* the context */
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(c->in, "ContextEntries");
    size_t n_ctx = (size_t)cJSON_GetArraySize(entries);
    policy_ctx_entry_t *ctx = arena_zalloc(c->arena, sizeof(*ctx) * (n_ctx ? n_ctx : 1));
    size_t k = 0;
    for (const cJSON *e = entries ? entries->child : NULL; e; e = e->next) {
        const char *key = jx_str(e, "ContextKeyName");
        const cJSON *vals = cJSON_GetObjectItemCaseSensitive(e, "ContextKeyValues");
        if (!key) continue;
        size_t nv = (size_t)cJSON_GetArraySize(vals);
        const char **v = arena_alloc(c->arena, sizeof(*v) * (nv ? nv : 1));
        size_t j = 0;
        for (const cJSON *x = vals ? vals->child : NULL; x; x = x->next)
            if (cJSON_IsString(x)) v[j++] = x->valuestring;
        ctx[k++] = (policy_ctx_entry_t){key, sim_ctx_type(jx_str(e, "ContextKeyType")), v, j};
    }
    policy_ctx_t pctx = {ctx, k};

    const cJSON *actions = cJSON_GetObjectItemCaseSensitive(c->in, "ActionNames");
    const cJSON *resources = cJSON_GetObjectItemCaseSensitive(c->in, "ResourceArns");
    cJSON *results = cJSON_AddArrayToObject(c->out, "EvaluationResults");
    for (const cJSON *a = actions ? actions->child : NULL; a; a = a->next) {
        const cJSON *r = resources && cJSON_GetArraySize(resources) ? resources->child : NULL;
        do {
            const char *res = r ? r->valuestring : "*";
            policy_request_t req = {a->valuestring, res, &pctx, NULL};
            policy_decision_t d = policy_decide(&set, &req, NULL);
            cJSON *out = cJSON_CreateObject();
            cJSON_AddStringToObject(out, "EvalActionName", a->valuestring);
            cJSON_AddStringToObject(out, "EvalResourceName", res);
            cJSON_AddStringToObject(out, "EvalDecision",
                                    d == POLICY_EXPLICIT_DENY ? "explicitDeny"
                                    : d == POLICY_ALLOWED     ? "allowed"
                                                              : "implicitDeny");
            /* the identity statements that decided: the denying ones, or the allowing ones */
            cJSON *matched = cJSON_AddArrayToObject(out, "MatchedStatements");
            policy_effect_t want = d == POLICY_EXPLICIT_DENY ? POLICY_DENY
                                   : d == POLICY_ALLOWED     ? POLICY_ALLOW
                                                             : POLICY_NO_MATCH;
            for (size_t p = 0; p < s->n && want != POLICY_NO_MATCH; p++) {
                if (policy_eval(s->v[p].p, &req, NULL) != want) continue;
                cJSON *m = cJSON_CreateObject();
                cJSON_AddStringToObject(m, "SourcePolicyId", s->v[p].id);
                cJSON_AddStringToObject(m, "SourcePolicyType", s->v[p].type);
                cJSON_AddItemToArray(matched, m);
            }
            cJSON_AddArrayToObject(out, "MissingContextValues");
            if (s->boundary)
                cJSON_AddBoolToObject(
                    cJSON_AddObjectToObject(out, "PermissionsBoundaryDecisionDetail"),
                    "AllowedByPermissionsBoundary",
                    policy_eval(s->boundary, &req, NULL) == POLICY_ALLOW);
            cJSON_AddItemToArray(results, out);
            r = r ? r->next : NULL;
        } while (r);
    }
    cJSON_AddBoolToObject(c->out, "IsTruncated", false);
    return ERR_OK;
}

err_t iam_simulate_custom_policy(api_ctx_t *c)
{
    sim_t s = {.n = 0};
    err_t rc = sim_run(c, &s);
    sim_free(&s);
    return rc;
}

/* Loads into s the policies of the user, group or role PolicySourceArn names: its own,
 * its boundary and, for a user, its groups'. */
static err_t sim_principal(api_ctx_t *c, sim_t *s)
{
    const char *arn = api_in_str(c, "PolicySourceArn");
    const char *rest = strchr(arn + (strncmp(arn, "arn:aws:iam::", 13) ? 0 : 13), ':');
    err_t rc = ERR_OK;
    const char *type = NULL, *name = rest ? strrchr(rest, '/') : NULL;
    if (rest && !strncmp(rest, ":user/", 6))
        type = "user";
    else if (rest && !strncmp(rest, ":group/", 7))
        type = "group";
    else if (rest && !strncmp(rest, ":role/", 6))
        type = "role";
    if (!type || !name)
        return err_fail(c->eb, ERR_IAM_INVALID_INPUT, "Invalid PolicySourceArn: %s", arn);
    cJSON *e = NULL;
    char *boundary = NULL;
    rc = iam_find(c, type, name + 1, &e);
    if (!rc) rc = sim_owner(c, s, iam_entity_id(e), type);
    if (!rc) rc = iam_boundary_doc(c->tx, c->account, e, c->arena, &boundary, c->eb);
    if (!rc && boundary) rc = sim_boundary(c, s, boundary);
    if (!rc && !strcmp(type, "user")) {
        cJSON *groups = cJSON_CreateArray();
        rc = iam_links(c, IAM_LINK_MEMBER, false, iam_entity_id(e), groups);
        for (cJSON *g = groups->child; !rc && g; g = g->next)
            rc = sim_owner(c, s, g->valuestring, "group");
        cJSON_Delete(groups);
    }
    cJSON_Delete(e);
    return rc;
}

err_t iam_simulate_principal_policy(api_ctx_t *c)
{
    sim_t s = {.n = 0};
    err_t rc = sim_principal(c, &s);
    if (!rc) rc = sim_run(c, &s);
    sim_free(&s);
    return rc;
}

/* ---- GetContextKeysForCustomPolicy, GetContextKeysForPrincipalPolicy */

/* Adds key to the ContextKeyNames out unless one equal without regard to case is there. */
static void ctx_key_add(cJSON *out, const char *key, size_t len)
{
    for (const cJSON *k = out->child; k; k = k->next)
        if (strlen(k->valuestring) == len && !strncasecmp(k->valuestring, key, len)) return;
    char buf[256];
    if (len >= sizeof(buf)) return;
    memcpy(buf, key, len);
    buf[len] = '\0';
    cJSON_AddItemToArray(out, cJSON_CreateString(buf));
}

/* The policy variables ("${aws:username}") of string s. */
static void ctx_key_vars(cJSON *out, const char *s)
{
    for (const char *p = strstr(s, "${"); p; p = strstr(p + 2, "${")) {
        const char *end = strchr(p, '}');
        if (!end) break;
        size_t len = (size_t)(end - p - 2);
        /* ${*}, ${?} and ${$} are escapes, not keys */
        if (len > 1) ctx_key_add(out, p + 2, len);
    }
}

/* Adds to out the keys the conditions of statement st test and the policy variables its
 * resources name. */
static void ctx_key_statement(cJSON *out, const cJSON *st)
{
    const cJSON *cond = cJSON_GetObjectItemCaseSensitive(st, "Condition");
    for (const cJSON *op = cond ? cond->child : NULL; op; op = op->next)
        for (const cJSON *k = op->child; k; k = k->next)
            if (k->string) ctx_key_add(out, k->string, strlen(k->string));
    static const char *const members[] = {"Resource", "NotResource"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(st, members[i]);
        if (cJSON_IsString(r)) ctx_key_vars(out, r->valuestring);
        for (const cJSON *x = cJSON_IsArray(r) ? r->child : NULL; x; x = x->next)
            if (cJSON_IsString(x)) ctx_key_vars(out, x->valuestring);
    }
}

/* Adds the keys of policy text doc (valid: it was parsed) to out. */
static void ctx_key_doc(cJSON *out, const char *doc)
{
    cJSON *d = cJSON_Parse(doc);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(d, "Statement");
    if (cJSON_IsObject(st)) ctx_key_statement(out, st);
    for (const cJSON *x = cJSON_IsArray(st) ? st->child : NULL; x; x = x->next)
        ctx_key_statement(out, x);
    cJSON_Delete(d);
}

/* The keys of s's policies and of the request's PolicyInputList (each checked first). */
static err_t ctx_keys(api_ctx_t *c, sim_t *s)
{
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(c->in, "PolicyInputList");
    err_t rc = ERR_OK;
    for (const cJSON *x = in ? in->child : NULL; !rc && x; x = x->next)
        rc = sim_add(c, s, "input", "input", x->valuestring);
    if (rc) return rc;
    cJSON *out = cJSON_AddArrayToObject(c->out, "ContextKeyNames");
    for (size_t i = 0; i < s->n; i++) ctx_key_doc(out, s->v[i].doc);
    if (s->boundary_doc) ctx_key_doc(out, s->boundary_doc);
    return ERR_OK;
}

err_t iam_get_context_keys_for_custom_policy(api_ctx_t *c)
{
    sim_t s = {.n = 0};
    err_t rc = ctx_keys(c, &s);
    sim_free(&s);
    return rc;
}

err_t iam_get_context_keys_for_principal_policy(api_ctx_t *c)
{
    sim_t s = {.n = 0};
    err_t rc = sim_principal(c, &s);
    if (!rc) rc = ctx_keys(c, &s);
    sim_free(&s);
    return rc;
}
