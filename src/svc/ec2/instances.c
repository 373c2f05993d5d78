/* instances.c - EC2 instances: RunInstances, DescribeInstances, DescribeInstanceStatus,
 * StartInstances, StopInstances, RebootInstances, TerminateInstances. State changes start
 * transitions that providers complete later (provider.c). */
#include "svc/ec2/ec2_int.h"
#include "core/jx.h"

#include "core/clk.h"
#include "core/ids.h"
#include "iam/policy.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define EC2_TERMINATED_VISIBLE_MS (60 * 60 * 1000) /* terminated instances linger an hour */

static const struct {
    int code;
    const char *name;
} ec2_states[] = {{EC2_PENDING, "pending"},
                  {EC2_RUNNING, "running"},
                  {EC2_SHUTTING_DOWN, "shutting-down"},
                  {EC2_TERMINATED, "terminated"},
                  {EC2_STOPPING, "stopping"},
                  {EC2_STOPPED, "stopped"}};

const char *ec2_state_name(int code)
{
    for (size_t i = 0; i < sizeof(ec2_states) / sizeof(ec2_states[0]); i++)
        if (ec2_states[i].code == code) return ec2_states[i].name;
    return "pending";
}

int ec2_state(const cJSON *inst)
{
    return (int)jx_int(cJSON_GetObjectItemCaseSensitive(inst, "State"), "Code", EC2_PENDING);
}

void ec2_set_state(cJSON *inst, int code)
{
    cJSON *s = cJSON_CreateObject();
    cJSON_AddNumberToObject(s, "Code", code);
    cJSON_AddStringToObject(s, "Name", ec2_state_name(code));
    if (cJSON_GetObjectItemCaseSensitive(inst, "State"))
        jx_set(inst, "State", s);
    else
        cJSON_AddItemToObject(inst, "State", s);
}

void ec2_set_reason(cJSON *inst, const char *code, const char *message)
{
    cJSON_DeleteItemFromObjectCaseSensitive(inst, "StateReason");
    if (!code) return;
    cJSON *r = cJSON_AddObjectToObject(inst, "StateReason");
    cJSON_AddStringToObject(r, "Code", code);
    cJSON_AddStringToObject(r, "Message", message);
}

err_t ec2_dry_run(api_ctx_t *c)
{
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->in, "DryRun")))
        return err_fail(c->eb, ERR_EC2_DRY_RUN,
                        "Request would have succeeded, but DryRun flag is set.");
    return ERR_OK;
}

/* i- followed by 8 or 17 lower-case hex digits. */
static bool ec2_id_ok(const char *id)
{
    size_t n = strlen(id);
    if (strncmp(id, "i-", 2) || (n != 10 && n != 19)) return false;
    return strspn(id + 2, "0123456789abcdef") == n - 2;
}

err_t ec2_load(api_ctx_t *c, const cJSON *ids, cJSON **out)
{
    *out = cJSON_CreateArray();
    for (const cJSON *id = ids ? ids->child : NULL; id; id = id->next)
        if (!ec2_id_ok(id->valuestring))
            return err_fail(c->eb, ERR_EC2_MALFORMED_ID, "Invalid id: \"%s\"", id->valuestring);
    buf_t missing;
    buf_init(&missing, 4096);
    int n_missing = 0;
    err_t rc = ERR_OK;
    for (const cJSON *id = ids ? ids->child : NULL; !rc && id; id = id->next) {
        cJSON *inst = NULL;
        rc = res_get(c->tx, &(res_key_t){c->scope, EC2_INSTANCE, id->valuestring}, &inst, c->eb);
        if (inst) {
            cJSON_AddItemToArray(*out, inst);
        } else if (!rc) {
            buf_printf(&missing, "%s%s", n_missing ? ", " : "", id->valuestring);
            n_missing++;
        }
    }
    if (!rc && n_missing)
        rc = err_fail(c->eb, ERR_EC2_NOT_FOUND,
                      n_missing == 1 ? "The instance ID '%s' does not exist"
                                     : "The instance IDs '%s' do not exist",
                      buf_str(&missing));
    buf_free(&missing);
    return rc;
}

