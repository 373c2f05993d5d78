/* types_iam.c - the AWS::IAM:: resource types: Role, InstanceProfile, Policy, ManagedPolicy,
 * User, Group, AccessKey. Each row is the table's data (types_int.h); the hooks do the
 * parts that are lists of calls: a role's inline Policies and ManagedPolicyArns, a user's
 * Groups and LoginProfile, the roles of an instance profile, the owners of a policy. A
 * delete first takes away what IAM would refuse it for (DeleteConflict), reading what is
 * there from IAM itself, so a resource changed by hand still goes. */
#include "svc/cloudformation/types_int.h"
#include "core/jx.h"

#include <stdlib.h>
#include <string.h>

#define NO_ENTITY "NoSuchEntity"

/* "Role", "User", "Group" of an entity type "AWS::IAM::Role". */
static const char *title_of(const cfn_spec_t *spec)
{
    return strrchr(spec->type, ':') + 1;
}

/* {"<T>Name": name} plus one more string member (NULL: none), new. */
static cJSON *named(cfn_step_t *s, const char *t, const char *name, const char *member,
                    const char *value)
{
    cJSON *in = cfn_obj1(arena_printf(s->arena, "%sName", t), name);
    if (member) cJSON_AddStringToObject(in, member, value ? value : "");
    return in;
}

/* Calls iam:op with in (freed here); NoSuchEntity counts as done when tolerate_gone. */
static err_t iam_op(cfn_step_t *s, const char *op, cJSON *in, bool tolerate_gone)
{
    err_t rc = tolerate_gone ? cfn_call_gone(s, "iam", op, in, NO_ENTITY)
                             : cfn_call(s, "iam", op, in, NULL);
    cJSON_Delete(in);
    return rc;
}

static const cJSON *find_named(const cJSON *list, const char *member, const char *name)
{
    for (const cJSON *e = list ? list->child : NULL; e; e = e->next) {
        const char *n = cJSON_IsString(e) ? e->valuestring : jx_str(e, member);
        if (n && name && !strcmp(n, name)) return e;
    }
    return NULL;
}

/* A policy document property as text (an object becomes its JSON). */
static const char *doc_text(cfn_step_t *s, const cJSON *doc)
{
    if (cJSON_IsString(doc)) return doc->valuestring;
    char *t = cJSON_PrintUnformatted(doc);
    const char *r = arena_strdup(s->arena, t ? t : "");
    cJSON_free(t);
    return r;
}

/* Brings the inline policies of entity t/name from old's Policies to new's. */
static err_t sync_inline(cfn_step_t *s, const char *t, const char *name, const cJSON *old_props,
                         const cJSON *props)
{
    const cJSON *was = cJSON_GetObjectItemCaseSensitive(old_props, "Policies");
    const cJSON *now = cJSON_GetObjectItemCaseSensitive(props, "Policies");
    err_t rc = ERR_OK;
    for (const cJSON *p = was ? was->child : NULL; !rc && p; p = p->next)
        if (!find_named(now, "PolicyName", jx_str(p, "PolicyName")))
            rc = iam_op(s, arena_printf(s->arena, "Delete%sPolicy", t),
                        named(s, t, name, "PolicyName", jx_str(p, "PolicyName")), true);
    for (const cJSON *p = now ? now->child : NULL; !rc && p; p = p->next) {
        const cJSON *before = find_named(was, "PolicyName", jx_str(p, "PolicyName"));
        if (before && cJSON_Compare(before, p, true)) continue;
        cJSON *in = named(s, t, name, "PolicyName", jx_str(p, "PolicyName"));
        cJSON_AddStringToObject(in, "PolicyDocument",
                                doc_text(s, cJSON_GetObjectItemCaseSensitive(p, "PolicyDocument")));
        rc = iam_op(s, arena_printf(s->arena, "Put%sPolicy", t), in, false);
    }
    return rc;
}

