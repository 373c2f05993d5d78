/* net.c - what the EC2 networking handlers share: the id kinds (prefix, record kind,
 * errors), loading and saving by id within the request's region, the Describe skeleton
 * (ids or a keyset page, filters), CIDR arithmetic, and the look-ups security groups and
 * instances make (a VPC, a subnet, the default VPC). */
#include "svc/ec2/net_int.h"
#include "core/jx.h"

#include "core/clk.h"
#include "core/ids.h"

#include <stdio.h>
#include <string.h>

const ec2_kind_t ec2_kind_instance = {
    EC2_INSTANCE,      "i-",       "InstanceId",        "instance",
    ERR_EC2_NOT_FOUND, "instance", ERR_EC2_MALFORMED_ID};
const ec2_kind_t ec2_kind_image = {
    EC2_IMAGE, "ami-", "ImageId", "image", ERR_EC2_AMI_NOT_FOUND, "image", ERR_EC2_AMI_MALFORMED};
const ec2_kind_t ec2_kind_vpc = {
    EC2_VPC, "vpc-", "VpcId", "vpc", ERR_EC2_VPC_NOT_FOUND, "vpc", ERR_EC2_VPC_MALFORMED};
const ec2_kind_t ec2_kind_subnet = {EC2_SUBNET,
                                    "subnet-",
                                    "SubnetId",
                                    "subnet",
                                    ERR_EC2_SUBNET_NOT_FOUND,
                                    "subnet",
                                    ERR_EC2_SUBNET_MALFORMED};
const ec2_kind_t ec2_kind_rtb = {EC2_RTB,
                                 "rtb-",
                                 "RouteTableId",
                                 "route-table",
                                 ERR_EC2_RTB_NOT_FOUND,
                                 "routeTable",
                                 ERR_EC2_RTB_MALFORMED};
const ec2_kind_t ec2_kind_igw = {
    EC2_IGW,           "igw-", "InternetGatewayId", "internet-gateway", ERR_EC2_IGW_NOT_FOUND,
    "internetGateway", ERR_OK};
const ec2_kind_t ec2_kind_eip = {
    EC2_EIP,      "eipalloc-", "AllocationId", "elastic-ip", ERR_EC2_ALLOCATION_NOT_FOUND,
    "allocation", ERR_OK};

const ec2_kind_t ec2_kind_sg = {EC2_SG,
                                "sg-",
                                "GroupId",
                                "security-group",
                                ERR_EC2_SG_NOT_FOUND,
                                "security group",
                                ERR_EC2_SG_MALFORMED};
const ec2_kind_t ec2_kind_volume = {
    EC2_VOLUME,           "vol-", "VolumeId", "volume", ERR_EC2_VOL_NOT_FOUND, "volume",
    ERR_EC2_VOL_MALFORMED};
const ec2_kind_t ec2_kind_keypair = {EC2_KEYPAIR,           "key-",     "KeyPairId", "key-pair",
                                     ERR_EC2_KEY_NOT_FOUND, "key pair", ERR_OK};
const ec2_kind_t ec2_kind_lt = {EC2_LT,
                                "lt-",
                                "LaunchTemplateId",
                                "launch-template",
                                ERR_EC2_LT_ID_NOT_FOUND,
                                "launch template",
                                ERR_EC2_LT_ID_MALFORMED};

/* sorted by kind: DescribeTags pages through them in this order */
const ec2_kind_t *const ec2_taggable[] = {&ec2_kind_eip,      &ec2_kind_igw,     &ec2_kind_image,
                                          &ec2_kind_instance, &ec2_kind_keypair, &ec2_kind_lt,
                                          &ec2_kind_rtb,      &ec2_kind_sg,      &ec2_kind_subnet,
                                          &ec2_kind_volume,   &ec2_kind_vpc};
const size_t ec2_n_taggable = sizeof(ec2_taggable) / sizeof(ec2_taggable[0]);

const ec2_kind_t *ec2_kind_of(const char *id)
{
    for (size_t i = 0; i < ec2_n_taggable; i++)
        if (!strncmp(id, ec2_taggable[i]->prefix, strlen(ec2_taggable[i]->prefix)))
            return ec2_taggable[i];
    return NULL;
}

const char *ec2_arn_resource(const char *id, arena_t *a)
{
    const ec2_kind_t *k = ec2_kind_of(id);
    return k ? arena_printf(a, "%s/%s", k->type, id) : "*";
}