err_t ec2_save(store_tx_t *tx, const char *account, const cJSON *inst, int64_t now_ms, errbuf_t *eb)
{
    res_key_t k = {account, EC2_INSTANCE, jx_str(inst, "InstanceId")};
    return res_update(tx, &k, ec2_state_name(ec2_state(inst)), now_ms, inst, NULL, eb);
}

/* "User initiated (2026-11-30 01:37:13 GMT)" */
static void ec2_user_initiated(api_ctx_t *c, cJSON *inst)
{
    time_t t = (time_t)(clk_now_ms(&c->app->clock) / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char when[64], text[96];
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S GMT", &tm);
    snprintf(text, sizeof(text), "User initiated (%s)", when);
    jx_set(inst, "StateTransitionReason", cJSON_CreateString(text));
}

cJSON *ec2_spec_tags(const cJSON *in, const char *type, bool untyped)
{
    cJSON *tags = cJSON_CreateArray();
    const cJSON *specs = cJSON_GetObjectItemCaseSensitive(in, "TagSpecifications");
    for (const cJSON *s = specs ? specs->child : NULL; s; s = s->next) {
        const char *rt = jx_str(s, "ResourceType");
        if (rt ? strcmp(rt, type) != 0 : !untyped) continue;
        const cJSON *ts = cJSON_GetObjectItemCaseSensitive(s, "Tags");
        for (const cJSON *t = ts ? ts->child : NULL; t; t = t->next)
            cJSON_AddItemToArray(tags, cJSON_Duplicate(t, 1));
    }
    return tags;
}

/* The provider an instance uses: its catalogd:provider tag, else the configured default. */
static const char *ec2_provider_for(api_ctx_t *c, const cJSON *tags)
{
    for (const cJSON *t = tags ? tags->child : NULL; t; t = t->next) {
        const char *k = jx_str(t, "Key"), *v = jx_str(t, "Value");
        if (k && v && !strcmp(k, "catalogd:provider") &&
            (!strcmp(v, "emulated") || !strcmp(v, "exec")))
            return v;
    }
    return c->app->cfg.ec2_provider;
}

/* A private address derived from the instance id, stable and unique enough. */
static void ec2_private_ip(const char *id, char out[32])
{
    uint32_t h = span_fnv1a(SPAN_FNV_BASIS, span_of(id));
    snprintf(out, 32, "10.%u.%u.%u", (h >> 16) & 0xff, (h >> 8) & 0xff, 1 + (h & 0xfd));
}

/* RunInstances once the launch template (if any) has completed the request. */
static err_t ec2_run(api_ctx_t *c, ec2_launch_t *l)
{
    err_t rc = ec2_dry_run(c);
    if (rc) return rc;
    int64_t min = api_in_int(c, "MinCount", 1), max = api_in_int(c, "MaxCount", 1);
    if (min < 1 || max < min)
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                        "Value (%lld) for parameter maxCount is invalid. maxCount must be greater "
                        "than or equal to minCount.",
                        (long long)max);
    /* the default On-Demand quota: at most 20 at once; as many as it can when MinCount fits */
    if (min > 20)
        return err_fail(c->eb, ERR_EC2_INSTANCE_LIMIT,
                        "You have requested more instances (%lld) than your current instance "
                        "limit of 20 allows for the specified instance type. Please visit "
                        "http://aws.amazon.com/contact-us/ec2-request to request an adjustment "
                        "to this limit.",
                        (long long)min);
    if (max > 20) max = 20;
    const char *image = api_in_str(c, "ImageId");
    if (!image)
        return err_fail(c->eb, ERR_MISSING_PARAMETER,
                        "The request must contain the parameter ImageId");
    if (strncmp(image, "ami-", 4) || strlen(image) < 8)
        return err_fail(c->eb, ERR_EC2_AMI_MALFORMED, "Invalid id: \"%s\" (expecting \"ami-...\")",
                        image);
    cJSON *ami = NULL; /* the image when catalogd knows it */
    rc = ec2_image_for_launch(c, image, &ami);
    if (rc) return rc;
    const char *root_device = jx_str(ami, "RootDeviceName");
    root_device = arena_strdup(c->arena, root_device ? root_device : "/dev/xvda");
    cJSON_Delete(ami);
    rc = ec2_launch_resolve(c, l, root_device);
    if (rc) return rc;
    const char *token = api_in_str(c, "ClientToken");
    if (token) {
        /* idempotency: the same token returns the same reservation */
        cJSON *prior = cJSON_CreateArray();
        bool more;
        res_query_t q = {c->scope, EC2_INSTANCE, NULL, 0, 0};
        rc = res_list(c->tx, &q, prior, &more, c->eb);
        cJSON *found = cJSON_CreateArray();
        for (cJSON *i = prior->child; i; i = i->next) {
            const char *t = jx_str(i, "ClientToken");
            if (t && !strcmp(t, token)) cJSON_AddItemToArray(found, cJSON_Duplicate(i, 1));
        }
        cJSON_Delete(prior);
        if (!rc && cJSON_GetArraySize(found)) {
            cJSON *first = found->child;
            if (strcmp(jx_str(first, "ImageId"), image))
                rc =
                    err_fail(c->eb, ERR_EC2_IDEMPOTENT_MISMATCH,
                             "Arguments on this idempotent request are inconsistent with arguments "
                             "used in previous request(s).");
            if (!rc) {
                cJSON *res = cJSON_GetObjectItemCaseSensitive(first, "_Reservation");
                cJSON_AddStringToObject(c->out, "ReservationId", jx_str(res, "ReservationId"));
                cJSON_AddStringToObject(c->out, "OwnerId", c->account);
                cJSON_AddArrayToObject(c->out, "Groups");
                cJSON_AddItemToObject(c->out, "Instances", found);
                return ERR_OK;
            }
        }
        cJSON_Delete(found);
        if (rc) return rc;
    }
    char rid[32];
    ids_chars(&c->app->ids, "r-", IDS_HEX, 17, rid);
    cJSON *tags = ec2_spec_tags(c->in, "instance", true);
    const char *provider = ec2_provider_for(c, tags);
    cJSON *list = cJSON_CreateArray();
    int64_t now = clk_now_ms(&c->app->clock);
    for (int64_t i = 0; !rc && i < max; i++) {
        char id[20], ip[32];
        ids_instance(&c->app->ids, id);
        ec2_private_ip(id, ip);
        cJSON *inst = cJSON_CreateObject();
        cJSON_AddNumberToObject(inst, "AmiLaunchIndex", (double)i);
        cJSON_AddStringToObject(inst, "ImageId", image);
        cJSON_AddStringToObject(inst, "InstanceId", id);
        const char *type = api_in_str(c, "InstanceType");
        cJSON_AddStringToObject(inst, "InstanceType", type ? type : "m1.small");
        if (api_in_str(c, "KeyName"))
            cJSON_AddStringToObject(inst, "KeyName", api_in_str(c, "KeyName"));
        cJSON_AddNumberToObject(inst, "LaunchTime", (double)now / 1000.0);
        cJSON *mon = cJSON_AddObjectToObject(inst, "Monitoring");
        cJSON_AddStringToObject(mon, "State", "disabled");
        cJSON *pl = cJSON_AddObjectToObject(inst, "Placement");
        const cJSON *want = cJSON_GetObjectItemCaseSensitive(c->in, "Placement");
        const char *az = jx_str(want, "AvailabilityZone");
        cJSON_AddStringToObject(pl, "AvailabilityZone",
                                az ? az : arena_printf(c->arena, "%sa", c->region));
        cJSON_AddStringToObject(pl, "GroupName", "");
        cJSON_AddStringToObject(pl, "Tenancy", "default");
        cJSON_AddStringToObject(inst, "PrivateDnsName",
                                arena_printf(c->arena, "ip-%s.ec2.internal", ip));
        for (char *p = strchr(cJSON_GetObjectItem(inst, "PrivateDnsName")->valuestring, '.');
             p && p < strstr(cJSON_GetObjectItem(inst, "PrivateDnsName")->valuestring, ".ec2");
             p = strchr(p, '.'))
            *p = '-';
        cJSON_AddStringToObject(inst, "PrivateIpAddress", ip);
        cJSON_AddArrayToObject(inst, "ProductCodes");
        cJSON_AddStringToObject(inst, "PublicDnsName", "");
        cJSON_AddStringToObject(inst, "StateTransitionReason", "");
        cJSON_AddStringToObject(inst, "Architecture", "x86_64");
        cJSON_AddArrayToObject(inst, "BlockDeviceMappings");
        if (token) cJSON_AddStringToObject(inst, "ClientToken", token);
        cJSON_AddBoolToObject(inst, "EbsOptimized", false);
        cJSON_AddBoolToObject(inst, "EnaSupport", true);
        cJSON_AddStringToObject(inst, "Hypervisor", "xen");
        cJSON_AddArrayToObject(inst, "NetworkInterfaces");
        cJSON_AddStringToObject(inst, "RootDeviceName", root_device);
        cJSON_AddStringToObject(inst, "RootDeviceType", "ebs");
        cJSON_AddArrayToObject(inst, "SecurityGroups");
        cJSON_AddBoolToObject(inst, "SourceDestCheck", true);
        if (cJSON_GetArraySize(tags)) cJSON_AddItemToObject(inst, "Tags", cJSON_Duplicate(tags, 1));
        cJSON_AddStringToObject(inst, "VirtualizationType", "hvm");
        cJSON *ho = cJSON_AddObjectToObject(inst, "HibernationOptions");
        cJSON_AddBoolToObject(ho, "Configured", false);
        cJSON_AddStringToObject(inst, "PlatformDetails", "Linux/UNIX");
        cJSON_AddStringToObject(inst, "UsageOperation", "RunInstances");
        ec2_set_state(inst, EC2_PENDING);
        ec2_set_reason(inst, "pending", "pending");
        /* internal members (dropped on output) */
        cJSON *res = cJSON_AddObjectToObject(inst, "_Reservation");
        cJSON_AddStringToObject(res, "ReservationId", rid);
        cJSON_AddStringToObject(inst, "_Provider", provider);
        if (api_in_str(c, "UserData"))
            cJSON_AddStringToObject(inst, "_UserData", api_in_str(c, "UserData"));
        if (api_in_str(c, "InstanceInitiatedShutdownBehavior"))
            cJSON_AddStringToObject(inst, "_ShutdownBehavior",
                                    api_in_str(c, "InstanceInitiatedShutdownBehavior"));
        for (int g = 0; g < 2; g++) {
            const char *m = g ? "DisableApiStop" : "DisableApiTermination";
            if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->in, m)))
                cJSON_AddBoolToObject(inst, g ? "_disableApiStop" : "_disableApiTermination", true);
        }
        ec2_launch_apply(c, l, inst);
        res_row_t row = {.state = "pending", .created_ms = now};
        rc = res_insert(c->tx, &(res_key_t){c->scope, EC2_INSTANCE, id}, &row, inst, c->eb);
        if (!rc) rc = ec2_launch_volumes(c, l, inst);
        if (!rc) rc = ec2_transition(c, inst, "launch", NULL);
        if (!rc) rc = ec2_save(c->tx, c->scope, inst, now, c->eb);
        cJSON_AddItemToArray(list, inst);
    }
    cJSON_Delete(tags);
    if (rc) {
        cJSON_Delete(list);
        return rc;
    }
    c->post |= API_POST_WAKE_ENGINE;
    cJSON_AddStringToObject(c->out, "ReservationId", rid);
    cJSON_AddStringToObject(c->out, "OwnerId", c->account);
    cJSON_AddArrayToObject(c->out, "Groups");
    cJSON_AddItemToObject(c->out, "Instances", list);
    return ERR_OK;
}

