/* images.c - EC2 images: CreateImage, DescribeImages, DeregisterImage. The account's own
 * images are resources of kind "ec2.image" (row name = image name, unique while the image
 * exists); CreateImage leaves an image `pending` and a durable job ("ec2.image") makes it
 * `available` after the emulated delay. The public catalogue (data/ec2-images) is listed
 * beside them with ids derived from the region and the image name. */
#include "svc/ec2/ec2_int.h"
#include "core/jx.h"

#include "core/clk.h"
#include "core/enc.h"
#include "core/ids.h"
#include "core/log.h"

#include <stdio.h>
#include <string.h>

/* ami- followed by 8 or 17 lower-case hex digits. */
static bool ec2_ami_ok(const char *id)
{
    size_t n = strlen(id);
    if (strncmp(id, "ami-", 4) || (n != 12 && n != 21)) return false;
    return strspn(id + 4, "0123456789abcdef") == n - 4;
}

/* The catalogue image's id in this region: the id its "ImageIds" gives for the region
 * (images old templates name by id, such as ami-08842d60 in us-east-1), else ami- and 17 hex
 * digits of FNV-1a hashes of "region/name", stable for a deployment. */
static void ec2_public_id(const char *region, const cJSON *im, char out[32])
{
    const char *fixed = jx_str(cJSON_GetObjectItemCaseSensitive(im, "ImageIds"), region);
    if (fixed) {
        snprintf(out, 32, "%s", fixed);
        return;
    }
    char key[300];
    snprintf(key, sizeof(key), "%s/%s", region, jx_str(im, "Name") ? jx_str(im, "Name") : "");
    uint32_t a = span_fnv1a(SPAN_FNV_BASIS, span_of(key));
    uint32_t b = span_fnv1a(a ^ 0x9e3779b9u, span_of(key));
    snprintf(out, 32, "ami-0%08x%08x", a, b);
}

/* The public catalogue as Image bodies (new array). */
static cJSON *ec2_public(api_ctx_t *c)
{
    cJSON *all = cJSON_CreateArray();
    for (size_t i = 0; i < ec2_n_public_images; i++) {
        cJSON *im = cJSON_Parse(ec2_public_images[i]);
        if (!im) continue;
        char id[32];
        ec2_public_id(c->region, im, id);
        cJSON_DeleteItemFromObjectCaseSensitive(im, "ImageIds");
        cJSON_AddStringToObject(im, "ImageId", id);
        if (!jx_str(im, "Architecture")) cJSON_AddStringToObject(im, "Architecture", "x86_64");
        cJSON_AddStringToObject(im, "ImageLocation",
                                arena_printf(c->arena, "%s/%s",
                                             jx_str(im, "ImageOwnerAlias")
                                                 ? jx_str(im, "ImageOwnerAlias")
                                                 : jx_str(im, "OwnerId"),
                                             jx_str(im, "Name")));
        cJSON_AddStringToObject(im, "ImageType", "machine");
        cJSON_AddBoolToObject(im, "Public", true);
        cJSON_AddStringToObject(im, "PlatformDetails", "Linux/UNIX");
        cJSON_AddStringToObject(im, "UsageOperation", "RunInstances");
        cJSON_AddStringToObject(im, "State", "available");
        cJSON_AddArrayToObject(im, "BlockDeviceMappings");
        cJSON_AddBoolToObject(im, "EnaSupport", true);
        cJSON_AddStringToObject(im, "Hypervisor", "xen");
        cJSON_AddStringToObject(im, "RootDeviceType", "ebs");
        cJSON_AddStringToObject(im, "SriovNetSupport", "simple");
        cJSON_AddStringToObject(im, "VirtualizationType", "hvm");
        cJSON_AddItemToArray(all, im);
    }
    return all;
}

