/* policy_cond.c - the Condition element: the operator table, compiling a Condition block
 * (values pre-parsed per operator family), and evaluating it against the request context
 * with AWS's rules for missing keys, ...IfExists and the ForAnyValue/ForAllValues sets
 * (aws-api.md §7.3). */
#include "iam/policy_int.h"

#include "core/enc.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum pfam {
    FAM_STR,
    FAM_NUM,
    FAM_DATE,
    FAM_BOOL,
    FAM_BIN,
    FAM_IP,
    FAM_ARN,
    FAM_NULL
} pfam_t;

typedef struct opinfo {
    const char *name;
    pop_t op;
    pfam_t fam;
    bool neg;  /* true when the key is absent; the complement of pos otherwise */
    pop_t pos; /* the positive comparison the operator is built on */
} opinfo_t;

static const opinfo_t OPS[] = {
    {"StringEquals", OP_STR_EQ, FAM_STR, false, OP_STR_EQ},
    {"StringNotEquals", OP_STR_NE, FAM_STR, true, OP_STR_EQ},
    {"StringEqualsIgnoreCase", OP_STR_EQ_IC, FAM_STR, false, OP_STR_EQ_IC},
    {"StringNotEqualsIgnoreCase", OP_STR_NE_IC, FAM_STR, true, OP_STR_EQ_IC},
    {"StringLike", OP_STR_LIKE, FAM_STR, false, OP_STR_LIKE},
    {"StringNotLike", OP_STR_NLIKE, FAM_STR, true, OP_STR_LIKE},
    {"NumericEquals", OP_NUM_EQ, FAM_NUM, false, OP_NUM_EQ},
    {"NumericNotEquals", OP_NUM_NE, FAM_NUM, true, OP_NUM_EQ},
    {"NumericLessThan", OP_NUM_LT, FAM_NUM, false, OP_NUM_LT},
    {"NumericLessThanEquals", OP_NUM_LE, FAM_NUM, false, OP_NUM_LE},
    {"NumericGreaterThan", OP_NUM_GT, FAM_NUM, false, OP_NUM_GT},
    {"NumericGreaterThanEquals", OP_NUM_GE, FAM_NUM, false, OP_NUM_GE},
    {"DateEquals", OP_DATE_EQ, FAM_DATE, false, OP_DATE_EQ},
    {"DateNotEquals", OP_DATE_NE, FAM_DATE, true, OP_DATE_EQ},
    {"DateLessThan", OP_DATE_LT, FAM_DATE, false, OP_DATE_LT},
    {"DateLessThanEquals", OP_DATE_LE, FAM_DATE, false, OP_DATE_LE},
    {"DateGreaterThan", OP_DATE_GT, FAM_DATE, false, OP_DATE_GT},
    {"DateGreaterThanEquals", OP_DATE_GE, FAM_DATE, false, OP_DATE_GE},
    {"Bool", OP_BOOL, FAM_BOOL, false, OP_BOOL},
    {"BinaryEquals", OP_BIN_EQ, FAM_BIN, false, OP_BIN_EQ},
    {"IpAddress", OP_IP, FAM_IP, false, OP_IP},
    {"NotIpAddress", OP_NOT_IP, FAM_IP, true, OP_IP},
    {"ArnEquals", OP_ARN_EQ, FAM_ARN, false, OP_ARN_EQ},
    {"ArnLike", OP_ARN_LIKE, FAM_ARN, false, OP_ARN_LIKE},
    {"ArnNotEquals", OP_ARN_NE, FAM_ARN, true, OP_ARN_EQ},
    {"ArnNotLike", OP_ARN_NLIKE, FAM_ARN, true, OP_ARN_LIKE},
    {"Null", OP_NULL, FAM_NULL, false, OP_NULL},
};

#define N_OPS (sizeof(OPS) / sizeof(OPS[0]))

static const opinfo_t *op_info(pop_t op)
{
    for (size_t i = 0; i < N_OPS; i++)
        if (OPS[i].op == op) return &OPS[i];
    return &OPS[0]; /* not reached: every pop_t is in the table */
}

/* Splits "ForAnyValue:StringLikeIfExists" into its parts; NULL for an unknown operator.
 * Operator names are case-sensitive, as AWS's are. */
