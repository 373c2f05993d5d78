/* volumes.c - EBS volumes and attachments: CreateVolume, DescribeVolumes, DeleteVolume,
 * ModifyVolume, AttachVolume, DetachVolume, the volumes RunInstances' BlockDeviceMappings create,
 * and what becomes of them when their instance terminates. A volume is a resource of kind
 * "ec2.volume" (body the model's Volume, state column = State); an attachment lives both in
 * the volume's Attachments and in the instance's BlockDeviceMappings. catalogd has no data
 * to copy, so a volume is available, attached or detached at once: the answers of
 * CreateVolume, AttachVolume and DetachVolume show the transitional state EC2 answers with
 * (creating, attaching, detaching), every later read the state it lands in. */
#include "svc/ec2/ec2_int.h"
#include "core/jx.h"

#include "core/clk.h"
#include "core/ids.h"

#include <stdio.h>
#include <string.h>

/* vol- followed by 8 or 17 lower-case hex digits. */
static bool vol_id_ok(const char *id)
{
    size_t n = strlen(id);
    if (strncmp(id, "vol-", 4) || (n != 12 && n != 21)) return false;
    return strspn(id + 4, "0123456789abcdef") == n - 4;
}

static err_t vol_get(api_ctx_t *c, const char *id, cJSON **out)
{
    *out = NULL;
    if (!vol_id_ok(id))
        return err_fail(c->eb, ERR_EC2_VOL_MALFORMED, "Invalid id: \"%s\" (expecting \"vol-...\")",
                        id);
    err_t rc = res_get(c->tx, &(res_key_t){c->scope, EC2_VOLUME, id}, out, c->eb);
    if (!rc && !*out)
        rc = err_fail(c->eb, ERR_EC2_VOL_NOT_FOUND, "The volume '%s' does not exist.", id);
    return rc;
}

static err_t vol_save(store_tx_t *tx, const char *account, const cJSON *v, int64_t now,
                      errbuf_t *eb)
{
    return res_update(tx, &(res_key_t){account, EC2_VOLUME, jx_str(v, "VolumeId")},
                      jx_str(v, "State"), now, v, NULL, eb);
}

/* The sizes (GiB) a volume type allows, and its default IOPS for size (0: none shown). */
typedef struct vol_type {
    const char *name;
    int64_t min, max;
    bool iops_required, iops_allowed;
} vol_type_t;

static const vol_type_t vol_types[] = {
    {"standard", 1, 1024, false, false}, {"gp2", 1, 16384, false, false},
    {"gp3", 1, 16384, false, true},      {"io1", 4, 16384, true, true},
    {"io2", 4, 16384, true, true},       {"st1", 125, 16384, false, false},
    {"sc1", 125, 16384, false, false},
};

err_t ec2_volume_check(api_ctx_t *c, const ec2_volume_spec_t *s)
{
    const vol_type_t *t = NULL;
    for (size_t i = 0; i < sizeof(vol_types) / sizeof(vol_types[0]); i++)
        if (!strcmp(vol_types[i].name, s->type)) t = &vol_types[i];
    if (!t)
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                        "Value (%s) for parameter volumeType is invalid. Valid values are "
                        "standard, gp2, gp3, io1, io2, st1 and sc1.",
                        s->type);
    if (s->size < t->min)
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                        "Volume of %lldGiB is too small; minimum is %lldGiB.", (long long)s->size,
                        (long long)t->min);
    if (s->size > t->max)
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                        "Volume of %lldGiB is too large; maximum is %lldGiB.", (long long)s->size,
                        (long long)t->max);
    if (t->iops_required && s->iops <= 0)
        return err_fail(c->eb, ERR_MISSING_PARAMETER,
                        "The request must contain the parameter iops");
    if (!t->iops_allowed && s->iops > 0)
        return err_fail(c->eb, ERR_EC2_INVALID_COMBINATION,
                        "The parameter iops is not supported for %s volumes.", s->type);
    if (s->throughput > 0 && strcmp(s->type, "gp3"))
        return err_fail(c->eb, ERR_EC2_INVALID_COMBINATION,
                        "The parameter throughput is not supported for %s volumes.", s->type);
    return ERR_OK;
}