const char *ec2_public_param(size_t i, const char *region, char id[32], char created[32])
{
    if (i >= ec2_n_public_params) return NULL;
    cJSON *im = cJSON_Parse(ec2_public_images[ec2_public_params[i].image]);
    ec2_public_id(region, im, id);
    snprintf(created, 32, "%s", jx_str(im, "CreationDate") ? jx_str(im, "CreationDate") : "");
    cJSON_Delete(im);
    return ec2_public_params[i].name;
}

err_t ec2_image_find(api_ctx_t *c, const char *id, cJSON **out)
{
    err_t rc = res_get(c->tx, &(res_key_t){c->scope, EC2_IMAGE, id}, out, c->eb);
    if (rc || *out) return rc;
    cJSON *pub = ec2_public(c);
    for (cJSON *im = pub->child; im && !*out; im = im->next)
        if (!strcmp(jx_str(im, "ImageId"), id)) *out = cJSON_DetachItemViaPointer(pub, im);
    cJSON_Delete(pub);
    return ERR_OK;
}

err_t ec2_image_for_launch(api_ctx_t *c, const char *id, cJSON **out)
{
    *out = NULL;
    if (!ec2_ami_ok(id))
        return err_fail(c->eb, ERR_EC2_AMI_MALFORMED, "Invalid id: \"%s\" (expecting \"ami-...\")",
                        id);
    err_t rc = ec2_image_find(c, id, out);
    if (!rc && !*out)
        return err_fail(c->eb, ERR_EC2_AMI_NOT_FOUND, "The image id '[%s]' does not exist", id);
    const char *state = rc ? "available" : jx_str(*out, "State");
    if (strcmp(state, "available")) {
        rc = err_fail(c->eb, ERR_EC2_AMI_UNAVAILABLE, "AMI '%s' is %s, and cannot be run", id,
                      state);
        cJSON_Delete(*out);
        *out = NULL;
    }
    return rc;
}

/* Names: 3 to 128 of letters, digits ( ) [ ] space . / - ' @ _ (EC2's rule). */
static bool ec2_ami_name_ok(const char *n)
{
    size_t len = strlen(n);
    if (len < 3 || len > 128) return false;
    for (const char *p = n; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("()[] ./-'@_", *p)))
            return false;
    return true;
}

static void ec2_copy(cJSON *to, const cJSON *from, const char *member)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(from, member);
    if (v) cJSON_AddItemToObject(to, member, cJSON_Duplicate(v, 1));
}

