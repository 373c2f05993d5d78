/* types.c - the resource types stacks can hold: the table's generic create / check /
 * remove / update (types_int.h), the helpers the rows' hooks share, and the look-up the
 * stack job uses. Each call works through the public API of the service that owns the
 * resource (the in-process client, as the stack's principal), so IAM applies to a
 * stack's work exactly as to its caller's own calls. */
#include "svc/cloudformation/types_int.h"
#include "core/jx.h"

#include "core/ids.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

err_t cfn_call(cfn_step_t *s, const char *service, const char *op, const cJSON *in, cJSON **out)
{
    cJSON *copy = cJSON_Duplicate(in, 1), *dropped = NULL;
    err_t rc = api_client_call_tx(s->app, s->tx, s->post, s->arena, s->as, service, op, copy,
                                  out ? out : &dropped, s->eb);
    cJSON_Delete(copy);
    cJSON_Delete(dropped);
    if (rc && !strcmp(service, "ec2")) {
        /* CloudFormation reports EC2's refusals as "API: ec2:RunInstances <message>" */
        char prefix[96];
        int n = snprintf(prefix, sizeof(prefix), "API: %s:%s ", service, op);
        size_t len = strlen(s->eb->msg), cap = sizeof(s->eb->msg);
        if (n > 0 && (size_t)n < cap) {
            if (len + (size_t)n >= cap) len = cap - 1 - (size_t)n; /* keep the message's head */
            memmove(s->eb->msg + n, s->eb->msg, len);
            memcpy(s->eb->msg, prefix, (size_t)n);
            s->eb->msg[n + len] = '\0';
        }
    }
    return rc;
}

bool cfn_err_is(err_t rc, const char *service, const char *code)
{
    if (!rc || !code) return false;
    err_proto_t p = !strcmp(service, "ec2")   ? ERR_PROTO_EC2
                    : !strcmp(service, "iam") ? ERR_PROTO_QUERY
                                              : ERR_PROTO_JSON;
    return !strcmp(err_code(rc, p), code);
}

err_t cfn_call_gone(cfn_step_t *s, const char *service, const char *op, const cJSON *in,
                    const char *gone)
{
    err_t rc = cfn_call(s, service, op, in, NULL);
    return cfn_err_is(rc, service, gone) ? ERR_OK : rc;
}

cJSON *cfn_obj1(const char *member, const char *value)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, member, value ? value : "");
    return o;
}

/* One step of a path over v ("Member", "Member[]", "Member[2]"); rest is what follows. */
static cJSON *path_step(const cJSON *v, const char *seg, size_t len, const char *rest)
{
    char name[128];
    const char *br = memchr(seg, '[', len);
    size_t nlen = br ? (size_t)(br - seg) : len;
    if (nlen >= sizeof(name)) return NULL;
    memcpy(name, seg, nlen);
    name[nlen] = '\0';
    const cJSON *m = nlen ? cJSON_GetObjectItemCaseSensitive(v, name) : v;
    if (!m) return NULL;
    if (br && br[1] == ']') { /* map the rest over the array */
        if (!cJSON_IsArray(m)) return NULL;
        cJSON *arr = cJSON_CreateArray();
        for (const cJSON *e = m->child; e; e = e->next) {
            cJSON *x = rest ? cfn_path(e, rest) : cJSON_Duplicate(e, 1);
            if (x) cJSON_AddItemToArray(arr, x);
        }
        return arr;
    }
    if (br) m = cJSON_GetArrayItem(m, (int)strtol(br + 1, NULL, 10));
    if (!m) return NULL;
    return rest ? cfn_path(m, rest) : cJSON_Duplicate(m, 1);
}

cJSON *cfn_path(const cJSON *o, const char *path)
{
    if (!o || !path) return NULL;
    const char *dot = strchr(path, '.');
    size_t len = dot ? (size_t)(dot - path) : strlen(path);
    return path_step(o, path, len, dot ? dot + 1 : NULL);
}

/* The string at path in out, else in (numbers as text), in s->arena; NULL when neither. */
static const char *path_str(cfn_step_t *s, const cJSON *out, const cJSON *in, const char *path)
{
    cJSON *v = cfn_path(out, path);
    if (!v) v = cfn_path(in, path);
    const char *r = NULL;
    if (cJSON_IsString(v)) r = arena_strdup(s->arena, v->valuestring);
    if (cJSON_IsNumber(v)) r = arena_printf(s->arena, "%lld", (long long)v->valuedouble);
    cJSON_Delete(v);
    return r;
}

