/* sg_rules.c - security group rules: turning the request's IpPermissions into rules (one per
 * peer: a CIDR, an IPv6 CIDR, a prefix list or a group), comparing them, and the
 * IpPermissions / IpPermissionsEgress a group shows, rebuilt from its rules. */
#include "svc/ec2/ec2_int.h"
#include "core/jx.h"

#include "core/ids.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "a.b.c.d/n" (family 4) or "x::y/n" (family 6). */
static bool sg_cidr_ok(const char *s, int family)
{
    const char *slash = strchr(s, '/');
    if (!slash || slash == s || !slash[1] || strlen(s) > 64) return false;
    char addr[64];
    snprintf(addr, sizeof(addr), "%.*s", (int)(slash - s), s);
    unsigned char bin[16];
    if (inet_pton(family == 4 ? AF_INET : AF_INET6, addr, bin) != 1) return false;
    char *end = NULL;
    long n = strtol(slash + 1, &end, 10);
    return *end == '\0' && n >= 0 && n <= (family == 4 ? 32 : 128) &&
           strspn(slash + 1, "0123456789") == strlen(slash + 1);
}

/* The protocol as EC2 keeps it: tcp, udp, icmp, icmpv6, -1 (all) or a number 0..255; NULL
 * when invalid. */
static const char *sg_proto(const char *p)
{
    static const struct {
        const char *in, *out;
    } names[] = {{"tcp", "tcp"},   {"6", "tcp"},  {"udp", "udp"},       {"17", "udp"},
                 {"icmp", "icmp"}, {"1", "icmp"}, {"icmpv6", "icmpv6"}, {"58", "icmpv6"},
                 {"-1", "-1"},     {"all", "-1"}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcasecmp(p, names[i].in)) return names[i].out;
    char *end = NULL;
    long n = strtol(p, &end, 10);
    return *p && *end == '\0' && n >= 0 && n <= 255 ? p : NULL;
}

/* One rule of group g for permission perm and one peer (member/value: CidrIpv4,
 * CidrIpv6, PrefixListId, or the ReferencedGroupInfo object). */
static cJSON *sg_rule_new(api_ctx_t *c, const cJSON *g, bool egress, const char *proto,
                          int64_t from, int64_t to, const char *member, cJSON *value,
                          const char *desc)
{
    char id[32];
    ids_chars(&c->app->ids, "sgr-", IDS_HEX, 17, id);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "SecurityGroupRuleId", id);
    cJSON_AddStringToObject(r, "GroupId", jx_str(g, "GroupId"));
    cJSON_AddStringToObject(r, "GroupOwnerId", jx_str(g, "OwnerId"));
    cJSON_AddBoolToObject(r, "IsEgress", egress);
    cJSON_AddStringToObject(r, "IpProtocol", proto);
    cJSON_AddNumberToObject(r, "FromPort", (double)from);
    cJSON_AddNumberToObject(r, "ToPort", (double)to);
    cJSON_AddItemToObject(r, member, value);
    if (desc) cJSON_AddStringToObject(r, "Description", desc);
    return r;
}

/* The peer of a rule as the duplicate message names it. */
static const char *sg_peer(const cJSON *r)
{
    const char *p = jx_str(r, "CidrIpv4");
    if (!p) p = jx_str(r, "CidrIpv6");
    if (!p) p = jx_str(r, "PrefixListId");
    if (!p) p = jx_str(cJSON_GetObjectItemCaseSensitive(r, "ReferencedGroupInfo"), "GroupId");
    return p ? p : "";
}

bool ec2_sg_rule_same(const cJSON *a, const cJSON *b)
{
    return jx_true(a, "IsEgress") == jx_true(b, "IsEgress") &&
           !strcmp(jx_str(a, "IpProtocol"), jx_str(b, "IpProtocol")) &&
           jx_int(a, "FromPort", -1) == jx_int(b, "FromPort", -1) &&
           jx_int(a, "ToPort", -1) == jx_int(b, "ToPort", -1) && !strcmp(sg_peer(a), sg_peer(b));
}