/* Sets volume v's Size, VolumeType, Iops (gp2's from its size, gp3's 3000 unless given)
 * and Throughput (gp3 only: 125 unless given) from s. */
static void vol_set_perf(cJSON *v, const ec2_volume_spec_t *s)
{
    jx_set_num(v, "Size", (double)s->size);
    jx_set_str(v, "VolumeType", s->type);
    int64_t iops = s->iops;
    if (!strcmp(s->type, "gp2"))
        iops = s->size * 3 < 100 ? 100 : s->size * 3 > 16000 ? 16000 : s->size * 3;
    if (!strcmp(s->type, "gp3") && iops <= 0) iops = 3000;
    cJSON_DeleteItemFromObjectCaseSensitive(v, "Iops");
    if (iops > 0) cJSON_AddNumberToObject(v, "Iops", (double)iops);
    cJSON_DeleteItemFromObjectCaseSensitive(v, "Throughput");
    if (!strcmp(s->type, "gp3"))
        cJSON_AddNumberToObject(v, "Throughput", (double)(s->throughput > 0 ? s->throughput : 125));
}

err_t ec2_volume_create(api_ctx_t *c, const ec2_volume_spec_t *s, const cJSON *tags, cJSON **out)
{
    char id[32];
    ids_chars(&c->app->ids, "vol-", IDS_HEX, 17, id);
    int64_t now = clk_now_ms(&c->app->clock);
    cJSON *v = cJSON_CreateObject();
    cJSON_AddArrayToObject(v, "Attachments");
    cJSON_AddStringToObject(v, "AvailabilityZone", s->zone);
    cJSON_AddNumberToObject(v, "CreateTime", (double)now / 1000.0);
    cJSON_AddBoolToObject(v, "Encrypted", s->encrypted);
    if (s->encrypted && s->kms_key) cJSON_AddStringToObject(v, "KmsKeyId", s->kms_key);
    cJSON_AddStringToObject(v, "SnapshotId", "");
    cJSON_AddStringToObject(v, "State", "available");
    cJSON_AddStringToObject(v, "VolumeId", id);
    if (tags && cJSON_GetArraySize(tags))
        cJSON_AddItemToObject(v, "Tags", cJSON_Duplicate(tags, 1));
    cJSON_AddBoolToObject(v, "MultiAttachEnabled", false);
    vol_set_perf(v, s);
    res_row_t row = {.state = "available", .created_ms = now};
    err_t rc = res_insert(c->tx, &(res_key_t){c->scope, EC2_VOLUME, id}, &row, v, c->eb);
    if (rc) {
        cJSON_Delete(v);
        return rc;
    }
    *out = v;
    return ERR_OK;
}

/* "/dev/sd[a-z]", "/dev/xvd[a-z]" (each with an optional further letter or digit) or
 * "/dev/sda1": the names EBS takes on Linux. */
static bool vol_device_ok(const char *d)
{
    const char *p = !strncmp(d, "/dev/sd", 7) ? d + 7 : !strncmp(d, "/dev/xvd", 8) ? d + 8 : NULL;
    if (!p || *p < 'a' || *p > 'z') return false;
    p++;
    if (*p >= 'a' && *p <= 'z') p++;
    while (*p >= '0' && *p <= '9') p++;
    return *p == '\0';
}