/* Brings the strings of list property `prop` from old to new: `add` (printf form with t)
 * for each new one, `del` for each dropped one, each with {"<T>Name": name, member: v}, or
 * with swap {"<T>Name": v, member: name}. */
static err_t sync_list(cfn_step_t *s, const char *t, const char *name, const cJSON *old_props,
                       const cJSON *props, const char *prop, const char *member, const char *add,
                       const char *del, bool swap)
{
    const cJSON *was = cJSON_GetObjectItemCaseSensitive(old_props, prop);
    const cJSON *now = cJSON_GetObjectItemCaseSensitive(props, prop);
    err_t rc = ERR_OK;
    for (int pass = 0; pass < 2 && !rc; pass++) { /* the dropped ones first, then the new */
        const cJSON *from = pass ? now : was, *other = pass ? was : now;
        for (const cJSON *v = from ? from->child : NULL; !rc && v; v = v->next) {
            if (!cJSON_IsString(v) || find_named(other, NULL, v->valuestring)) continue;
            cJSON *in = swap ? named(s, t, v->valuestring, member, name)
                             : named(s, t, name, member, v->valuestring);
            rc = iam_op(s, arena_printf(s->arena, pass ? add : del, t), in, !pass);
        }
    }
    return rc;
}

/* Inline policies and managed policy ARNs of a role, user or group, old to new. */
static err_t sync_policies(cfn_step_t *s, const char *t, const char *name, const cJSON *old_props,
                           const cJSON *props)
{
    err_t rc = sync_inline(s, t, name, old_props, props);
    if (!rc)
        rc = sync_list(s, t, name, old_props, props, "ManagedPolicyArns", "PolicyArn",
                       "Attach%sPolicy", "Detach%sPolicy", false);
    return rc;
}

/* Lists with op (input in, freed) and returns the strings at path of its output. */
static err_t list_of(cfn_step_t *s, const char *op, cJSON *in, const char *path, cJSON **out)
{
    cJSON *o = NULL;
    cJSON_AddNumberToObject(in, "MaxItems", 1000);
    err_t rc = cfn_call(s, "iam", op, in, &o);
    cJSON_Delete(in);
    *out = rc ? NULL : cfn_path(o, path);
    if (!rc && !*out) *out = cJSON_CreateArray();
    cJSON_Delete(o);
    return rc;
}

/* Takes every inline and attached policy off entity t/name (what DeleteX refuses for). */
static err_t strip_policies(cfn_step_t *s, const char *t, const char *name)
{
    cJSON *names = NULL, *arns = NULL;
    err_t rc = list_of(s, arena_printf(s->arena, "List%sPolicies", t),
                       named(s, t, name, NULL, NULL), "PolicyNames[]", &names);
    for (const cJSON *n = names ? names->child : NULL; !rc && n; n = n->next)
        rc = iam_op(s, arena_printf(s->arena, "Delete%sPolicy", t),
                    named(s, t, name, "PolicyName", n->valuestring), true);
    if (!rc)
        rc = list_of(s, arena_printf(s->arena, "ListAttached%sPolicies", t),
                     named(s, t, name, NULL, NULL), "AttachedPolicies[].PolicyArn", &arns);
    for (const cJSON *a = arns ? arns->child : NULL; !rc && a; a = a->next)
        rc = iam_op(s, arena_printf(s->arena, "Detach%sPolicy", t),
                    named(s, t, name, "PolicyArn", a->valuestring), true);
    cJSON_Delete(names);
    cJSON_Delete(arns);
    return rc;
}

/* Brings the Tags of role or user t/name from old's to new's in place: Untag<T> for the
 * keys dropped, Tag<T> for the tags added or changed. */
