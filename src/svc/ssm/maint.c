/* maint.c - Systems Manager maintenance windows: CreateMaintenanceWindow,
 * GetMaintenanceWindow, DescribeMaintenanceWindows, UpdateMaintenanceWindow,
 * DeleteMaintenanceWindow, with AWS's schedule expressions (cron, rate, at) checked as the
 * service checks them. catalogd keeps windows and what is registered with them; it does not
 * open them on their schedule (no executions are started). */
#include "svc/ssm/maint_int.h"

#include "core/clk.h"
#include "core/ids.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- shared by the maintenance-window and patch-baseline files */

cJSON *ssm_mw_request(const api_ctx_t *c)
{
    cJSON *r = cJSON_Duplicate(c->in, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(r, "ClientToken");
    return r;
}

err_t ssm_mw_token(api_ctx_t *c, const char *kind, const char *idm, const char **id,
                   const char **row_name)
{
    *id = *row_name = NULL;
    const char *token = api_in_str(c, "ClientToken");
    if (!token) return ERR_OK;
    const char *name = arena_printf(c->arena, "tok:%s", token);
    cJSON *old = NULL;
    err_t rc = res_get_by_name(c->tx, c->scope, kind, name, &old, c->eb);
    if (!rc && old) {
        cJSON *req = ssm_mw_request(c);
        bool same = cJSON_Compare(req, cJSON_GetObjectItemCaseSensitive(old, "_Request"), 1);
        cJSON_Delete(req);
        if (same)
            *id = arena_strdup(c->arena, jx_str(old, idm));
        else
            rc = err_fail(c->eb, ERR_SSM_IDEMPOTENT_MISMATCH,
                          "Error occurred during operation '%s'. The client token is already "
                          "used for a request with different parameters.",
                          c->op->action);
    }
    cJSON_Delete(old);
    if (!rc && !*id) *row_name = name;
    return rc;
}

err_t ssm_mw_filter_keys(api_ctx_t *c, const char *name, const char *const *allowed)
{
    const cJSON *fs = cJSON_GetObjectItemCaseSensitive(c->in, name);
    for (const cJSON *f = fs ? fs->child : NULL; f; f = f->next) {
        const char *key = jx_str(f, "Key");
        bool ok = false;
        for (size_t i = 0; key && allowed[i] && !ok; i++) ok = !strcmp(key, allowed[i]);
        if (!ok)
            return err_fail(c->eb, ERR_VALIDATION, "The filter key %s is not valid.",
                            key ? key : "");
    }
    return ERR_OK;
}

bool ssm_mw_filter_pass(const api_ctx_t *c, const char *name, const char *key, const char *value)
{
    const cJSON *fs = cJSON_GetObjectItemCaseSensitive(c->in, name);
    for (const cJSON *f = fs ? fs->child : NULL; f; f = f->next) {
        if (!jx_str(f, "Key") || strcmp(jx_str(f, "Key"), key)) continue;
        const cJSON *vs = cJSON_GetObjectItemCaseSensitive(f, "Values");
        bool any = false;
        for (const cJSON *v = vs ? vs->child : NULL; v && !any; v = v->next)
            any = cJSON_IsString(v) && value && !strcmp(v->valuestring, value);
        if (!any) return false;
    }
    return true;
}

void ssm_mw_answer(api_ctx_t *c, const cJSON *b)
{
    for (const cJSON *m = b->child; m; m = m->next)
        if (m->string[0] != '_') cJSON_AddItemToObject(c->out, m->string, cJSON_Duplicate(m, 1));
}

void ssm_mw_items(api_ctx_t *c, const char *list, const cJSON *items, const char *const *shown)
{
    cJSON *out = cJSON_AddArrayToObject(c->out, list);
    for (const cJSON *i = items->child; i; i = i->next) {
        cJSON *e = cJSON_CreateObject();
        jx_copy(e, i, shown);
        cJSON_AddItemToArray(out, e);
    }
}

err_t ssm_mw_load(api_ctx_t *c, const char *id, cJSON **w)
{
    err_t rc = res_get(c->tx, &(res_key_t){c->scope, SSM_MW, id}, w, c->eb);
    if (!rc && !*w)
        rc = err_fail(c->eb, ERR_SSM_DOES_NOT_EXIST, "Maintenance window %s does not exist", id);
    return rc;
}

/* ---- schedule expressions */

typedef struct mw_field {
    int lo, hi;
    const char *const *names; /* 3-letter names of lo..hi, or NULL */
} mw_field_t;

static const char *const mw_months[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                        "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
static const char *const mw_days[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

/* One value of field f at s (length n): a number in range or one of its names. */
static bool mw_cron_value(const char *s, size_t n, const mw_field_t *f)
{
    if (n == 3 && f->names && isalpha((unsigned char)s[0])) {
        for (int i = 0; i <= f->hi - f->lo; i++)
            if (!strncasecmp(s, f->names[i], 3)) return true;
        return false;
    }
    if (n == 0 || n > 4) return false;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return false;
        v = v * 10 + (s[i] - '0');
    }
    return v >= f->lo && v <= f->hi;
}

/* One comma-separated item of field index fi: base[/step], base being *, ?, a value, a
 * range, or (day fields) L, LW, nW, nL, n#k. */
static bool mw_cron_item(const char *s, size_t n, int fi, const mw_field_t *f)
{
    const char *slash = memchr(s, '/', n);
    size_t bn = slash ? (size_t)(slash - s) : n;
    if (slash) {
        mw_field_t step = {1, f->hi, NULL};
        if (!mw_cron_value(slash + 1, n - bn - 1, &step)) return false;
    }
    bool dom = fi == 2, dow = fi == 4;
    if (bn == 1 && s[0] == '*') return true;
    if (bn == 1 && s[0] == '?') return !slash && (dom || dow);
    if ((dom || dow) && bn == 1 && s[0] == 'L') return !slash;
    if (dom && bn == 2 && !strncmp(s, "LW", 2)) return !slash;
    if (dom && bn > 1 && s[bn - 1] == 'W') return !slash && mw_cron_value(s, bn - 1, f);
    if (dow && bn > 1 && s[bn - 1] == 'L') return !slash && mw_cron_value(s, bn - 1, f);
    const char *hash = dow ? memchr(s, '#', bn) : NULL;
    if (hash) {
        size_t k = (size_t)(hash - s);
        return !slash && bn == k + 2 && hash[1] >= '1' && hash[1] <= '5' && mw_cron_value(s, k, f);
    }
    const char *dash = memchr(s, '-', bn);
    if (dash) {
        size_t k = (size_t)(dash - s);
        return mw_cron_value(s, k, f) && mw_cron_value(dash + 1, bn - k - 1, f);
    }
    return mw_cron_value(s, bn, f);
}

/* The six fields of a cron( ) body: minutes hours day-of-month month day-of-week year,
 * one of the two day fields being "?". */
static bool mw_cron_ok(const char *body)
{
    static const mw_field_t fields[6] = {{0, 59, NULL},      {0, 23, NULL},   {1, 31, NULL},
                                         {1, 12, mw_months}, {1, 7, mw_days}, {1970, 2199, NULL}};
    const char *p = body;
    int fi = 0;
    bool q_dom = false, q_dow = false;
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        if (fi >= 6) return false;
        const char *end = p;
        while (*end && *end != ' ') end++;
        size_t n = (size_t)(end - p);
        if (fi == 2) q_dom = n == 1 && *p == '?';
        if (fi == 4) q_dow = n == 1 && *p == '?';
        for (const char *item = p; item < end;) {
            const char *comma = memchr(item, ',', (size_t)(end - item));
            const char *stop = comma ? comma : end;
            if (!mw_cron_item(item, (size_t)(stop - item), fi, &fields[fi])) return false;
            item = comma ? comma + 1 : end;
            if (comma && item == end) return false;
        }
        fi++;
        p = end;
    }
    return fi == 6 && q_dom != q_dow;
}

/* rate(N hour|hours|day|days): the unit singular for 1, plural above. */
static bool mw_rate_ok(const char *body)
{
    char *end = NULL;
    long n = strtol(body, &end, 10);
    if (!isdigit((unsigned char)body[0]) || n < 1 || *end != ' ') return false;
    const char *unit = end + 1;
    if (n == 1) return !strcmp(unit, "hour") || !strcmp(unit, "day");
    return !strcmp(unit, "hours") || !strcmp(unit, "days");
}

/* at(yyyy-mm-ddThh:mm:ss): one run. */
static bool mw_at_ok(const char *body)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    if (strlen(body) != sizeof(shape) - 1) return false;
    for (size_t i = 0; shape[i]; i++)
        if (shape[i] == 'd' ? !isdigit((unsigned char)body[i]) : body[i] != shape[i]) return false;
    return true;
}