void cfn_set_result(cJSON *res, const cfn_spec_t *spec, const char *id, const cJSON *out,
                    const cJSON *in)
{
    if (id) jx_set_str(res, "PhysicalResourceId", id);
    cJSON *attrs = cJSON_CreateObject();
    for (const cfn_attr_t *a = spec->attrs; a && a->name; a++) {
        cJSON *v = cfn_path(out, a->path);
        if (!v) v = cfn_path(in, a->path);
        if (cJSON_IsNumber(v)) { /* GetAtt values are text, as CloudFormation gives them */
            char num[32];
            snprintf(num, sizeof(num), "%lld", (long long)v->valuedouble);
            cJSON_Delete(v);
            v = cJSON_CreateString(num);
        }
        if (v) cJSON_AddItemToObject(attrs, a->name, v);
    }
    jx_set(res, "_Attrs", attrs);
}

const char *cfn_gen_name(cfn_step_t *s, const cJSON *res, int max)
{
    char rnd[32];
    ids_chars(&s->app->ids, "", IDS_UPPER_ALNUM, 12, rnd);
    const char *stack = jx_str(s->stack, "StackName"), *logical = jx_str(res, "LogicalResourceId");
    if (max <= 0) max = 255;
    int room = max - 14; /* two dashes and the random part */
    int sl = (int)strlen(stack), ll = (int)strlen(logical);
    if (sl + ll > room) { /* cut both, the stack name first, as CloudFormation does */
        int half = room / 2;
        if (ll < half)
            sl = room - ll;
        else if (sl < half)
            ll = room - sl;
        else
            sl = half, ll = room - half;
    }
    return arena_printf(s->arena, "%.*s-%.*s-%s", sl, stack, ll, logical, rnd);
}

/* Does a tag list hold key? */
static bool cfn_has_tag(const cJSON *tags, const char *key)
{
    for (const cJSON *t = tags ? tags->child : NULL; t; t = t->next)
        if (key && jx_str(t, "Key") && !strcmp(jx_str(t, "Key"), key)) return true;
    return false;
}

cJSON *cfn_ec2_tags(const cfn_step_t *s, const cJSON *res, const cJSON *props)
{
    cJSON *tags = cJSON_CreateArray();
    const cJSON *user = cJSON_GetObjectItemCaseSensitive(props, "Tags");
    /* the stack's tags reach every resource that takes tags, as on AWS; a tag the
     * resource sets itself wins over the stack's of the same key */
    const cJSON *stack = cJSON_GetObjectItemCaseSensitive(s->stack, "Tags");
    for (const cJSON *t = stack ? stack->child : NULL; t; t = t->next)
        if (!cfn_has_tag(user, jx_str(t, "Key"))) cJSON_AddItemToArray(tags, cJSON_Duplicate(t, 1));
    for (const cJSON *t = user ? user->child : NULL; t; t = t->next)
        cJSON_AddItemToArray(tags, cJSON_Duplicate(t, 1));
    const char *sys[][2] = {{"aws:cloudformation:stack-name", jx_str(s->stack, "StackName")},
                            {"aws:cloudformation:stack-id", jx_str(s->stack, "StackId")},
                            {"aws:cloudformation:logical-id", jx_str(res, "LogicalResourceId")}};
    for (size_t i = 0; i < 3; i++) {
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "Key", sys[i][0]);
        cJSON_AddStringToObject(t, "Value", sys[i][1] ? sys[i][1] : "");
        cJSON_AddItemToArray(tags, t);
    }
    return tags;
}

/* Removes the tags of keys gone ([{Key}], taken over; none: nothing) from EC2 resource id. */
static err_t cfn_ec2_untag(cfn_step_t *s, const char *id, cJSON *gone)
{
    if (!cJSON_GetArraySize(gone)) {
        cJSON_Delete(gone);
        return ERR_OK;
    }
    cJSON *in = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(in, "Resources"), cJSON_CreateString(id));
    cJSON_AddItemToObject(in, "Tags", gone);
    err_t rc = cfn_call(s, "ec2", "DeleteTags", in, NULL);
    cJSON_Delete(in);
    return rc;
}