static err_t sync_tags(cfn_step_t *s, const char *t, const char *name, const cJSON *old_props,
                       const cJSON *props)
{
    const cJSON *was = cJSON_GetObjectItemCaseSensitive(old_props, "Tags");
    const cJSON *now = cJSON_GetObjectItemCaseSensitive(props, "Tags");
    cJSON *keys = cJSON_CreateArray(), *tags = cJSON_CreateArray();
    for (const cJSON *g = was ? was->child : NULL; g; g = g->next)
        if (jx_str(g, "Key") && !find_named(now, "Key", jx_str(g, "Key")))
            cJSON_AddItemToArray(keys, cJSON_CreateString(jx_str(g, "Key")));
    for (const cJSON *g = now ? now->child : NULL; g; g = g->next) {
        const cJSON *before = find_named(was, "Key", jx_str(g, "Key"));
        if (!before || !cJSON_Compare(before, g, true))
            cJSON_AddItemToArray(tags, cJSON_Duplicate(g, 1));
    }
    err_t rc = ERR_OK;
    if (cJSON_GetArraySize(keys)) {
        cJSON *in = named(s, t, name, NULL, NULL);
        cJSON_AddItemToObject(in, "TagKeys", keys);
        keys = NULL;
        rc = iam_op(s, arena_printf(s->arena, "Untag%s", t), in, false);
    }
    if (!rc && cJSON_GetArraySize(tags)) {
        cJSON *in = named(s, t, name, NULL, NULL);
        cJSON_AddItemToObject(in, "Tags", tags);
        tags = NULL;
        rc = iam_op(s, arena_printf(s->arena, "Tag%s", t), in, false);
    }
    cJSON_Delete(keys);
    cJSON_Delete(tags);
    return rc;
}

/* ---- AWS::IAM::Role and AWS::IAM::Group */

static err_t entity_after_create(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res,
                                 const cJSON *props, const cJSON *out)
{
    return sync_policies(s, title_of(spec), jx_str(res, "PhysicalResourceId"), NULL, props);
}

static err_t entity_before_delete(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res)
{
    return strip_policies(s, title_of(spec), jx_str(res, "PhysicalResourceId"));
}

static err_t role_update(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, const cJSON *old_props,
                         const cJSON *props)
{
    const char *name = jx_str(res, "PhysicalResourceId");
    err_t rc = ERR_OK;
    if (cfn_changed(old_props, props, "AssumeRolePolicyDocument"))
        rc = iam_op(
            s, "UpdateAssumeRolePolicy",
            named(s, "Role", name, "PolicyDocument",
                  doc_text(s, cJSON_GetObjectItemCaseSensitive(props, "AssumeRolePolicyDocument"))),
            false);
    if (!rc && (cfn_changed(old_props, props, "Description") ||
                cfn_changed(old_props, props, "MaxSessionDuration"))) {
        const char *desc = cfn_prop_str(s, props, "Description");
        const char *max = cfn_prop_str(s, props, "MaxSessionDuration");
        cJSON *in = named(s, "Role", name, "Description", desc ? desc : "");
        cJSON_AddNumberToObject(in, "MaxSessionDuration", max ? strtod(max, NULL) : 3600);
        rc = iam_op(s, "UpdateRole", in, false);
    }
    if (!rc) rc = sync_policies(s, "Role", name, old_props, props);
    if (!rc) rc = sync_tags(s, "Role", name, old_props, props);
    return rc;
}

static err_t group_update(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, const cJSON *old_props,
                          const cJSON *props)
{
    return sync_policies(s, "Group", jx_str(res, "PhysicalResourceId"), old_props, props);
}

/* ---- AWS::IAM::User */

/* Creates, updates or deletes the user's login profile from old's LoginProfile to new's. */
static err_t sync_login(cfn_step_t *s, const char *name, const cJSON *old_props, const cJSON *props)
{
    const cJSON *was = cJSON_GetObjectItemCaseSensitive(old_props, "LoginProfile");
    const cJSON *now = cJSON_GetObjectItemCaseSensitive(props, "LoginProfile");
    if (!now)
        return was ? iam_op(s, "DeleteLoginProfile", named(s, "User", name, NULL, NULL), true)
                   : ERR_OK;
    if (was && cJSON_Compare(was, now, true)) return ERR_OK;
    cJSON *in = named(s, "User", name, "Password", jx_str(now, "Password"));
    const cJSON *reset = cJSON_GetObjectItemCaseSensitive(now, "PasswordResetRequired");
    if (reset)
        cJSON_AddBoolToObject(in, "PasswordResetRequired",
                              cJSON_IsTrue(reset) ||
                                  (cJSON_IsString(reset) && !strcmp(reset->valuestring, "true")));
    return iam_op(s, was ? "UpdateLoginProfile" : "CreateLoginProfile", in, false);
}

