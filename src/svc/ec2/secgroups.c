/* secgroups.c - EC2 security groups: CreateSecurityGroup, DescribeSecurityGroups,
 * DeleteSecurityGroup, Authorize/RevokeSecurityGroupIngress/Egress and
 * DescribeSecurityGroupRules. A group is a resource of kind "ec2.sg" (row name
 * "<vpc>/<group name>", unique per VPC); its rules live in its body as "_Rules" (the
 * model's SecurityGroupRule), from which IpPermissions and IpPermissionsEgress are rebuilt
 * on every write (sg_rules.c). */
#include "svc/ec2/ec2_int.h"
#include "core/jx.h"

#include "core/clk.h"
#include "core/ids.h"
#include "iam/policy.h"

#include <stdio.h>
#include <string.h>

/* sg- followed by 8 or 17 lower-case hex digits. */
static bool sg_id_ok(const char *id)
{
    size_t n = strlen(id);
    if (strncmp(id, "sg-", 3) || (n != 11 && n != 20)) return false;
    return strspn(id + 3, "0123456789abcdef") == n - 3;
}

err_t ec2_sg_get(api_ctx_t *c, const char *id, cJSON **out)
{
    *out = NULL;
    if (!sg_id_ok(id))
        return err_fail(c->eb, ERR_EC2_SG_MALFORMED, "Invalid id: \"%s\" (expecting \"sg-...\")",
                        id);
    err_t rc = res_get(c->tx, &(res_key_t){c->scope, EC2_SG, id}, out, c->eb);
    if (!rc && !*out)
        rc = err_fail(c->eb, ERR_EC2_SG_NOT_FOUND, "The security group '%s' does not exist", id);
    return rc;
}

err_t ec2_sg_named(api_ctx_t *c, const char *vpc, const char *name, cJSON **out)
{
    *out = NULL;
    const char *in_vpc = vpc;
    err_t rc = in_vpc ? ERR_OK : ec2_vpc_resolve(c, NULL, &in_vpc);
    if (!rc)
        rc = res_get_by_name(c->tx, c->scope, EC2_SG, arena_printf(c->arena, "%s/%s", in_vpc, name),
                             out, c->eb);
    if (!rc && !*out)
        rc = err_fail(c->eb, ERR_EC2_SG_NOT_FOUND,
                      "The security group '%s' does not exist in %sVPC '%s'", name,
                      vpc ? "" : "default ", in_vpc);
    return rc;
}

static err_t sg_save(api_ctx_t *c, cJSON *g)
{
    ec2_sg_render(g);
    return res_update(c->tx, &(res_key_t){c->scope, EC2_SG, jx_str(g, "GroupId")}, NULL,
                      clk_now_ms(&c->app->clock), g, NULL, c->eb);
}

/* A new group's body and row (not yet rules). */
static err_t sg_insert(ids_t *ids, store_tx_t *tx, const char *account, const char *vpc,
                       const char *name, const char *desc, cJSON *tags, int64_t now, cJSON **out,
                       errbuf_t *eb)
{
    char id[32];
    ids_chars(ids, "sg-", IDS_HEX, 17, id);
    cJSON *g = cJSON_CreateObject();
    cJSON_AddStringToObject(g, "Description", desc);
    cJSON_AddStringToObject(g, "GroupName", name);
    char owner[16];
    cJSON_AddStringToObject(g, "OwnerId", app_scope_account(account, owner));
    cJSON_AddStringToObject(g, "GroupId", id);
    cJSON_AddStringToObject(g, "VpcId", vpc);
    if (tags && cJSON_GetArraySize(tags))
        cJSON_AddItemToObject(g, "Tags", cJSON_Duplicate(tags, 1));
    cJSON_AddArrayToObject(g, "_Rules");
    ec2_sg_render(g);
    char rowname[300];
    snprintf(rowname, sizeof(rowname), "%s/%s", vpc, name);
    res_row_t row = {.name = rowname, .parent = vpc, .created_ms = now};
    err_t rc = res_insert(tx, &(res_key_t){account, EC2_SG, id}, &row, g, eb);
    if (rc) {
        cJSON_Delete(g);
        return rc;
    }
    *out = g;
    return ERR_OK;
}

