/* addresses.c - EC2 Elastic IP addresses: AllocateAddress, DescribeAddresses,
 * ReleaseAddress, AssociateAddress, DisassociateAddress. Addresses come from the two
 * documentation ranges 198.51.100.0/24 and 203.0.113.0/24 (never a real public address);
 * an associated address is the instance's PublicIpAddress. */
#include "svc/ec2/net_int.h"
#include "core/jx.h"

#include <stdio.h>
#include <string.h>

#define EC2_EIP_POOL 508 /* 254 usable addresses in each of the two ranges */

/* The pool's i-th address. */
static void ec2_eip_addr(int i, char out[16])
{
    snprintf(out, 16, "%s.%d", i < 254 ? "198.51.100" : "203.0.113", 1 + i % 254);
}

/* The row name of address ip in the request's region. */
static const char *ec2_eip_name(api_ctx_t *c, const char *ip)
{
    return arena_printf(c->arena, "%s/%s", ec2_region(c), ip);
}

static err_t ec2_eip_by_ip(api_ctx_t *c, const char *ip, cJSON **out)
{
    err_t rc = res_get_by_name(c->tx, c->scope, EC2_EIP, ec2_eip_name(c, ip), out, c->eb);
    jx_own(c->arena, *out);
    return rc;
}

err_t ec2_allocate_address(api_ctx_t *c)
{
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_spec_check(c, "elastic-ip");
    if (rc) return rc;
    const char *domain = api_in_str(c, "Domain"), *want = api_in_str(c, "Address");
    const char *id = ec2_new_id(c, "eipalloc-");
    char ip[16] = "";
    cJSON *taken = NULL;
    if (want) {
        rc = ec2_eip_by_ip(c, want, &taken);
        if (!rc && taken)
            return err_fail(c->eb, ERR_EC2_ADDRESS_IN_USE, "Address %s is in use.", want);
        snprintf(ip, sizeof(ip), "%s", want);
    }
    /* the first free address from a point the id picks */
    uint32_t start = span_fnv1a(SPAN_FNV_BASIS, span_of(id)) % EC2_EIP_POOL;
    for (int i = 0; !rc && !ip[0] && i < EC2_EIP_POOL; i++) {
        char cand[16];
        ec2_eip_addr((int)((start + (uint32_t)i) % EC2_EIP_POOL), cand);
        rc = ec2_eip_by_ip(c, cand, &taken);
        if (!rc && !taken) snprintf(ip, sizeof(ip), "%s", cand);
    }
    if (!rc && !ip[0])
        rc = err_fail(c->eb, ERR_EC2_ADDRESS_LIMIT,
                      "The maximum number of addresses has been "
                      "reached.");
    if (rc) return rc;
    cJSON *a = jx_own(c->arena, cJSON_CreateObject());
    cJSON_AddStringToObject(a, "AllocationId", id);
    cJSON_AddStringToObject(a, "PublicIp", ip);
    cJSON_AddStringToObject(a, "Domain", domain ? domain : "vpc");
    cJSON_AddStringToObject(a, "PublicIpv4Pool", "amazon");
    cJSON_AddStringToObject(a, "NetworkBorderGroup", ec2_region(c));
    ec2_add_spec_tags(c, a, "elastic-ip");
    cJSON_AddStringToObject(a, "_Region", ec2_region(c));
    res_row_t row = {.name = ec2_eip_name(c, ip), .created_ms = ec2_net_of(c).now};
    rc = res_insert(c->tx, &(res_key_t){c->scope, EC2_EIP, id}, &row, a, c->eb);
    if (rc) return rc;
    static const char *const out[] = {"PublicIp",           "AllocationId", "PublicIpv4Pool",
                                      "NetworkBorderGroup", "Domain",       NULL};
    jx_copy(c->out, a, out);
    return ERR_OK;
}