static err_t user_sync(cfn_step_t *s, const char *name, const cJSON *old_props, const cJSON *props)
{
    err_t rc = sync_policies(s, "User", name, old_props, props);
    if (!rc)
        rc = sync_list(s, "User", name, old_props, props, "Groups", "GroupName", "AddUserToGroup",
                       "RemoveUserFromGroup", false);
    if (!rc) rc = sync_login(s, name, old_props, props);
    return rc;
}

static err_t user_after_create(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res,
                               const cJSON *props, const cJSON *out)
{
    return user_sync(s, jx_str(res, "PhysicalResourceId"), NULL, props);
}

static err_t user_before_delete(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res)
{
    const char *name = jx_str(res, "PhysicalResourceId");
    cJSON *groups = NULL;
    err_t rc = strip_policies(s, "User", name);
    if (!rc)
        rc = list_of(s, "ListGroupsForUser", named(s, "User", name, NULL, NULL),
                     "Groups[].GroupName", &groups);
    for (const cJSON *g = groups ? groups->child : NULL; !rc && g; g = g->next)
        rc = iam_op(s, "RemoveUserFromGroup", named(s, "User", name, "GroupName", g->valuestring),
                    true);
    cJSON_Delete(groups);
    if (!rc) rc = iam_op(s, "DeleteLoginProfile", named(s, "User", name, NULL, NULL), true);
    return rc;
}

static err_t user_update(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, const cJSON *old_props,
                         const cJSON *props)
{
    const char *name = jx_str(res, "PhysicalResourceId");
    err_t rc = ERR_OK;
    if (cfn_changed(old_props, props, "Path")) {
        const char *path = cfn_prop_str(s, props, "Path");
        rc = iam_op(s, "UpdateUser", named(s, "User", name, "NewPath", path ? path : "/"), false);
        cJSON *out = NULL;
        cJSON *in = named(s, "User", name, NULL, NULL);
        if (!rc) rc = cfn_call(s, "iam", "GetUser", in, &out);
        if (!rc) cfn_set_result(res, spec, NULL, out, NULL); /* the ARN holds the path */
        cJSON_Delete(in);
        cJSON_Delete(out);
    }
    if (!rc) rc = user_sync(s, name, old_props, props);
    if (!rc) rc = sync_tags(s, "User", name, old_props, props);
    return rc;
}

/* ---- AWS::IAM::InstanceProfile */

static err_t profile_roles(cfn_step_t *s, const char *name, const cJSON *old_props,
                           const cJSON *props)
{
    return sync_list(s, "InstanceProfile", name, old_props, props, "Roles", "RoleName",
                     "AddRoleTo%s", "RemoveRoleFrom%s", false);
}

static err_t profile_after_create(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res,
                                  const cJSON *props, const cJSON *out)
{
    return profile_roles(s, jx_str(res, "PhysicalResourceId"), NULL, props);
}

static err_t profile_before_delete(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res)
{
    const char *name = jx_str(res, "PhysicalResourceId");
    cJSON *out = NULL, *in = named(s, "InstanceProfile", name, NULL, NULL);
    err_t rc = cfn_call(s, "iam", "GetInstanceProfile", in, &out);
    cJSON_Delete(in);
    cJSON *roles = rc ? NULL : cfn_path(out, "InstanceProfile.Roles[].RoleName");
    for (const cJSON *r = roles ? roles->child : NULL; !rc && r; r = r->next)
        rc = iam_op(s, "RemoveRoleFromInstanceProfile",
                    named(s, "InstanceProfile", name, "RoleName", r->valuestring), true);
    cJSON_Delete(roles);
    cJSON_Delete(out);
    return rc;
}