void ec2_sg_rule_text(const cJSON *r, char *out, size_t cap)
{
    const char *proto = jx_str(r, "IpProtocol");
    char up[16];
    size_t i = 0;
    for (; proto[i] && i < sizeof(up) - 1; i++)
        up[i] = (char)(proto[i] >= 'a' && proto[i] <= 'z' ? proto[i] - 32 : proto[i]);
    up[i] = '\0';
    if (!strcmp(proto, "-1"))
        snprintf(out, cap, "peer: %s, ALL, ALLOW", sg_peer(r));
    else
        snprintf(out, cap, "peer: %s, %s, from port: %lld, to port: %lld, ALLOW", sg_peer(r), up,
                 (long long)jx_int(r, "FromPort", -1), (long long)jx_int(r, "ToPort", -1));
}

/* The ports of perm for proto, checked as EC2 checks them. */
static err_t sg_ports(api_ctx_t *c, const cJSON *perm, const char *proto, int64_t *from,
                      int64_t *to)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(perm, "FromPort");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(perm, "ToPort");
    *from = *to = -1;
    if (!strcmp(proto, "-1")) return ERR_OK; /* all traffic: ports do not apply */
    bool ports = !strcmp(proto, "tcp") || !strcmp(proto, "udp");
    bool icmp = !strcmp(proto, "icmp") || !strcmp(proto, "icmpv6");
    if (!ports && !icmp) return ERR_OK; /* another protocol number: all its traffic */
    if (ports && (!f || !t))
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                        "Invalid value 'null' for portRange. Must specify both from and to ports "
                        "with TCP/UDP.");
    *from = f ? (int64_t)f->valuedouble : -1;
    *to = t ? (int64_t)t->valuedouble : -1;
    if (ports && (*from < 0 || *from > 65535 || *to < 0 || *to > 65535 || *from > *to))
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                        "Invalid value '%lld-%lld' for portRange. Must be in the range 0-65535, "
                        "from port not greater than to port.",
                        (long long)*from, (long long)*to);
    if (icmp && (*from < -1 || *from > 255 || *to < -1 || *to > 255))
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                        "Invalid value '%lld' for icmp type or '%lld' for icmp code.",
                        (long long)*from, (long long)*to);
    return ERR_OK;
}

/* Appends the rules of one peer list (member of perm) to out. */
static err_t sg_peers(api_ctx_t *c, const cJSON *g, const cJSON *perm, bool egress,
                      const char *proto, int64_t from, int64_t to, cJSON *out)
{
    static const struct {
        const char *list, *in, *out;
        int family;
    } kinds[] = {{"IpRanges", "CidrIp", "CidrIpv4", 4},
                 {"Ipv6Ranges", "CidrIpv6", "CidrIpv6", 6},
                 {"PrefixListIds", "PrefixListId", "PrefixListId", 0}};
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(perm, kinds[k].list);
        for (const cJSON *e = l ? l->child : NULL; e; e = e->next) {
            const char *v = jx_str(e, kinds[k].in);
            if (!v || (kinds[k].family && !sg_cidr_ok(v, kinds[k].family)))
                return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER, "CIDR block %s is malformed",
                                v ? v : "null");
            if (!kinds[k].family && strncmp(v, "pl-", 3))
                return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                                "The prefix list ID '%s' is malformed", v);
            cJSON_AddItemToArray(out, sg_rule_new(c, g, egress, proto, from, to, kinds[k].out,
                                                  cJSON_CreateString(v), jx_str(e, "Description")));
        }
    }
    const cJSON *pairs = cJSON_GetObjectItemCaseSensitive(perm, "UserIdGroupPairs");
    for (const cJSON *e = pairs ? pairs->child : NULL; e; e = e->next) {
        cJSON *peer = NULL;
        const char *gid = jx_str(e, "GroupId"), *gname = jx_str(e, "GroupName");
        err_t rc = gid     ? ec2_sg_get(c, gid, &peer)
                   : gname ? ec2_sg_named(c, jx_str(g, "VpcId"), gname, &peer)
                           : err_fail(c->eb, ERR_MISSING_PARAMETER,
                                      "The request must contain the parameter groupId");
        if (rc) return rc;
        cJSON *ref = cJSON_CreateObject();
        cJSON_AddStringToObject(ref, "GroupId", jx_str(peer, "GroupId"));
        cJSON_AddStringToObject(ref, "UserId", jx_str(peer, "OwnerId"));
        cJSON_Delete(peer);
        cJSON_AddItemToArray(out, sg_rule_new(c, g, egress, proto, from, to, "ReferencedGroupInfo",
                                              ref, jx_str(e, "Description")));
    }
    return ERR_OK;
}