const char *ec2_region(const api_ctx_t *c)
{
    return c->region;
}

ec2_net_t ec2_net_of(api_ctx_t *c)
{
    return (ec2_net_t){.app = c->app,
                       .tx = c->tx,
                       .ids = &c->app->ids,
                       .arena = c->arena,
                       .account = c->account,
                       .region = ec2_region(c),
                       .scope = c->scope,
                       .now = clk_now_ms(&c->app->clock),
                       .eb = c->eb};
}

const char *ec2_new_id(api_ctx_t *c, const char *prefix)
{
    char *id = arena_alloc(c->arena, strlen(prefix) + 18);
    ids_chars(&c->app->ids, prefix, IDS_HEX, 17, id);
    return id;
}

err_t ec2_spec_check(api_ctx_t *c, const char *type)
{
    const cJSON *specs = cJSON_GetObjectItemCaseSensitive(c->in, "TagSpecifications");
    for (const cJSON *s = specs ? specs->child : NULL; s; s = s->next) {
        const char *rt = jx_str(s, "ResourceType");
        if (!rt || !*rt)
            return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                            "Tag specification resource type must have a value");
        if (strcmp(rt, type))
            return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                            "'%s' is not a valid taggable resource type for this operation.", rt);
    }
    return ERR_OK;
}

void ec2_add_spec_tags(api_ctx_t *c, cJSON *body, const char *type)
{
    (void)c;
    cJSON *tags = ec2_spec_tags(c->in, type, false);
    if (cJSON_GetArraySize(tags))
        cJSON_AddItemToObject(body, "Tags", tags);
    else
        cJSON_Delete(tags);
}

/* The kind's prefix followed by 8 or 17 lower-case hex digits. */
static bool ec2_id_shape(const ec2_kind_t *k, const char *id)
{
    size_t p = strlen(k->prefix), n = strlen(id);
    if (strncmp(id, k->prefix, p) || (n != p + 8 && n != p + 17)) return false;
    return strspn(id + p, "0123456789abcdef") == n - p;
}

bool ec2_in_region(api_ctx_t *c, const cJSON *body)
{
    const char *r = jx_str(body, "_Region");
    return !r || !strcmp(r, ec2_region(c));
}

err_t ec2_get_all(api_ctx_t *c, const ec2_kind_t *k, const cJSON *ids, cJSON **out)
{
    *out = jx_own(c->arena, cJSON_CreateArray());
    for (const cJSON *i = ids ? ids->child : NULL; i; i = i->next)
        if (k->malformed && !ec2_id_shape(k, i->valuestring))
            return err_fail(c->eb, k->malformed, "Invalid id: \"%s\"", i->valuestring);
    buf_t missing;
    buf_init(&missing, 4096);
    int n_missing = 0;
    err_t rc = ERR_OK;
    for (const cJSON *i = ids ? ids->child : NULL; !rc && i; i = i->next) {
        cJSON *b = NULL;
        rc = res_get(c->tx, &(res_key_t){c->scope, k->kind, i->valuestring}, &b, c->eb);
        if (b && ec2_in_region(c, b)) {
            cJSON_AddItemToArray(*out, b);
        } else if (!rc) {
            cJSON_Delete(b);
            buf_printf(&missing, "%s%s", n_missing++ ? ", " : "", i->valuestring);
        }
    }
    if (!rc && n_missing)
        rc = err_fail(c->eb, k->not_found,
                      n_missing == 1 ? "The %s ID '%s' does not exist"
                                     : "The %s IDs '%s' do not exist",
                      k->noun, buf_str(&missing));
    buf_free(&missing);
    return rc;
}

err_t ec2_get(api_ctx_t *c, const ec2_kind_t *k, const char *id, cJSON **out)
{
    *out = NULL;
    cJSON *ids = jx_own(c->arena, cJSON_CreateArray()), *all = NULL;
    cJSON_AddItemToArray(ids, cJSON_CreateString(id ? id : ""));
    err_t rc = ec2_get_all(c, k, ids, &all);
    if (!rc) *out = all->child;
    return rc;
}