static int ec2_eip_filter(const cJSON *a, const char *name, const char **vals, int cap,
                          char *scratch)
{
    static const ec2_plain_t plain[] = {{"allocation-id", "AllocationId"},
                                        {"association-id", "AssociationId"},
                                        {"domain", "Domain"},
                                        {"instance-id", "InstanceId"},
                                        {"network-border-group", "NetworkBorderGroup"},
                                        {"network-interface-id", "NetworkInterfaceId"},
                                        {"network-interface-owner-id", "NetworkInterfaceOwnerId"},
                                        {"private-ip-address", "PrivateIpAddress"},
                                        {"public-ip", "PublicIp"},
                                        {"public-ipv4-pool", "PublicIpv4Pool"}};
    int k = ec2_plain_filter(a, name, plain, sizeof(plain) / sizeof(plain[0]), vals, scratch);
    return k >= 0 ? k : ec2_tag_filter_values(a, name, vals, cap);
}

/* The address a request names by AllocationId or PublicIp (one of them is required). */
static err_t ec2_eip_named(api_ctx_t *c, cJSON **out)
{
    const char *id = api_in_str(c, "AllocationId"), *ip = api_in_str(c, "PublicIp");
    *out = NULL;
    if (id) return ec2_get(c, &ec2_kind_eip, id, out);
    if (!ip)
        return err_fail(c->eb, ERR_MISSING_PARAMETER,
                        "Either public IP or allocation id must be specified");
    err_t rc = ec2_eip_by_ip(c, ip, out);
    if (!rc && !*out)
        rc = err_fail(c->eb, ERR_EC2_ADDRESS_NOT_FOUND, "Address '%s' not found.", ip);
    return rc;
}

err_t ec2_describe_addresses(api_ctx_t *c)
{
    const cJSON *ips = cJSON_GetObjectItemCaseSensitive(c->in, "PublicIps");
    if (!cJSON_GetArraySize(ips)) {
        ec2_describe_t d = {&ec2_kind_eip, "AllocationIds", "Addresses", ec2_eip_filter, 0};
        return ec2_describe(c, &d);
    }
    err_t rc = ec2_dry_run(c);
    cJSON *out = cJSON_AddArrayToObject(c->out, "Addresses");
    for (const cJSON *i = ips->child; !rc && i; i = i->next) {
        cJSON *a = NULL;
        rc = ec2_eip_by_ip(c, i->valuestring, &a);
        if (!rc && !a)
            rc = err_fail(c->eb, ERR_EC2_ADDRESS_NOT_FOUND, "Address '%s' not found.",
                          i->valuestring);
        bool ok = false;
        if (!rc)
            rc = ec2_filter_match(c, a, cJSON_GetObjectItemCaseSensitive(c->in, "Filters"),
                                  ec2_eip_filter, &ok);
        if (!rc && ok) cJSON_AddItemToArray(out, cJSON_Duplicate(a, 1));
    }
    return rc;
}

err_t ec2_release_address(api_ctx_t *c)
{
    cJSON *a = NULL;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_eip_named(c, &a);
    if (rc) return rc;
    if (!api_in_str(c, "AllocationId") && !strcmp(jx_str(a, "Domain"), "vpc"))
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                        "You must specify an allocation id when releasing a VPC elastic IP "
                        "address");
    if (jx_str(a, "AssociationId"))
        return err_fail(c->eb, ERR_EC2_ADDRESS_IN_USE, "Address %s is in use.",
                        jx_str(a, "PublicIp"));
    return res_delete(c->tx, &(res_key_t){c->scope, EC2_EIP, jx_str(a, "AllocationId")}, NULL,
                      c->eb);
}

/* The instance id's body (arena-owned), or the instance error. */
static err_t ec2_eip_instance(api_ctx_t *c, const char *id, cJSON **inst)
{
    cJSON *ids = jx_own(c->arena, cJSON_CreateArray()), *all = NULL;
    cJSON_AddItemToArray(ids, cJSON_CreateString(id));
    err_t rc = ec2_load(c, ids, &all);
    jx_own(c->arena, all);
    *inst = rc ? NULL : all->child;
    return rc;
}

