/* actions.c - the Automation actions catalogd runs. Every AWS call goes through the
 * in-process client as the execution's principal, so a role without ec2:StopInstances
 * fails its step with EC2's own authorization error. Each call is one tick; waiting
 * actions come back later (SSM_TICK_AGAIN) or wait for a signal (SSM_TICK_WAIT). */
#include "svc/ssm/ssm_int.h"

#include "core/enc.h"
#include "proto/proto.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdarg.h>

#define POLL_MS         200
#define WATCHED_POLL_MS 2000 /* a watched transition wakes the step itself */

void ssm_act_set(ssm_run_t *r, const char *name, cJSON *v)
{
    cJSON *t = cJSON_GetObjectItemCaseSensitive(r->step, "_Typed");
    if (!t) t = cJSON_AddObjectToObject(r->step, "_Typed");
    jx_set(t, name, v);
}

ssm_tick_t ssm_act_fail(ssm_run_t *r, const char *type, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vfail(r->eb, ERR_INTERNAL, fmt, ap);
    va_end(ap);
    snprintf(r->failure_type, sizeof(r->failure_type), "%s", type);
    return SSM_TICK_FAILED;
}

/* Calls service:op as the execution's principal; on failure fills eb with the sentence a
 * botocore client would print ("An error occurred (Code) when calling the Op operation:
 * message"). */
err_t ssm_act_call(ssm_run_t *r, const char *service, const char *op, cJSON *in, cJSON **out)
{
    errbuf_t ceb = {{0}};
    err_t rc =
        api_client_call_tx(r->app, r->tx, r->post, r->arena, r->as, service, op, in, out, &ceb);
    if (rc) {
        char text[sizeof(r->eb->msg)];
        api_client_error_text(rc, service, op, ceb.msg, text, sizeof(text));
        err_fail(r->eb, rc, "%s", text);
    }
    return rc;
}

/* The readers below rely on adoc_step_inputs_check, which the engine runs on the
 * interpolated inputs before any tick: each input the action takes has its kind. */

/* A Boolean input (absent: false). */
static bool in_bool(const cJSON *in, const char *name)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(in, name));
}

/* A StringList input as a new array of strings (a single string is one element). */
cJSON *ssm_in_list(const cJSON *in, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, name);
    cJSON *list = cJSON_CreateArray();
    if (cJSON_IsString(v)) cJSON_AddItemToArray(list, cJSON_CreateString(v->valuestring));
    for (const cJSON *i = cJSON_IsArray(v) ? v->child : NULL; i; i = i->next)
        cJSON_AddItemToArray(list, cJSON_CreateString(i->valuestring));
    return list;
}

/* Why an instance's last transition failed (its StateReason), as far as the execution's
 * principal may see it (ec2:DescribeInstances); "" otherwise. */
static void transition_failure(ssm_run_t *r, const char *id, char *why, size_t cap)
{
    why[0] = '\0';
    cJSON *in = cJSON_CreateObject(), *out = NULL, *ids = cJSON_AddArrayToObject(in, "InstanceIds");
    cJSON_AddItemToArray(ids, cJSON_CreateString(id));
    errbuf_t ignore = {{0}};
    if (api_client_call_tx(r->app, r->tx, r->post, r->arena, r->as, "ec2", "DescribeInstances", in,
                           &out, &ignore) == ERR_OK) {
        const cJSON *inst = cJSON_GetArrayItem(
            cJSON_GetObjectItemCaseSensitive(
                cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "Reservations"), 0),
                "Instances"),
            0);
        const char *msg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(inst, "StateReason"), "Message"));
        if (msg) snprintf(why, cap, "%s", msg);
    }
    cJSON_Delete(in);
    cJSON_Delete(out);
}

ssm_tick_t ssm_act_watch(ssm_run_t *r, const char *prefix, const cJSON *ids)
{
    for (const cJSON *i = ids ? ids->child : NULL; i; i = i->next) {
        if (!cJSON_IsString(i)) continue;
        const char *topic = arena_printf(r->arena, "%s%s", prefix, i->valuestring);
        if (engine_watch(r->tx, topic, r->job_id, r->eb))
            return ssm_act_fail(r, "Action", "%s", r->eb->msg);
    }
    r->wake_ms = r->now + WATCHED_POLL_MS;
    return SSM_TICK_AGAIN;
}

/* ---- aws:changeInstanceState: act (Stop/Start/TerminateInstances), then wait, watching
 * DescribeInstanceStatus (the permissions the tutorial's policy grants) */