static const opinfo_t *op_lookup(const char *name, pqual_t *qual, bool *if_exists)
{
    static const char any[] = "ForAnyValue:", all[] = "ForAllValues:", ie[] = "IfExists";
    *qual = Q_NONE;
    if (strncmp(name, any, sizeof(any) - 1) == 0)
        *qual = Q_ANY, name += sizeof(any) - 1;
    else if (strncmp(name, all, sizeof(all) - 1) == 0)
        *qual = Q_ALL, name += sizeof(all) - 1;
    size_t n = strlen(name), ien = sizeof(ie) - 1;
    *if_exists = n > ien && strcmp(name + n - ien, ie) == 0;
    if (*if_exists) n -= ien;
    for (size_t i = 0; i < N_OPS; i++)
        if (strlen(OPS[i].name) == n && strncmp(OPS[i].name, name, n) == 0) return &OPS[i];
    return NULL;
}

/* ---- value parsers (shared by policy values and request values) */

/* A decimal number ("10", "-2.5", "1e3"); no hex, no inf/nan, nothing around it. */
static bool num_parse(const char *s, double *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || strspn(s, "0123456789+-.eE") != n) return false;
    char *end;
    double d = strtod(s, &end);
    if (end != s + n || !isfinite(d)) return false;
    *out = d;
    return true;
}

/* ISO 8601 ("2017-07-01T00:00:00Z", "2017-07-01") or epoch seconds. */
static bool date_parse(const char *s, int64_t *ms)
{
    size_t n = strlen(s);
    if (n > 0 && n <= 15 && strspn(s, "0123456789") == n) {
        *ms = (int64_t)strtoll(s, NULL, 10) * 1000;
        return true;
    }
    return enc_parse_iso8601(span_make(s, n), ms);
}

/* An IPv4 or IPv6 address, with "/bits" when cidr; IPv4-mapped IPv6 becomes IPv4. */
static bool ip_parse(const char *s, bool cidr, pval_t *v)
{
    char tmp[64];
    const char *slash = strchr(s, '/');
    size_t an = slash ? (size_t)(slash - s) : strlen(s);
    if (an == 0 || an >= sizeof(tmp) || (slash && !cidr)) return false;
    memcpy(tmp, s, an);
    tmp[an] = '\0';
    unsigned max;
    if (inet_pton(AF_INET, tmp, v->ip) == 1) {
        v->ip_len = 4, max = 32;
    } else if (inet_pton(AF_INET6, tmp, v->ip) == 1) {
        v->ip_len = 16, max = 128;
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (!slash && memcmp(v->ip, mapped, 12) == 0) {
            memmove(v->ip, v->ip + 12, 4);
            v->ip_len = 4, max = 32;
        }
    } else {
        return false;
    }
    unsigned bits = max;
    if (slash) {
        const char *d = slash + 1;
        size_t dn = strlen(d);
        if (dn == 0 || dn > 3 || strspn(d, "0123456789") != dn) return false;
        bits = (unsigned)strtoul(d, NULL, 10);
        if (bits > max) return false;
    }
    v->prefix = (uint8_t)bits;
    return true;
}

static bool ip_in(const pval_t *net, const pval_t *ip)
{
    if (net->ip_len != ip->ip_len) return false;
    unsigned full = net->prefix / 8, rem = net->prefix % 8;
    if (memcmp(net->ip, ip->ip, full) != 0) return false;
    if (!rem) return true;
    uint8_t mask = (uint8_t)(0xFF << (8 - rem));
    return (net->ip[full] & mask) == (ip->ip[full] & mask);
}

/* ---- compiling a Condition block */

/* A condition value as text: strings as written, numbers and booleans spelled out. */
static bool value_text(pparse_t *pp, const cJSON *j, const char **out)
{
    if (cJSON_IsString(j)) return pp_str(pp, j, out);
    if (cJSON_IsBool(j)) {
        *out = cJSON_IsTrue(j) ? "true" : "false";
        return true;
    }
    if (!cJSON_IsNumber(j)) return PP_SYNTAX(pp);
    double d = j->valuedouble;
    char tmp[64];
    if (d > -1e15 && d < 1e15 && d == (double)(long long)d)
        snprintf(tmp, sizeof(tmp), "%lld", (long long)d);
    else
        snprintf(tmp, sizeof(tmp), "%.17g", d);
    *out = arena_strdup(pp->arena, tmp);
    return true;
}

/* Pre-parses one policy value for its operator family. String and ARN values may hold
 * variables; a Date value that does not parse fails legacy parsing, as on AWS; numeric and
 * IP values that do not parse are kept but never match. */
static void compile_value(pparse_t *pp, pfam_t fam, const char *s, pval_t *v)
{
    if (fam == FAM_STR || fam == FAM_ARN) {
        pstr_compile(pp, s, &v->s);
        return;
    }
    v->s = (pstr_t){.raw = s, .pat = s};
    if (fam == FAM_NUM)
        v->ok = num_parse(s, &v->num);
    else if (fam == FAM_IP)
        v->ok = ip_parse(s, true, v);
    else if (fam == FAM_DATE && !(v->ok = date_parse(s, &v->ms)))
        pp_fail(pp, RANK_LEGACY, MSG_LEGACY);
}