err_t ec2_run_instances(api_ctx_t *c)
{
    ec2_launch_t l;
    err_t rc = ec2_launch_begin(c, &l);
    if (!rc) rc = ec2_run(c, &l);
    ec2_launch_end(c, &l);
    return rc;
}

/* ---- filters */

static const char *ec2_tag(const cJSON *res, const char *key)
{
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(res, "Tags");
    for (const cJSON *t = tags ? tags->child : NULL; t; t = t->next) {
        const char *k = jx_str(t, "Key");
        if (k && !strcmp(k, key)) return jx_str(t, "Value") ? jx_str(t, "Value") : "";
    }
    return NULL;
}

int ec2_tag_filter_values(const cJSON *res, const char *name, const char **vals, int cap)
{
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(res, "Tags");
    if (!strncmp(name, "tag:", 4)) {
        const char *v = ec2_tag(res, name + 4);
        return v ? (vals[0] = v, 1) : 0;
    }
    if (!strcmp(name, "tag-key") || !strcmp(name, "tag-value")) {
        int n = 0;
        for (const cJSON *t = tags ? tags->child : NULL; t && n < cap; t = t->next)
            vals[n++] = jx_str(t, name[4] == 'k' ? "Key" : "Value");
        return n;
    }
    return -1;
}

/* The values an instance has for filter `name`, into vals (at most cap); -1 = unknown filter. */
static int ec2_filter_values(const cJSON *inst, const char *name, const char **vals, int cap,
                             char *scratch)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(inst, "State");
    if (!strcmp(name, "instance-id")) return vals[0] = jx_str(inst, "InstanceId"), 1;
    if (!strcmp(name, "instance-state-name")) return vals[0] = jx_str(st, "Name"), 1;
    if (!strcmp(name, "instance-state-code")) {
        snprintf(scratch, 16, "%d", ec2_state(inst));
        return vals[0] = scratch, 1;
    }
    if (!strcmp(name, "instance-type")) return vals[0] = jx_str(inst, "InstanceType"), 1;
    if (!strcmp(name, "image-id")) return vals[0] = jx_str(inst, "ImageId"), 1;
    if (!strcmp(name, "key-name")) return vals[0] = jx_str(inst, "KeyName"), vals[0] ? 1 : 0;
    if (!strcmp(name, "private-ip-address")) return vals[0] = jx_str(inst, "PrivateIpAddress"), 1;
    if (!strcmp(name, "availability-zone"))
        return vals[0] =
                   jx_str(cJSON_GetObjectItemCaseSensitive(inst, "Placement"), "AvailabilityZone"),
               1;
    if (!strcmp(name, "vpc-id")) return vals[0] = jx_str(inst, "VpcId"), vals[0] ? 1 : 0;
    if (!strcmp(name, "subnet-id")) return vals[0] = jx_str(inst, "SubnetId"), vals[0] ? 1 : 0;
    if (!strcmp(name, "instance.group-id") || !strcmp(name, "instance.group-name")) {
        const cJSON *gs = cJSON_GetObjectItemCaseSensitive(inst, "SecurityGroups");
        int n = 0;
        for (const cJSON *g = gs ? gs->child : NULL; g && n < cap; g = g->next)
            if ((vals[n] = jx_str(g, name[15] == 'i' ? "GroupId" : "GroupName"))) n++;
        return n;
    }
    if (!strcmp(name, "iam-instance-profile.arn"))
        return (vals[0] =
                    jx_str(cJSON_GetObjectItemCaseSensitive(inst, "IamInstanceProfile"), "Arn"))
                   ? 1
                   : 0;
    if (!strcmp(name, "reservation-id"))
        return vals[0] =
                   jx_str(cJSON_GetObjectItemCaseSensitive(inst, "_Reservation"), "ReservationId"),
               1;
    return ec2_tag_filter_values(inst, name, vals, cap);
}

