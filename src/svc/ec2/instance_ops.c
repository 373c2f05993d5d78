/* instance_ops.c - small operations on running instances: MonitorInstances and
 * UnmonitorInstances (detailed monitoring, shown as Monitoring.State),
 * ModifyInstanceMetadataOptions (the instance metadata service's settings, shown as
 * MetadataOptions) and GetConsoleOutput. */
#include "svc/ec2/ec2_int.h"
#include "core/jx.h"

#include "core/clk.h"

#include <string.h>

/* Sets detailed monitoring of the request's instances on or off; answers each with the
 * state EC2 reports while it changes ("pending" / "disabling"). */
static err_t io_monitor(api_ctx_t *c, bool on)
{
    cJSON *insts = NULL;
    err_t rc = ec2_load(c, cJSON_GetObjectItemCaseSensitive(c->in, "InstanceIds"), &insts);
    if (!rc) rc = ec2_dry_run(c);
    cJSON *out = cJSON_AddArrayToObject(c->out, "InstanceMonitorings");
    int64_t now = clk_now_ms(&c->app->clock);
    for (cJSON *i = insts ? insts->child : NULL; !rc && i; i = i->next) {
        cJSON *mon = cJSON_CreateObject();
        cJSON_AddStringToObject(mon, "State", on ? "enabled" : "disabled");
        jx_set(i, "Monitoring", mon);
        rc = ec2_save(c->tx, c->scope, i, now, c->eb);
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "InstanceId", jx_str(i, "InstanceId"));
        cJSON *shown = cJSON_AddObjectToObject(m, "Monitoring");
        cJSON_AddStringToObject(shown, "State", on ? "pending" : "disabling");
        cJSON_AddItemToArray(out, m);
    }
    cJSON_Delete(insts);
    return rc;
}

err_t ec2_monitor_instances(api_ctx_t *c)
{
    return io_monitor(c, true);
}

err_t ec2_unmonitor_instances(api_ctx_t *c)
{
    return io_monitor(c, false);
}

/* The one instance of the request's InstanceId (*out owned by the caller). */
static err_t io_one(api_ctx_t *c, cJSON **out)
{
    cJSON *ids = cJSON_CreateArray(), *insts = NULL;
    cJSON_AddItemToArray(ids, cJSON_CreateString(api_in_str(c, "InstanceId")));
    err_t rc = ec2_load(c, ids, &insts);
    cJSON_Delete(ids);
    *out = rc ? NULL : cJSON_DetachItemFromArray(insts, 0);
    cJSON_Delete(insts);
    return rc;
}

cJSON *ec2_metadata_options(const cJSON *inst)
{
    const cJSON *have = cJSON_GetObjectItemCaseSensitive(inst, "MetadataOptions");
    if (have) return cJSON_Duplicate(have, 1);
    cJSON *o = cJSON_CreateObject(); /* EC2's defaults for an instance launched without any */
    cJSON_AddStringToObject(o, "State", "applied");
    cJSON_AddStringToObject(o, "HttpTokens", "optional");
    cJSON_AddNumberToObject(o, "HttpPutResponseHopLimit", 1);
    cJSON_AddStringToObject(o, "HttpEndpoint", "enabled");
    cJSON_AddStringToObject(o, "HttpProtocolIpv6", "disabled");
    cJSON_AddStringToObject(o, "InstanceMetadataTags", "disabled");
    return o;
}

err_t ec2_modify_instance_metadata_options(api_ctx_t *c)
{
    const cJSON *hops = cJSON_GetObjectItemCaseSensitive(c->in, "HttpPutResponseHopLimit");
    if (hops && (hops->valuedouble < 1 || hops->valuedouble > 64))
        return err_fail(c->eb, ERR_VALIDATION,
                        "The HttpPutResponseHopLimit must be an integer from 1 to 64.");
    cJSON *inst = NULL;
    err_t rc = io_one(c, &inst);
    if (!rc) rc = ec2_dry_run(c);
    if (!rc && !strcmp(ec2_state_name(ec2_state(inst)), "terminated"))
        rc = err_fail(c->eb, ERR_EC2_INCORRECT_STATE,
                      "The instance '%s' is not in a state from which it can be modified.",
                      api_in_str(c, "InstanceId"));
    if (!rc) {
        cJSON *o = ec2_metadata_options(inst);
        static const char *const members[] = {"HttpTokens",           "HttpPutResponseHopLimit",
                                              "HttpEndpoint",         "HttpProtocolIpv6",
                                              "InstanceMetadataTags", NULL};
        for (size_t i = 0; members[i]; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->in, members[i]);
            if (v) jx_set(o, members[i], cJSON_Duplicate(v, 1));
        }
        jx_set_str(o, "State", "applied");
        jx_set(inst, "MetadataOptions", o);
        rc = ec2_save(c->tx, c->scope, inst, clk_now_ms(&c->app->clock), c->eb);
        cJSON_AddStringToObject(c->out, "InstanceId", jx_str(inst, "InstanceId"));
        cJSON *shown = cJSON_Duplicate(o, 1); /* as EC2 answers while it applies them */
        jx_set_str(shown, "State", "pending");
        cJSON_AddItemToObject(c->out, "InstanceMetadataOptions", shown);
    }
    cJSON_Delete(inst);
    return rc;
}

err_t ec2_get_console_output(api_ctx_t *c)
{
    cJSON *inst = NULL;
    err_t rc = io_one(c, &inst);
    if (!rc) rc = ec2_dry_run(c);
    if (!rc) {
        /* catalogd keeps no serial console: there is no output, which EC2 shows by leaving
         * Output out */
        cJSON_AddStringToObject(c->out, "InstanceId", jx_str(inst, "InstanceId"));
        cJSON_AddNumberToObject(c->out, "Timestamp", (double)clk_now_ms(&c->app->clock) / 1000.0);
    }
    cJSON_Delete(inst);
    return rc;
}
