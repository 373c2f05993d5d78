/* stack_policy.c - stack policies and termination protection: SetStackPolicy,
 * GetStackPolicy, UpdateTerminationProtection, the policies CreateStack and UpdateStack
 * carry, and the check the stack job makes before it modifies, replaces or removes a
 * resource during an update (User Guide, "Prevent updates to stack resources"). Once a stack
 * has a policy every resource is protected unless a statement allows the update; an
 * explicit Deny wins over any Allow. Statements name update actions (Update:Modify,
 * Update:Replace, Update:Delete, Update:*), Principal "*", resources as
 * "LogicalResourceId/<id>" (wildcards allowed) or "*", and may hold a ResourceType
 * condition (StringEquals / StringLike). */
#include "svc/cloudformation/cfn_int.h"
#include "core/jx.h"
#include "iam/policy.h"

#include <stdio.h>
#include <string.h>

#define SP_MAX_BODY 16384 /* the model's StackPolicyBody limit */

static const char *const sp_actions[] = {"Update:Modify", "Update:Replace", "Update:Delete",
                                         "Update:*", NULL};

/* The strings of v (a string or an array of strings) as a visit: fn(ud, s) for each; false
 * when v is neither or holds a non-string. */
static bool sp_each(const cJSON *v, bool (*fn)(void *ud, const char *s), void *ud)
{
    if (cJSON_IsString(v)) return fn(ud, v->valuestring);
    if (!cJSON_IsArray(v) || !cJSON_GetArraySize(v)) return false;
    for (const cJSON *e = v->child; e; e = e->next)
        if (!cJSON_IsString(e) || !fn(ud, e->valuestring)) return false;
    return true;
}

static bool sp_known_action(void *ud, const char *s)
{
    (void)ud;
    for (size_t i = 0; sp_actions[i]; i++)
        if (!strcmp(s, sp_actions[i])) return true;
    return false;
}

/* A resource entry is "*" or "LogicalResourceId/<id>"; a literal id (no wildcard) must
 * name a resource of the template when one is given. */
typedef struct sp_res_check {
    const tpl_t *t;
    const char *bad;
} sp_res_check_t;

static bool sp_known_resource(void *ud, const char *s)
{
    sp_res_check_t *rc = ud;
    if (!strcmp(s, "*")) return true;
    if (strncmp(s, "LogicalResourceId/", 18) || !s[18]) return rc->bad = s, false;
    if (rc->t && !strpbrk(s + 18, "*?") && !tpl_resource(rc->t, s + 18)) return rc->bad = s, false;
    return true;
}

err_t cfn_stack_policy_check_text(const char *text, const tpl_t *t, errbuf_t *eb)
{
    if (strlen(text) > SP_MAX_BODY)
        return err_fail(eb, ERR_VALIDATION, "Stack policy body exceeds the maximum size of %d",
                        SP_MAX_BODY);
    cJSON *doc = cJSON_Parse(text);
    err_t rc = ERR_OK;
    const cJSON *sts = cJSON_GetObjectItemCaseSensitive(doc, "Statement");
    if (!cJSON_IsObject(doc) || !sts) {
        rc = err_fail(eb, ERR_VALIDATION,
                      "Error validating stack policy: Invalid stack policy: the policy must be a "
                      "JSON object with a Statement");
        goto done;
    }
    int n = 0;
    for (const cJSON *st = cJSON_IsArray(sts) ? sts->child : sts; st && !rc;
         st = cJSON_IsArray(sts) ? st->next : NULL) {
        n++;
        const char *effect = jx_str(st, "Effect");
        const cJSON *principal = cJSON_GetObjectItemCaseSensitive(st, "Principal");
        const cJSON *act = cJSON_GetObjectItemCaseSensitive(st, "Action");
        const cJSON *nact = cJSON_GetObjectItemCaseSensitive(st, "NotAction");
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(st, "Resource");
        const cJSON *nres = cJSON_GetObjectItemCaseSensitive(st, "NotResource");
        sp_res_check_t chk = {t, NULL};
        if (!cJSON_IsObject(st) || !effect || (strcmp(effect, "Allow") && strcmp(effect, "Deny")))
            rc = err_fail(eb, ERR_VALIDATION,
                          "Error validating stack policy: Statement [#%d] must have an Effect of "
                          "Allow or Deny",
                          n);
        else if (!cJSON_IsString(principal) || strcmp(principal->valuestring, "*"))
            rc = err_fail(eb, ERR_VALIDATION,
                          "Error validating stack policy: Statement [#%d] must have Principal "
                          "\"*\"",
                          n);
        else if (!act == !nact || !sp_each(act ? act : nact, sp_known_action, NULL))
            rc = err_fail(eb, ERR_VALIDATION,
                          "Error validating stack policy: Statement [#%d] must have one Action "
                          "or NotAction of Update:Modify, Update:Replace, Update:Delete or "
                          "Update:*",
                          n);
        else if (!res == !nres || !sp_each(res ? res : nres, sp_known_resource, &chk))
            rc = chk.bad ? err_fail(eb, ERR_VALIDATION,
                                    "Error validating stack policy: Unknown logical id '%s' in "
                                    "statement [#%d] - stack policies can only be applied to "
                                    "logical ids referenced in the template",
                                    chk.bad, n)
                         : err_fail(eb, ERR_VALIDATION,
                                    "Error validating stack policy: Statement [#%d] must have "
                                    "one Resource or NotResource",
                                    n);
    }
done:
    cJSON_Delete(doc);
    return rc;
}

