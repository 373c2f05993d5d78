/* simulate.c - the IAM policy simulator: SimulatePrincipalPolicy (a user's, group's or
 * role's own policies and permissions boundary, plus any given) and SimulateCustomPolicy
 * (only the given ones), decided by policy_decide, the function that authorizes every
 * request. */
#include "svc/iam/iam_int.h"
#include "core/jx.h"

#include "iam/identity.h"

#include <stdlib.h>
#include <string.h>

typedef struct sim_policy {
    const char *id, *type;
    policy_t *p;
} sim_policy_t;

typedef struct sim {
    sim_policy_t v[64]; /* the identity-based policies */
    size_t n;
    policy_t *boundary; /* the permissions boundary, or NULL */
} sim_t;

static err_t sim_add(api_ctx_t *c, sim_t *s, const char *id, const char *type, const char *doc)
{
    if (!doc || s->n == sizeof(s->v) / sizeof(s->v[0])) return ERR_OK;
    policy_t *p = NULL;
    err_t rc = policy_parse(span_of(doc), POLICY_IDENTITY, &p, c->eb);
    if (rc) return rc;
    s->v[s->n++] = (sim_policy_t){arena_strdup(c->arena, id), type, p};
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

err_t iam_simulate_principal_policy(api_ctx_t *c)
{
    const char *arn = api_in_str(c, "PolicySourceArn");
    const char *rest = strchr(arn + (strncmp(arn, "arn:aws:iam::", 13) ? 0 : 13), ':');
    sim_t s = {.n = 0};
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
    if (!rc) rc = sim_owner(c, &s, iam_entity_id(e), type);
    if (!rc) rc = iam_boundary_doc(c->tx, c->account, e, c->arena, &boundary, c->eb);
    if (!rc && boundary) rc = sim_boundary(c, &s, boundary);
    if (!rc && !strcmp(type, "user")) {
        cJSON *groups = cJSON_CreateArray();
        rc = iam_links(c, IAM_LINK_MEMBER, false, iam_entity_id(e), groups);
        for (cJSON *g = groups->child; !rc && g; g = g->next)
            rc = sim_owner(c, &s, g->valuestring, "group");
        cJSON_Delete(groups);
    }
    cJSON_Delete(e);
    if (!rc) rc = sim_run(c, &s);
    sim_free(&s);
    return rc;
}