/* Checks a window's Schedule / ScheduleOffset / Duration / Cutoff as AWS does. */
static err_t mw_check(api_ctx_t *c, const char *schedule, int64_t offset, int64_t duration,
                      int64_t cutoff)
{
    size_t n = strlen(schedule);
    bool ok = false, cron = false;
    if (n > 1 && schedule[n - 1] == ')') {
        char *body = arena_strndup(c->arena, schedule, n - 1);
        if (!strncmp(body, "cron(", 5))
            ok = cron = mw_cron_ok(body + 5);
        else if (!strncmp(body, "rate(", 5))
            ok = mw_rate_ok(body + 5);
        else if (!strncmp(body, "at(", 3))
            ok = mw_at_ok(body + 3);
    }
    if (!ok)
        return err_fail(c->eb, ERR_VALIDATION, "Schedule expression %s is not valid.", schedule);
    if (offset && !cron)
        return err_fail(c->eb, ERR_VALIDATION,
                        "ScheduleOffset can only be specified with a cron expression.");
    if (cutoff >= duration)
        return err_fail(c->eb, ERR_VALIDATION,
                        "The cutoff (%lld hours) must be less than the duration (%lld hours).",
                        (long long)cutoff, (long long)duration);
    return ERR_OK;
}

/* ---- the window operations */