err_t ec2_create_image(api_ctx_t *c)
{
    err_t rc = ec2_dry_run(c);
    if (rc) return rc;
    const char *name = api_in_str(c, "Name");
    if (!ec2_ami_name_ok(name))
        return err_fail(c->eb, ERR_EC2_AMI_NAME_MALFORMED,
                        "AMI names must be between 3 and 128 characters long, and may contain "
                        "letters, numbers, '(', ')', '.', '-', '/' and '_'");
    cJSON *ids = cJSON_CreateArray(), *insts = NULL, *same = NULL;
    cJSON_AddItemToArray(ids, cJSON_CreateString(api_in_str(c, "InstanceId")));
    rc = ec2_load(c, ids, &insts);
    cJSON_Delete(ids);
    cJSON *inst = insts ? insts->child : NULL;
    int st = inst ? ec2_state(inst) : EC2_PENDING;
    if (!rc && st != EC2_RUNNING && st != EC2_STOPPING && st != EC2_STOPPED)
        rc = err_fail(c->eb, ERR_EC2_INCORRECT_STATE,
                      "The instance '%s' is not in a state from which an image can be created "
                      "(it is %s).",
                      jx_str(inst, "InstanceId"), ec2_state_name(st));
    if (!rc) rc = res_get_by_name(c->tx, c->scope, EC2_IMAGE, name, &same, c->eb);
    if (!rc && same)
        rc = err_fail(c->eb, ERR_EC2_AMI_NAME_DUPLICATE, "AMI name %s is already in use by AMI %s",
                      name, jx_str(same, "ImageId"));
    cJSON_Delete(same);
    if (rc) {
        cJSON_Delete(insts);
        return rc;
    }
    char id[32];
    ids_chars(&c->app->ids, "ami-", IDS_HEX, 17, id);
    int64_t now = clk_now_ms(&c->app->clock);
    char when[32];
    enc_iso8601(now, when);
    cJSON *im = cJSON_CreateObject();
    cJSON_AddStringToObject(im, "ImageId", id);
    cJSON_AddStringToObject(im, "Name", name);
    if (api_in_str(c, "Description"))
        cJSON_AddStringToObject(im, "Description", api_in_str(c, "Description"));
    cJSON_AddStringToObject(im, "OwnerId", c->account);
    cJSON_AddStringToObject(im, "CreationDate", when);
    cJSON_AddStringToObject(im, "ImageLocation", arena_printf(c->arena, "%s/%s", c->account, name));
    cJSON_AddStringToObject(im, "ImageType", "machine");
    cJSON_AddBoolToObject(im, "Public", false);
    cJSON_AddStringToObject(im, "State", "pending");
    cJSON_AddArrayToObject(im, "BlockDeviceMappings");
    static const char *const copied[] = {"Architecture",   "PlatformDetails",   "UsageOperation",
                                         "RootDeviceName", "RootDeviceType",    "EnaSupport",
                                         "Hypervisor",     "VirtualizationType"};
    for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]); i++) ec2_copy(im, inst, copied[i]);
    cJSON *tags = ec2_spec_tags(c->in, "image", false);
    if (cJSON_GetArraySize(tags))
        cJSON_AddItemToObject(im, "Tags", tags);
    else
        cJSON_Delete(tags);
    cJSON_AddStringToObject(im, "_SourceInstanceId", jx_str(inst, "InstanceId"));
    res_row_t row = {.name = name, .state = "pending", .created_ms = now};
    rc = res_insert(c->tx, &(res_key_t){c->scope, EC2_IMAGE, id}, &row, im, c->eb);
    /* without NoReboot EC2 shuts the running instance down and reboots it for the snapshot */
    bool noreboot = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c->in, "NoReboot"));
    if (!rc && !noreboot && st == EC2_RUNNING) {
        rc = ec2_transition(c, inst, "reboot", NULL);
        if (!rc) rc = ec2_save(c->tx, c->scope, inst, now, c->eb);
    }
    char payload[192];
    snprintf(payload, sizeof(payload), "{\"id\":\"%s\",\"account\":\"%s\",\"region\":\"%s\"}", id,
             c->account, c->region);
    if (!rc)
        rc = engine_enqueue(c->tx, &c->app->ids, EC2_IMAGE_JOB, payload,
                            now + c->app->cfg.ec2_delay_ms, 10, NULL, c->eb);
    cJSON_Delete(im);
    cJSON_Delete(insts);
    if (rc) return rc;
    c->post |= API_POST_WAKE_ENGINE;
    cJSON_AddStringToObject(c->out, "ImageId", id);
    return ERR_OK;
}

/* The image the job payload names (NULL id when the payload is malformed). */
static const char *ec2_image_payload(engine_run_t *r)
{
    cJSON *p = cJSON_Parse(r->payload);
    const char *id = jx_str(p, "id");
    const char *out = id ? arena_strdup(r->arena, id) : NULL;
    cJSON_Delete(p);
    return out;
}

/* Ends the image's creation in the job's transaction: `available`, or `failed` with a
 * StateReason; then whoever waits on it (an aws:createImage step) runs. An image
 * deregistered meanwhile is left alone. */
