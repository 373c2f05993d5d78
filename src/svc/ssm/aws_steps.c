/* aws_steps.c - the Automation actions that act through another service and wait for it:
 * aws:createStack / aws:deleteStack (CloudFormation), aws:createTags and aws:runInstances
 * (EC2), aws:runCommand (Run Command). Each calls the service through the in-process
 * client as the execution's principal once per attempt (the step's "_Phase" and the id it
 * got are saved with the execution in the same transaction), then polls, watching the
 * resource's topic where the service signals one. */
#include "svc/ssm/ssm_int.h"

#include <stdio.h>
#include <string.h>

#define CMD_POLL_MS    1000
#define CMD_OUTPUT_MAX 2500 /* characters of the command's output in the step's Output */

/* A copy of the inputs without the names in skip (NULL-terminated). */
static cJSON *pass_inputs(const cJSON *in, const char *const *skip)
{
    cJSON *p = cJSON_CreateObject();
    for (const cJSON *i = in ? in->child : NULL; i; i = i->next) {
        bool drop = false;
        for (const char *const *s = skip; *s && !drop; s++) drop = !strcmp(*s, i->string);
        if (!drop) cJSON_AddItemToObject(p, i->string, cJSON_Duplicate(i, 1));
    }
    return p;
}

static bool phase(ssm_run_t *r)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r->step, "_Phase"));
}

/* Marks the act done for this attempt and keeps what it returned under key. */
static void acted(ssm_run_t *r, const char *key, cJSON *v)
{
    jx_set(r->step, "_Phase", cJSON_CreateTrue());
    if (key) jx_set(r->step, key, v);
}

/* Watches "<prefix>:<id>" for one id. */
static ssm_tick_t watch_one(ssm_run_t *r, const char *prefix, const char *id)
{
    cJSON *ids = cJSON_CreateArray();
    cJSON_AddItemToArray(ids, cJSON_CreateString(id));
    ssm_tick_t t = ssm_act_watch(r, prefix, ids);
    cJSON_Delete(ids);
    return t;
}

/* ---- CloudFormation */

/* The stack (DescribeStacks by id or name) into *stack (owned); SSM_TICK_DONE when read. */
static ssm_tick_t describe_stack(ssm_run_t *r, const char *name, cJSON **resp, const cJSON **stack)
{
    cJSON *in = cJSON_CreateObject();
    cJSON_AddStringToObject(in, "StackName", name);
    *resp = NULL;
    err_t rc = ssm_act_call(r, "cloudformation", "DescribeStacks", in, resp);
    cJSON_Delete(in);
    if (rc) return SSM_TICK_FAILED;
    *stack = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(*resp, "Stacks"), 0);
    return SSM_TICK_DONE;
}

/* Waits for the stack to settle; done when it reaches `want`, else the step fails with
 * the status it ended in. Sets StackId, StackStatus, StackStatusReason when `outputs`. */
static ssm_tick_t stack_wait(ssm_run_t *r, const char *want, bool outputs)
{
    const char *id = jx_str(r->step, "_StackId");
    cJSON *resp;
    const cJSON *st;
    if (describe_stack(r, id, &resp, &st) != SSM_TICK_DONE) return SSM_TICK_FAILED;
    const char *status = jx_str(st, "StackStatus");
    const char *reason = jx_str(st, "StackStatusReason");
    ssm_tick_t t;
    if (!status || strstr(status, "_IN_PROGRESS")) {
        t = watch_one(r, "cfn.stack:", id);
    } else {
        if (outputs) {
            ssm_act_set(r, "StackId", cJSON_CreateString(id));
            ssm_act_set(r, "StackStatus", cJSON_CreateString(status));
            if (reason) ssm_act_set(r, "StackStatusReason", cJSON_CreateString(reason));
        }
        t = !strcmp(status, want) ? SSM_TICK_DONE
                                  : ssm_act_fail(r, "Action", "Stack %s ended in status %s%s%s",
                                                 jx_str(st, "StackName"), status,
                                                 reason ? ": " : ".", reason ? reason : "");
    }
    cJSON_Delete(resp);
    return t;
}

ssm_tick_t ssm_act_create_stack(ssm_run_t *r)
{
    if (!phase(r)) {
        static const char *const none[] = {NULL};
        cJSON *in = pass_inputs(r->inputs, none), *out = NULL;
        err_t rc = ssm_act_call(r, "cloudformation", "CreateStack", in, &out);
        cJSON_Delete(in);
        const char *id = rc ? NULL : jx_str(out, "StackId");
        if (id) acted(r, "_StackId", cJSON_CreateString(id));
        cJSON_Delete(out);
        if (rc) return SSM_TICK_FAILED;
    }
    return stack_wait(r, "CREATE_COMPLETE", true);
}