err_t ec2_put(api_ctx_t *c, const ec2_kind_t *k, const cJSON *body)
{
    if (k == &ec2_kind_instance)
        return ec2_save(c->tx, c->scope, body, clk_now_ms(&c->app->clock), c->eb);
    res_key_t key = {c->scope, k->kind, jx_str(body, k->id_member)};
    return res_update(c->tx, &key, jx_str(body, "State"), clk_now_ms(&c->app->clock), body, NULL,
                      c->eb);
}

err_t ec2_all(api_ctx_t *c, const char *kind, const char *parent, cJSON **out)
{
    cJSON *all = jx_own(c->arena, cJSON_CreateArray());
    bool more;
    err_t rc = res_list(c->tx, &(res_query_t){c->scope, kind, parent, 0, 0}, all, &more, c->eb);
    for (cJSON *b = all->child; b;) {
        cJSON *next = b->next;
        if (!ec2_in_region(c, b)) cJSON_Delete(cJSON_DetachItemViaPointer(all, b));
        b = next;
    }
    *out = all;
    return rc;
}

/* ---- Describe */

typedef struct ec2_dsel {
    api_ctx_t *c;
    const ec2_describe_t *d;
} ec2_dsel_t;

static err_t ec2_dkeep(void *ctx, const cJSON *b, const res_pkey_t *k, bool *keep)
{
    (void)k;
    ec2_dsel_t *s = ctx;
    *keep = ec2_in_region(s->c, b);
    if (!*keep) return ERR_OK;
    return ec2_filter_match(s->c, b, cJSON_GetObjectItemCaseSensitive(s->c->in, "Filters"),
                            s->d->fn, keep);
}

err_t ec2_describe(api_ctx_t *c, const ec2_describe_t *d)
{
    err_t rc = ec2_dry_run(c);
    if (rc) return rc;
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(c->in, d->ids_member);
    res_page_t p;
    if (d->max)
        rc = ec2_page_begin(c, &p, 5, d->max, false, NULL);
    else
        res_page_begin(&p, c->op->action, 0, false, NULL); /* the model has no paging */
    if (rc) return rc;
    cJSON *out = cJSON_AddArrayToObject(c->out, d->out_member);
    ec2_dsel_t sel = {c, d};
    if (!cJSON_GetArraySize(ids)) {
        rc = res_list_page(c->tx, &(res_query_t){c->scope, d->k->kind, NULL, 0, 0}, &p, ec2_dkeep,
                           &sel, out, c->eb);
        if (!rc) res_page_out(&p, c->out, "NextToken");
        return rc;
    }
    cJSON *all = NULL;
    rc = ec2_get_all(c, d->k, ids, &all);
    for (cJSON *b = all ? all->child : NULL; !rc && b;) {
        cJSON *next = b->next;
        bool ok = false;
        rc = ec2_dkeep(&sel, b, NULL, &ok);
        if (!rc && ok) cJSON_AddItemToArray(out, cJSON_DetachItemViaPointer(all, b));
        b = next;
    }
    return rc;
}

int ec2_plain_filter(const cJSON *res, const char *name, const ec2_plain_t *t, size_t n,
                     const char **vals, char *scratch)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(name, t[i].filter)) continue;
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(res, t[i].member);
        if (cJSON_IsString(v)) return vals[0] = v->valuestring, 1;
        if (cJSON_IsBool(v)) return vals[0] = cJSON_IsTrue(v) ? "true" : "false", 1;
        if (cJSON_IsNumber(v)) {
            snprintf(scratch, 16, "%lld", (long long)v->valuedouble);
            return vals[0] = scratch, 1;
        }
        return 0;
    }
    return -1;
}

int ec2_each_filter(const cJSON *res, const char *array, const char *member, const char **vals,
                    int cap)
{
    int n = 0;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(res, array);
    for (const cJSON *e = a ? a->child : NULL; e && n < cap; e = e->next) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, member);
        if (cJSON_IsString(v)) vals[n++] = v->valuestring;
        if (cJSON_IsBool(v)) vals[n++] = cJSON_IsTrue(v) ? "true" : "false";
    }
    return n;
}

/* ---- look-ups */

err_t ec2_vpc_get(api_ctx_t *c, const char *vpc_id, cJSON **out)
{
    return ec2_get(c, &ec2_kind_vpc, vpc_id, out);
}

err_t ec2_subnet_get(api_ctx_t *c, const char *subnet_id, cJSON **out)
{
    return ec2_get(c, &ec2_kind_subnet, subnet_id, out);
}