static ssm_tick_t change_state(ssm_run_t *r)
{
    const char *want =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r->inputs, "DesiredState"));
    cJSON *ids = ssm_in_list(r->inputs, "InstanceIds");
    if (!cJSON_GetArraySize(ids)) {
        cJSON_Delete(ids);
        return ssm_act_fail(r, "Verification", "InstanceIds must name at least one instance.");
    }
    cJSON *in = cJSON_CreateObject(), *out = NULL;
    cJSON_AddItemToObject(in, "InstanceIds", cJSON_Duplicate(ids, 1));
    cJSON_AddBoolToObject(in, "IncludeAllInstances", true);
    err_t rc = ssm_act_call(r, "ec2", "DescribeInstanceStatus", in, &out);
    cJSON_Delete(in);
    if (rc) {
        cJSON_Delete(ids);
        return SSM_TICK_FAILED;
    }
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(out, "InstanceStatuses");
    bool check_only = in_bool(r->inputs, "CheckStateOnly");
    bool acted = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r->step, "_Phase"));
    cJSON *todo = cJSON_CreateArray(), *states = cJSON_CreateArray();
    bool all_there = true;
    for (const cJSON *s = st ? st->child : NULL; s; s = s->next) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(s, "InstanceState"), "Name"));
        const char *ok = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(s, "InstanceStatus"), "Status"));
        bool there =
            name && !strcmp(name, want) && (strcmp(want, "running") || (ok && !strcmp(ok, "ok")));
        all_there &= there;
        cJSON_AddItemToArray(states, cJSON_CreateString(name ? name : "unknown"));
        bool moving_right =
            name && ((!strcmp(want, "stopped") && !strcmp(name, "stopping")) ||
                     (!strcmp(want, "running") && !strcmp(name, "pending")) ||
                     (!strcmp(want, "terminated") && !strcmp(name, "shutting-down")));
        if (!there && !moving_right && name && strcmp(name, "terminated")) {
            const char *id =
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "InstanceId"));
            if (acted && !check_only && strcmp(name, "pending") && strcmp(name, "stopping")) {
                /* we asked, and it went back: the transition failed */
                char why[600];
                transition_failure(r, id, why, sizeof(why));
                ssm_tick_t t = ssm_act_fail(r, "Action",
                                            "Instance %s did not reach the %s state: it is %s. %s",
                                            id, want, name, why);
                cJSON_Delete(out);
                cJSON_Delete(ids);
                cJSON_Delete(todo);
                cJSON_Delete(states);
                return t;
            }
            cJSON_AddItemToArray(todo, cJSON_CreateString(id));
        }
        if (!there && name && !strcmp(name, "terminated") && strcmp(want, "terminated")) {
            ssm_tick_t t = ssm_act_fail(
                r, "Action", "Instance %s is terminated and cannot reach the %s state.",
                cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "InstanceId")), want);
            cJSON_Delete(out);
            cJSON_Delete(ids);
            cJSON_Delete(todo);
            cJSON_Delete(states);
            return t;
        }
    }
    cJSON_Delete(out);
    out = NULL; /* the StopInstances/StartInstances call below may fail without setting it */
    if (all_there) {
        ssm_act_set(r, "InstanceStates", states);
        cJSON_Delete(ids);
        cJSON_Delete(todo);
        return SSM_TICK_DONE;
    }
    cJSON_Delete(states);
    if (!check_only && !acted && cJSON_GetArraySize(todo)) {
        const char *op = !strcmp(want, "running")   ? "StartInstances"
                         : !strcmp(want, "stopped") ? "StopInstances"
                                                    : "TerminateInstances";
        in = cJSON_CreateObject();
        cJSON_AddItemToObject(in, "InstanceIds", todo);
        todo = NULL;
        if (!strcmp(want, "stopped") && in_bool(r->inputs, "Force"))
            cJSON_AddBoolToObject(in, "Force", true);
        rc = ssm_act_call(r, "ec2", op, in, &out);
        cJSON_Delete(in);
        cJSON_Delete(out);
        if (rc) {
            cJSON_Delete(ids);
            return SSM_TICK_FAILED;
        }
        jx_set(r->step, "_Phase", cJSON_CreateTrue());
        cJSON_Delete(ids);
        /* a transition may be over already (an emulated instance under --ec2-delay-ms 0
         * ends it in the call's transaction): look once more before waiting */
        return change_state(r);
    }
    cJSON_Delete(todo);
    /* each instance's transition wakes this step when it ends; the poll is a fallback */
    ssm_tick_t t = ssm_act_watch(r, "ec2.instance:", ids);
    cJSON_Delete(ids);
    return t;
}

