/* policy.c - the IAM policy language, part one: parse a JSON document, validate it with
 * AWS's MalformedPolicyDocument messages, and build the compact form of policy_int.h.
 * Conditions and variables are compiled in policy_cond.c / policy_eval.c; evaluation lives
 * in policy_eval.c. */
#include "iam/policy_int.h"

#include "core/mem.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define POLICY_MAX_ITEMS 1024 /* members of any one JSON object or array */

/* AWS's MalformedPolicyDocument texts, as IAM returns them (gathered from error reports in
 * public issue trackers and moto's table of AWS-recorded responses). MSG_SYNTAX and
 * MSG_LEGACY live in policy_int.h; the resource and principal texts are built inline. */
#define MSG_BAD_JSON_TRUST "This policy contains invalid Json"
#define MSG_NO_ACTIONS     "Policy statement must contain actions."
#define MSG_NO_RESOURCES   "Policy statement must contain resources."
#define MSG_VENDOR                                                                                 \
    "Actions/Conditions must be prefaced by a vendor, "                                            \
    "e.g., iam, sdb, ec2, etc."
#define MSG_ONE_COLON       "Actions/Condition can contain only one colon."
#define MSG_VENDOR_FQ       "Resource vendor must be fully qualified and cannot contain regexes."
#define MSG_HAS_PRINCIPAL   "Policy document should not specify a principal."
#define MSG_NO_PRINCIPAL    "Missing required field Principal"
#define MSG_NO_EFFECT_TRUST "Missing required field Effect" /* [inferred] trust policies */
#define MSG_SID_UNIQUE      "Statement IDs (SID) in a single policy must be unique."
#define MSG_SID_ALNUM                                                                              \
    "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular "      \
    "expression [0-9A-Za-z]*"
#define MSG_NO_PRINCIPALS                                                                          \
    "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed "      \
    "in policy has a statement with no principals!"

bool pp_fail(pparse_t *pp, prank_t rank, const char *fmt, ...)
{
    if (rank < pp->rank) {
        pp->rank = rank;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(pp->msg, sizeof(pp->msg), fmt, ap);
        va_end(ap);
    }
    return false;
}

bool pp_str(pparse_t *pp, const cJSON *j, const char **out)
{
    if (!cJSON_IsString(j) || !j->valuestring) return PP_SYNTAX(pp);
    size_t n = strlen(j->valuestring);
    if (n > POLICY_MAX_STR) return PP_SYNTAX(pp);
    *out = arena_strndup(pp->arena, j->valuestring, n);
    return true;
}

/* Members of an object or array, or -1 when there are more than POLICY_MAX_ITEMS. */
static int item_count(const cJSON *j)
{
    int n = 0;
    for (const cJSON *c = j->child; c; c = c->next)
        if (++n > POLICY_MAX_ITEMS) return -1;
    return n;
}

/* Reads a string, or an array of strings (possibly empty), into out. */
static bool pp_strings(pparse_t *pp, const cJSON *j, slist_t *out)
{
    if (cJSON_IsString(j)) {
        out->v = arena_alloc(pp->arena, sizeof(*out->v));
        out->n = 1;
        return pp_str(pp, j, &out->v[0]);
    }
    if (!cJSON_IsArray(j)) return PP_SYNTAX(pp);
    int n = item_count(j);
    if (n < 0) return PP_SYNTAX(pp);
    out->v = arena_alloc(pp->arena, sizeof(*out->v) * (size_t)(n ? n : 1));
    out->n = 0;
    for (const cJSON *c = j->child; c; c = c->next)
        if (!pp_str(pp, c, &out->v[out->n++])) return false;
    return true;
}

/* Rejects nesting deeper than POLICY_MAX_DEPTH before cJSON recurses into it. */
static bool depth_ok(const char *s, size_t n)
{
    int depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > POLICY_MAX_DEPTH) return false;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return true;
}

/* ---- Effect, Action, Resource */

/* Effect: exactly "Allow" or "Deny"; another casing fails legacy parsing, anything else is a
 * syntax error. The parse helpers below return false only for a syntax error (the walk
 * stops); lesser problems are recorded in pp and the walk goes on. */