static err_t profile_update(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res,
                            const cJSON *old_props, const cJSON *props)
{
    return profile_roles(s, jx_str(res, "PhysicalResourceId"), old_props, props);
}

/* ---- AWS::IAM::Policy: an inline policy put on each of its Roles, Users and Groups */

static const char *const owners[][2] = {{"Roles", "Role"}, {"Users", "User"}, {"Groups", "Group"}};

/* Puts (put) or deletes the inline policy props describe (PolicyName, PolicyDocument) on
 * every owner props' Roles, Users and Groups name; owners that keep (NULL: none) also names
 * are left alone. */
static err_t policy_apply(cfn_step_t *s, const cJSON *props, bool put, const cJSON *keep)
{
    const char *pname = cfn_prop_str(s, props, "PolicyName");
    const char *doc = doc_text(s, cJSON_GetObjectItemCaseSensitive(props, "PolicyDocument"));
    err_t rc = ERR_OK;
    for (size_t i = 0; i < 3 && !rc; i++) {
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(props, owners[i][0]);
        const cJSON *kept = cJSON_GetObjectItemCaseSensitive(keep, owners[i][0]);
        for (const cJSON *o = list ? list->child : NULL; !rc && o; o = o->next) {
            if (!cJSON_IsString(o) || (keep && find_named(kept, NULL, o->valuestring))) continue;
            cJSON *in = named(s, owners[i][1], o->valuestring, "PolicyName", pname);
            if (put) cJSON_AddStringToObject(in, "PolicyDocument", doc);
            rc = iam_op(
                s, arena_printf(s->arena, put ? "Put%sPolicy" : "Delete%sPolicy", owners[i][1]), in,
                !put);
        }
    }
    return rc;
}

static err_t policy_after_create(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res,
                                 const cJSON *props, const cJSON *out)
{
    bool any = false;
    for (size_t i = 0; i < 3; i++)
        any = any || cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(props, owners[i][0]));
    if (!any)
        return err_fail(s->eb, ERR_VALIDATION,
                        "At least one of [Groups,Roles,Users] must be non-empty.");
    jx_set_str(res, "PhysicalResourceId", cfn_gen_name(s, res, 64));
    return policy_apply(s, props, true, NULL);
}

static err_t policy_before_delete(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res)
{
    return policy_apply(s, cJSON_GetObjectItemCaseSensitive(res, "_Props"), false, NULL);
}

static err_t policy_update(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res,
                           const cJSON *old_props, const cJSON *props)
{
    /* owners that lose it (all of them when its name changes), then every owner gets it */
    bool renamed = cfn_changed(old_props, props, "PolicyName");
    err_t rc = policy_apply(s, old_props, false, renamed ? NULL : props);
    return rc ? rc : policy_apply(s, props, true, NULL);
}

/* ---- AWS::IAM::ManagedPolicy */

/* Attaches the policy to the owners props names that old_props did not, detaches it from
 * the ones it no longer names. */
static err_t managed_attach(cfn_step_t *s, const char *arn, const cJSON *old_props,
                            const cJSON *props)
{
    err_t rc = ERR_OK;
    for (size_t i = 0; i < 3 && !rc; i++)
        rc = sync_list(s, owners[i][1], arn, old_props, props, owners[i][0], "PolicyArn",
                       "Attach%sPolicy", "Detach%sPolicy", true);
    return rc;
}

static err_t managed_after_create(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res,
                                  const cJSON *props, const cJSON *out)
{
    return managed_attach(s, jx_str(res, "PhysicalResourceId"), NULL, props);
}