err_t ec2_filter_match(api_ctx_t *c, const cJSON *res, const cJSON *filters, ec2_filter_fn fn,
                       bool *ok)
{
    *ok = true;
    for (const cJSON *f = filters ? filters->child : NULL; f && *ok; f = f->next) {
        const char *name = jx_str(f, "Name");
        const char *have[64];
        char scratch[16];
        int n = name ? fn(res, name, have, 64, scratch) : -1;
        if (n < 0)
            return err_fail(c->eb, ERR_EC2_INVALID_FILTER, "The filter '%s' is invalid",
                            name ? name : "");
        bool any = false;
        const cJSON *want = cJSON_GetObjectItemCaseSensitive(f, "Values");
        for (const cJSON *w = want ? want->child : NULL; w && !any; w = w->next)
            for (int i = 0; i < n && !any; i++)
                any = have[i] && policy_wildcard(w->valuestring, have[i], false);
        *ok = any;
    }
    return ERR_OK;
}

/* What a Describe call selects beyond its filters. */
typedef struct ec2_sel {
    api_ctx_t *c;
    int64_t now;
    bool by_ids;       /* InstanceIds named them: terminated ones show however old */
    bool running_only; /* DescribeInstanceStatus without IncludeAllInstances */
} ec2_sel_t;