err_t ec2_volume_attach(api_ctx_t *c, cJSON *vol, cJSON *inst, const char *device, bool dot)
{
    const char *iid = jx_str(inst, "InstanceId"), *vid = jx_str(vol, "VolumeId");
    if (!vol_device_ok(device))
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                        "Value (%s) for parameter device is invalid. %s is not a valid EBS device "
                        "name.",
                        device, device);
    cJSON *bdm = cJSON_GetObjectItemCaseSensitive(inst, "BlockDeviceMappings");
    if (!bdm) bdm = cJSON_AddArrayToObject(inst, "BlockDeviceMappings");
    for (const cJSON *m = bdm->child; m; m = m->next)
        if (!strcmp(jx_str(m, "DeviceName"), device))
            return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                            "Invalid value '%s' for unixDevice. Attachment point %s is already in "
                            "use",
                            device, device);
    const char *vz = jx_str(vol, "AvailabilityZone");
    const char *iz =
        jx_str(cJSON_GetObjectItemCaseSensitive(inst, "Placement"), "AvailabilityZone");
    if (strcmp(vz, iz ? iz : ""))
        return err_fail(c->eb, ERR_EC2_VOL_ZONE_MISMATCH,
                        "The volume '%s' is not in the same availability zone as instance '%s'",
                        vid, iid);
    int64_t now = clk_now_ms(&c->app->clock);
    cJSON *a = cJSON_CreateObject();
    cJSON_AddNumberToObject(a, "AttachTime", (double)now / 1000.0);
    cJSON_AddStringToObject(a, "Device", device);
    cJSON_AddStringToObject(a, "InstanceId", iid);
    cJSON_AddStringToObject(a, "State", "attached");
    cJSON_AddStringToObject(a, "VolumeId", vid);
    cJSON_AddBoolToObject(a, "DeleteOnTermination", dot);
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(vol, "Attachments"), a);
    jx_set_str(vol, "State", "in-use");
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "DeviceName", device);
    cJSON *ebs = cJSON_AddObjectToObject(m, "Ebs");
    cJSON_AddNumberToObject(ebs, "AttachTime", (double)now / 1000.0);
    cJSON_AddBoolToObject(ebs, "DeleteOnTermination", dot);
    cJSON_AddStringToObject(ebs, "Status", "attached");
    cJSON_AddStringToObject(ebs, "VolumeId", vid);
    cJSON_AddItemToArray(bdm, m);
    return vol_save(c->tx, c->scope, vol, now, c->eb);
}

err_t ec2_volumes_release(app_t *app, const char *scope, store_tx_t *tx, cJSON *inst, int64_t now,
                          errbuf_t *eb)
{
    cJSON *bdm = cJSON_GetObjectItemCaseSensitive(inst, "BlockDeviceMappings");
    err_t rc = ERR_OK;
    for (const cJSON *m = bdm ? bdm->child : NULL; !rc && m; m = m->next) {
        const cJSON *ebs = cJSON_GetObjectItemCaseSensitive(m, "Ebs");
        const char *vid = jx_str(ebs, "VolumeId");
        if (!vid) continue;
        res_key_t k = {scope, EC2_VOLUME, vid};
        if (jx_true(ebs, "DeleteOnTermination")) {
            rc = res_delete(tx, &k, NULL, eb);
            continue;
        }
        cJSON *v = NULL;
        rc = res_get(tx, &k, &v, eb);
        if (!rc && v) {
            jx_set(v, "Attachments", cJSON_CreateArray());
            jx_set_str(v, "State", "available");
            rc = vol_save(tx, scope, v, now, eb);
        }
        cJSON_Delete(v);
    }
    if (bdm) jx_set(inst, "BlockDeviceMappings", cJSON_CreateArray());
    return rc;
}

/* A zone of this region: the region's name and one letter. */
static bool vol_zone_ok(api_ctx_t *c, const char *z)
{
    size_t n = strlen(c->region);
    return !strncmp(z, c->region, n) && z[n] >= 'a' && z[n] <= 'z' && !z[n + 1];
}

err_t ec2_create_volume(api_ctx_t *c)
{
    err_t rc = ec2_dry_run(c);
    const char *zone = api_in_str(c, "AvailabilityZone"), *type = api_in_str(c, "VolumeType");
    ec2_volume_spec_t s = {zone,
                           type ? type : "gp2",
                           api_in_int(c, "Size", 0),
                           api_in_int(c, "Iops", 0),
                           api_in_int(c, "Throughput", 0),
                           cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->in, "Encrypted")),
                           api_in_str(c, "KmsKeyId")};
    if (!rc && s.kms_key && !s.encrypted)
        rc = err_fail(c->eb, ERR_EC2_PARAMETER_DEPENDENCY,
                      "The parameter KmsKeyId requires the parameter Encrypted to be set.");
    if (!rc && !zone)
        rc = err_fail(c->eb, ERR_MISSING_PARAMETER,
                      "The request must contain the parameter AvailabilityZone");
    if (!rc && !vol_zone_ok(c, zone))
        rc = err_fail(c->eb, ERR_EC2_INVALID_PARAMETER, "Invalid availability zone: [%s]", zone);
    if (!rc && api_in_str(c, "SnapshotId"))
        rc = err_fail(c->eb, ERR_EC2_SNAPSHOT_NOT_FOUND, "The snapshot '%s' does not exist.",
                      api_in_str(c, "SnapshotId"));
    if (!rc && !s.size)
        rc = err_fail(c->eb, ERR_MISSING_PARAMETER,
                      "The request must contain the parameter size or snapshotId");
    if (!rc) rc = ec2_volume_check(c, &s);
    if (rc) return rc;
    cJSON *tags = ec2_spec_tags(c->in, "volume", false), *v = NULL;
    rc = ec2_volume_create(c, &s, tags, &v);
    cJSON_Delete(tags);
    if (rc) return rc;
    jx_set_str(v, "State", "creating"); /* the answer EC2 gives; it is available at once */
    for (cJSON *m = v->child; m; m = m->next)
        cJSON_AddItemToObject(c->out, m->string, cJSON_Duplicate(m, 1));
    cJSON_Delete(v);
    return ERR_OK;
}