err_t ec2_sg_rules_of(api_ctx_t *c, const cJSON *g, const cJSON *perms, bool egress, cJSON *out)
{
    for (const cJSON *p = perms ? perms->child : NULL; p; p = p->next) {
        const char *given = jx_str(p, "IpProtocol");
        const char *proto = given ? sg_proto(given) : NULL;
        if (!proto)
            return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                            "Invalid value '%s' for IP protocol. Unknown protocol.",
                            given ? given : "null");
        int64_t from, to;
        err_t rc = sg_ports(c, p, proto, &from, &to);
        int before = cJSON_GetArraySize(out);
        if (!rc) rc = sg_peers(c, g, p, egress, proto, from, to, out);
        if (rc) return rc;
        if (cJSON_GetArraySize(out) == before)
            return err_fail(c->eb, ERR_MISSING_PARAMETER,
                            "The request must contain the parameter ipPermissions.ipRanges or "
                            "userIdGroupPairs or prefixListIds");
    }
    /* the same rule twice in one request */
    for (const cJSON *a = out->child; a; a = a->next)
        for (const cJSON *b = a->next; b; b = b->next)
            if (ec2_sg_rule_same(a, b))
                return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                                "The same permission must not appear multiple times");
    return ERR_OK;
}

/* The IpPermission rule r belongs to in list (same protocol and ports), added when new. */
static cJSON *sg_perm_for(cJSON *list, const cJSON *r)
{
    const char *proto = jx_str(r, "IpProtocol");
    int64_t from = jx_int(r, "FromPort", -1), to = jx_int(r, "ToPort", -1);
    for (cJSON *p = list->child; p; p = p->next)
        if (!strcmp(jx_str(p, "IpProtocol"), proto) && jx_int(p, "FromPort", -1) == from &&
            jx_int(p, "ToPort", -1) == to)
            return p;
    cJSON *p = cJSON_CreateObject();
    if (strcmp(proto, "-1")) {
        cJSON_AddNumberToObject(p, "FromPort", (double)from);
        cJSON_AddNumberToObject(p, "ToPort", (double)to);
    }
    cJSON_AddStringToObject(p, "IpProtocol", proto);
    static const char *const lists[] = {"IpRanges", "Ipv6Ranges", "PrefixListIds",
                                        "UserIdGroupPairs"};
    for (size_t i = 0; i < 4; i++) cJSON_AddArrayToObject(p, lists[i]);
    cJSON_AddItemToArray(list, p);
    return p;
}

void ec2_sg_render(cJSON *g)
{
    cJSON *in = cJSON_CreateArray(), *eg = cJSON_CreateArray();
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(g, "_Rules");
    for (const cJSON *r = rules ? rules->child : NULL; r; r = r->next) {
        cJSON *p = sg_perm_for(jx_true(r, "IsEgress") ? eg : in, r);
        cJSON *e = cJSON_CreateObject();
        const char *list, *v;
        const cJSON *ref = cJSON_GetObjectItemCaseSensitive(r, "ReferencedGroupInfo");
        if ((v = jx_str(r, "CidrIpv4"))) {
            list = "IpRanges";
            cJSON_AddStringToObject(e, "CidrIp", v);
        } else if ((v = jx_str(r, "CidrIpv6"))) {
            list = "Ipv6Ranges";
            cJSON_AddStringToObject(e, "CidrIpv6", v);
        } else if ((v = jx_str(r, "PrefixListId"))) {
            list = "PrefixListIds";
            cJSON_AddStringToObject(e, "PrefixListId", v);
        } else {
            list = "UserIdGroupPairs";
            cJSON_AddStringToObject(e, "GroupId", jx_str(ref, "GroupId"));
            cJSON_AddStringToObject(e, "UserId", jx_str(ref, "UserId"));
        }
        if (jx_str(r, "Description"))
            cJSON_AddStringToObject(e, "Description", jx_str(r, "Description"));
        cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(p, list), e);
    }
    jx_set(g, "IpPermissions", in);
    jx_set(g, "IpPermissionsEgress", eg);
}