/* The members of a window a request sets (Enabled: UpdateMaintenanceWindow only). */
static const char *const mw_members[] = {"Name",           "Description",
                                         "StartDate",      "EndDate",
                                         "Schedule",       "ScheduleTimezone",
                                         "ScheduleOffset", "Duration",
                                         "Cutoff",         "AllowUnassociatedTargets",
                                         "Enabled",        NULL};

static const char *const mw_optional[] = {"Description",      "StartDate",      "EndDate",
                                          "ScheduleTimezone", "ScheduleOffset", NULL};

err_t ssm_create_maintenance_window(api_ctx_t *c)
{
    const char *prior = NULL, *row_name = NULL;
    err_t rc = ssm_mw_token(c, SSM_MW, "WindowId", &prior, &row_name);
    if (!rc && !prior)
        rc = mw_check(c, api_in_str(c, "Schedule"), api_in_int(c, "ScheduleOffset", 0),
                      api_in_int(c, "Duration", 1), api_in_int(c, "Cutoff", 0));
    int64_t n = 0;
    res_query_t q = {c->scope, SSM_MW, NULL, 0, 0};
    if (!rc && !prior) rc = res_count(c->tx, &q, &n, c->eb);
    if (!rc && !prior && n >= SSM_MW_MAX)
        rc = err_fail(c->eb, ERR_SSM_RESOURCE_LIMIT,
                      "Maintenance window limit exceeded: an account may have %d.", SSM_MW_MAX);
    if (rc || prior) {
        if (!rc) cJSON_AddStringToObject(c->out, "WindowId", prior);
        return rc;
    }
    char id[24];
    ids_chars(&c->app->ids, "mw-", IDS_HEX, 17, id);
    int64_t now = clk_now_ms(&c->app->clock);
    cJSON *w = cJSON_CreateObject();
    cJSON_AddStringToObject(w, "WindowId", id);
    jx_copy(w, c->in, mw_members);
    cJSON_AddBoolToObject(w, "Enabled", true);
    cJSON_AddNumberToObject(w, "CreatedDate", (double)now / 1000.0);
    cJSON_AddNumberToObject(w, "ModifiedDate", (double)now / 1000.0);
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(c->in, "Tags");
    cJSON_AddItemToObject(w, "_Tags", tags ? cJSON_Duplicate(tags, 1) : cJSON_CreateArray());
    cJSON_AddItemToObject(w, "_Request", ssm_mw_request(c));
    res_row_t row = {.name = row_name, .created_ms = now};
    rc = res_insert(c->tx, &(res_key_t){c->scope, SSM_MW, id}, &row, w, c->eb);
    if (!rc) cJSON_AddStringToObject(c->out, "WindowId", id);
    cJSON_Delete(w);
    return rc;
}