static int vol_filter_values(const cJSON *v, const char *name, const char **vals, int cap,
                             char *scratch)
{
    static const char *const plain[][2] = {{"volume-id", "VolumeId"},
                                           {"status", "State"},
                                           {"volume-type", "VolumeType"},
                                           {"availability-zone", "AvailabilityZone"},
                                           {"snapshot-id", "SnapshotId"}};
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        if (!strcmp(name, plain[i][0])) return (vals[0] = jx_str(v, plain[i][1])) ? 1 : 0;
    if (!strcmp(name, "size") || !strcmp(name, "encrypted")) {
        if (name[0] == 's')
            snprintf(scratch, 16, "%lld", (long long)jx_int(v, "Size", 0));
        else
            snprintf(scratch, 16, "%s", jx_true(v, "Encrypted") ? "true" : "false");
        return vals[0] = scratch, 1;
    }
    static const char *const att[][2] = {{"attachment.instance-id", "InstanceId"},
                                         {"attachment.device", "Device"},
                                         {"attachment.status", "State"}};
    const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "Attachments"), 0);
    for (size_t i = 0; i < sizeof(att) / sizeof(att[0]); i++)
        if (!strcmp(name, att[i][0])) return (vals[0] = jx_str(a, att[i][1])) ? 1 : 0;
    if (!strcmp(name, "attachment.delete-on-termination")) {
        snprintf(scratch, 16, "%s", jx_true(a, "DeleteOnTermination") ? "true" : "false");
        return a ? (vals[0] = scratch, 1) : 0;
    }
    return ec2_tag_filter_values(v, name, vals, cap);
}

static err_t vol_keep(void *ctx, const cJSON *v, const res_pkey_t *k, bool *keep)
{
    (void)k;
    api_ctx_t *c = ctx;
    return ec2_filter_match(c, v, cJSON_GetObjectItemCaseSensitive(c->in, "Filters"),
                            vol_filter_values, keep);
}

err_t ec2_describe_volumes(api_ctx_t *c)
{
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(c->in, "VolumeIds");
    res_page_t p;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_page_begin(c, &p, 5, 500, cJSON_GetArraySize(ids) > 0, "volumeIds");
    if (rc) return rc;
    cJSON *list = cJSON_AddArrayToObject(c->out, "Volumes");
    if (!cJSON_GetArraySize(ids)) {
        res_query_t q = {c->scope, EC2_VOLUME, NULL, 0, 0};
        rc = res_list_page(c->tx, &q, &p, vol_keep, c, list, c->eb);
        if (!rc) res_page_out(&p, c->out, "NextToken");
        return rc;
    }
    for (const cJSON *i = ids->child; !rc && i; i = i->next) {
        cJSON *v = NULL;
        bool ok = false;
        rc = vol_get(c, i->valuestring, &v);
        if (!rc) rc = vol_keep(c, v, NULL, &ok);
        if (!rc && ok)
            cJSON_AddItemToArray(list, v);
        else
            cJSON_Delete(v);
    }
    return rc;
}

err_t ec2_delete_volume(api_ctx_t *c)
{
    cJSON *v = NULL;
    err_t rc = ec2_dry_run(c);
    const char *id = api_in_str(c, "VolumeId");
    if (!rc) rc = vol_get(c, id, &v);
    const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "Attachments"), 0);
    if (!rc && a)
        rc = err_fail(c->eb, ERR_EC2_VOL_IN_USE, "Volume %s is currently attached to %s", id,
                      jx_str(a, "InstanceId"));
    if (!rc) rc = res_delete(c->tx, &(res_key_t){c->scope, EC2_VOLUME, id}, NULL, c->eb);
    cJSON_Delete(v);
    return rc;
}