/* The API parameters of an executeAwsApi-like step: every input but the action's own. */
static cJSON *api_params(const cJSON *in)
{
    static const char *const own[] = {"Service", "Api", "PropertySelector", "DesiredValues"};
    cJSON *p = cJSON_CreateObject();
    for (const cJSON *i = in ? in->child : NULL; i; i = i->next) {
        bool skip = false;
        for (size_t k = 0; k < sizeof(own) / sizeof(own[0]); k++)
            skip |= !strcmp(i->string, own[k]);
        if (!skip) cJSON_AddItemToObject(p, i->string, cJSON_Duplicate(i, 1));
    }
    return p;
}

/* Calls the Service/Api of the step's inputs; *out owns the response. */
static ssm_tick_t run_api(ssm_run_t *r, cJSON **out)
{
    const char *given =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r->inputs, "Service"));
    const char *api = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r->inputs, "Api"));
    if (!given || !api)
        return ssm_act_fail(r, "Verification", "Service and Api are required inputs.");
    char service[64]; /* AWS's runbooks spell namespaces either way (AWS-ResizeInstance: EC2) */
    snprintf(service, sizeof(service), "%s", given);
    for (char *p = service; *p; p++) *p = (char)tolower((unsigned char)*p);
    char op[128];
    snprintf(op, sizeof(op), "%s", api);
    op[0] = (char)toupper((unsigned char)op[0]); /* boto3 spells operations either way */
    const model_service_t *svc = model_service(service);
    if (!svc || !api_op_find(svc, span_of(op)))
        return ssm_act_fail(r, "Verification", "%s.%s is not an API catalogd serves.", service,
                            api);
    cJSON *params = api_params(r->inputs);
    err_t rc = ssm_act_call(r, service, op, params, out);
    cJSON_Delete(params);
    return rc ? SSM_TICK_FAILED : SSM_TICK_DONE;
}

/* The selected property of a response as the string the DesiredValues are compared with. */
static char *property_text(ssm_run_t *r, const cJSON *resp, const char *selector, bool *found)
{
    cJSON *v = NULL;
    *found = false;
    if (adoc_select(resp, selector, "String", &v, r->eb) != ADOC_OK || !v) {
        cJSON_Delete(v);
        return NULL;
    }
    *found = true;
    char *s;
    if (cJSON_IsString(v))
        s = arena_strdup(r->arena, v->valuestring);
    else if (cJSON_IsBool(v))
        s = arena_strdup(r->arena, cJSON_IsTrue(v) ? "True" : "False");
    else {
        char *t = cJSON_PrintUnformatted(v);
        s = arena_strdup(r->arena, t);
        cJSON_free(t);
    }
    cJSON_Delete(v);
    return s;
}

static bool desired(const cJSON *in, const char *have)
{
    cJSON *want = ssm_in_list(in, "DesiredValues");
    bool found = false;
    for (const cJSON *w = want->child; w && !found; w = w->next)
        found = !strcmp(w->valuestring, have);
    cJSON_Delete(want);
    return found;
}

void ssm_act_outputs(ssm_run_t *r, const cJSON *resp)
{
    const cJSON *outs = r->def->outputs;
    for (const cJSON *o = outs ? outs->child : NULL; o; o = o->next) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "Name"));
        const char *sel = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "Selector"));
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "Type"));
        cJSON *v = NULL;
        if (name && sel && adoc_select(resp, sel, type ? type : "String", &v, r->eb) == ADOC_OK &&
            v)
            ssm_act_set(r, name, v);
    }
}

static ssm_tick_t execute_api(ssm_run_t *r)
{
    cJSON *resp = NULL;
    ssm_tick_t t = run_api(r, &resp);
    if (t != SSM_TICK_DONE) return t;
    ssm_act_outputs(r, resp);
    cJSON_Delete(resp);
    return SSM_TICK_DONE;
}