err_t ec2_default_vpc(api_ctx_t *c, cJSON **out)
{
    const char *name = arena_printf(c->arena, "default:%s", ec2_region(c));
    err_t rc = res_get_by_name(c->tx, c->scope, EC2_VPC, name, out, c->eb);
    jx_own(c->arena, *out);
    return rc;
}

err_t ec2_default_subnet(api_ctx_t *c, const char *az, cJSON **out)
{
    cJSON *vpc = NULL, *subnets = NULL;
    *out = NULL;
    err_t rc = ec2_default_vpc(c, &vpc);
    if (!rc && vpc) rc = ec2_all(c, EC2_SUBNET, jx_str(vpc, "VpcId"), &subnets);
    for (cJSON *s = subnets ? subnets->child : NULL; !rc && s && !*out; s = s->next)
        if (jx_true(s, "DefaultForAz") && (!az || !strcmp(az, jx_str(s, "AvailabilityZone"))))
            *out = s;
    return rc;
}

const char *ec2_instance_vpc(api_ctx_t *c, const cJSON *inst)
{
    const char *vpc = jx_str(inst, "VpcId"), *subnet = jx_str(inst, "SubnetId");
    cJSON *b = NULL;
    errbuf_t eb;
    if (vpc) return vpc;
    if (subnet) {
        res_get(c->tx, &(res_key_t){c->scope, EC2_SUBNET, subnet}, &b, &eb);
        jx_own(c->arena, b);
        return b ? arena_strdup(c->arena, jx_str(b, "VpcId")) : NULL;
    }
    ec2_default_vpc(c, &b);
    return b ? arena_strdup(c->arena, jx_str(b, "VpcId")) : NULL;
}

err_t ec2_vpc_igw(api_ctx_t *c, const char *vpc_id, cJSON **out)
{
    cJSON *all = NULL;
    *out = NULL;
    err_t rc = ec2_all(c, EC2_IGW, NULL, &all);
    for (cJSON *g = all ? all->child : NULL; !rc && g && !*out; g = g->next) {
        const char *v = jx_str(
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(g, "Attachments"), 0), "VpcId");
        if (v && vpc_id && !strcmp(v, vpc_id)) *out = g;
    }
    return rc;
}

/* ---- CIDR blocks */

bool ec2_cidr_parse(const char *s, ec2_cidr_t *out)
{
    /* four dot-separated decimal octets, '/', a prefix length: digits only (no signs,
     * spaces or leading zeros beyond one digit's worth), as EC2 reads a block */
    unsigned part[5];
    int n = 0;
    const char *p = s;
    while (p && n < 5) {
        size_t digits = strspn(p, "0123456789");
        if (!digits || digits > 3 || (digits > 1 && p[0] == '0')) return false;
        unsigned v = 0;
        for (size_t k = 0; k < digits; k++) v = v * 10 + (unsigned)(p[k] - '0');
        part[n++] = v;
        p += digits;
        char want = n < 4 ? '.' : n == 4 ? '/' : '\0';
        if (*p != want) return false;
        p = want ? p + 1 : NULL;
    }
    if (n != 5 || part[0] > 255 || part[1] > 255 || part[2] > 255 || part[3] > 255 || part[4] > 32)
        return false;
    uint32_t mask = part[4] ? 0xffffffffu << (32 - part[4]) : 0;
    out->addr = ((part[0] << 24) | (part[1] << 16) | (part[2] << 8) | part[3]) & mask;
    out->len = (int)part[4];
    return true;
}

void ec2_cidr_text(const ec2_cidr_t *c, char out[20])
{
    snprintf(out, 20, "%u.%u.%u.%u/%d", c->addr >> 24, (c->addr >> 16) & 0xff,
             (c->addr >> 8) & 0xff, c->addr & 0xff, c->len);
}

static uint32_t ec2_mask(int len)
{
    return len ? 0xffffffffu << (32 - len) : 0;
}

bool ec2_cidr_overlaps(const ec2_cidr_t *a, const ec2_cidr_t *b)
{
    uint32_t m = ec2_mask(a->len < b->len ? a->len : b->len);
    return ((a->addr ^ b->addr) & m) == 0;
}

bool ec2_cidr_within(const ec2_cidr_t *inner, const ec2_cidr_t *outer)
{
    return inner->len >= outer->len && (inner->addr & ec2_mask(outer->len)) == outer->addr;
}