/* Sets (ip NULL: clears) the public address of instance id, when it is still ip_was. */
static err_t ec2_eip_mark(api_ctx_t *c, cJSON *inst, const char *ip, const char *ip_was)
{
    const char *now = jx_str(inst, "PublicIpAddress");
    if (!ip && (!now || !ip_was || strcmp(now, ip_was))) return ERR_OK;
    if (ip) {
        char dashed[16];
        snprintf(dashed, sizeof(dashed), "%s", ip);
        for (char *p = dashed; *p; p++)
            if (*p == '.') *p = '-';
        bool east = !strcmp(ec2_region(c), "us-east-1");
        jx_set_str(inst, "PublicIpAddress", ip);
        jx_set_str(inst, "PublicDnsName",
                   east ? arena_printf(c->arena, "ec2-%s.compute-1.amazonaws.com", dashed)
                        : arena_printf(c->arena, "ec2-%s.%s.compute.amazonaws.com", dashed,
                                       ec2_region(c)));
    } else {
        cJSON_DeleteItemFromObjectCaseSensitive(inst, "PublicIpAddress");
        jx_set_str(inst, "PublicDnsName", "");
    }
    return ec2_put(c, &ec2_kind_instance, inst);
}

/* Drops the association members of address a. */
static void ec2_eip_clear(cJSON *a)
{
    static const char *const gone[] = {"AssociationId", "InstanceId", "PrivateIpAddress",
                                       "NetworkInterfaceOwnerId"};
    for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
        cJSON_DeleteItemFromObjectCaseSensitive(a, gone[i]);
}

/* Removes a's association (saving a and the instance it was on). */
static err_t ec2_eip_unlink(api_ctx_t *c, cJSON *a)
{
    const char *inst_id = jx_str(a, "InstanceId");
    cJSON *inst = NULL;
    err_t rc = ERR_OK;
    if (inst_id) {
        cJSON *r = NULL;
        rc = res_get(c->tx, &(res_key_t){c->scope, EC2_INSTANCE, inst_id}, &r, c->eb);
        inst = jx_own(c->arena, r);
    }
    if (!rc && inst) rc = ec2_eip_mark(c, inst, NULL, jx_str(a, "PublicIp"));
    ec2_eip_clear(a);
    if (!rc) rc = ec2_put(c, &ec2_kind_eip, a);
    return rc;
}

err_t ec2_associate_address(api_ctx_t *c)
{
    cJSON *a = NULL, *inst = NULL, *all = NULL;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_eip_named(c, &a);
    if (rc) return rc;
    const char *inst_id = api_in_str(c, "InstanceId"), *eni = api_in_str(c, "NetworkInterfaceId");
    if (!inst_id && eni) /* catalogd's instances have no network interfaces of their own */
        return err_fail(c->eb, ERR_EC2_ENI_NOT_FOUND, "The networkInterface ID '%s' does not exist",
                        eni);
    if (!inst_id)
        return err_fail(c->eb, ERR_MISSING_PARAMETER,
                        "Either instance ID or network interface ID must be specified");
    rc = ec2_eip_instance(c, inst_id, &inst);
    if (rc) return rc;
    int st = ec2_state(inst);
    if (st == EC2_SHUTTING_DOWN || st == EC2_TERMINATED)
        return err_fail(c->eb, ERR_EC2_INCORRECT_STATE,
                        "The instance '%s' is not in a valid state for this operation.", inst_id);
    const char *vpc = ec2_instance_vpc(c, inst);
    cJSON *igw = NULL;
    rc = ec2_vpc_igw(c, vpc, &igw);
    if (!rc && !igw)
        return err_fail(c->eb, ERR_EC2_GATEWAY_NOT_ATTACHED,
                        "Network %s is not attached to any internet gateway", vpc ? vpc : "");
    if (rc) return rc;
    const char *assoc = jx_str(a, "AssociationId");
    if (assoc && !jx_true(c->in, "AllowReassociation") &&
        strcmp(jx_str(a, "InstanceId") ? jx_str(a, "InstanceId") : "", inst_id))
        return err_fail(c->eb, ERR_EC2_ALREADY_ASSOCIATED,
                        "resource %s is already associated with associate-id %s",
                        jx_str(a, "AllocationId"), assoc);
    if (assoc) rc = ec2_eip_unlink(c, a);
    /* an instance has one public address: another address on it comes off */
    if (!rc) rc = ec2_all(c, EC2_EIP, NULL, &all);
    for (cJSON *o = all ? all->child : NULL; !rc && o; o = o->next) {
        const char *on = jx_str(o, "InstanceId");
        if (on && !strcmp(on, inst_id) &&
            strcmp(jx_str(o, "AllocationId"), jx_str(a, "AllocationId")))
            rc = ec2_eip_unlink(c, o);
    }
    if (rc) return rc;
    rc = ec2_eip_instance(c, inst_id, &inst); /* read again: an unlink may have saved it */
    const char *new_assoc = ec2_new_id(c, "eipassoc-");
    jx_set_str(a, "AssociationId", new_assoc);
    jx_set_str(a, "InstanceId", inst_id);
    jx_set_str(a, "NetworkInterfaceOwnerId", c->account);
    if (jx_str(inst, "PrivateIpAddress"))
        jx_set_str(a, "PrivateIpAddress", jx_str(inst, "PrivateIpAddress"));
    if (!rc) rc = ec2_put(c, &ec2_kind_eip, a);
    if (!rc) rc = ec2_eip_mark(c, inst, jx_str(a, "PublicIp"), NULL);
    if (!rc) cJSON_AddStringToObject(c->out, "AssociationId", new_assoc);
    return rc;
}