err_t cfn_ec2_retag(cfn_step_t *s, const char *id, const cJSON *res, const cJSON *old_props,
                    const cJSON *props)
{
    cJSON *in = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(in, "Resources"), cJSON_CreateString(id));
    cJSON_AddItemToObject(in, "Tags", cfn_ec2_tags(s, res, props));
    err_t rc = cfn_call(s, "ec2", "CreateTags", in, NULL);
    cJSON_Delete(in);
    /* tags the new template dropped */
    const cJSON *old_tags = cJSON_GetObjectItemCaseSensitive(old_props, "Tags");
    const cJSON *new_tags = cJSON_GetObjectItemCaseSensitive(props, "Tags");
    cJSON *gone = cJSON_CreateArray();
    for (const cJSON *t = old_tags ? old_tags->child : NULL; t; t = t->next) {
        const char *key = jx_str(t, "Key");
        bool kept = false;
        for (const cJSON *n = new_tags ? new_tags->child : NULL; n && !kept; n = n->next)
            kept = key && jx_str(n, "Key") && !strcmp(jx_str(n, "Key"), key);
        if (!kept && key) {
            cJSON *k = cfn_obj1("Key", key);
            cJSON_AddItemToArray(gone, k);
        }
    }
    if (rc) cJSON_Delete(gone);
    return rc ? rc : cfn_ec2_untag(s, id, gone);
}

const char *cfn_prop_str(cfn_step_t *s, const cJSON *props, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(props, name);
    if (cJSON_IsString(v)) return v->valuestring;
    if (cJSON_IsNumber(v)) return arena_printf(s->arena, "%lld", (long long)v->valuedouble);
    if (cJSON_IsBool(v)) return cJSON_IsTrue(v) ? "true" : "false";
    return NULL;
}

bool cfn_changed(const cJSON *old_props, const cJSON *props, const char *name)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(old_props, name);
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(props, name);
    if (!a || !b) return a != b;
    return !cJSON_Compare(a, b, true);
}

/* ---- the table */

static const cfn_spec_t *const cfn_tables[] = {cfn_iam_specs,   cfn_ec2_specs,  cfn_sg_specs,
                                               cfn_vpc_specs,   cfn_misc_specs, cfn_wait_specs,
                                               cfn_ssm_mw_specs};

static const cfn_spec_t *spec_of(const char *type)
{
    for (size_t t = 0; type && t < sizeof(cfn_tables) / sizeof(cfn_tables[0]); t++)
        for (const cfn_spec_t *sp = cfn_tables[t]; sp->type; sp++)
            if (!strcmp(sp->type, type)) return sp;
    return NULL;
}

static const cfn_prop_t *prop_of(const cfn_spec_t *spec, const char *name)
{
    for (const cfn_prop_t *p = spec->props; p && p->prop; p++)
        if (!strcmp(p->prop, name)) return p;
    return NULL;
}

/* Unknown properties and missing required ones, in CloudFormation's words. */
static err_t check_props(cfn_step_t *s, const cfn_spec_t *spec, const cJSON *props)
{
    for (const cJSON *p = props ? props->child : NULL; p; p = p->next)
        if (!prop_of(spec, p->string))
            return err_fail(s->eb, ERR_VALIDATION, "Encountered unsupported property %s",
                            p->string);
    for (const cfn_prop_t *p = spec->props; p && p->prop; p++)
        if ((p->flags & CFN_P_REQ) && !cJSON_GetObjectItemCaseSensitive(props, p->prop))
            return err_fail(s->eb, ERR_VALIDATION, "Property %s cannot be empty.", p->prop);
    return ERR_OK;
}