static ssm_tick_t wait_property(ssm_run_t *r, bool assert_only)
{
    const char *sel =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r->inputs, "PropertySelector"));
    if (!sel) return ssm_act_fail(r, "Verification", "PropertySelector is a required input.");
    cJSON *resp = NULL;
    ssm_tick_t t = run_api(r, &resp);
    if (t != SSM_TICK_DONE) return t;
    bool found;
    char *have = property_text(r, resp, sel, &found);
    cJSON_Delete(resp);
    if (found && desired(r->inputs, have)) return SSM_TICK_DONE;
    if (assert_only)
        return ssm_act_fail(
            r, "Verification",
            "Verification failed: the property %s is %s, not one of the desired values.", sel,
            found ? have : "absent");
    r->wake_ms = r->now + 500;
    return SSM_TICK_AGAIN;
}

/* ISO 8601 durations: P[nD][T[nH][nM][n(.n)S]]; -1 when malformed. */
static int64_t duration_ms(const char *s)
{
    if (!s || *s++ != 'P') return -1;
    double ms = 0;
    bool t = false, any = false;
    while (*s) {
        if (*s == 'T' && !t) {
            t = true;
            s++;
            continue;
        }
        char *end;
        double v = strtod(s, &end);
        if (end == s || v < 0) return -1;
        char unit = *end;
        if (unit == 'D' && !t)
            ms += v * 86400000.0;
        else if (unit == 'W' && !t)
            ms += v * 7 * 86400000.0;
        else if (unit == 'H' && t)
            ms += v * 3600000.0;
        else if (unit == 'M' && t)
            ms += v * 60000.0;
        else if (unit == 'S' && t)
            ms += v * 1000.0;
        else
            return -1;
        any = true;
        s = end + 1;
    }
    return any && ms <= 604799000.0 ? (int64_t)ms : -1;
}

static ssm_tick_t sleep_until(ssm_run_t *r)
{
    int64_t wake =
        (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r->step, "_WakeAt"));
    if (!cJSON_GetObjectItemCaseSensitive(r->step, "_WakeAt")) {
        const char *dur =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r->inputs, "Duration"));
        const char *ts =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r->inputs, "Timestamp"));
        if (dur) {
            int64_t d = duration_ms(dur);
            if (d < 0)
                return ssm_act_fail(
                    r, "Verification",
                    "Duration %s is not an ISO 8601 duration of at most 604799 seconds.", dur);
            wake = r->now + d;
        } else if (ts) {
            if (!enc_parse_iso8601(span_of(ts), &wake))
                return ssm_act_fail(r, "Verification", "Timestamp %s is not an ISO 8601 date-time.",
                                    ts);
        } else {
            return ssm_act_fail(r, "Verification", "aws:sleep needs a Duration or a Timestamp.");
        }
        cJSON_AddNumberToObject(r->step, "_WakeAt", (double)wake);
    }
    if (r->now >= wake) return SSM_TICK_DONE;
    r->wake_ms = wake;
    return SSM_TICK_AGAIN;
}

static ssm_tick_t pause_step(ssm_run_t *r)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(r->step, "_Decisions");
    for (const cJSON *x = d ? d->child : NULL; x; x = x->next)
        if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "Type")), "Resume"))
            return SSM_TICK_DONE;
    return SSM_TICK_WAIT;
}

static ssm_tick_t approve_step(ssm_run_t *r)
{
    if (!cJSON_GetObjectItemCaseSensitive(r->step, "_Approvers")) {
        cJSON_AddItemToObject(r->step, "_Approvers", ssm_in_list(r->inputs, "Approvers"));
    }
    const cJSON *min = cJSON_GetObjectItemCaseSensitive(r->inputs, "MinRequiredApprovals");
    int need = !cJSON_IsNumber(min)         ? 1
               : min->valuedouble > 1000000 ? 1000000
                                            : (int)min->valuedouble;
    if (need < 1) need = 1;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(r->step, "_Decisions");
    cJSON *decisions = cJSON_CreateArray();
    int approvals = 0;
    const char *rejected_by = NULL;
    for (const cJSON *x = d ? d->child : NULL; x; x = x->next) {
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "Type"));
        const char *who = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "Approver"));
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "Approver", who);
        cJSON_AddStringToObject(m, "Decision", !strcmp(type, "Approve") ? "Approved" : "Rejected");
        cJSON_AddItemToArray(decisions, m);
        bool again = false; /* an approver counts once, however often they approve */
        for (const cJSON *y = d->child; y != x && !again; y = y->next)
            again =
                !strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(y, "Type")),
                        "Approve") &&
                !strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(y, "Approver")), who);
        if (!strcmp(type, "Approve"))
            approvals += !again;
        else
            rejected_by = who;
    }
    ssm_act_set(r, "ApproverDecisions", decisions);
    if (rejected_by) {
        ssm_act_set(r, "ApprovalStatus", cJSON_CreateString("Rejected"));
        return ssm_act_fail(r, "Action", "The approval request was rejected by %s.", rejected_by);
    }
    if (approvals >= need) {
        ssm_act_set(r, "ApprovalStatus", cJSON_CreateString("Approved"));
        return SSM_TICK_DONE;
    }
    ssm_act_set(r, "ApprovalStatus", cJSON_CreateString("Waiting"));
    return SSM_TICK_WAIT;
}

