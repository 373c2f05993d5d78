/* zones.c - EC2 regions and availability zones: DescribeRegions, DescribeAvailabilityZones,
 * and the zones of a region other calls place things in (subnets, the default VPC). The
 * regions are those of the aws partition (core/regions.h, generated from botocore's
 * endpoints.json), every one of which catalogd serves; botocore does not say which are
 * opt-in nor how many zones each has, so that is noted here, by name (a region not noted:
 * not opt-in, 3 zones). */
#include "svc/ec2/net_int.h"
#include "core/jx.h"
#include "core/regions.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    bool opt_in; /* an opt-in region (not enabled unless the account opts in) */
    int zones;
} ec2_region_facts[] = {
    {"af-south-1", true, 3},   {"ap-east-1", true, 3},      {"ap-northeast-2", false, 4},
    {"ap-south-2", true, 3},   {"ap-southeast-3", true, 3}, {"ap-southeast-4", true, 3},
    {"eu-central-2", true, 3}, {"eu-south-1", true, 3},     {"eu-south-2", true, 3},
    {"il-central-1", true, 3}, {"me-central-1", true, 3},   {"me-south-1", true, 3},
    {"us-east-1", false, 6},   {"us-west-1", false, 2},     {"us-west-2", false, 4},
};
#define EC2_N_FACTS (sizeof(ec2_region_facts) / sizeof(ec2_region_facts[0]))

static bool ec2_opt_in(const char *region)
{
    for (size_t i = 0; i < EC2_N_FACTS; i++)
        if (!strcmp(ec2_region_facts[i].name, region)) return ec2_region_facts[i].opt_in;
    return false;
}

/* How many zones region has. */
static int ec2_zone_count(const char *region)
{
    for (size_t i = 0; i < EC2_N_FACTS; i++)
        if (!strcmp(ec2_region_facts[i].name, region)) return ec2_region_facts[i].zones;
    return 3;
}

int ec2_zone_names(const char *region, const char **names, int cap, arena_t *a)
{
    int n = ec2_zone_count(region);
    for (int i = 0; i < n && i < cap; i++) names[i] = arena_printf(a, "%s%c", region, 'a' + i);
    return n < cap ? n : cap;
}

/* The short form of a region in zone ids: "us-east-1" -> "use1", "ap-southeast-2" ->
 * "apse2" (the geography, the direction's initials, the number). */
static const char *ec2_region_abbrev(const char *region, arena_t *a)
{
    static const struct {
        const char *word, *abbr;
    } dirs[] = {{"northeast", "ne"}, {"northwest", "nw"}, {"southeast", "se"},
                {"southwest", "sw"}, {"north", "n"},      {"south", "s"},
                {"east", "e"},       {"west", "w"},       {"central", "c"}};
    const char *d1 = strchr(region, '-'), *d2 = d1 ? strchr(d1 + 1, '-') : NULL;
    if (!d1 || !d2) return region;
    size_t wl = (size_t)(d2 - d1 - 1);
    const char *abbr = NULL;
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !abbr; i++)
        if (strlen(dirs[i].word) == wl && !strncmp(d1 + 1, dirs[i].word, wl)) abbr = dirs[i].abbr;
    return arena_printf(a, "%.*s%s%s", (int)(d1 - region), region,
                        abbr ? abbr : arena_strndup(a, d1 + 1, 1), d2 + 1);
}

const char *ec2_zone_id(const char *region, const char *name, arena_t *a)
{
    size_t rl = strlen(region);
    int n = ec2_zone_count(region);
    if (strncmp(name, region, rl) || strlen(name) != rl + 1 || name[rl] < 'a' ||
        name[rl] >= 'a' + n)
        return NULL;
    return arena_printf(a, "%s-az%d", ec2_region_abbrev(region, a), name[rl] - 'a' + 1);
}

/* ---- DescribeAvailabilityZones */

static int ec2_zone_filter(const cJSON *z, const char *name, const char **vals, int cap,
                           char *scratch)
{
    static const ec2_plain_t plain[] = {
        {"zone-name", "ZoneName"},   {"zone-id", "ZoneId"},
        {"state", "State"},          {"region-name", "RegionName"},
        {"group-name", "GroupName"}, {"opt-in-status", "OptInStatus"},
        {"zone-type", "ZoneType"},   {"network-border-group", "NetworkBorderGroup"}};
    (void)cap;
    if (!strcmp(name, "message")) return 0;
    return ec2_plain_filter(z, name, plain, sizeof(plain) / sizeof(plain[0]), vals, scratch);
}

/* Whether every string of the array member `member` of the request is among the values
 * `field` of the items of list; else InvalidParameterValue naming the first that is not. */
static err_t ec2_all_known(api_ctx_t *c, const char *member, const cJSON *list, const char *field,
                           const char *what)
{
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(c->in, member);
    for (const cJSON *w = want ? want->child : NULL; w; w = w->next) {
        bool known = false;
        for (const cJSON *i = list->child; i && !known; i = i->next)
            known = !strcmp(jx_str(i, field), w->valuestring);
        if (!known)
            return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER, "Invalid %s: [%s]", what,
                            w->valuestring);
    }
    return ERR_OK;
}