/* v as the create op takes it (flags: CFN_P_INT, _BOOL, _JSON), new. */
static cJSON *coerce(const cJSON *v, unsigned flags)
{
    if ((flags & CFN_P_INT) && cJSON_IsString(v)) {
        char *end;
        double d = strtod(v->valuestring, &end);
        if (*v->valuestring && !*end) return cJSON_CreateNumber(d);
    }
    if ((flags & CFN_P_BOOL) && cJSON_IsString(v)) {
        if (!strcmp(v->valuestring, "true")) return cJSON_CreateTrue();
        if (!strcmp(v->valuestring, "false")) return cJSON_CreateFalse();
    }
    if ((flags & CFN_P_JSON) && (cJSON_IsObject(v) || cJSON_IsArray(v))) {
        char *text = cJSON_PrintUnformatted(v);
        cJSON *r = cJSON_CreateString(text);
        cJSON_free(text);
        return r;
    }
    return cJSON_Duplicate(v, 1);
}

cJSON *cfn_prop_value(const cfn_spec_t *spec, const cJSON *props, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(props, name);
    const cfn_prop_t *p = prop_of(spec, name);
    return v ? coerce(v, p ? p->flags : 0) : NULL;
}

/* Nested members EC2's shapes type as numbers or booleans, which templates often write as
 * text ("VolumeSize": "20"); CloudFormation takes either. */
static const char *const nested_ints[] = {"VolumeSize",
                                          "Iops",
                                          "Throughput",
                                          "DeviceIndex",
                                          "CoreCount",
                                          "ThreadsPerCore",
                                          "FromPort",
                                          "ToPort",
                                          "Ipv6AddressCount",
                                          "SecondaryPrivateIpAddressCount",
                                          "HttpPutResponseHopLimit",
                                          NULL};
static const char *const nested_bools[] = {
    "DeleteOnTermination", "Encrypted", "AssociatePublicIpAddress", "Enabled", "Configured", NULL};

static bool named_in(const char *name, const char *const *list)
{
    for (; name && *list; list++)
        if (!strcmp(name, *list)) return true;
    return false;
}

/* Turns the text of nested numeric and boolean members of v into numbers and booleans. */
static void coerce_deep(cJSON *v)
{
    for (cJSON *c = v ? v->child : NULL; c; c = c->next) {
        if (cJSON_IsString(c) && c->string) {
            unsigned f = named_in(c->string, nested_ints)    ? CFN_P_INT
                         : named_in(c->string, nested_bools) ? CFN_P_BOOL
                                                             : 0;
            cJSON *r = f ? coerce(c, f) : NULL;
            if (r && !cJSON_IsString(r)) {
                /* the replacement takes the member's name (ViaPointer would leave it nameless) */
                cJSON_ReplaceItemInObjectCaseSensitive(v, c->string, r);
                c = r;
            } else {
                cJSON_Delete(r);
            }
        }
        if (cJSON_IsObject(c) || cJSON_IsArray(c)) coerce_deep(c);
    }
}

/* The create op's input from props (names generated, tags added), new. */
static cJSON *create_input(cfn_step_t *s, const cfn_spec_t *spec, const cJSON *res,
                           const cJSON *props)
{
    cJSON *in = cJSON_CreateObject();
    for (const cfn_prop_t *p = spec->props; p && p->prop; p++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(props, p->prop);
        const char *member = p->member ? p->member : p->prop;
        if (p->flags & CFN_P_TAGS) {
            cJSON *spec_tags = cJSON_CreateObject();
            cJSON_AddStringToObject(spec_tags, "ResourceType", spec->tag_type);
            cJSON_AddItemToObject(spec_tags, "Tags", cfn_ec2_tags(s, res, props));
            cJSON_AddItemToArray(cJSON_AddArrayToObject(in, "TagSpecifications"), spec_tags);
            continue;
        }
        if (p->flags & CFN_P_HOOK) continue;
        if (!v && (p->flags & CFN_P_NAME)) {
            const char *name = spec->name_form
                                   ? arena_printf(s->arena, "%s%s-%s", spec->name_form,
                                                  jx_str(res, "LogicalResourceId"),
                                                  strrchr(cfn_gen_name(s, res, 0), '-') + 1)
                                   : cfn_gen_name(s, res, spec->name_max);
            cJSON_AddStringToObject(in, member, name);
            continue;
        }
        if (v) cJSON_AddItemToObject(in, member, coerce(v, p->flags));
    }
    coerce_deep(in);
    return in;
}

