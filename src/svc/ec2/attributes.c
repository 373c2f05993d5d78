/* attributes.c - EC2 instance attributes: ModifyInstanceAttribute and
 * DescribeInstanceAttribute. Each attribute lives in the instance body: the ones the
 * model's Instance shows (InstanceType, SourceDestCheck, EbsOptimized, EnaSupport,
 * SecurityGroups) as themselves, the others as "_"-members the encoder drops (_UserData,
 * _disableApiTermination, _disableApiStop, _ShutdownBehavior). */
#include "svc/ec2/ec2_int.h"
#include "core/jx.h"

#include "core/clk.h"

#include <stdio.h>
#include <string.h>

typedef enum ec2_akind { A_STR, A_BOOL, A_GROUPS, A_EMPTY, A_LIST } ec2_akind_t;

/* One attribute: its name in Attribute, its member in the request and response, where the
 * instance keeps it, its default, and whether changing it needs a stopped instance. */
typedef struct ec2_attr {
    const char *name, *member, *stored;
    ec2_akind_t kind;
    const char *def;
    bool modifiable, needs_stopped;
} ec2_attr_t;

static const ec2_attr_t ec2_attrs[] = {
    {"instanceType", "InstanceType", "InstanceType", A_STR, "m1.small", true, true},
    {"userData", "UserData", "_UserData", A_STR, NULL, true, true},
    {"disableApiTermination", "DisableApiTermination", "_disableApiTermination", A_BOOL, "false",
     true, false},
    {"disableApiStop", "DisableApiStop", "_disableApiStop", A_BOOL, "false", true, false},
    {"instanceInitiatedShutdownBehavior", "InstanceInitiatedShutdownBehavior", "_ShutdownBehavior",
     A_STR, "stop", true, false},
    {"sourceDestCheck", "SourceDestCheck", "SourceDestCheck", A_BOOL, "true", true, false},
    {"ebsOptimized", "EbsOptimized", "EbsOptimized", A_BOOL, "false", true, true},
    {"enaSupport", "EnaSupport", "EnaSupport", A_BOOL, "true", true, true},
    {"groupSet", "Groups", "SecurityGroups", A_GROUPS, NULL, true, false},
    {"rootDeviceName", "RootDeviceName", "RootDeviceName", A_STR, NULL, false, false},
    {"kernel", "KernelId", NULL, A_EMPTY, NULL, false, false},
    {"ramdisk", "RamdiskId", NULL, A_EMPTY, NULL, false, false},
    {"sriovNetSupport", "SriovNetSupport", NULL, A_EMPTY, NULL, false, false},
    {"blockDeviceMapping", "BlockDeviceMappings", "BlockDeviceMappings", A_LIST, NULL, false,
     false},
    {"productCodes", "ProductCodes", "ProductCodes", A_LIST, NULL, false, false},
};
#define N_ATTRS (sizeof(ec2_attrs) / sizeof(ec2_attrs[0]))

static const ec2_attr_t *ec2_attr_named(const char *name)
{
    for (size_t i = 0; i < N_ATTRS; i++)
        if (!strcmp(ec2_attrs[i].name, name)) return &ec2_attrs[i];
    return NULL;
}

/* The one instance InstanceId names (*out owns it). */
static err_t ec2_one(api_ctx_t *c, cJSON **out)
{
    cJSON *ids = cJSON_CreateArray(), *insts = NULL;
    cJSON_AddItemToArray(ids, cJSON_CreateString(api_in_str(c, "InstanceId")));
    err_t rc = ec2_load(c, ids, &insts);
    cJSON_Delete(ids);
    *out = rc ? NULL : cJSON_DetachItemFromArray(insts, 0);
    cJSON_Delete(insts);
    return rc;
}

/* The attribute a ModifyInstanceAttribute request changes and its new value (a string,
 * a boolean or the group list; new item): the Attribute/Value form or exactly one of the
 * attribute members. */
static err_t ec2_wanted(api_ctx_t *c, const ec2_attr_t **attr, cJSON **value)
{
    int n = 0;
    *attr = NULL;
    *value = NULL;
    for (size_t i = 0; i < N_ATTRS; i++) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(c->in, ec2_attrs[i].member);
        if (!m || !ec2_attrs[i].modifiable) continue;
        if (n++) break;
        *attr = &ec2_attrs[i];
        const cJSON *v =
            ec2_attrs[i].kind == A_GROUPS ? m : cJSON_GetObjectItemCaseSensitive(m, "Value");
        *value = v ? cJSON_Duplicate(v, 1) : NULL;
    }
    const char *name = api_in_str(c, "Attribute");
    if (name && n == 0) {
        n++;
        *attr = ec2_attr_named(name);
        if (!*attr || !(*attr)->modifiable)
            return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                            "Value (%s) for parameter attribute is invalid. Unknown attribute.",
                            name);
        const char *v = api_in_str(c, "Value");
        if (v && (*attr)->kind == A_BOOL)
            *value = cJSON_CreateBool(!strcmp(v, "true") || !strcmp(v, "True"));
        else if (v)
            *value = cJSON_CreateString(v);
    } else if (name) {
        n++;
    }
    if (n == 0) return err_fail(c->eb, ERR_EC2_INVALID_COMBINATION, "No attributes specified.");
    if (n > 1) {
        cJSON_Delete(*value);
        *value = NULL;
        return err_fail(c->eb, ERR_EC2_INVALID_COMBINATION,
                        "Only one attribute can be modified at a time.");
    }
    if (!*value ||
        ((*attr)->kind == A_STR && (!cJSON_IsString(*value) || (strcmp((*attr)->name, "userData") &&
                                                                !(*value)->valuestring[0])))) {
        cJSON_Delete(*value);
        *value = NULL;
        return err_fail(c->eb, ERR_MISSING_PARAMETER,
                        "The request must contain the parameter %s.Value", (*attr)->member);
    }
    return ERR_OK;
}