/* The all-traffic rule to peer (a CIDR, or a group id when member is ReferencedGroupInfo). */
static cJSON *sg_all_rule(ids_t *ids, const cJSON *g, bool egress, const char *peer)
{
    char rid[32];
    ids_chars(ids, "sgr-", IDS_HEX, 17, rid);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "SecurityGroupRuleId", rid);
    cJSON_AddStringToObject(r, "GroupId", jx_str(g, "GroupId"));
    cJSON_AddStringToObject(r, "GroupOwnerId", jx_str(g, "OwnerId"));
    cJSON_AddBoolToObject(r, "IsEgress", egress);
    cJSON_AddStringToObject(r, "IpProtocol", "-1");
    cJSON_AddNumberToObject(r, "FromPort", -1);
    cJSON_AddNumberToObject(r, "ToPort", -1);
    if (strncmp(peer, "sg-", 3)) {
        cJSON_AddStringToObject(r, "CidrIpv4", peer);
    } else {
        cJSON *ref = cJSON_AddObjectToObject(r, "ReferencedGroupInfo");
        cJSON_AddStringToObject(ref, "GroupId", peer);
        cJSON_AddStringToObject(ref, "UserId", jx_str(g, "OwnerId"));
    }
    return r;
}

err_t ec2_sg_create_default(ids_t *ids, store_tx_t *tx, const char *account, const char *vpc_id,
                            int64_t now, char out_id[32], errbuf_t *eb)
{
    cJSON *g = NULL;
    err_t rc = sg_insert(ids, tx, account, vpc_id, "default", "default VPC security group", NULL,
                         now, &g, eb);
    if (rc) return rc;
    cJSON *rules = cJSON_GetObjectItemCaseSensitive(g, "_Rules");
    cJSON_AddItemToArray(rules, sg_all_rule(ids, g, false, jx_str(g, "GroupId")));
    cJSON_AddItemToArray(rules, sg_all_rule(ids, g, true, "0.0.0.0/0"));
    ec2_sg_render(g);
    snprintf(out_id, 32, "%s", jx_str(g, "GroupId"));
    rc = res_update(tx, &(res_key_t){account, EC2_SG, out_id}, NULL, now, g, NULL, eb);
    cJSON_Delete(g);
    return rc;
}

err_t ec2_sg_delete_vpc_groups(store_tx_t *tx, const char *account, const char *vpc_id,
                               errbuf_t *eb)
{
    cJSON *all = cJSON_CreateArray();
    bool more;
    err_t rc = res_list(tx, &(res_query_t){account, EC2_SG, vpc_id, 0, 0}, all, &more, eb);
    for (const cJSON *g = all->child; !rc && g; g = g->next)
        if (strcmp(jx_str(g, "GroupName"), "default"))
            rc = err_fail(eb, ERR_EC2_DEPENDENCY,
                          "The vpc '%s' has dependencies and cannot be deleted.", vpc_id);
    for (const cJSON *g = all->child; !rc && g; g = g->next)
        rc = res_delete(tx, &(res_key_t){account, EC2_SG, jx_str(g, "GroupId")}, NULL, eb);
    cJSON_Delete(all);
    return rc;
}

/* Group names and descriptions: up to 255 of a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*
 * (EC2's rule for groups in a VPC). */
static bool sg_text_ok(const char *s)
{
    if (strlen(s) > 255) return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr(" ._-:/()#,@[]+=&;{}!$*", *p)))
            return false;
    return true;
}