static err_t ec2_image_end(engine_run_t *r, const char *id, const char *failure)
{
    app_t *app = r->app;
    app_where_t w;
    app_where_of(app, r->payload, &w);
    err_t rc;
    store_tx_t *tx = engine_tx(r, &rc);
    cJSON *im = NULL;
    if (tx) rc = res_get(tx, &(res_key_t){w.scope, EC2_IMAGE, id}, &im, r->eb);
    if (!rc && im && !strcmp(jx_str(im, "State"), "pending")) {
        int64_t now = clk_now_ms(&app->clock);
        jx_set(im, "State", cJSON_CreateString(failure ? "failed" : "available"));
        if (failure) {
            cJSON *sr = cJSON_CreateObject();
            cJSON_AddStringToObject(sr, "Code", "Server.InternalError");
            cJSON_AddStringToObject(sr, "Message", failure);
            jx_set(im, "StateReason", sr);
            log_warn("image creation failed", "\"image\":\"%s\"", id);
        }
        rc = res_update(tx, &(res_key_t){w.scope, EC2_IMAGE, id}, jx_str(im, "State"), now, im,
                        NULL, r->eb);
        if (!rc) rc = engine_signal(tx, arena_printf(r->arena, "ec2.image:%s", id), now, r->eb);
    }
    cJSON_Delete(im);
    return rc;
}

err_t ec2_image_step(engine_run_t *r)
{
    const char *id = ec2_image_payload(r);
    if (!id) {
        engine_fail(r);
        return err_fail(r->eb, ERR_INTERNAL, "malformed ec2 image payload");
    }
    err_t rc = ec2_image_end(r, id, NULL);
    if (!rc) engine_done(r);
    return rc;
}

err_t ec2_image_giveup(engine_run_t *r, const char *why)
{
    const char *id = ec2_image_payload(r);
    if (!id) return ERR_OK; /* no image to close */
    return ec2_image_end(r, id,
                         arena_printf(r->arena, "The image creation %s and was set aside.", why));
}

/* ---- DescribeImages */

static int ec2_image_filter_values(const cJSON *im, const char *name, const char **vals, int cap,
                                   char *scratch)
{
    static const struct {
        const char *filter, *member;
    } plain[] = {{"image-id", "ImageId"},
                 {"name", "Name"},
                 {"state", "State"},
                 {"owner-id", "OwnerId"},
                 {"owner-alias", "ImageOwnerAlias"},
                 {"architecture", "Architecture"},
                 {"description", "Description"},
                 {"image-type", "ImageType"},
                 {"platform-details", "PlatformDetails"},
                 {"root-device-name", "RootDeviceName"},
                 {"root-device-type", "RootDeviceType"},
                 {"virtualization-type", "VirtualizationType"},
                 {"hypervisor", "Hypervisor"},
                 {"manifest-location", "ImageLocation"}};
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        if (!strcmp(name, plain[i].filter)) {
            vals[0] = jx_str(im, plain[i].member);
            return vals[0] ? 1 : 0;
        }
    if (!strcmp(name, "is-public")) {
        snprintf(scratch, 16, "%s",
                 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(im, "Public")) ? "true" : "false");
        return vals[0] = scratch, 1;
    }
    return ec2_tag_filter_values(im, name, vals, cap);
}

/* Whether Owners (absent: any) admits im: self, amazon, aws-marketplace or an account id;
 * and ExecutableUsers (absent: any): all (public images), self (what the account may
 * launch: its own and public ones) or the account's id (its own). */
static bool ec2_owner_ok(api_ctx_t *c, const cJSON *im)
{
    const cJSON *owners = cJSON_GetObjectItemCaseSensitive(c->in, "Owners");
    const cJSON *users = cJSON_GetObjectItemCaseSensitive(c->in, "ExecutableUsers");
    const char *owner = jx_str(im, "OwnerId"), *alias = jx_str(im, "ImageOwnerAlias");
    bool own = !strcmp(owner, c->account);
    bool pub = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(im, "Public"));
    bool by_owner = !cJSON_GetArraySize(owners), by_user = !cJSON_GetArraySize(users);
    for (const cJSON *o = owners ? owners->child : NULL; o && !by_owner; o = o->next)
        by_owner = (!strcmp(o->valuestring, "self") && own) ||
                   (alias && !strcmp(o->valuestring, alias)) || !strcmp(o->valuestring, owner);
    for (const cJSON *u = users ? users->child : NULL; u && !by_user; u = u->next)
        by_user = (!strcmp(u->valuestring, "all") && pub) ||
                  (!strcmp(u->valuestring, "self") && (own || pub)) ||
                  (!strcmp(u->valuestring, c->account) && own);
    return by_owner && by_user;
}