static err_t managed_before_delete(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res)
{
    const char *arn = jx_str(res, "PhysicalResourceId");
    cJSON *out = NULL, *in = cfn_obj1("PolicyArn", arn);
    err_t rc = cfn_call(s, "iam", "ListEntitiesForPolicy", in, &out);
    for (size_t i = 0; i < 3 && !rc; i++) {
        cJSON *names =
            cfn_path(out, arena_printf(s->arena, "Policy%s[].%sName", owners[i][0], owners[i][1]));
        for (const cJSON *n = names ? names->child : NULL; !rc && n; n = n->next)
            rc = iam_op(s, arena_printf(s->arena, "Detach%sPolicy", owners[i][1]),
                        named(s, owners[i][1], n->valuestring, "PolicyArn", arn), true);
        cJSON_Delete(names);
    }
    cJSON_Delete(out);
    out = NULL;
    if (!rc) rc = cfn_call(s, "iam", "ListPolicyVersions", in, &out); /* the others go first */
    const cJSON *vs = cJSON_GetObjectItemCaseSensitive(out, "Versions");
    for (const cJSON *v = vs ? vs->child : NULL; !rc && v; v = v->next) {
        if (jx_true(v, "IsDefaultVersion")) continue;
        cJSON *del = cfn_obj1("PolicyArn", arn);
        cJSON_AddStringToObject(del, "VersionId", jx_str(v, "VersionId"));
        rc = iam_op(s, "DeletePolicyVersion", del, true);
    }
    cJSON_Delete(in);
    cJSON_Delete(out);
    return rc;
}

static err_t managed_update(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res,
                            const cJSON *old_props, const cJSON *props)
{
    const char *arn = jx_str(res, "PhysicalResourceId");
    err_t rc = ERR_OK;
    if (cfn_changed(old_props, props, "PolicyDocument")) {
        /* a new default version; the oldest other one goes when five exist, as AWS does */
        cJSON *in = cfn_obj1("PolicyArn", arn), *out = NULL;
        rc = cfn_call(s, "iam", "ListPolicyVersions", in, &out);
        const cJSON *vs = cJSON_GetObjectItemCaseSensitive(out, "Versions");
        const cJSON *oldest = NULL;
        for (const cJSON *v = vs ? vs->child : NULL; v; v = v->next)
            if (!jx_true(v, "IsDefaultVersion")) oldest = v;
        if (!rc && cJSON_GetArraySize(vs) >= 5 && oldest) {
            cJSON *del = cfn_obj1("PolicyArn", arn);
            cJSON_AddStringToObject(del, "VersionId", jx_str(oldest, "VersionId"));
            rc = iam_op(s, "DeletePolicyVersion", del, false);
        }
        cJSON_Delete(out);
        out = NULL;
        cJSON_AddStringToObject(
            in, "PolicyDocument",
            doc_text(s, cJSON_GetObjectItemCaseSensitive(props, "PolicyDocument")));
        cJSON_AddBoolToObject(in, "SetAsDefault", true);
        if (!rc) rc = cfn_call(s, "iam", "CreatePolicyVersion", in, NULL);
        cJSON_DeleteItemFromObjectCaseSensitive(in, "PolicyDocument");
        cJSON_DeleteItemFromObjectCaseSensitive(in, "SetAsDefault");
        if (!rc) rc = cfn_call(s, "iam", "GetPolicy", in, &out);
        if (!rc) cfn_set_result(res, spec, NULL, out, NULL); /* DefaultVersionId */
        cJSON_Delete(in);
        cJSON_Delete(out);
    }
    if (!rc) rc = managed_attach(s, arn, old_props, props);
    return rc;
}

/* ---- AWS::IAM::AccessKey */

static err_t key_status(cfn_step_t *s, cJSON *res, const cJSON *props)
{
    const char *status = cfn_prop_str(s, props, "Status");
    cJSON *in = cfn_obj1("UserName", cfn_prop_str(s, props, "UserName"));
    cJSON_AddStringToObject(in, "AccessKeyId", jx_str(res, "PhysicalResourceId"));
    cJSON_AddStringToObject(in, "Status", status ? status : "Active");
    return iam_op(s, "UpdateAccessKey", in, false);
}