err_t ec2_create_security_group(api_ctx_t *c)
{
    err_t rc = ec2_dry_run(c);
    const char *name = api_in_str(c, "GroupName"), *desc = api_in_str(c, "Description");
    if (!rc && (!name || !*name))
        rc = err_fail(c->eb, ERR_MISSING_PARAMETER,
                      "The request must contain the parameter groupName");
    if (!rc && !desc)
        rc = err_fail(c->eb, ERR_MISSING_PARAMETER,
                      "The request must contain the parameter groupDescription");
    if (!rc && !strncmp(name, "sg-", 3))
        rc = err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                      "Group names may not be in the format sg-*.");
    if (!rc && !sg_text_ok(name))
        rc = err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                      "Value (%s) for parameter GroupName is invalid. Character sets beyond ASCII "
                      "are not supported.",
                      name);
    if (!rc && !sg_text_ok(desc))
        rc = err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                      "Value (%s) for parameter GroupDescription is invalid. Character sets beyond "
                      "ASCII are not supported.",
                      desc);
    const char *vpc = NULL;
    if (!rc) rc = ec2_vpc_resolve(c, api_in_str(c, "VpcId"), &vpc);
    cJSON *same = NULL;
    if (!rc)
        rc = res_get_by_name(c->tx, c->scope, EC2_SG, arena_printf(c->arena, "%s/%s", vpc, name),
                             &same, c->eb);
    if (!rc && same)
        rc = err_fail(c->eb, ERR_EC2_SG_DUPLICATE,
                      "The security group '%s' already exists for VPC '%s'", name, vpc);
    cJSON_Delete(same);
    if (rc) return rc;
    cJSON *tags = ec2_spec_tags(c->in, "security-group", false), *g = NULL;
    rc = sg_insert(&c->app->ids, c->tx, c->scope, vpc, name, desc, tags, clk_now_ms(&c->app->clock),
                   &g, c->eb);
    if (!rc) {
        /* a new group allows all outbound traffic, as EC2 gives every VPC group */
        cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(g, "_Rules"),
                             sg_all_rule(&c->app->ids, g, true, "0.0.0.0/0"));
        rc = sg_save(c, g);
    }
    if (!rc) {
        cJSON_AddStringToObject(c->out, "GroupId", jx_str(g, "GroupId"));
        if (cJSON_GetArraySize(tags)) cJSON_AddItemToObject(c->out, "Tags", tags), tags = NULL;
    }
    cJSON_Delete(tags);
    cJSON_Delete(g);
    return rc;
}

/* The group a request names by GroupId or GroupName (the default VPC's). */
static err_t sg_target(api_ctx_t *c, cJSON **g)
{
    const char *id = api_in_str(c, "GroupId"), *name = api_in_str(c, "GroupName");
    if (id) return ec2_sg_get(c, id, g);
    if (name) return ec2_sg_named(c, NULL, name, g);
    *g = NULL;
    return err_fail(c->eb, ERR_MISSING_PARAMETER,
                    "The request must contain the parameter groupName or groupId");
}

/* Whether any other group has a rule naming group id. */
static err_t sg_referenced(api_ctx_t *c, const char *id, bool *yes)
{
    cJSON *all = cJSON_CreateArray();
    bool more;
    err_t rc = res_list(c->tx, &(res_query_t){c->scope, EC2_SG, NULL, 0, 0}, all, &more, c->eb);
    *yes = false;
    for (const cJSON *g = all->child; g && !*yes; g = g->next) {
        if (!strcmp(jx_str(g, "GroupId"), id)) continue;
        const cJSON *rules = cJSON_GetObjectItemCaseSensitive(g, "_Rules");
        for (const cJSON *r = rules ? rules->child : NULL; r && !*yes; r = r->next) {
            const char *ref =
                jx_str(cJSON_GetObjectItemCaseSensitive(r, "ReferencedGroupInfo"), "GroupId");
            *yes = ref && !strcmp(ref, id);
        }
    }
    cJSON_Delete(all);
    return rc;
}