err_t ssm_get_maintenance_window(api_ctx_t *c)
{
    cJSON *w = NULL;
    err_t rc = ssm_mw_load(c, api_in_str(c, "WindowId"), &w);
    if (!rc) ssm_mw_answer(c, w);
    cJSON_Delete(w);
    return rc;
}

/* DescribeMaintenanceWindows' filters (Name, Enabled) on a stored window. */
static err_t mw_keep(void *ctx, const cJSON *w, const res_pkey_t *k, bool *keep)
{
    (void)k;
    const api_ctx_t *c = ctx;
    *keep = ssm_mw_filter_pass(c, "Filters", "Name", jx_str(w, "Name")) &&
            ssm_mw_filter_pass(c, "Filters", "Enabled", jx_true(w, "Enabled") ? "true" : "false");
    return ERR_OK;
}

err_t ssm_describe_maintenance_windows(api_ctx_t *c)
{
    static const char *const keys[] = {"Name", "Enabled", NULL};
    res_page_t p;
    err_t rc = ssm_mw_filter_keys(c, "Filters", keys);
    if (!rc) rc = ssm_page_in(c, &p);
    cJSON *ws = cJSON_CreateArray();
    res_query_t q = {c->scope, SSM_MW, NULL, 0, 0};
    if (!rc) rc = res_list_page(c->tx, &q, &p, mw_keep, c, ws, c->eb);
    if (!rc) {
        static const char *const shown[] = {
            "WindowId",       "Name",    "Description", "Enabled",
            "Duration",       "Cutoff",  "Schedule",    "ScheduleTimezone",
            "ScheduleOffset", "EndDate", "StartDate",   NULL};
        ssm_mw_items(c, "WindowIdentities", ws, shown);
        ssm_page_out(c, &p);
    }
    cJSON_Delete(ws);
    return rc;
}

err_t ssm_update_maintenance_window(api_ctx_t *c)
{
    const char *id = api_in_str(c, "WindowId");
    cJSON *w = NULL;
    err_t rc = ssm_mw_load(c, id, &w);
    if (rc) return rc;
    /* Replace: the optional members not given are cleared */
    for (size_t i = 0; jx_true(c->in, "Replace") && mw_optional[i]; i++)
        cJSON_DeleteItemFromObjectCaseSensitive(w, mw_optional[i]);
    for (size_t i = 0; mw_members[i]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->in, mw_members[i]);
        if (v) jx_set(w, mw_members[i], cJSON_Duplicate(v, 1));
    }
    rc = mw_check(c, jx_str(w, "Schedule"), jx_int(w, "ScheduleOffset", 0),
                  jx_int(w, "Duration", 1), jx_int(w, "Cutoff", 0));
    int64_t now = clk_now_ms(&c->app->clock);
    if (!rc) {
        jx_set_num(w, "ModifiedDate", (double)now / 1000.0);
        rc = res_update(c->tx, &(res_key_t){c->scope, SSM_MW, id}, NULL, now, w, NULL, c->eb);
    }
    if (!rc) {
        cJSON_AddStringToObject(c->out, "WindowId", id);
        jx_copy(c->out, w, mw_members);
    }
    cJSON_Delete(w);
    return rc;
}

err_t ssm_delete_maintenance_window(api_ctx_t *c)
{
    /* a window that does not exist is deleted already: AWS answers with its id */
    const char *id = api_in_str(c, "WindowId");
    err_t rc = ssm_mw_drop_regs(c, id);
    if (!rc) rc = res_delete(c->tx, &(res_key_t){c->scope, SSM_MW, id}, NULL, c->eb);
    if (!rc) cJSON_AddStringToObject(c->out, "WindowId", id);
    return rc;
}