/* ---- evaluation */

typedef struct sp_match {
    const char *want; /* action, or "LogicalResourceId/<id>" */
    bool hit;
} sp_match_t;

static bool sp_action_hit(void *ud, const char *s)
{
    sp_match_t *m = ud;
    if (!strcmp(s, "Update:*") || !strcmp(s, m->want)) m->hit = true;
    return true;
}

static bool sp_resource_hit(void *ud, const char *s)
{
    sp_match_t *m = ud;
    if (!strcmp(s, "*") || policy_wildcard(s, m->want, false)) m->hit = true;
    return true;
}

/* Whether the statement's Condition (ResourceType under StringEquals / StringLike) holds
 * for type. No condition holds. */
static bool sp_condition(const cJSON *st, const char *type)
{
    const cJSON *cond = cJSON_GetObjectItemCaseSensitive(st, "Condition");
    if (!cJSON_IsObject(cond)) return true;
    for (const cJSON *op = cond->child; op; op = op->next) {
        bool like = !strcmp(op->string, "StringLike");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(op, "ResourceType");
        if (!v) continue;
        bool any = false;
        for (const cJSON *e = cJSON_IsArray(v) ? v->child : v; e;
             e = cJSON_IsArray(v) ? e->next : NULL)
            if (cJSON_IsString(e) && (like ? policy_wildcard(e->valuestring, type, false)
                                           : !strcmp(e->valuestring, type)))
                any = true;
        if (!any) return false;
    }
    return true;
}

bool cfn_stack_policy_allows(const char *text, const char *action, const char *logical,
                             const char *type, char *why, size_t cap)
{
    cJSON *doc = text ? cJSON_Parse(text) : NULL;
    if (!doc) return true; /* no policy: every update is allowed */
    const cJSON *sts = cJSON_GetObjectItemCaseSensitive(doc, "Statement");
    char res[300];
    snprintf(res, sizeof res, "LogicalResourceId/%s", logical);
    int allow = 0, deny = 0, n = 0;
    for (const cJSON *st = cJSON_IsArray(sts) ? sts->child : sts; st;
         st = cJSON_IsArray(sts) ? st->next : NULL) {
        n++;
        const cJSON *act = cJSON_GetObjectItemCaseSensitive(st, "Action");
        const cJSON *res_v = cJSON_GetObjectItemCaseSensitive(st, "Resource");
        sp_match_t a = {action, false}, r = {res, false};
        sp_each(act ? act : cJSON_GetObjectItemCaseSensitive(st, "NotAction"), sp_action_hit, &a);
        sp_each(res_v ? res_v : cJSON_GetObjectItemCaseSensitive(st, "NotResource"),
                sp_resource_hit, &r);
        if (a.hit != (act != NULL) || r.hit != (res_v != NULL) || !sp_condition(st, type)) continue;
        if (!strcmp(jx_str(st, "Effect"), "Deny") && !deny) deny = n;
        if (!strcmp(jx_str(st, "Effect"), "Allow") && !allow) allow = n;
    }
    cJSON_Delete(doc);
    if (deny)
        snprintf(why, cap,
                 "Action denied by stack policy: Statement [#%d] does not allow [%s] for resource "
                 "[%s]",
                 deny, action, res);
    else if (!allow)
        snprintf(why, cap,
                 "Action not allowed by stack policy: No statement allows [%s] for resource [%s]",
                 action, res);
    return allow && !deny;
}