ssm_tick_t ssm_act_delete_stack(ssm_run_t *r)
{
    if (!phase(r)) {
        const char *name = jx_str(r->inputs, "StackName");
        cJSON *resp;
        const cJSON *st;
        if (describe_stack(r, name, &resp, &st) != SSM_TICK_DONE) {
            /* deleting a stack that does not exist succeeds, as CloudFormation's does */
            bool gone = strstr(r->eb->msg, "does not exist") != NULL;
            return gone ? SSM_TICK_DONE : SSM_TICK_FAILED;
        }
        const char *id = jx_str(st, "StackId");
        cJSON *in = pass_inputs(r->inputs, (const char *const[]){"StackName", NULL}), *out = NULL;
        cJSON_AddStringToObject(in, "StackName", id ? id : name);
        if (id) acted(r, "_StackId", cJSON_CreateString(id));
        cJSON_Delete(resp);
        err_t rc = ssm_act_call(r, "cloudformation", "DeleteStack", in, &out);
        cJSON_Delete(in);
        cJSON_Delete(out);
        if (rc) return SSM_TICK_FAILED;
    }
    return stack_wait(r, "DELETE_COMPLETE", false);
}

/* ---- EC2 */

ssm_tick_t ssm_act_create_tags(ssm_run_t *r)
{
    const char *type = jx_str(r->inputs, "ResourceType");
    if (type && strcmp(type, "EC2"))
        return ssm_act_fail(r, "Verification",
                            "ResourceType %s is not supported by catalogd: only EC2 resources "
                            "can be tagged.",
                            type);
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(r->inputs, "Tags");
    cJSON *in = cJSON_CreateObject(), *out = NULL;
    cJSON_AddItemToObject(in, "Resources", ssm_in_list(r->inputs, "ResourceIds"));
    cJSON_AddItemToObject(in, "Tags", cJSON_Duplicate(tags, 1));
    err_t rc = ssm_act_call(r, "ec2", "CreateTags", in, &out);
    cJSON_Delete(in);
    cJSON_Delete(out);
    return rc ? SSM_TICK_FAILED : SSM_TICK_DONE;
}

ssm_tick_t ssm_act_run_instances(ssm_run_t *r)
{
    if (!phase(r)) {
        static const char *const own[] = {"MinInstanceCount", "MaxInstanceCount", NULL};
        cJSON *in = pass_inputs(r->inputs, own), *out = NULL;
        cJSON_AddNumberToObject(in, "MinCount", (double)jx_int(r->inputs, "MinInstanceCount", 1));
        cJSON_AddNumberToObject(in, "MaxCount", (double)jx_int(r->inputs, "MaxInstanceCount", 1));
        err_t rc = ssm_act_call(r, "ec2", "RunInstances", in, &out);
        cJSON_Delete(in);
        if (rc) {
            cJSON_Delete(out);
            return SSM_TICK_FAILED;
        }
        cJSON *ids = cJSON_CreateArray();
        const cJSON *insts = cJSON_GetObjectItemCaseSensitive(out, "Instances");
        for (const cJSON *i = insts ? insts->child : NULL; i; i = i->next)
            if (jx_str(i, "InstanceId"))
                cJSON_AddItemToArray(ids, cJSON_CreateString(jx_str(i, "InstanceId")));
        acted(r, "_InstanceIds", ids);
        cJSON_Delete(out);
    }
    /* wait for every instance to run */
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(r->step, "_InstanceIds");
    cJSON *in = cJSON_CreateObject(), *out = NULL;
    cJSON_AddItemToObject(in, "InstanceIds", cJSON_Duplicate(ids, 1));
    cJSON_AddBoolToObject(in, "IncludeAllInstances", true);
    err_t rc = ssm_act_call(r, "ec2", "DescribeInstanceStatus", in, &out);
    cJSON_Delete(in);
    if (rc) return SSM_TICK_FAILED;
    bool all = true;
    const char *dead = NULL;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(out, "InstanceStatuses");
    for (const cJSON *s = st ? st->child : NULL; s; s = s->next) {
        const char *name = jx_str(cJSON_GetObjectItemCaseSensitive(s, "InstanceState"), "Name");
        all &= name && !strcmp(name, "running");
        if (name && (!strcmp(name, "terminated") || !strcmp(name, "shutting-down")))
            dead = jx_str(s, "InstanceId");
    }
    ssm_tick_t t;
    if (dead)
        t = ssm_act_fail(r, "Action", "Instance %s was terminated before it ran.", dead);
    else if (all) {
        ssm_act_set(r, "InstanceIds", cJSON_Duplicate(ids, 1));
        t = SSM_TICK_DONE;
    } else {
        t = ssm_act_watch(r, "ec2.instance:", ids);
    }
    cJSON_Delete(out);
    return t;
}