/* The physical id: spec's "|"-joined paths over out, then in. */
static const char *physical_id(cfn_step_t *s, const cfn_spec_t *spec, const cJSON *out,
                               const cJSON *in)
{
    if (!spec->id_path) return NULL;
    const char *id = "";
    for (const char *p = spec->id_path; p;) {
        const char *bar = strchr(p, '|');
        char *one = arena_printf(s->arena, "%.*s", bar ? (int)(bar - p) : (int)strlen(p), p);
        const char *v = path_str(s, out, in, one);
        id = arena_printf(s->arena, "%s%s%s", id, p == spec->id_path ? "" : "|", v ? v : "");
        p = bar ? bar + 1 : NULL;
    }
    return id;
}

static err_t gen_create(cfn_step_t *s, cJSON *res, const cJSON *props)
{
    const cfn_spec_t *spec = spec_of(jx_str(res, "ResourceType"));
    err_t rc = check_props(s, spec, props);
    if (rc) return rc;
    cJSON *in = create_input(s, spec, res, props), *out = NULL;
    if (spec->create_op) rc = cfn_call(s, spec->service, spec->create_op, in, &out);
    if (!rc) cfn_set_result(res, spec, physical_id(s, spec, out, in), out, in);
    if (!rc && spec->after_create)
        rc = spec->after_create(s, spec, res, props, spec->create_op ? out : in);
    cJSON_Delete(in);
    cJSON_Delete(out);
    return rc;
}

static err_t gen_check(cfn_step_t *s, cJSON *res, bool deleting, cfn_progress_t *p, char *reason,
                       size_t cap)
{
    const cfn_spec_t *spec = spec_of(jx_str(res, "ResourceType"));
    *p = CFN_DONE;
    return spec && spec->check ? spec->check(s, spec, res, deleting, p, reason, cap) : ERR_OK;
}

static err_t gen_remove(cfn_step_t *s, cJSON *res)
{
    const cfn_spec_t *spec = spec_of(jx_str(res, "ResourceType"));
    const char *id = jx_str(res, "PhysicalResourceId");
    if (!id) return ERR_OK;
    err_t rc = spec->before_delete ? spec->before_delete(s, spec, res) : ERR_OK;
    if (cfn_err_is(rc, spec->service, spec->gone)) return ERR_OK; /* deleted by hand */
    if (rc || !spec->delete_op) return rc;
    /* the delete input: the physical id's "|"-parts into the "|"-joined members */
    cJSON *in = cJSON_CreateObject();
    const char *m = spec->delete_member, *v = id;
    while (m) {
        const char *mb = strchr(m, '|'), *vb = v ? strchr(v, '|') : NULL;
        char *member = arena_printf(s->arena, "%.*s", mb ? (int)(mb - m) : (int)strlen(m), m);
        char *val = v ? arena_printf(s->arena, "%.*s", vb ? (int)(vb - v) : (int)strlen(v), v) : "";
        cJSON_AddStringToObject(in, member, val);
        m = mb ? mb + 1 : NULL;
        v = vb ? vb + 1 : NULL;
    }
    rc = cfn_call_gone(s, spec->service, spec->delete_op, in, spec->gone);
    cJSON_Delete(in);
    return rc;
}

/* Whether name is a property of old or new that changed and may not change in place. */
static bool needs_replacing(const cfn_spec_t *spec, const cJSON *old_props, const cJSON *props,
                            const char *name)
{
    const cfn_prop_t *p = prop_of(spec, name);
    return cfn_changed(old_props, props, name) && (!p || !(p->flags & CFN_P_MUTABLE));
}

static err_t gen_update(cfn_step_t *s, cJSON *res, const cJSON *old_props, const cJSON *props,
                        bool *replace)
{
    const cfn_spec_t *spec = spec_of(jx_str(res, "ResourceType"));
    err_t rc = check_props(s, spec, props);
    *replace = false;
    for (const cJSON *p = props ? props->child : NULL; !rc && p && !*replace; p = p->next)
        *replace = needs_replacing(spec, old_props, props, p->string);
    for (const cJSON *p = old_props ? old_props->child : NULL; !rc && p && !*replace; p = p->next)
        *replace = needs_replacing(spec, old_props, props, p->string);
    if (rc) return rc;
    if (*replace) {
        /* a name the template gives cannot be taken twice */
        for (const cfn_prop_t *p = spec->props; p && p->prop; p++)
            if ((p->flags & CFN_P_NAME) && cJSON_GetObjectItemCaseSensitive(props, p->prop) &&
                !cfn_changed(old_props, props, p->prop))
                return err_fail(s->eb, ERR_VALIDATION,
                                "CloudFormation cannot update a stack when a custom-named resource "
                                "requires replacing. Rename %s and update the stack again.",
                                cfn_prop_str(s, props, p->prop));
        return ERR_OK;
    }
    const char *id = jx_str(res, "PhysicalResourceId");
    for (const cfn_prop_t *p = spec->props; p && p->prop && !rc; p++)
        if ((p->flags & CFN_P_TAGS) && cfn_changed(old_props, props, p->prop))
            rc = cfn_ec2_retag(s, id, res, old_props, props);
    if (!rc && spec->update) rc = spec->update(s, spec, res, old_props, props);
    return rc;
}