static err_t key_after_create(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, const cJSON *props,
                              const cJSON *out)
{
    const char *status = cfn_prop_str(s, props, "Status");
    return status && strcmp(status, "Active") ? key_status(s, res, props) : ERR_OK;
}

static err_t key_before_delete(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res)
{
    /* the key's own user (an update may have moved the resource to another) */
    const char *id = jx_str(res, "PhysicalResourceId");
    cJSON *in = cfn_obj1("AccessKeyId", id), *out = NULL;
    err_t rc = cfn_call(s, "iam", "GetAccessKeyLastUsed", in, &out);
    if (!rc) cJSON_AddStringToObject(in, "UserName", jx_str(out, "UserName"));
    if (!rc) rc = cfn_call(s, "iam", "DeleteAccessKey", in, NULL);
    cJSON_Delete(in);
    cJSON_Delete(out);
    return rc;
}

static err_t key_update(cfn_step_t *s, const cfn_spec_t *spec, cJSON *res, const cJSON *old_props,
                        const cJSON *props)
{
    return key_status(s, res, props);
}

/* ---- the rows */

#define M  CFN_P_MUTABLE
#define HM (CFN_P_HOOK | CFN_P_MUTABLE)

static const cfn_prop_t role_props[] = {
    {"AssumeRolePolicyDocument", NULL, CFN_P_REQ | CFN_P_JSON | M},
    {"Description", NULL, M},
    {"ManagedPolicyArns", NULL, HM},
    {"MaxSessionDuration", NULL, CFN_P_INT | M},
    {"Path", NULL, 0},
    {"PermissionsBoundary", NULL, 0},
    {"Policies", NULL, HM},
    {"RoleName", NULL, CFN_P_NAME},
    {"Tags", NULL, M},
    {0}};
static const cfn_attr_t role_attrs[] = {{"Arn", "Role.Arn"}, {"RoleId", "Role.RoleId"}, {0}};

static const cfn_prop_t group_props[] = {{"GroupName", NULL, CFN_P_NAME},
                                         {"ManagedPolicyArns", NULL, HM},
                                         {"Path", NULL, 0},
                                         {"Policies", NULL, HM},
                                         {0}};
static const cfn_attr_t group_attrs[] = {{"Arn", "Group.Arn"}, {0}};

static const cfn_prop_t user_props[] = {
    {"Groups", NULL, HM}, {"LoginProfile", NULL, HM},       {"ManagedPolicyArns", NULL, HM},
    {"Path", NULL, M},    {"PermissionsBoundary", NULL, 0}, {"Policies", NULL, HM},
    {"Tags", NULL, M},    {"UserName", NULL, CFN_P_NAME},   {0}};
static const cfn_attr_t user_attrs[] = {{"Arn", "User.Arn"}, {0}};

static const cfn_prop_t profile_props[] = {{"InstanceProfileName", NULL, CFN_P_NAME},
                                           {"Path", NULL, 0},
                                           {"Roles", NULL, CFN_P_REQ | HM},
                                           {0}};
static const cfn_attr_t profile_attrs[] = {{"Arn", "InstanceProfile.Arn"}, {0}};

static const cfn_prop_t policy_props[] = {{"PolicyName", NULL, CFN_P_REQ | HM},
                                          {"PolicyDocument", NULL, CFN_P_REQ | HM},
                                          {"Roles", NULL, HM},
                                          {"Users", NULL, HM},
                                          {"Groups", NULL, HM},
                                          {0}};

static const cfn_prop_t managed_props[] = {{"ManagedPolicyName", "PolicyName", CFN_P_NAME},
                                           {"Description", NULL, 0},
                                           {"Path", NULL, 0},
                                           {"PolicyDocument", NULL, CFN_P_REQ | CFN_P_JSON | M},
                                           {"Roles", NULL, HM},
                                           {"Users", NULL, HM},
                                           {"Groups", NULL, HM},
                                           {0}};