/* ---- Run Command */

static bool cmd_terminal(const char *s)
{
    static const char *const done[] = {"Success", "Failed", "TimedOut", "Cancelled", NULL};
    for (const char *const *d = done; *d; d++)
        if (s && !strcmp(s, *d)) return true;
    return false;
}

/* The first invocation's ResponseCode and output (its first plugin's, capped) as the
 * step's outputs. */
static void cmd_outputs(ssm_run_t *r, const char *id)
{
    cJSON *in = cJSON_CreateObject(), *out = NULL;
    cJSON_AddStringToObject(in, "CommandId", id);
    cJSON_AddBoolToObject(in, "Details", true);
    errbuf_t *keep = r->eb, ignore = {{0}};
    r->eb = &ignore;
    err_t rc = ssm_act_call(r, "ssm", "ListCommandInvocations", in, &out);
    r->eb = keep;
    cJSON_Delete(in);
    const cJSON *inv =
        rc ? NULL
           : cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "CommandInvocations"), 0);
    const cJSON *plugin =
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(inv, "CommandPlugins"), 0);
    if (plugin) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(plugin, "ResponseCode");
        if (cJSON_IsNumber(code))
            ssm_act_set(r, "ResponseCode", cJSON_CreateNumber(code->valuedouble));
        const char *text = jx_str(plugin, "Output");
        if (text) {
            size_t n = strlen(text), cut = 0, chars = 0;
            while (cut < n && chars < CMD_OUTPUT_MAX) { /* characters, not bytes */
                cut++;
                while (cut < n && ((unsigned char)text[cut] & 0xC0) == 0x80) cut++;
                chars++;
            }
            ssm_act_set(r, "Output", cJSON_CreateString(arena_strndup(r->arena, text, cut)));
        }
    }
    cJSON_Delete(out);
}

ssm_tick_t ssm_act_run_command(ssm_run_t *r)
{
    if (!phase(r)) {
        static const char *const none[] = {NULL};
        cJSON *in = pass_inputs(r->inputs, none), *out = NULL;
        /* a document parameter given as one string is a list of one, as SendCommand takes */
        cJSON *params = cJSON_GetObjectItemCaseSensitive(in, "Parameters");
        for (cJSON *p = cJSON_IsObject(params) ? params->child : NULL; p; p = p->next)
            if (cJSON_IsString(p)) {
                cJSON *list = cJSON_CreateArray();
                cJSON_AddItemToArray(list, cJSON_CreateString(p->valuestring));
                cJSON_ReplaceItemViaPointer(params, p, list);
                p = list;
            }
        err_t rc = ssm_act_call(r, "ssm", "SendCommand", in, &out);
        cJSON_Delete(in);
        const char *id =
            rc ? NULL : jx_str(cJSON_GetObjectItemCaseSensitive(out, "Command"), "CommandId");
        if (id) {
            acted(r, "_CommandId", cJSON_CreateString(id));
            ssm_act_set(r, "CommandId", cJSON_CreateString(id));
        }
        cJSON_Delete(out);
        if (rc) return SSM_TICK_FAILED;
        if (!id) return ssm_act_fail(r, "Action", "SendCommand returned no CommandId.");
    }
    const char *id = jx_str(r->step, "_CommandId");
    cJSON *in = cJSON_CreateObject(), *out = NULL;
    cJSON_AddStringToObject(in, "CommandId", id);
    err_t rc = ssm_act_call(r, "ssm", "ListCommands", in, &out);
    cJSON_Delete(in);
    if (rc) return SSM_TICK_FAILED;
    const char *status =
        jx_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "Commands"), 0), "Status");
    ssm_tick_t t;
    if (!cmd_terminal(status)) {
        r->wake_ms = r->now + CMD_POLL_MS;
        t = SSM_TICK_AGAIN;
    } else {
        ssm_act_set(r, "Status", cJSON_CreateString(status));
        cmd_outputs(r, id);
        t = !strcmp(status, "Success")
                ? SSM_TICK_DONE
                : ssm_act_fail(r, "Action", "Command %s ended with status %s.", id, status);
    }
    cJSON_Delete(out);
    return t;
}