/* Fills c from one "key": value-or-values member of an operator block. */
static bool compile_key(pparse_t *pp, const opinfo_t *oi, const cJSON *kv, pcond_t *c)
{
    size_t kn = kv->string ? strlen(kv->string) : 0;
    if (!kv->string || kn > POLICY_MAX_STR) return PP_SYNTAX(pp);
    c->key = arena_strndup(pp->arena, kv->string, kn);
    size_t n = 1;
    if (cJSON_IsArray(kv)) {
        n = 0;
        for (const cJSON *x = kv->child; x; x = x->next)
            if (++n > 1024) return PP_SYNTAX(pp);
    }
    c->vals = arena_zalloc(pp->arena, sizeof(*c->vals) * (n ? n : 1));
    const cJSON *x = cJSON_IsArray(kv) ? kv->child : kv;
    for (size_t i = 0; i < n; i++, x = x->next) {
        const char *s;
        if (!value_text(pp, x, &s)) return false;
        compile_value(pp, oi->fam, s, &c->vals[i]);
    }
    c->n_vals = n;
    return true;
}

/* Does obj name a member twice? (cJSON keeps both; AWS sees an ambiguous document) */
static bool has_dup_key(const cJSON *obj)
{
    for (const cJSON *a = obj->child; a; a = a->next)
        for (const cJSON *b = a->next; b; b = b->next)
            if (a->string && b->string && strcmp(a->string, b->string) == 0) return true;
    return false;
}

bool pcond_parse(pparse_t *pp, const cJSON *cond, pstmt_t *st)
{
    if (!cJSON_IsObject(cond)) return PP_SYNTAX(pp);
    size_t total = 0, n_ops = 0;
    for (const cJSON *op = cond->child; op; op = op->next) {
        if (!cJSON_IsObject(op) || ++n_ops > 64) return PP_SYNTAX(pp);
        for (const cJSON *kv = op->child; kv; kv = kv->next)
            if (++total > 1024) return PP_SYNTAX(pp);
    }
    /* quadratic, so only once the counts are known to be small */
    if (has_dup_key(cond)) return PP_SYNTAX(pp);
    for (const cJSON *op = cond->child; op; op = op->next)
        if (has_dup_key(op)) return PP_SYNTAX(pp);
    st->conds = arena_zalloc(pp->arena, sizeof(*st->conds) * (total ? total : 1));
    for (const cJSON *op = cond->child; op; op = op->next) {
        pqual_t qual;
        bool if_exists;
        const opinfo_t *oi = op->string ? op_lookup(op->string, &qual, &if_exists) : NULL;
        if (!oi) {
            if (op->child) return PP_SYNTAX(pp); /* AWS lets an empty unknown block pass */
            continue;
        }
        for (const cJSON *kv = op->child; kv; kv = kv->next) {
            pcond_t *c = &st->conds[st->n_conds++];
            c->op = oi->op, c->qual = qual, c->if_exists = if_exists;
            if (!compile_key(pp, oi, kv, c)) return false;
        }
    }
    return true;
}

/* ---- evaluation */

/* ARN comparison, component by component when both sides have the six fields. */
static bool arn_match(const char *pat, const char *arn)
{
    const char *pf[6], *af[6];
    size_t pn[6], an[6];
    int pk = 0, ak = 0;
    pf[0] = pat, af[0] = arn;
    for (const char *p = pat; *p && pk < 5; p++) {
        if (*p == '\\' && p[1])
            p++;
        else if (*p == ':')
            pn[pk] = (size_t)(p - pf[pk]), pf[++pk] = p + 1;
    }
    for (const char *a = arn; *a && ak < 5; a++)
        if (*a == ':') an[ak] = (size_t)(a - af[ak]), af[++ak] = a + 1;
    if (pk < 5 || ak < 5) return pat_match(pat, arn, false);
    pn[5] = strlen(pf[5]), an[5] = strlen(af[5]);
    char pbuf[POLICY_MAX_EXPAND + 1], abuf[POLICY_MAX_EXPAND + 1];
    for (int i = 0; i < 6; i++) {
        if (pn[i] > POLICY_MAX_EXPAND || an[i] > POLICY_MAX_EXPAND) return false;
        memcpy(pbuf, pf[i], pn[i]), pbuf[pn[i]] = '\0';
        memcpy(abuf, af[i], an[i]), abuf[an[i]] = '\0';
        if (!pat_match(pbuf, abuf, false)) return false;
    }
    return true;
}