err_t ec2_modify_instance_attribute(api_ctx_t *c)
{
    const ec2_attr_t *a = NULL;
    cJSON *value = NULL, *inst = NULL;
    err_t rc = ec2_wanted(c, &a, &value);
    if (!rc) rc = ec2_dry_run(c);
    if (!rc) rc = ec2_one(c, &inst);
    int st = inst ? ec2_state(inst) : EC2_PENDING;
    if (!rc && (st == EC2_TERMINATED || st == EC2_SHUTTING_DOWN))
        rc = err_fail(c->eb, ERR_EC2_INCORRECT_STATE,
                      "The instance '%s' is not in a state from which it can be modified.",
                      jx_str(inst, "InstanceId"));
    if (!rc && a->needs_stopped && st != EC2_STOPPED)
        rc = err_fail(c->eb, ERR_EC2_INCORRECT_STATE,
                      "The instance '%s' is not in the 'stopped' state.",
                      jx_str(inst, "InstanceId"));
    if (!rc && !strcmp(a->name, "instanceInitiatedShutdownBehavior") &&
        strcmp(value->valuestring, "stop") && strcmp(value->valuestring, "terminate"))
        rc = err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                      "Value (%s) for parameter instanceInitiatedShutdownBehavior is invalid. "
                      "Valid values are 'stop' and 'terminate'.",
                      value->valuestring);
    if (!rc && a->kind == A_GROUPS) {
        /* each group must exist, in the instance's VPC */
        cJSON *sgs = cJSON_CreateArray();
        for (const cJSON *g = value->child; !rc && g; g = g->next) {
            cJSON *found = NULL;
            rc = ec2_sg_get(c, g->valuestring, &found);
            const char *vpc = jx_str(inst, "VpcId");
            if (!rc && vpc && strcmp(vpc, jx_str(found, "VpcId")))
                rc = err_fail(c->eb, ERR_EC2_INVALID_PARAMETER_X,
                              "Security group %s and instance %s belong to different networks.",
                              g->valuestring, jx_str(inst, "InstanceId"));
            if (!rc) {
                cJSON *sg = cJSON_CreateObject();
                cJSON_AddStringToObject(sg, "GroupName", jx_str(found, "GroupName"));
                cJSON_AddStringToObject(sg, "GroupId", g->valuestring);
                cJSON_AddItemToArray(sgs, sg);
            }
            cJSON_Delete(found);
        }
        cJSON_Delete(value);
        value = sgs;
        /* the primary network interface carries the groups too */
        cJSON *eni =
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(inst, "NetworkInterfaces"), 0);
        if (!rc && eni) jx_set(eni, "Groups", cJSON_Duplicate(sgs, 1));
    }
    if (!rc) {
        jx_set(inst, a->stored, value);
        value = NULL;
        rc = ec2_save(c->tx, c->scope, inst, clk_now_ms(&c->app->clock), c->eb);
    }
    cJSON_Delete(value);
    cJSON_Delete(inst);
    return rc;
}

err_t ec2_describe_instance_attribute(api_ctx_t *c)
{
    const char *name = api_in_str(c, "Attribute");
    const ec2_attr_t *a = name ? ec2_attr_named(name) : NULL;
    if (!a && name && !strcmp(name, "enclaveOptions")) {
        cJSON *inst = NULL;
        err_t rc = ec2_dry_run(c);
        if (!rc) rc = ec2_one(c, &inst);
        if (!rc) {
            cJSON_AddStringToObject(c->out, "InstanceId", jx_str(inst, "InstanceId"));
            cJSON_AddBoolToObject(cJSON_AddObjectToObject(c->out, "EnclaveOptions"), "Enabled",
                                  false);
        }
        cJSON_Delete(inst);
        return rc;
    }
    if (!a)
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                        "Value (%s) for parameter attribute is invalid. Unknown attribute.",
                        name ? name : "");
    cJSON *inst = NULL;
    err_t rc = ec2_dry_run(c);
    if (!rc) rc = ec2_one(c, &inst);
    if (rc) return rc;
    cJSON_AddStringToObject(c->out, "InstanceId", jx_str(inst, "InstanceId"));
    const cJSON *have = a->stored ? cJSON_GetObjectItemCaseSensitive(inst, a->stored) : NULL;
    if (a->kind == A_GROUPS || a->kind == A_LIST) {
        cJSON *list = cJSON_AddArrayToObject(c->out, a->member);
        for (const cJSON *g = have ? have->child : NULL; g; g = g->next)
            cJSON_AddItemToArray(list, cJSON_Duplicate(g, 1));
    } else {
        cJSON *o = cJSON_AddObjectToObject(c->out, a->member);
        if (a->kind == A_BOOL)
            cJSON_AddBoolToObject(o, "Value", have ? cJSON_IsTrue(have) : !strcmp(a->def, "true"));
        else if (a->kind == A_STR && (cJSON_IsString(have) || a->def))
            cJSON_AddStringToObject(o, "Value", cJSON_IsString(have) ? have->valuestring : a->def);
    }
    cJSON_Delete(inst);
    return ERR_OK;
}