err_t cfn_ec2_stack_retag(cfn_step_t *s, const cJSON *res, const cJSON *props,
                          const cJSON *old_stack_tags)
{
    const cfn_spec_t *spec = spec_of(jx_str(res, "ResourceType"));
    const char *id = jx_str(res, "PhysicalResourceId");
    bool tagged = false;
    for (const cfn_prop_t *p = spec ? spec->props : NULL; p && p->prop; p++)
        tagged = tagged || (p->flags & CFN_P_TAGS);
    if (!tagged || !id) return ERR_OK;
    cJSON *in = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(in, "Resources"), cJSON_CreateString(id));
    cJSON_AddItemToObject(in, "Tags", cfn_ec2_tags(s, res, props));
    err_t rc = cfn_call(s, "ec2", "CreateTags", in, NULL);
    cJSON_Delete(in);
    /* the stack's tags it no longer has (unless the resource sets them itself) */
    const cJSON *now = cJSON_GetObjectItemCaseSensitive(s->stack, "Tags");
    const cJSON *own = cJSON_GetObjectItemCaseSensitive(props, "Tags");
    cJSON *gone = cJSON_CreateArray();
    for (const cJSON *t = old_stack_tags ? old_stack_tags->child : NULL; t; t = t->next) {
        const char *key = jx_str(t, "Key");
        if (key && !cfn_has_tag(now, key) && !cfn_has_tag(own, key))
            cJSON_AddItemToArray(gone, cfn_obj1("Key", key));
    }
    if (rc) cJSON_Delete(gone);
    return rc ? rc : cfn_ec2_untag(s, id, gone);
}

int cfn_table_replaces(const char *type, const char *prop)
{
    const cfn_spec_t *spec = spec_of(type);
    if (!spec) return -1;
    const cfn_prop_t *p = prop_of(spec, prop);
    return p && (p->flags & CFN_P_MUTABLE) ? 0 : 1;
}

/* One cfn_type_t per row, named as the row (what callers show, e.g. in messages), all
 * with the generic functions; and the supported list. Built once. */
#define CFN_MAX_TYPES 64
static cfn_type_t cfn_types[CFN_MAX_TYPES];
static size_t cfn_n_types;
static char cfn_supported[4096];
static pthread_once_t cfn_types_once = PTHREAD_ONCE_INIT;

static void types_build(void)
{
    size_t n = 0;
    for (size_t t = 0; t < sizeof(cfn_tables) / sizeof(cfn_tables[0]); t++)
        for (const cfn_spec_t *sp = cfn_tables[t]; sp->type; sp++) {
            if (cfn_n_types < CFN_MAX_TYPES)
                cfn_types[cfn_n_types++] =
                    (cfn_type_t){sp->type, gen_create, gen_check, gen_remove, gen_update};
            if (n < sizeof(cfn_supported))
                n += (size_t)snprintf(cfn_supported + n, sizeof(cfn_supported) - n, "%s%s",
                                      n ? ", " : "", sp->type);
        }
}

const cfn_type_t *cfn_type(const char *name)
{
    pthread_once(&cfn_types_once, types_build);
    for (size_t i = 0; name && i < cfn_n_types; i++)
        if (!strcmp(cfn_types[i].name, name)) return &cfn_types[i];
    return NULL;
}

const char *cfn_supported_types(void)
{
    pthread_once(&cfn_types_once, types_build);
    return cfn_supported;
}