static err_t ec2_keep(void *ctx, const cJSON *i, const res_pkey_t *k, bool *keep)
{
    (void)k;
    ec2_sel_t *sel = ctx;
    *keep = !(sel->running_only && ec2_state(i) != EC2_RUNNING) &&
            !(!sel->by_ids && ec2_state(i) == EC2_TERMINATED &&
              jx_int(i, "_TerminatedAt", sel->now) + EC2_TERMINATED_VISIBLE_MS < sel->now);
    if (!*keep) return ERR_OK;
    return ec2_filter_match(sel->c, i, cJSON_GetObjectItemCaseSensitive(sel->c->in, "Filters"),
                            ec2_filter_values, keep);
}

/* The instances a Describe call selects: InstanceIds (all must exist; no paging) or one
 * page (NextToken/MaxResults, at least min_results a page) of the visible ones in creation
 * order, filtered. *out owns an array. */
static err_t ec2_select(api_ctx_t *c, bool running_only, int64_t min_results, cJSON **out)
{
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(c->in, "InstanceIds");
    ec2_sel_t sel = {c, clk_now_ms(&c->app->clock), cJSON_GetArraySize(ids) > 0, running_only};
    res_page_t p;
    *out = NULL;
    err_t prc = ec2_page_begin(c, &p, min_results, 1000, sel.by_ids, "instancesSet");
    if (prc) return prc;
    *out = cJSON_CreateArray();
    if (!sel.by_ids) {
        res_query_t q = {c->scope, EC2_INSTANCE, NULL, 0, 0};
        err_t rc = res_list_page(c->tx, &q, &p, ec2_keep, &sel, *out, c->eb);
        if (!rc) res_page_out(&p, c->out, "NextToken");
        return rc;
    }
    cJSON *all = NULL;
    err_t rc = ec2_load(c, ids, &all);
    for (cJSON *i = all ? all->child : NULL; !rc && i;) {
        cJSON *next = i->next;
        bool ok = false;
        rc = ec2_keep(&sel, i, NULL, &ok);
        if (!rc && ok) cJSON_AddItemToArray(*out, cJSON_DetachItemViaPointer(all, i));
        i = next;
    }
    cJSON_Delete(all);
    return rc;
}