err_t ec2_delete_security_group(api_ctx_t *c)
{
    cJSON *g = NULL;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = sg_target(c, &g);
    const char *id = jx_str(g, "GroupId");
    if (!rc && !strcmp(jx_str(g, "GroupName"), "default"))
        rc = err_fail(c->eb, ERR_EC2_CANNOT_DELETE,
                      "the specified group: \"%s\" name: \"default\" cannot be deleted by a user",
                      id);
    bool used = false;
    if (!rc) rc = ec2_instances_using(c, "SecurityGroups", "GroupId", id, &used);
    if (!rc && !used) rc = sg_referenced(c, id, &used);
    if (!rc && used)
        rc = err_fail(c->eb, ERR_EC2_DEPENDENCY, "resource %s has a dependent object", id);
    if (!rc) rc = res_delete(c->tx, &(res_key_t){c->scope, EC2_SG, id}, NULL, c->eb);
    if (!rc) {
        cJSON_AddBoolToObject(c->out, "Return", true);
        cJSON_AddStringToObject(c->out, "GroupId", id);
    }
    cJSON_Delete(g);
    return rc;
}

/* The rules an Authorize/Revoke request names: IpPermissions, or the flat CidrIp /
 * SourceSecurityGroupName form. New array in *out. */
static err_t sg_request_rules(api_ctx_t *c, const cJSON *g, bool egress, cJSON **out)
{
    *out = cJSON_CreateArray();
    const cJSON *perms = cJSON_GetObjectItemCaseSensitive(c->in, "IpPermissions");
    if (cJSON_GetArraySize(perms)) return ec2_sg_rules_of(c, g, perms, egress, *out);
    const char *cidr = api_in_str(c, "CidrIp"), *src = api_in_str(c, "SourceSecurityGroupName");
    if (!cidr && !src) return ERR_OK;
    cJSON *flat = cJSON_CreateArray(), *p = cJSON_CreateObject();
    cJSON_AddItemToArray(flat, p);
    cJSON_AddStringToObject(p, "IpProtocol",
                            api_in_str(c, "IpProtocol") ? api_in_str(c, "IpProtocol") : "-1");
    static const char *const ports[] = {"FromPort", "ToPort", NULL};
    jx_copy(p, c->in, ports);
    if (cidr) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "CidrIp", cidr);
        cJSON_AddItemToArray(cJSON_AddArrayToObject(p, "IpRanges"), e);
    } else {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "GroupName", src);
        cJSON_AddItemToArray(cJSON_AddArrayToObject(p, "UserIdGroupPairs"), e);
    }
    err_t rc = ec2_sg_rules_of(c, g, flat, egress, *out);
    cJSON_Delete(flat);
    return rc;
}

static err_t sg_authorize(api_ctx_t *c, bool egress)
{
    cJSON *g = NULL, *want = NULL;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = sg_target(c, &g);
    if (!rc) rc = sg_request_rules(c, g, egress, &want);
    if (!rc && !cJSON_GetArraySize(want))
        rc = err_fail(c->eb, ERR_MISSING_PARAMETER,
                      "The request must contain the parameter ipPermissions");
    cJSON *rules = g ? cJSON_GetObjectItemCaseSensitive(g, "_Rules") : NULL;
    for (const cJSON *w = want ? want->child : NULL; !rc && w; w = w->next)
        for (const cJSON *r = rules->child; !rc && r; r = r->next)
            if (ec2_sg_rule_same(w, r)) {
                char text[300];
                ec2_sg_rule_text(w, text, sizeof(text));
                rc = err_fail(c->eb, ERR_EC2_PERM_DUPLICATE,
                              "the specified rule \"%s\" already exists", text);
            }
    if (!rc && cJSON_GetArraySize(rules) + cJSON_GetArraySize(want) > 120)
        rc = err_fail(c->eb, ERR_EC2_INVALID_PARAMETER_X,
                      "The maximum number of rules per security group has been reached.");
    if (!rc) {
        cJSON *tags = ec2_spec_tags(c->in, "security-group-rule", false);
        cJSON *list = cJSON_AddArrayToObject(c->out, "SecurityGroupRules");
        for (cJSON *w = want->child; w; w = w->next) {
            if (cJSON_GetArraySize(tags)) jx_set(w, "Tags", cJSON_Duplicate(tags, 1));
            cJSON_AddItemToArray(rules, cJSON_Duplicate(w, 1));
            cJSON_AddItemToArray(list, cJSON_Duplicate(w, 1));
        }
        cJSON_Delete(tags);
        rc = sg_save(c, g);
    }
    if (!rc) cJSON_AddBoolToObject(c->out, "Return", true);
    cJSON_Delete(want);
    cJSON_Delete(g);
    return rc;
}