err_t ec2_disassociate_address(api_ctx_t *c)
{
    cJSON *all = NULL, *a = NULL;
    const char *assoc = api_in_str(c, "AssociationId"), *ip = api_in_str(c, "PublicIp");
    err_t rc = ec2_dry_run(c);
    if (!rc && !assoc && !ip)
        rc = err_fail(c->eb, ERR_MISSING_PARAMETER,
                      "Either public IP or association id must be specified");
    if (!rc) rc = ec2_all(c, EC2_EIP, NULL, &all);
    for (cJSON *o = all ? all->child : NULL; !rc && o && !a; o = o->next) {
        const char *have = jx_str(o, assoc ? "AssociationId" : "PublicIp");
        if (have && !strcmp(have, assoc ? assoc : ip)) a = o;
    }
    if (!rc && !a && assoc)
        rc = err_fail(c->eb, ERR_EC2_ASSOCIATION_NOT_FOUND,
                      "The association ID '%s' does not exist", assoc);
    if (!rc && !a) rc = err_fail(c->eb, ERR_EC2_ADDRESS_NOT_FOUND, "Address '%s' not found.", ip);
    if (!rc && !jx_str(a, "AssociationId")) return ERR_OK; /* not associated: nothing to do */
    if (!rc) rc = ec2_eip_unlink(c, a);
    return rc;
}

err_t ec2_addresses_release(app_t *app, const char *scope, store_tx_t *tx, cJSON *inst, int64_t now,
                            errbuf_t *eb)
{
    cJSON *all = cJSON_CreateArray();
    bool more;
    const char *id = jx_str(inst, "InstanceId");
    err_t rc = res_list(tx, &(res_query_t){scope, EC2_EIP, NULL, 0, 0}, all, &more, eb);
    for (cJSON *a = all->child; !rc && a; a = a->next) {
        const char *on = jx_str(a, "InstanceId");
        if (!on || strcmp(on, id)) continue;
        ec2_eip_clear(a);
        rc = res_update(tx, &(res_key_t){scope, EC2_EIP, jx_str(a, "AllocationId")}, NULL, now, a,
                        NULL, eb);
        cJSON_DeleteItemFromObjectCaseSensitive(inst, "PublicIpAddress");
        jx_set_str(inst, "PublicDnsName", "");
    }
    cJSON_Delete(all);
    return rc;
}