err_t ec2_describe_images(api_ctx_t *c)
{
    err_t rc = ec2_dry_run(c);
    if (rc) return rc;
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(c->in, "ImageIds");
    const cJSON *filters = cJSON_GetObjectItemCaseSensitive(c->in, "Filters");
    cJSON *found = cJSON_CreateArray();
    if (cJSON_GetArraySize(ids)) {
        /* every id must name an image: malformed ones first, then the missing ones */
        for (const cJSON *i = ids->child; !rc && i; i = i->next)
            if (!ec2_ami_ok(i->valuestring))
                rc = err_fail(c->eb, ERR_EC2_AMI_MALFORMED,
                              "Invalid id: \"%s\" (expecting \"ami-...\")", i->valuestring);
        buf_t missing;
        buf_init(&missing, 256);
        for (const cJSON *i = ids->child; !rc && i; i = i->next) {
            cJSON *im = NULL;
            rc = ec2_image_find(c, i->valuestring, &im);
            if (im)
                cJSON_AddItemToArray(found, im);
            else if (!rc)
                buf_printf(&missing, "%s%s", missing.len ? ", " : "", i->valuestring);
        }
        if (!rc && missing.len)
            rc = err_fail(c->eb, ERR_EC2_AMI_NOT_FOUND, "The image id '[%s]' does not exist",
                          buf_str(&missing));
        buf_free(&missing);
    } else {
        cJSON *own = cJSON_CreateArray();
        bool more;
        rc = res_list(c->tx, &(res_query_t){c->scope, EC2_IMAGE, NULL, 0, 0}, own, &more, c->eb);
        cJSON *pub = ec2_public(c);
        while (pub->child) cJSON_AddItemToArray(found, cJSON_DetachItemViaPointer(pub, pub->child));
        while (own->child) cJSON_AddItemToArray(found, cJSON_DetachItemViaPointer(own, own->child));
        cJSON_Delete(pub);
        cJSON_Delete(own);
    }
    cJSON *list = cJSON_AddArrayToObject(c->out, "Images");
    while (!rc && found->child) {
        cJSON *im = cJSON_DetachItemViaPointer(found, found->child);
        bool ok = ec2_owner_ok(c, im);
        if (ok) rc = ec2_filter_match(c, im, filters, ec2_image_filter_values, &ok);
        if (ok && !rc)
            cJSON_AddItemToArray(list, im);
        else
            cJSON_Delete(im);
    }
    cJSON_Delete(found);
    return rc;
}

err_t ec2_deregister_image(api_ctx_t *c)
{
    err_t rc = ec2_dry_run(c);
    const char *id = api_in_str(c, "ImageId");
    if (!rc && !ec2_ami_ok(id))
        rc = err_fail(c->eb, ERR_EC2_AMI_MALFORMED, "Invalid id: \"%s\" (expecting \"ami-...\")",
                      id);
    cJSON *im = NULL;
    if (!rc) rc = ec2_image_find(c, id, &im);
    if (!rc && !im)
        rc = err_fail(c->eb, ERR_EC2_AMI_NOT_FOUND, "The image id '[%s]' does not exist", id);
    if (!rc && strcmp(jx_str(im, "OwnerId"), c->account))
        rc = err_fail(c->eb, ERR_EC2_AUTH_FAILURE, "Not authorized for image:%s", id);
    if (!rc) rc = res_delete(c->tx, &(res_key_t){c->scope, EC2_IMAGE, id}, NULL, c->eb);
    cJSON_Delete(im);
    return rc;
}