err_t ec2_authorize_security_group_ingress(api_ctx_t *c)
{
    return sg_authorize(c, false);
}

err_t ec2_authorize_security_group_egress(api_ctx_t *c)
{
    return sg_authorize(c, true);
}

static err_t sg_revoke(api_ctx_t *c, bool egress)
{
    cJSON *g = NULL, *want = NULL;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = sg_target(c, &g);
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(c->in, "SecurityGroupRuleIds");
    if (!rc) rc = sg_request_rules(c, g, egress, &want);
    if (!rc && !cJSON_GetArraySize(want) && !cJSON_GetArraySize(ids))
        rc = err_fail(c->eb, ERR_MISSING_PARAMETER,
                      "The request must contain the parameter ipPermissions");
    cJSON *rules = g ? cJSON_GetObjectItemCaseSensitive(g, "_Rules") : NULL;
    int removed = 0;
    for (const cJSON *i = ids ? ids->child : NULL; !rc && i; i = i->next) {
        cJSON *r = rules->child;
        while (r && (strcmp(jx_str(r, "SecurityGroupRuleId"), i->valuestring) ||
                     jx_true(r, "IsEgress") != egress))
            r = r->next;
        if (!r)
            rc = err_fail(c->eb, ERR_EC2_RULE_NOT_FOUND,
                          "The security group rule ID '%s' does not exist", i->valuestring);
        else
            cJSON_Delete(cJSON_DetachItemViaPointer(rules, r)), removed++;
    }
    cJSON *unknown = cJSON_CreateArray();
    for (const cJSON *w = want ? want->child : NULL; !rc && w; w = w->next) {
        cJSON *r = rules->child;
        while (r && !ec2_sg_rule_same(w, r)) r = r->next;
        if (r)
            cJSON_Delete(cJSON_DetachItemViaPointer(rules, r)), removed++;
        else
            cJSON_AddItemToArray(unknown, cJSON_Duplicate(w, 1));
    }
    if (!rc && !removed)
        rc = err_fail(c->eb, ERR_EC2_PERM_NOT_FOUND,
                      "The specified rule does not exist in this security group.");
    if (!rc) rc = sg_save(c, g);
    if (!rc) {
        cJSON_AddBoolToObject(c->out, "Return", true);
        if (cJSON_GetArraySize(unknown)) {
            /* what was not revoked, as IpPermissions */
            cJSON *tmp = cJSON_CreateObject();
            cJSON_AddItemToObject(tmp, "_Rules", unknown);
            unknown = NULL;
            ec2_sg_render(tmp);
            cJSON_AddItemToObject(
                c->out, "UnknownIpPermissions",
                cJSON_DetachItemFromObject(tmp, egress ? "IpPermissionsEgress" : "IpPermissions"));
            cJSON_Delete(tmp);
        }
    }
    cJSON_Delete(unknown);
    cJSON_Delete(want);
    cJSON_Delete(g);
    return rc;
}

err_t ec2_revoke_security_group_ingress(api_ctx_t *c)
{
    return sg_revoke(c, false);
}

err_t ec2_revoke_security_group_egress(api_ctx_t *c)
{
    return sg_revoke(c, true);
}

/* ---- DescribeSecurityGroups */