/* ---- aws:createImage: CreateImage once, then wait (DescribeImages, woken when the image
 * job ends) until the image is available; outputs ImageId and ImageState. */
static ssm_tick_t create_image(ssm_run_t *r)
{
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r->step, "_ImageId"));
    cJSON *in = cJSON_CreateObject(), *out = NULL;
    err_t rc;
    if (!id) {
        static const char *const from[][2] = {{"InstanceId", "InstanceId"},
                                              {"ImageName", "Name"},
                                              {"ImageDescription", "Description"},
                                              {"NoReboot", "NoReboot"},
                                              {"BlockDeviceMappings", "BlockDeviceMappings"}};
        for (size_t i = 0; i < sizeof(from) / sizeof(from[0]); i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->inputs, from[i][0]);
            if (v) cJSON_AddItemToObject(in, from[i][1], cJSON_Duplicate(v, 1));
        }
        rc = ssm_act_call(r, "ec2", "CreateImage", in, &out);
        cJSON_Delete(in);
        id = rc ? NULL : cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(out, "ImageId"));
        if (id) {
            jx_set(r->step, "_ImageId", cJSON_CreateString(id));
            ssm_act_set(r, "ImageId", cJSON_CreateString(id));
        }
        cJSON_Delete(out);
        if (rc) return SSM_TICK_FAILED;
        id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r->step, "_ImageId"));
        in = cJSON_CreateObject();
        out = NULL;
    }
    cJSON_AddItemToArray(cJSON_AddArrayToObject(in, "ImageIds"), cJSON_CreateString(id));
    rc = ssm_act_call(r, "ec2", "DescribeImages", in, &out);
    cJSON_Delete(in);
    if (rc) {
        cJSON_Delete(out);
        return SSM_TICK_FAILED;
    }
    const cJSON *im = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "Images"), 0);
    const char *state = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(im, "State"));
    char st[32];
    snprintf(st, sizeof(st), "%s", state ? state : "unknown");
    const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(im, "StateReason"), "Message"));
    char reason[600];
    snprintf(reason, sizeof(reason), "%s", why ? why : "");
    cJSON_Delete(out);
    ssm_act_set(r, "ImageState", cJSON_CreateString(st));
    if (!strcmp(st, "available")) return SSM_TICK_DONE;
    if (strcmp(st, "pending"))
        return ssm_act_fail(r, "Action", "Image %s is %s, not available. %s", id, st, reason);
    char topic[96];
    snprintf(topic, sizeof(topic), "ec2.image:%s", id);
    if (engine_watch(r->tx, topic, r->job_id, r->eb))
        return ssm_act_fail(r, "Action", "%s", r->eb->msg);
    r->wake_ms = r->now + WATCHED_POLL_MS;
    return SSM_TICK_AGAIN;
}

/* ---- aws:branch */

static bool num(const cJSON *v, double *out)
{
    if (cJSON_IsNumber(v)) return (*out = v->valuedouble), true;
    if (cJSON_IsString(v)) {
        char *end;
        *out = strtod(v->valuestring, &end);
        return end != v->valuestring && !*end;
    }
    return false;
}

static const char *text(const cJSON *v, char *buf, size_t cap)
{
    if (cJSON_IsString(v)) return v->valuestring;
    if (cJSON_IsBool(v)) return cJSON_IsTrue(v) ? "true" : "false";
    if (cJSON_IsNumber(v)) {
        snprintf(buf, cap, "%g", v->valuedouble);
        return buf;
    }
    return "";
}