static bool parse_effect(pparse_t *pp, const cJSON *j, pstmt_t *st)
{
    if (!j) {
        if (pp->kind == POLICY_IDENTITY) return PP_SYNTAX(pp);
        pp_fail(pp, RANK_FIELD, MSG_NO_EFFECT_TRUST);
        return true;
    }
    if (!cJSON_IsString(j) || !j->valuestring) return PP_SYNTAX(pp);
    const char *e = j->valuestring;
    if (strcmp(e, "Allow") == 0 || strcmp(e, "Deny") == 0) {
        st->deny = e[0] == 'D';
    } else if (strcasecmp(e, "Allow") == 0 || strcasecmp(e, "Deny") == 0) {
        pp_fail(pp, RANK_LEGACY, MSG_LEGACY);
    } else {
        return PP_SYNTAX(pp);
    }
    return true;
}

/* Records AWS's complaint about an action that is not "*" or "vendor:name". */
static void check_action(pparse_t *pp, const char *a)
{
    if (strcmp(a, "*") == 0) return;
    const char *colon = strchr(a, ':');
    if (!colon) {
        pp_fail(pp, RANK_ACTION_FORMAT, MSG_VENDOR);
        return;
    }
    if (strchr(colon + 1, ':')) {
        pp_fail(pp, RANK_ACTION_FORMAT, MSG_ONE_COLON);
        return;
    }
    int vn = (int)(colon - a);
    if (vn == 1 && a[0] == '*') return;
    for (int i = 0; i < vn; i++) {
        unsigned char c = (unsigned char)a[i];
        if (!isalnum(c) && c != '-' && c != '.') {
            pp_fail(pp, RANK_ACTION_FORMAT, "Vendor %.*s is not valid", vn, a);
            return;
        }
    }
}

/* Action or NotAction (j, NULL when the statement has neither) into st->actions. */
static bool parse_actions(pparse_t *pp, const cJSON *j, pstmt_t *st)
{
    if (!j) {
        pp_fail(pp, RANK_ACTIONS, MSG_NO_ACTIONS);
        return true;
    }
    if (!pp_strings(pp, j, &st->actions)) return false;
    if (st->actions.n == 0) pp_fail(pp, RANK_ACTIONS, MSG_NO_ACTIONS);
    for (size_t i = 0; i < st->actions.n; i++) check_action(pp, st->actions.v[i]);
    return true;
}

/* Records AWS's complaint about a Resource that is not "*" or a usable ARN. Only the
 * partition "aws" is accepted, as catalogd serves that partition alone. */
static void check_resource(pparse_t *pp, const char *r)
{
    if (strcmp(r, "*") == 0) return;
    if (strncmp(r, "arn:", 4) != 0) {
        pp_fail(pp, RANK_RES_FORMAT, "Resource %s must be in ARN format or \"*\".", r);
        return;
    }
    const char *part = r + 4, *rest = strchr(part, ':');
    if (!rest) {
        pp_fail(pp, RANK_RES_FORMAT, MSG_VENDOR_FQ);
        return;
    }
    int pn = (int)(rest - part);
    if (pn != 3 || strncmp(part, "aws", 3) != 0) {
        /* AWS spells the resource out with '*' for each missing field */
        const char *f[4] = {"*", "*", "*", "*"};
        int fl[4] = {1, 1, 1, 1}, k = 0;
        const char *p = rest + 1;
        while (k < 3) {
            const char *c = strchr(p, ':');
            if (!c) break;
            f[k] = p, fl[k] = (int)(c - p), k++;
            p = c + 1;
        }
        if (*p || k > 0) f[k] = p, fl[k] = (int)strlen(p);
        pp_fail(pp, RANK_RES_FORMAT,
                "Partition \"%.*s\" is not valid for resource \"arn:%.*s:%.*s:%.*s:%.*s:%.*s\".",
                pn, part, pn, part, fl[0], f[0], fl[1], f[1], fl[2], f[2], fl[3], f[3]);
        return;
    }
    int colons = 0;
    for (const char *p = r; *p; p++) colons += *p == ':';
    const char *svc = rest + 1;
    if ((colons < 5 && strstr(r, "::")) || *svc == ':' || *svc == '\0')
        pp_fail(pp, RANK_LEGACY, MSG_LEGACY);
}