/* Values of the ip-permission.* filters (egress. prefixed for outbound rules). */
static int sg_perm_values(const cJSON *g, const char *name, const char **vals, int cap)
{
    bool egress = !strncmp(name, "egress.", 7);
    const char *what = name + (egress ? 7 : 0);
    if (strncmp(what, "ip-permission.", 14)) return -1;
    what += 14;
    static const char *const members[][2] = {
        {"cidr", "CidrIpv4"},       {"ipv6-cidr", "CidrIpv6"}, {"prefix-list-id", "PrefixListId"},
        {"protocol", "IpProtocol"}, {"from-port", "_From"},    {"to-port", "_To"}};
    const char *member = NULL;
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
        if (!strcmp(what, members[i][0])) member = members[i][1];
    bool gid = !strcmp(what, "group-id");
    if (!member && !gid) return -1;
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(g, "_Rules");
    int n = 0;
    for (const cJSON *r = rules ? rules->child : NULL; r && n < cap; r = r->next) {
        if (jx_true(r, "IsEgress") != egress) continue;
        const char *v =
            gid ? jx_str(cJSON_GetObjectItemCaseSensitive(r, "ReferencedGroupInfo"), "GroupId")
                : jx_str(r, member);
        if (v) vals[n++] = v;
    }
    return n;
}

static int sg_filter_values(const cJSON *g, const char *name, const char **vals, int cap,
                            char *scratch)
{
    static const char *const plain[][2] = {{"group-id", "GroupId"},
                                           {"group-name", "GroupName"},
                                           {"description", "Description"},
                                           {"owner-id", "OwnerId"},
                                           {"vpc-id", "VpcId"}};
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        if (!strcmp(name, plain[i][0])) return (vals[0] = jx_str(g, plain[i][1])) ? 1 : 0;
    (void)scratch;
    int n = sg_perm_values(g, name, vals, cap);
    return n >= 0 ? n : ec2_tag_filter_values(g, name, vals, cap);
}

static err_t sg_keep(void *ctx, const cJSON *g, const res_pkey_t *k, bool *keep)
{
    (void)k;
    api_ctx_t *c = ctx;
    return ec2_filter_match(c, g, cJSON_GetObjectItemCaseSensitive(c->in, "Filters"),
                            sg_filter_values, keep);
}

err_t ec2_describe_security_groups(api_ctx_t *c)
{
    err_t rc = ec2_dry_run(c);
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(c->in, "GroupIds");
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(c->in, "GroupNames");
    bool named = cJSON_GetArraySize(ids) || cJSON_GetArraySize(names);
    res_page_t p;
    if (!rc) rc = ec2_page_begin(c, &p, 5, 1000, named, "GroupIds");
    if (rc) return rc;
    cJSON *list = cJSON_AddArrayToObject(c->out, "SecurityGroups");
    if (!named) {
        res_query_t q = {c->scope, EC2_SG, NULL, 0, 0};
        rc = res_list_page(c->tx, &q, &p, sg_keep, c, list, c->eb);
        if (!rc) res_page_out(&p, c->out, "NextToken");
        return rc;
    }
    for (int pass = 0; pass < 2 && !rc; pass++)
        for (const cJSON *i = (pass ? names : ids) ? (pass ? names : ids)->child : NULL; !rc && i;
             i = i->next) {
            cJSON *g = NULL;
            rc = pass ? ec2_sg_named(c, NULL, i->valuestring, &g)
                      : ec2_sg_get(c, i->valuestring, &g);
            bool ok = false;
            if (!rc) rc = sg_keep(c, g, NULL, &ok);
            if (!rc && ok)
                cJSON_AddItemToArray(list, g);
            else
                cJSON_Delete(g);
        }
    return rc;
}

/* ---- DescribeSecurityGroupRules: a page of rules keyed (group creation, group seq, rule
 * id), read from the groups in creation order (each group's rules in id order). */
typedef struct sg_rule_walk {
    api_ctx_t *c;
    res_page_t *page, *rows;
    const cJSON *ids; /* SecurityGroupRuleIds, or NULL */
    cJSON *out;
    bool *found; /* which of ids were seen */
} sg_rule_walk_t;