/* Whether a volume type has provisioned IOPS of its own (io1, io2, gp3). */
static bool vol_provisioned(const char *type)
{
    return type && (!strcmp(type, "io1") || !strcmp(type, "io2") || !strcmp(type, "gp3"));
}

/* Adds the Target<X> / Original<X> members of a VolumeModification for v's member x. */
static void vol_mod_member(cJSON *mod, const char *prefix, const cJSON *v, const char *x)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(v, x);
    char name[64];
    snprintf(name, sizeof name, "%s%s", prefix, x);
    if (m) cJSON_AddItemToObject(mod, name, cJSON_Duplicate(m, 1));
}

/* ModifyVolume: a new Size (never smaller), VolumeType, Iops, Throughput, checked as
 * CreateVolume checks them; IOPS and throughput not given carry over between the types
 * that have them. There is no data to move: the volume has its new form at once, the
 * answer shows the modification "modifying" as EC2 answers. */
err_t ec2_modify_volume(api_ctx_t *c)
{
    cJSON *v = NULL;
    err_t rc = ec2_dry_run(c);
    const char *id = api_in_str(c, "VolumeId");
    if (!rc) rc = vol_get(c, id, &v);
    if (rc) return rc;
    char was[16] = ""; /* (v's own text is replaced below) */
    snprintf(was, sizeof was, "%s", jx_str(v, "VolumeType") ? jx_str(v, "VolumeType") : "");
    const char *type = api_in_str(c, "VolumeType");
    if (!type) type = was;
    bool both = vol_provisioned(was) && vol_provisioned(type);
    bool gp3 = !strcmp(type, "gp3") && !strcmp(was, "gp3");
    int64_t size = jx_int(v, "Size", 0);
    ec2_volume_spec_t s = {jx_str(v, "AvailabilityZone"),
                           type,
                           api_in_int(c, "Size", size),
                           api_in_int(c, "Iops", both ? jx_int(v, "Iops", 0) : 0),
                           api_in_int(c, "Throughput", gp3 ? jx_int(v, "Throughput", 0) : 0),
                           false,
                           NULL};
    if (s.size < size)
        rc = err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                      "New size cannot be smaller than existing size");
    if (!rc) rc = ec2_volume_check(c, &s);
    cJSON *before = rc ? NULL : cJSON_Duplicate(v, 1);
    if (!rc) {
        vol_set_perf(v, &s);
        rc = vol_save(c->tx, c->scope, v, clk_now_ms(&c->app->clock), c->eb);
    }
    if (!rc) {
        cJSON *mod = cJSON_AddObjectToObject(c->out, "VolumeModification");
        cJSON_AddStringToObject(mod, "VolumeId", id);
        cJSON_AddStringToObject(mod, "ModificationState", "modifying");
        static const char *const members[] = {"Size", "Iops", "VolumeType", "Throughput",
                                              "MultiAttachEnabled"};
        for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
            vol_mod_member(mod, "Target", v, members[i]);
            vol_mod_member(mod, "Original", before, members[i]);
        }
        cJSON_AddNumberToObject(mod, "Progress", 0);
        cJSON_AddNumberToObject(mod, "StartTime", (double)clk_now_ms(&c->app->clock) / 1000.0);
    }
    cJSON_Delete(before);
    cJSON_Delete(v);
    return rc;
}

/* The one instance id names (*out owns it). */
static err_t vol_instance(api_ctx_t *c, const char *id, cJSON **out)
{
    cJSON *ids = cJSON_CreateArray(), *insts = NULL;
    cJSON_AddItemToArray(ids, cJSON_CreateString(id ? id : ""));
    err_t rc = ec2_load(c, ids, &insts);
    cJSON_Delete(ids);
    *out = rc ? NULL : cJSON_DetachItemFromArray(insts, 0);
    cJSON_Delete(insts);
    return rc;
}