static const cfn_attr_t managed_attrs[] = {{"PolicyArn", "Policy.Arn"},
                                           {"PolicyId", "Policy.PolicyId"},
                                           {"DefaultVersionId", "Policy.DefaultVersionId"},
                                           {"IsAttachable", "Policy.IsAttachable"},
                                           {0}};

static const cfn_prop_t key_props[] = {{"UserName", NULL, CFN_P_REQ},
                                       {"Serial", NULL, CFN_P_HOOK | CFN_P_INT},
                                       {"Status", NULL, HM},
                                       {0}};
static const cfn_attr_t key_attrs[] = {{"SecretAccessKey", "AccessKey.SecretAccessKey"}, {0}};

const cfn_spec_t cfn_iam_specs[] = {{.type = "AWS::IAM::Role",
                                     .service = "iam",
                                     .create_op = "CreateRole",
                                     .props = role_props,
                                     .id_path = "Role.RoleName",
                                     .delete_op = "DeleteRole",
                                     .delete_member = "RoleName",
                                     .gone = NO_ENTITY,
                                     .attrs = role_attrs,
                                     .name_max = 64,
                                     .after_create = entity_after_create,
                                     .before_delete = entity_before_delete,
                                     .update = role_update},
                                    {.type = "AWS::IAM::InstanceProfile",
                                     .service = "iam",
                                     .create_op = "CreateInstanceProfile",
                                     .props = profile_props,
                                     .id_path = "InstanceProfile.InstanceProfileName",
                                     .delete_op = "DeleteInstanceProfile",
                                     .delete_member = "InstanceProfileName",
                                     .gone = NO_ENTITY,
                                     .attrs = profile_attrs,
                                     .name_max = 128,
                                     .after_create = profile_after_create,
                                     .before_delete = profile_before_delete,
                                     .update = profile_update},
                                    {.type = "AWS::IAM::Policy",
                                     .service = "iam",
                                     .props = policy_props,
                                     .gone = NO_ENTITY,
                                     .after_create = policy_after_create,
                                     .before_delete = policy_before_delete,
                                     .update = policy_update},
                                    {.type = "AWS::IAM::ManagedPolicy",
                                     .service = "iam",
                                     .create_op = "CreatePolicy",
                                     .props = managed_props,
                                     .id_path = "Policy.Arn",
                                     .delete_op = "DeletePolicy",
                                     .delete_member = "PolicyArn",
                                     .gone = NO_ENTITY,
                                     .attrs = managed_attrs,
                                     .name_max = 128,
                                     .after_create = managed_after_create,
                                     .before_delete = managed_before_delete,
                                     .update = managed_update},
                                    {.type = "AWS::IAM::User",
                                     .service = "iam",
                                     .create_op = "CreateUser",
                                     .props = user_props,
                                     .id_path = "User.UserName",
                                     .delete_op = "DeleteUser",
                                     .delete_member = "UserName",
                                     .gone = NO_ENTITY,
                                     .attrs = user_attrs,
                                     .name_max = 64,
                                     .after_create = user_after_create,
                                     .before_delete = user_before_delete,
                                     .update = user_update},
                                    {.type = "AWS::IAM::Group",
                                     .service = "iam",
                                     .create_op = "CreateGroup",
                                     .props = group_props,
                                     .id_path = "Group.GroupName",
                                     .delete_op = "DeleteGroup",
                                     .delete_member = "GroupName",
                                     .gone = NO_ENTITY,
                                     .attrs = group_attrs,
                                     .name_max = 128,
                                     .after_create = entity_after_create,
                                     .before_delete = entity_before_delete,
                                     .update = group_update},
                                    {.type = "AWS::IAM::AccessKey",
                                     .service = "iam",
                                     .create_op = "CreateAccessKey",
                                     .props = key_props,
                                     .id_path = "AccessKey.AccessKeyId",
                                     .gone = NO_ENTITY,
                                     .attrs = key_attrs,
                                     .after_create = key_after_create,
                                     .before_delete = key_before_delete,
                                     .update = key_update},
                                    {0}};