/* Evaluates one choice (or And/Or/Not combination) on interpolated values. */
static bool choice_holds(const cJSON *c, int depth)
{
    if (depth > 16) return false;
    const cJSON *and_ = cJSON_GetObjectItemCaseSensitive(c, "And");
    const cJSON *or_ = cJSON_GetObjectItemCaseSensitive(c, "Or");
    const cJSON *not_ = cJSON_GetObjectItemCaseSensitive(c, "Not");
    if (and_) {
        for (const cJSON *x = and_->child; x; x = x->next)
            if (!choice_holds(x, depth + 1)) return false;
        return true;
    }
    if (or_) {
        for (const cJSON *x = or_->child; x; x = x->next)
            if (choice_holds(x, depth + 1)) return true;
        return false;
    }
    if (not_) /* an object, or a list of one (the validator accepts both) */
        return !choice_holds(cJSON_IsArray(not_) ? not_->child : not_, depth + 1);
    if (!cJSON_IsObject(c)) return false;
    const cJSON *var = cJSON_GetObjectItemCaseSensitive(c, "Variable");
    char b1[64], b2[64];
    for (const cJSON *op = c->child; op; op = op->next) {
        if (!op->string || !strcmp(op->string, "Variable") || !strcmp(op->string, "NextStep"))
            continue;
        const char *a = text(var, b1, sizeof(b1)), *b = text(op, b2, sizeof(b2));
        double x = 0, y = 0;
        bool nums = num(var, &x) && num(op, &y);
        if (!strcmp(op->string, "StringEquals")) return !strcmp(a, b);
        if (!strcmp(op->string, "EqualsIgnoreCase")) return !strcasecmp(a, b);
        if (!strcmp(op->string, "StartsWith")) return !strncmp(a, b, strlen(b));
        if (!strcmp(op->string, "EndsWith"))
            return strlen(a) >= strlen(b) && !strcmp(a + strlen(a) - strlen(b), b);
        if (!strcmp(op->string, "Contains")) {
            if (cJSON_IsArray(var)) {
                for (const cJSON *e = var->child; e; e = e->next)
                    if (!strcmp(text(e, b1, sizeof(b1)), b)) return true;
                return false;
            }
            return strstr(a, b) != NULL;
        }
        if (!strcmp(op->string, "NumericEquals")) return nums && x == y;
        if (!strcmp(op->string, "NumericGreater")) return nums && x > y;
        if (!strcmp(op->string, "NumericLesser")) return nums && x < y;
        if (!strcmp(op->string, "NumericGreaterOrEquals")) return nums && x >= y;
        if (!strcmp(op->string, "NumericLesserOrEquals")) return nums && x <= y;
        if (!strcmp(op->string, "BooleanEquals"))
            return !strcasecmp(a, cJSON_IsTrue(op) || !strcasecmp(b, "true") ? "true" : "false");
    }
    return false;
}

bool ssm_choice_holds(const cJSON *c)
{
    return choice_holds(c, 0);
}

const char *ssm_branch_next(ssm_run_t *r)
{
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(r->inputs, "Choices");
    for (const cJSON *c = choices ? choices->child : NULL; c; c = c->next)
        if (choice_holds(c, 0)) {
            const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "NextStep"));
            return n ? arena_strdup(r->arena, n) : NULL;
        }
    const char *def = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r->inputs, "Default"));
    return def ? arena_strdup(r->arena, def) : NULL;
}

ssm_tick_t ssm_action_tick(ssm_run_t *r)
{
    const char *a = r->def->action;
    if (!strcmp(a, "aws:changeInstanceState")) return change_state(r);
    if (!strcmp(a, "aws:executeAwsApi")) return execute_api(r);
    if (!strcmp(a, "aws:waitForAwsResourceProperty")) return wait_property(r, false);
    if (!strcmp(a, "aws:assertAwsResourceProperty")) return wait_property(r, true);
    if (!strcmp(a, "aws:sleep")) return sleep_until(r);
    if (!strcmp(a, "aws:branch")) return SSM_TICK_DONE;
    if (!strcmp(a, "aws:pause")) return pause_step(r);
    if (!strcmp(a, "aws:approve")) return approve_step(r);
    if (!strcmp(a, "aws:executeScript")) return ssm_act_script(r);
    if (!strcmp(a, "aws:createStack")) return ssm_act_create_stack(r);
    if (!strcmp(a, "aws:deleteStack")) return ssm_act_delete_stack(r);
    if (!strcmp(a, "aws:createTags")) return ssm_act_create_tags(r);
    if (!strcmp(a, "aws:runInstances")) return ssm_act_run_instances(r);
    if (!strcmp(a, "aws:runCommand")) return ssm_act_run_command(r);
    if (!strcmp(a, "aws:loop")) return ssm_act_loop(r);
    if (!strcmp(a, "aws:createImage")) return create_image(r);
    return ssm_act_fail(r, "Verification", "Action %s is not supported by catalogd.", a);
}