/* Resource / NotResource: required in identity policies, prohibited in trust policies. */
static bool parse_resources(pparse_t *pp, const cJSON *res, const cJSON *notres, pstmt_t *st)
{
    const cJSON *j = res ? res : notres;
    if (pp->kind == POLICY_TRUST) {
        if (j) pp_fail(pp, RANK_FIELD, "Has prohibited field %s", res ? "Resource" : "NotResource");
        return true;
    }
    st->has_resource = true;
    st->not_resource = !res && notres;
    if (!j) {
        pp_fail(pp, RANK_RESOURCES, MSG_NO_RESOURCES);
        return true;
    }
    slist_t l;
    if (!pp_strings(pp, j, &l)) return false;
    if (l.n == 0) pp_fail(pp, RANK_RESOURCES, MSG_NO_RESOURCES);
    st->res = arena_zalloc(pp->arena, sizeof(*st->res) * (l.n ? l.n : 1));
    st->n_res = l.n;
    for (size_t i = 0; i < l.n; i++) {
        check_resource(pp, l.v[i]);
        pstr_compile(pp, l.v[i], &st->res[i]);
    }
    return true;
}

/* ---- Principal / NotPrincipal (trust policies) */

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

static void slist_push(arena_t *a, slist_t *l, const char *s)
{
    const char **v = arena_alloc(a, sizeof(*v) * (l->n + 1));
    if (l->n) memcpy(v, l->v, sizeof(*v) * l->n);
    v[l->n++] = s;
    l->v = v;
}

/* Sorts one "AWS" principal value into the account / ARN lists. */
static void add_aws_principal(pparse_t *pp, pprin_t *pr, const char *v)
{
    static const char root_pfx[] = "arn:aws:iam::";
    size_t n = strlen(v), rp = sizeof(root_pfx) - 1;
    if (strcmp(v, "*") == 0) {
        pr->any_aws = true;
    } else if (n == 12 && all_digits(v, 12)) {
        slist_push(pp->arena, &pr->accounts, v);
    } else if (n == rp + 12 + 5 && strncmp(v, root_pfx, rp) == 0 && all_digits(v + rp, 12) &&
               strcmp(v + rp + 12, ":root") == 0) {
        slist_push(pp->arena, &pr->accounts, arena_strndup(pp->arena, v + rp, 12));
    } else if ((strncmp(v, root_pfx, rp) == 0 || strncmp(v, "arn:aws:sts::", rp) == 0) &&
               !strpbrk(v, "*?")) {
        slist_push(pp->arena, &pr->arns, v);
    } else {
        pp_fail(pp, RANK_FIELD, "Invalid principal in policy: \"AWS\":\"%s\"", v);
    }
}

/* Principal / NotPrincipal: required in trust policies ("*" or an object of AWS, Service and
 * Federated lists), refused in identity policies. */