/* The answer of Attach/DetachVolume: attachment a in state. */
static void vol_answer(api_ctx_t *c, const cJSON *a, const char *state)
{
    static const char *const keep[] = {"AttachTime",          "Device", "InstanceId", "VolumeId",
                                       "DeleteOnTermination", NULL};
    jx_copy(c->out, a, keep);
    cJSON_AddStringToObject(c->out, "State", state);
}

err_t ec2_attach_volume(api_ctx_t *c)
{
    cJSON *v = NULL, *inst = NULL;
    err_t rc = ec2_dry_run(c);
    const char *vid = api_in_str(c, "VolumeId"), *device = api_in_str(c, "Device");
    if (!rc) rc = vol_get(c, vid, &v);
    if (!rc) rc = vol_instance(c, api_in_str(c, "InstanceId"), &inst);
    const char *state = jx_str(v, "State");
    if (!rc && !strcmp(state, "in-use"))
        rc = err_fail(c->eb, ERR_EC2_VOL_IN_USE, "%s is already attached to an instance", vid);
    else if (!rc && strcmp(state, "available"))
        rc = err_fail(c->eb, ERR_EC2_VOL_STATE, "Volume '%s' is in the '%s' state.", vid, state);
    int st = inst ? ec2_state(inst) : EC2_PENDING;
    if (!rc && st != EC2_RUNNING && st != EC2_STOPPED)
        rc = err_fail(c->eb, ERR_EC2_INCORRECT_STATE, "Instance '%s' is not 'running'.",
                      jx_str(inst, "InstanceId"));
    if (!rc) rc = ec2_volume_attach(c, v, inst, device, false);
    if (!rc) rc = ec2_save(c->tx, c->scope, inst, clk_now_ms(&c->app->clock), c->eb);
    if (!rc)
        vol_answer(c, cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(v, "Attachments"), 0),
                   "attaching");
    cJSON_Delete(v);
    cJSON_Delete(inst);
    return rc;
}

err_t ec2_detach_volume(api_ctx_t *c)
{
    cJSON *v = NULL, *inst = NULL;
    err_t rc = ec2_dry_run(c);
    const char *vid = api_in_str(c, "VolumeId"), *want = api_in_str(c, "InstanceId");
    if (!rc) rc = vol_get(c, vid, &v);
    cJSON *atts = cJSON_GetObjectItemCaseSensitive(v, "Attachments");
    cJSON *a = cJSON_GetArrayItem(atts, 0);
    if (!rc && !a)
        rc = err_fail(c->eb, ERR_EC2_VOL_STATE, "Volume '%s' is in the '%s' state.", vid,
                      jx_str(v, "State"));
    if (!rc && want && strcmp(want, jx_str(a, "InstanceId")))
        rc = err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                      "Volume '%s' is not attached to instance '%s'", vid, want);
    if (!rc) rc = vol_instance(c, jx_str(a, "InstanceId"), &inst);
    const char *root = jx_str(inst, "RootDeviceName");
    if (!rc && root && !strcmp(root, jx_str(a, "Device")) && ec2_state(inst) != EC2_STOPPED)
        rc = err_fail(c->eb, ERR_EC2_VOL_STATE,
                      "Unable to detach root volume '%s' from instance '%s'", vid,
                      jx_str(inst, "InstanceId"));
    int64_t now = clk_now_ms(&c->app->clock);
    if (!rc) {
        vol_answer(c, a, "detaching");
        cJSON *bdm = cJSON_GetObjectItemCaseSensitive(inst, "BlockDeviceMappings");
        for (cJSON *m = bdm ? bdm->child : NULL; m; m = m->next)
            if (!strcmp(jx_str(cJSON_GetObjectItemCaseSensitive(m, "Ebs"), "VolumeId")
                            ? jx_str(cJSON_GetObjectItemCaseSensitive(m, "Ebs"), "VolumeId")
                            : "",
                        vid)) {
                cJSON_Delete(cJSON_DetachItemViaPointer(bdm, m));
                break;
            }
        jx_set(v, "Attachments", cJSON_CreateArray());
        jx_set_str(v, "State", "available");
        rc = vol_save(c->tx, c->scope, v, now, c->eb);
    }
    if (!rc) rc = ec2_save(c->tx, c->scope, inst, now, c->eb);
    cJSON_Delete(v);
    cJSON_Delete(inst);
    return rc;
}