err_t ec2_describe_instances(api_ctx_t *c)
{
    cJSON *sel = NULL;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_select(c, false, 5, &sel);
    if (rc) {
        cJSON_Delete(sel);
        return rc;
    }
    /* group by reservation, in first-seen order */
    cJSON *reservations = cJSON_AddArrayToObject(c->out, "Reservations");
    while (sel->child) {
        cJSON *inst = cJSON_DetachItemViaPointer(sel, sel->child);
        const char *rid =
            jx_str(cJSON_GetObjectItemCaseSensitive(inst, "_Reservation"), "ReservationId");
        cJSON *r = NULL;
        for (cJSON *e = reservations->child; e && !r; e = e->next)
            if (!strcmp(jx_str(e, "ReservationId"), rid ? rid : "")) r = e;
        if (!r) {
            r = cJSON_CreateObject();
            cJSON_AddStringToObject(r, "ReservationId", rid ? rid : "");
            cJSON_AddStringToObject(r, "OwnerId", c->account);
            cJSON_AddArrayToObject(r, "Groups");
            cJSON_AddArrayToObject(r, "Instances");
            cJSON_AddItemToArray(reservations, r);
        }
        cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(r, "Instances"), inst);
    }
    cJSON_Delete(sel);
    return ERR_OK;
}