static bool parse_principal(pparse_t *pp, const cJSON *pr, const cJSON *notpr, pstmt_t *st)
{
    const cJSON *j = pr ? pr : notpr;
    if (pp->kind == POLICY_IDENTITY) {
        if (j) pp_fail(pp, RANK_FIELD, MSG_HAS_PRINCIPAL);
        return true;
    }
    st->has_principal = true;
    st->not_principal = !pr && notpr;
    if (!j) {
        pp_fail(pp, RANK_FIELD, MSG_NO_PRINCIPAL);
        return true;
    }
    if (cJSON_IsString(j)) {
        if (!j->valuestring || strcmp(j->valuestring, "*") != 0) return PP_SYNTAX(pp);
        st->prin.everyone = true;
        return true;
    }
    if (!cJSON_IsObject(j)) return PP_SYNTAX(pp);
    bool seen[3] = {false, false, false};
    size_t total = 0;
    for (const cJSON *c = j->child; c; c = c->next) {
        int k = !c->string                            ? -1
                : strcmp(c->string, "AWS") == 0       ? 0
                : strcmp(c->string, "Service") == 0   ? 1
                : strcmp(c->string, "Federated") == 0 ? 2
                                                      : -1;
        if (k < 0 || seen[k]) return PP_SYNTAX(pp);
        seen[k] = true;
        slist_t l;
        if (!pp_strings(pp, c, &l)) return false;
        total += l.n;
        for (size_t i = 0; i < l.n; i++) {
            const char *v = l.v[i];
            if (k == 0) {
                add_aws_principal(pp, &st->prin, v);
            } else if (k == 1 && (!strchr(v, '.') || strpbrk(v, "*?"))) {
                pp_fail(pp, RANK_FIELD, "Invalid principal in policy: \"SERVICE\":\"%s\"", v);
            } else if (!*v) {
                pp_fail(pp, RANK_FIELD, "Invalid principal in policy: \"FEDERATED\":\"\"");
            } else {
                slist_push(pp->arena, k == 1 ? &st->prin.services : &st->prin.federated, v);
            }
        }
    }
    if (total == 0) pp_fail(pp, RANK_FIELD, MSG_NO_PRINCIPALS);
    return true;
}

/* ---- statements and the document */

enum {
    F_SID,
    F_EFFECT,
    F_ACTION,
    F_NOTACTION,
    F_RESOURCE,
    F_NOTRESOURCE,
    F_PRINCIPAL,
    F_NOTPRINCIPAL,
    F_CONDITION,
    F_COUNT
};

static const char *const FIELD_NAMES[F_COUNT] = {
    "Sid",         "Effect",    "Action",       "NotAction", "Resource",
    "NotResource", "Principal", "NotPrincipal", "Condition",
};

/* One statement: an object of known, unrepeated fields, at most one of each Not- pair. */
static bool parse_stmt(pparse_t *pp, const cJSON *j, pstmt_t *st)
{
    const cJSON *f[F_COUNT] = {0};
    if (!cJSON_IsObject(j)) return PP_SYNTAX(pp);
    for (const cJSON *c = j->child; c; c = c->next) {
        int k = 0;
        while (k < F_COUNT && (!c->string || strcmp(c->string, FIELD_NAMES[k]) != 0)) k++;
        if (k == F_COUNT || f[k]) return PP_SYNTAX(pp); /* unknown or duplicate */
        f[k] = c;
    }
    if ((f[F_ACTION] && f[F_NOTACTION]) || (f[F_RESOURCE] && f[F_NOTRESOURCE]) ||
        (f[F_PRINCIPAL] && f[F_NOTPRINCIPAL]))
        return PP_SYNTAX(pp);
    st->sid = "";
    if (f[F_SID] && !pp_str(pp, f[F_SID], &st->sid)) return false;
    st->not_action = !f[F_ACTION] && f[F_NOTACTION];
    return parse_effect(pp, f[F_EFFECT], st) &&
           parse_actions(pp, f[F_ACTION] ? f[F_ACTION] : f[F_NOTACTION], st) &&
           parse_resources(pp, f[F_RESOURCE], f[F_NOTRESOURCE], st) &&
           parse_principal(pp, f[F_PRINCIPAL], f[F_NOTPRINCIPAL], st) &&
           (!f[F_CONDITION] || pcond_parse(pp, f[F_CONDITION], st));
}

/* Sids must be unique; identity policies also want them alphanumeric. */
static void check_sids(pparse_t *pp, const policy_t *p)
{
    for (size_t i = 0; i < p->n_stmts; i++) {
        const char *s = p->stmts[i].sid;
        if (!*s) continue;
        if (pp->kind == POLICY_IDENTITY) {
            for (const char *c = s; *c; c++)
                if (!isalnum((unsigned char)*c)) {
                    pp_fail(pp, RANK_SID, MSG_SID_ALNUM);
                    break;
                }
        }
        for (size_t k = i + 1; k < p->n_stmts; k++)
            if (strcmp(s, p->stmts[k].sid) == 0) pp_fail(pp, RANK_SID, MSG_SID_UNIQUE);
    }
}

/* The document: Version, Id and Statement (an object or a non-empty array) and nothing else.
 * Fills p from pp's arena; problems are left in pp. */