/* ---- the operations */

/* The stack policy body of a request (member body_member), or NULL; a *URL member is refused:
 * catalogd reads policies only from the request body (no S3 to read them from). */
err_t cfn_stack_policy_in(api_ctx_t *c, const char *body_member, const char *url_member,
                          const tpl_t *t, const char **out)
{
    *out = api_in_str(c, body_member);
    if (api_in_str(c, url_member) && *out)
        return err_fail(c->eb, ERR_VALIDATION, "You cannot specify both %s and %s", body_member,
                        url_member);
    if (api_in_str(c, url_member))
        return err_fail(c->eb, ERR_VALIDATION,
                        "%s is not supported by this endpoint: give the policy in %s", url_member,
                        body_member);
    return *out ? cfn_stack_policy_check_text(*out, t, c->eb) : ERR_OK;
}

err_t cfn_set_stack_policy(api_ctx_t *c)
{
    cJSON *s = NULL;
    tpl_t *t = NULL;
    const char *text = NULL;
    err_t rc = cfn_stack_find(c->tx, c->scope, api_in_str(c, "StackName"), true, &s, c->eb);
    if (!rc) rc = tpl_parse(span_of(jx_str(s, "_Template")), &t, c->eb);
    if (!rc) rc = cfn_stack_policy_in(c, "StackPolicyBody", "StackPolicyURL", t, &text);
    if (!rc && !text)
        rc = err_fail(c->eb, ERR_VALIDATION,
                      "Either StackPolicyBody or StackPolicyURL must be specified");
    if (!rc) {
        jx_set_str(s, "_StackPolicy", text);
        rc = cfn_stack_save(c->tx, c->scope, s, clk_now_ms(&c->app->clock), c->eb);
    }
    tpl_free(t);
    cJSON_Delete(s);
    return rc;
}

err_t cfn_get_stack_policy(api_ctx_t *c)
{
    cJSON *s = NULL;
    err_t rc = cfn_stack_find(c->tx, c->scope, api_in_str(c, "StackName"), false, &s, c->eb);
    const char *text = rc ? NULL : jx_str(s, "_StackPolicy");
    if (text) cJSON_AddStringToObject(c->out, "StackPolicyBody", text);
    cJSON_Delete(s);
    return rc;
}

err_t cfn_update_termination_protection(api_ctx_t *c)
{
    cJSON *s = NULL;
    err_t rc = cfn_stack_find(c->tx, c->scope, api_in_str(c, "StackName"), true, &s, c->eb);
    if (!rc) {
        jx_set(s, "EnableTerminationProtection",
               cJSON_CreateBool(cJSON_IsTrue(
                   cJSON_GetObjectItemCaseSensitive(c->in, "EnableTerminationProtection"))));
        rc = cfn_stack_save(c->tx, c->scope, s, clk_now_ms(&c->app->clock), c->eb);
    }
    if (!rc) cJSON_AddStringToObject(c->out, "StackId", jx_str(s, "StackId"));
    cJSON_Delete(s);
    return rc;
}

/* Whether member name differs between objects a and b (absent on one side differs). */
static bool sp_differs(const cJSON *a, const cJSON *b, const char *name)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(a, name);
    const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, name);
    return !x || !y || !cJSON_Compare(x, y, true);
}

const char *cfn_update_action(const char *type, const cJSON *old, const cJSON *props,
                              bool type_changed)
{
    if (type_changed) return "Update:Replace";
    const cJSON *sides[2] = {old, props};
    for (int i = 0; i < 2; i++)
        for (const cJSON *m = cJSON_IsObject(sides[i]) ? sides[i]->child : NULL; m; m = m->next)
            if (sp_differs(old, props, m->string) &&
                cfn_type_replaces(type, m->string) == CFN_RECREATE_ALWAYS)
                return "Update:Replace";
    return "Update:Modify";
}