err_t ec2_describe_instance_status(api_ctx_t *c)
{
    cJSON *sel = NULL;
    err_t rc = ec2_dry_run(c);
    /* by default only running instances report status */
    bool all_states = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->in, "IncludeAllInstances"));
    if (!rc) rc = ec2_select(c, !all_states, 5, &sel);
    if (rc) {
        cJSON_Delete(sel);
        return rc;
    }
    cJSON *list = cJSON_AddArrayToObject(c->out, "InstanceStatuses");
    for (cJSON *i = sel->child; i; i = i->next) {
        cJSON *s = cJSON_CreateObject();
        bool running = ec2_state(i) == EC2_RUNNING;
        cJSON_AddStringToObject(
            s, "AvailabilityZone",
            jx_str(cJSON_GetObjectItemCaseSensitive(i, "Placement"), "AvailabilityZone"));
        cJSON_AddStringToObject(s, "InstanceId", jx_str(i, "InstanceId"));
        cJSON_AddItemToObject(s, "InstanceState",
                              cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(i, "State"), 1));
        for (int k = 0; k < 2; k++) {
            cJSON *sum = cJSON_AddObjectToObject(s, k ? "SystemStatus" : "InstanceStatus");
            cJSON_AddStringToObject(sum, "Status", running ? "ok" : "not-applicable");
            cJSON *details = cJSON_AddArrayToObject(sum, "Details");
            if (running) {
                cJSON *d = cJSON_CreateObject();
                cJSON_AddStringToObject(d, "Name", "reachability");
                cJSON_AddStringToObject(d, "Status", "passed");
                cJSON_AddItemToArray(details, d);
            }
        }
        cJSON_AddItemToArray(list, s);
    }
    cJSON_Delete(sel);
    return ERR_OK;
}

/* The common body of Start/Stop/Reboot/Terminate: allowed source states, the transition
 * to start, and the InstanceStateChange list (out_member NULL for Reboot). */
typedef struct ec2_change {
    const char *action, *out_member, *verb;
    int to;            /* state entered now */
    const int *from;   /* states the change may start from */
    const int *noop;   /* states where the call succeeds without a change */
    const char *guard; /* the protection attribute that refuses the change, or NULL */
} ec2_change_t;