/* Does request value r satisfy op's positive comparison against policy value v? */
static bool cmp_pos(pop_t pos, const pval_t *v, const char *r, const policy_ctx_t *ctx, buf_t *b)
{
    const char *s;
    double d;
    int64_t ms;
    pval_t ip;
    switch (pos) {
    case OP_STR_EQ:
        return pstr_value(&v->s, ctx, false, b, &s) && strcmp(s, r) == 0;
    case OP_STR_EQ_IC:
        return pstr_value(&v->s, ctx, false, b, &s) && strcasecmp(s, r) == 0;
    case OP_STR_LIKE:
        return pstr_value(&v->s, ctx, true, b, &s) && pat_match(s, r, false);
    case OP_ARN_EQ:
    case OP_ARN_LIKE:
        return pstr_value(&v->s, ctx, true, b, &s) && arn_match(s, r);
    case OP_NUM_EQ:
    case OP_NUM_LT:
    case OP_NUM_LE:
    case OP_NUM_GT:
    case OP_NUM_GE:
        if (!v->ok || !num_parse(r, &d)) return false;
        return pos == OP_NUM_EQ   ? d == v->num
               : pos == OP_NUM_LT ? d < v->num
               : pos == OP_NUM_LE ? d <= v->num
               : pos == OP_NUM_GT ? d > v->num
                                  : d >= v->num;
    case OP_DATE_EQ:
    case OP_DATE_LT:
    case OP_DATE_LE:
    case OP_DATE_GT:
    case OP_DATE_GE:
        if (!v->ok || !date_parse(r, &ms)) return false;
        return pos == OP_DATE_EQ   ? ms == v->ms
               : pos == OP_DATE_LT ? ms < v->ms
               : pos == OP_DATE_LE ? ms <= v->ms
               : pos == OP_DATE_GT ? ms > v->ms
                                   : ms >= v->ms;
    case OP_BOOL:
        return strcasecmp(v->s.raw, r) == 0;
    case OP_BIN_EQ:
        return strcmp(v->s.raw, r) == 0;
    case OP_IP:
        return v->ok && ip_parse(r, false, &ip) && ip_in(v, &ip);
    default:
        return false;
    }
}

/* Does request value r match any of the condition's values? (values are ORed) */
static bool any_value(const pcond_t *c, pop_t pos, const char *r, const policy_ctx_t *ctx, buf_t *b)
{
    for (size_t i = 0; i < c->n_vals; i++)
        if (cmp_pos(pos, &c->vals[i], r, ctx, b)) return true;
    return false;
}

/* One operator/key pair against the request context, with AWS's rules for absent keys,
 * ...IfExists and the ForAnyValue / ForAllValues set qualifiers. */
static bool cond_holds(const pcond_t *c, const policy_ctx_t *ctx, buf_t *b)
{
    const opinfo_t *oi = op_info(c->op);
    const policy_ctx_entry_t *e = pctx_find(ctx, c->key, strlen(c->key));
    size_t nr = e && e->values ? e->n_values : 0;
    if (c->op == OP_NULL) {
        for (size_t i = 0; i < c->n_vals; i++) {
            const char *v = c->vals[i].s.raw;
            if ((strcasecmp(v, "true") == 0 && nr == 0) || (strcasecmp(v, "false") == 0 && nr))
                return true;
        }
        return false;
    }
    if (nr == 0) {
        /* absent key: IfExists and ForAllValues hold, ForAnyValue fails, and otherwise
         * "the values do not match", so only the negated operators hold */
        if (c->if_exists || c->qual == Q_ALL) return true;
        return c->qual == Q_ANY ? false : oi->neg;
    }
    bool any = false, all = true;
    for (size_t i = 0; i < nr; i++) {
        const char *r = e->values[i] ? e->values[i] : "";
        bool m = any_value(c, oi->pos, r, ctx, b);
        if (c->qual != Q_NONE && oi->neg) m = !m; /* per value: matches none of the values */
        any = any || m;
        all = all && m;
    }
    if (c->qual == Q_ANY) return any;
    if (c->qual == Q_ALL) return all;
    return oi->neg ? !any : any;
}

bool pcond_all(const pstmt_t *st, const policy_ctx_t *ctx)
{
    if (!st->n_conds) return true;
    buf_t b;
    buf_init(&b, POLICY_MAX_EXPAND);
    bool ok = true;
    for (size_t i = 0; i < st->n_conds && ok; i++) ok = cond_holds(&st->conds[i], ctx, &b);
    buf_free(&b);
    return ok;
}