static bool parse_doc(pparse_t *pp, const cJSON *root, policy_t *p)
{
    const cJSON *version = NULL, *id = NULL, *stmts = NULL;
    if (!cJSON_IsObject(root)) return PP_SYNTAX(pp);
    for (const cJSON *c = root->child; c; c = c->next) {
        const cJSON **slot = !c->string                            ? NULL
                             : strcmp(c->string, "Version") == 0   ? &version
                             : strcmp(c->string, "Id") == 0        ? &id
                             : strcmp(c->string, "Statement") == 0 ? &stmts
                                                                   : NULL;
        if (!slot || *slot) return PP_SYNTAX(pp);
        *slot = c;
    }
    if (version) {
        if (!pp_str(pp, version, &p->version)) return false;
        if (strcmp(p->version, "2012-10-17") != 0 && strcmp(p->version, "2008-10-17") != 0)
            return PP_SYNTAX(pp);
        p->vars = pp->vars = strcmp(p->version, "2012-10-17") == 0;
    }
    const char *idstr;
    if (id && !pp_str(pp, id, &idstr)) return false;
    if (!stmts || !(cJSON_IsObject(stmts) || cJSON_IsArray(stmts))) return PP_SYNTAX(pp);
    int n = cJSON_IsObject(stmts) ? 1 : item_count(stmts);
    if (n <= 0) return PP_SYNTAX(pp);
    p->stmts = arena_zalloc(pp->arena, sizeof(*p->stmts) * (size_t)n);
    p->n_stmts = (size_t)n;
    if (cJSON_IsObject(stmts)) {
        if (!parse_stmt(pp, stmts, &p->stmts[0])) return false;
    } else {
        size_t i = 0;
        for (const cJSON *c = stmts->child; c; c = c->next)
            if (!parse_stmt(pp, c, &p->stmts[i++])) return false;
    }
    check_sids(pp, p);
    return true;
}

err_t policy_parse(span_t doc, policy_kind_t kind, policy_t **out, errbuf_t *eb)
{
    const char *bad_json = kind == POLICY_TRUST ? MSG_BAD_JSON_TRUST : MSG_SYNTAX;
    err_t rc = ERR_OK;
    char *text = NULL;
    cJSON *root = NULL;
    policy_t *p = NULL;

    if ((!doc.p && doc.n) || doc.n > POLICY_MAX_DOC || (doc.n && memchr(doc.p, '\0', doc.n)) ||
        !depth_ok(doc.p, doc.n)) {
        rc = err_fail(eb, ERR_IAM_MALFORMED_POLICY, "%s", bad_json);
        goto done;
    }
    text = xmalloc(doc.n + 1);
    if (doc.n) memcpy(text, doc.p, doc.n);
    text[doc.n] = '\0';
    root = cJSON_ParseWithOpts(text, NULL, 1);
    if (!root) {
        rc = err_fail(eb, ERR_IAM_MALFORMED_POLICY, "%s", bad_json);
        goto done;
    }
    p = xcalloc(1, sizeof(*p));
    arena_init(&p->arena);
    p->kind = kind;
    pparse_t pp = {.arena = &p->arena, .kind = kind, .rank = RANK_NONE};
    parse_doc(&pp, root, p);
    if (pp.rank != RANK_NONE) {
        rc = err_fail(eb, ERR_IAM_MALFORMED_POLICY, "%s", pp.msg);
        goto done;
    }
    *out = p;
    p = NULL;
done:
    policy_free(p);
    cJSON_Delete(root);
    free(text);
    return rc;
}

void policy_free(policy_t *p)
{
    if (!p) return;
    arena_free(&p->arena);
    free(p);
}

const char *policy_version(const policy_t *p)
{
    return p ? p->version : NULL;
}

size_t policy_size_nows(span_t doc)
{
    size_t n = 0;
    for (size_t i = 0; i < doc.n; i++) {
        unsigned char c = (unsigned char)doc.p[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
        if ((c & 0xC0) == 0x80) continue; /* UTF-8 continuation: one character, one count */
        n++;
    }
    return n;
}