/* Keeps the items of list whose field is among the strings of request member `member`
 * (absent or empty: all) and that pass the Filters; moves them to out. */
static err_t ec2_pick(api_ctx_t *c, cJSON *list, const char *member, const char *field,
                      ec2_filter_fn fn, cJSON *out)
{
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(c->in, member);
    const cJSON *filters = cJSON_GetObjectItemCaseSensitive(c->in, "Filters");
    err_t rc = ERR_OK;
    while (!rc && list->child) {
        cJSON *i = cJSON_DetachItemViaPointer(list, list->child);
        bool ok = !cJSON_GetArraySize(want);
        for (const cJSON *w = want ? want->child : NULL; w && !ok; w = w->next)
            ok = !strcmp(w->valuestring, jx_str(i, field));
        if (ok) rc = ec2_filter_match(c, i, filters, fn, &ok);
        if (ok && !rc)
            cJSON_AddItemToArray(out, i);
        else
            cJSON_Delete(i);
    }
    return rc;
}

err_t ec2_describe_availability_zones(api_ctx_t *c)
{
    err_t rc = ec2_dry_run(c);
    if (rc) return rc;
    const char *region = ec2_region(c);
    const char *names[16];
    int n = ec2_zone_names(region, names, 16, c->arena);
    cJSON *all = jx_own(c->arena, cJSON_CreateArray());
    for (int i = 0; i < n; i++) {
        cJSON *z = cJSON_CreateObject();
        cJSON_AddStringToObject(z, "State", "available");
        cJSON_AddStringToObject(z, "OptInStatus", "opt-in-not-required");
        cJSON_AddArrayToObject(z, "Messages");
        cJSON_AddStringToObject(z, "RegionName", region);
        cJSON_AddStringToObject(z, "ZoneName", names[i]);
        cJSON_AddStringToObject(z, "ZoneId", ec2_zone_id(region, names[i], c->arena));
        cJSON_AddStringToObject(z, "GroupName", region);
        cJSON_AddStringToObject(z, "NetworkBorderGroup", region);
        cJSON_AddStringToObject(z, "ZoneType", "availability-zone");
        cJSON_AddItemToArray(all, z);
    }
    rc = ec2_all_known(c, "ZoneNames", all, "ZoneName", "availability zone");
    if (!rc) rc = ec2_all_known(c, "ZoneIds", all, "ZoneId", "availability zone ID");
    cJSON *out = cJSON_AddArrayToObject(c->out, "AvailabilityZones");
    bool by_id = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(c->in, "ZoneIds")) > 0;
    if (!rc)
        rc = ec2_pick(c, all, by_id ? "ZoneIds" : "ZoneNames", by_id ? "ZoneId" : "ZoneName",
                      ec2_zone_filter, out);
    return rc;
}

/* ---- DescribeRegions */

static int ec2_region_filter(const cJSON *r, const char *name, const char **vals, int cap,
                             char *scratch)
{
    static const ec2_plain_t plain[] = {
        {"endpoint", "Endpoint"}, {"region-name", "RegionName"}, {"opt-in-status", "OptInStatus"}};
    (void)cap;
    return ec2_plain_filter(r, name, plain, sizeof(plain) / sizeof(plain[0]), vals, scratch);
}

static cJSON *ec2_region_item(api_ctx_t *c, const char *name, const char *status)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "Endpoint", arena_printf(c->arena, "ec2.%s.amazonaws.com", name));
    cJSON_AddStringToObject(r, "RegionName", name);
    cJSON_AddStringToObject(r, "OptInStatus", status);
    return r;
}

err_t ec2_describe_regions(api_ctx_t *c)
{
    err_t rc = ec2_dry_run(c);
    if (rc) return rc;
    bool all_regions = jx_true(c->in, "AllRegions");
    const char *own = ec2_region(c);
    cJSON *list = jx_own(c->arena, cJSON_CreateArray());
    for (size_t i = 0; i < regions_n_aws; i++) {
        const char *name = regions_aws[i].name;
        /* the region asked from is enabled, whatever its kind */
        bool mine = !strcmp(name, own), opt_in = ec2_opt_in(name);
        if (opt_in && !mine && !all_regions) continue;
        cJSON_AddItemToArray(list, ec2_region_item(c, name,
                                                   !opt_in ? "opt-in-not-required"
                                                   : mine  ? "opted-in"
                                                           : "not-opted-in"));
    }
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(c->in, "RegionNames");
    for (const cJSON *w = want ? want->child : NULL; !rc && w; w = w->next)
        if (!regions_find(span_of(w->valuestring)))
            rc = err_fail(c->eb, ERR_EC2_INVALID_PARAMETER, "Invalid region: %s", w->valuestring);
    if (!rc)
        rc = ec2_pick(c, list, "RegionNames", "RegionName", ec2_region_filter,
                      cJSON_AddArrayToObject(c->out, "Regions"));
    return rc;
}