static err_t ec2_change(api_ctx_t *c, const ec2_change_t *ch)
{
    err_t rc = ec2_dry_run(c);
    cJSON *insts = NULL;
    if (!rc) rc = ec2_load(c, cJSON_GetObjectItemCaseSensitive(c->in, "InstanceIds"), &insts);
    /* all or nothing: check every instance before changing any */
    for (cJSON *i = insts ? insts->child : NULL; !rc && i; i = i->next) {
        int s = ec2_state(i);
        bool ok = false;
        for (const int *f = ch->from; *f >= 0 && !ok; f++) ok = *f == s;
        for (const int *f = ch->noop; *f >= 0 && !ok; f++) ok = *f == s;
        if (!ok && s == EC2_PENDING && jx_int(i, "_Seq", 0) == 1 && !strcmp(ch->action, "stop"))
            rc = err_fail(c->eb, ERR_EC2_INCORRECT_STATE,
                          "Instance '%s' cannot be stopped as it has never reached the 'running' "
                          "state.",
                          jx_str(i, "InstanceId")); /* (still launching: EC2's own words) */
        else if (!ok)
            rc = err_fail(c->eb, ERR_EC2_INCORRECT_STATE,
                          "The instance '%s' is not in a state from which it can be %s.",
                          jx_str(i, "InstanceId"), ch->verb);
        else if (ch->guard && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(i, ch->guard)))
            rc = err_fail(c->eb, ERR_EC2_NOT_PERMITTED,
                          "The instance '%s' may not be %s. Modify its '%s' instance attribute "
                          "and try again.",
                          jx_str(i, "InstanceId"), ch->verb, ch->guard + 1);
    }
    cJSON *list = ch->out_member ? cJSON_CreateArray() : NULL;
    int64_t now = clk_now_ms(&c->app->clock);
    for (cJSON *i = insts ? insts->child : NULL; !rc && i; i = i->next) {
        int prev = ec2_state(i);
        bool change = false, now_done = false;
        for (const int *f = ch->from; *f >= 0 && !change; f++) change = *f == prev;
        if (change) {
            /* the transition records the state a failure returns to: take it before changing */
            rc = ec2_transition(c, i, ch->action, &now_done);
            if (ch->to != prev) ec2_set_state(i, ch->to);
            if (ch->to == EC2_STOPPING || ch->to == EC2_SHUTTING_DOWN) ec2_user_initiated(c, i);
            if (ch->to == EC2_PENDING) {
                jx_set(i, "StateTransitionReason", cJSON_CreateString(""));
                ec2_set_reason(i, "pending", "pending");
            }
            if (ch->to == EC2_SHUTTING_DOWN) /* (again, after a failed terminate) */
                jx_set_num(i, "_TerminatedAt", (double)now);
            if (!rc && !now_done) rc = ec2_save(c->tx, c->scope, i, now, c->eb);
            c->post |= API_POST_WAKE_ENGINE;
        }
        if (list) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "InstanceId", jx_str(i, "InstanceId"));
            cJSON_AddItemToObject(e, "CurrentState",
                                  cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(i, "State"), 1));
            cJSON *p = cJSON_AddObjectToObject(e, "PreviousState");
            cJSON_AddNumberToObject(p, "Code", prev);
            cJSON_AddStringToObject(p, "Name", ec2_state_name(prev));
            cJSON_AddItemToArray(list, e);
        }
        /* a zero-delay emulated transition: answered as begun, over in this transaction */
        if (!rc && now_done) rc = ec2_transition_now(c, i, ch->action, prev);
    }
    cJSON_Delete(insts);
    if (rc) {
        cJSON_Delete(list);
        return rc;
    }
    if (list) cJSON_AddItemToObject(c->out, ch->out_member, list);
    return ERR_OK;
}

static const int none[] = {-1};

err_t ec2_start_instances(api_ctx_t *c)
{
    static const int from[] = {EC2_STOPPED, -1}, noop[] = {EC2_PENDING, EC2_RUNNING, -1};
    ec2_change_t ch = {"start", "StartingInstances", "started", EC2_PENDING, from, noop, NULL};
    return ec2_change(c, &ch);
}

err_t ec2_stop_instances(api_ctx_t *c)
{
    static const int from[] = {EC2_RUNNING, -1}, noop[] = {EC2_STOPPING, EC2_STOPPED, -1};
    ec2_change_t ch = {"stop", "StoppingInstances", "stopped", EC2_STOPPING, from,
                       noop,   "_disableApiStop"};
    /* Force=true stops even a pending instance (as EC2 lets a stuck one be forced) */
    static const int forced[] = {EC2_RUNNING, EC2_PENDING, -1};
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->in, "Force"))) ch.from = forced;
    return ec2_change(c, &ch);
}

err_t ec2_reboot_instances(api_ctx_t *c)
{
    static const int from[] = {EC2_RUNNING, -1};
    ec2_change_t ch = {"reboot", NULL, "rebooted", EC2_RUNNING, from, none, NULL};
    return ec2_change(c, &ch);
}

err_t ec2_terminate_instances(api_ctx_t *c)
{
    static const int from[] = {EC2_PENDING, EC2_RUNNING, EC2_STOPPING, EC2_STOPPED, -1},
                     noop[] = {EC2_SHUTTING_DOWN, EC2_TERMINATED, -1};
    ec2_change_t ch = {"terminate", "TerminatingInstances",  "terminated", EC2_SHUTTING_DOWN, from,
                       noop,        "_disableApiTermination"};
    return ec2_change(c, &ch);
}