static int sg_rule_filter_values(const cJSON *r, const char *name, const char **vals, int cap,
                                 char *scratch)
{
    (void)scratch;
    if (!strcmp(name, "group-id")) return vals[0] = jx_str(r, "GroupId"), 1;
    if (!strcmp(name, "security-group-rule-id"))
        return vals[0] = jx_str(r, "SecurityGroupRuleId"), 1;
    return ec2_tag_filter_values(r, name, vals, cap);
}

static err_t sg_rule_row(void *ctx, const cJSON *g, const res_pkey_t *k, bool *keep)
{
    sg_rule_walk_t *w = ctx;
    *keep = false;
    cJSON *rules = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(g, "_Rules"), 1);
    jx_sort_by(rules, "SecurityGroupRuleId", false);
    err_t rc = ERR_OK;
    for (cJSON *r = rules ? rules->child : NULL; r && !rc && !w->rows->done; r = r->next) {
        bool ok = !w->ids;
        int at = 0;
        for (const cJSON *i = w->ids ? w->ids->child : NULL; i && !ok; i = i->next, at++)
            if ((ok = !strcmp(i->valuestring, jx_str(r, "SecurityGroupRuleId"))))
                w->found[at] = true;
        if (ok)
            rc = ec2_filter_match(w->c, r, cJSON_GetObjectItemCaseSensitive(w->c->in, "Filters"),
                                  sg_rule_filter_values, &ok);
        if (rc || !ok) continue;
        res_offer_t o = res_page_offer(
            w->page,
            &(res_pkey_t){.n = k->n, .seq = k->seq, .id = jx_str(r, "SecurityGroupRuleId")});
        w->rows->done = o == RES_PAGE_FULL;
        if (o == RES_PAGE_TAKE) cJSON_AddItemToArray(w->out, cJSON_Duplicate(r, 1));
    }
    cJSON_Delete(rules);
    return rc;
}

err_t ec2_describe_security_group_rules(api_ctx_t *c)
{
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(c->in, "SecurityGroupRuleIds");
    res_page_t page, rows;
    err_t rc = ec2_dry_run(c);
    for (const cJSON *i = ids ? ids->child : NULL; !rc && i; i = i->next)
        if (strncmp(i->valuestring, "sgr-", 4))
            rc = err_fail(c->eb, ERR_EC2_RULE_MALFORMED,
                          "Invalid id: \"%s\" (expecting \"sgr-...\")", i->valuestring);
    if (!rc) rc = ec2_page_begin(c, &page, 5, 1000, false, NULL);
    if (rc) return rc;
    res_page_begin(&rows, "", 0, false, NULL);
    if (page.after) {
        rows.after = true;
        rows.from = (res_pkey_t){.n = page.from.n, .seq = page.from.seq - 1};
    }
    int n = cJSON_GetArraySize(ids);
    sg_rule_walk_t w = {c,
                        &page,
                        &rows,
                        n ? ids : NULL,
                        cJSON_AddArrayToObject(c->out, "SecurityGroupRules"),
                        arena_alloc(c->arena, sizeof(bool) * (size_t)(n + 1))};
    memset(w.found, 0, sizeof(bool) * (size_t)(n + 1));
    res_query_t q = {c->scope, EC2_SG, NULL, 0, 0};
    rc = res_list_page(c->tx, &q, &rows, sg_rule_row, &w, NULL, c->eb);
    /* (a page cut short, or one after a token, cannot tell what is missing) */
    int at = 0;
    for (const cJSON *i = ids ? ids->child : NULL; !rc && i && !page.after && !page.more;
         i = i->next, at++)
        if (!w.found[at])
            rc = err_fail(c->eb, ERR_EC2_RULE_NOT_FOUND,
                          "The security group rule ID '%s' does not exist", i->valuestring);
    if (!rc) res_page_out(&page, c->out, "NextToken");
    return rc;
}
