/* policy_eval.c - the IAM policy language, part two: wildcard matching, policy variables,
 * statement matching and the decision over a principal's policy set (aws-api.md §7).
 * Everything here reads the immutable compact form built by policy.c and allocates only
 * a bounded scratch buffer per evaluation, so parsed policies can be shared between threads. */
#include "iam/policy_int.h"

#include <string.h>
#include <strings.h>

/* ---- wildcards */

static inline bool chr_eq(char a, char b, bool nocase)
{
    if (a == b) return true;
    if (!nocase) return false;
    if (a >= 'A' && a <= 'Z') a = (char)(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z') b = (char)(b - 'A' + 'a');
    return a == b;
}

/* Matches p[0..pn) against s[0..sn): '*' any run, '?' one byte, and with escapes '\x' the
 * literal x. Greedy with one backtrack point, so O(pn * sn) at worst and no recursion. */
static bool wc_match(const char *p, size_t pn, const char *s, size_t sn, bool nocase, bool escapes)
{
    size_t pi = 0, si = 0, star_p = 0, star_s = 0;
    bool star = false;
    while (si < sn) {
        if (pi < pn && p[pi] == '*') {
            while (pi < pn && p[pi] == '*') pi++;
            if (pi == pn) return true;
            star = true, star_p = pi, star_s = si;
            continue;
        }
        if (pi < pn && p[pi] == '?') {
            pi++, si++;
            continue;
        }
        if (pi < pn) {
            size_t step = escapes && p[pi] == '\\' && pi + 1 < pn ? 2 : 1;
            if (chr_eq(p[pi + step - 1], s[si], nocase)) {
                pi += step, si++;
                continue;
            }
        }
        if (!star) return false;
        pi = star_p, si = ++star_s;
    }
    while (pi < pn && p[pi] == '*') pi++;
    return pi == pn;
}

bool pat_match(const char *pat, const char *s, bool nocase)
{
    return pat && s && wc_match(pat, strlen(pat), s, strlen(s), nocase, true);
}

bool policy_wildcard(const char *pattern, const char *s, bool nocase)
{
    return pattern && s && wc_match(pattern, strlen(pattern), s, strlen(s), nocase, false);
}

/* ---- policy variables */

const policy_ctx_entry_t *pctx_find(const policy_ctx_t *ctx, const char *key, size_t n)
{
    if (!ctx || !ctx->entries) return NULL;
    for (size_t i = 0; i < ctx->n; i++) {
        const char *k = ctx->entries[i].key;
        if (k && strlen(k) == n && strncasecmp(k, key, n) == 0) return &ctx->entries[i];
    }
    return NULL;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Reads the inside of "${...}" (b..e) into t. False when it is not a variable, in which case
 * the text stays literal: "${a b}", "${}", "${x, default-without-quotes}". */
static bool parse_var(const char *b, const char *e, tpart_t *t)
{
    if (e - b == 1 && (*b == '*' || *b == '?' || *b == '$')) {
        *t = (tpart_t){.kind = TP_CHAR, .s = b, .n = 1};
        return true;
    }
    const char *comma = memchr(b, ',', (size_t)(e - b));
    const char *ke = comma ? comma : e;
    while (b < ke && is_space(*b)) b++;
    while (ke > b && is_space(ke[-1])) ke--;
    if (b == ke) return false;
    for (const char *c = b; c < ke; c++)
        if (is_space(*c) || *c == '$' || *c == '{' || *c == '\'') return false;
    *t = (tpart_t){.kind = TP_VAR, .s = b, .n = (size_t)(ke - b)};
    if (comma) {
        const char *d = comma + 1, *de = e;
        while (d < de && is_space(*d)) d++;
        while (de > d && is_space(de[-1])) de--;
        if (de - d < 2 || *d != '\'' || de[-1] != '\'') return false;
        t->def = d + 1;
        t->ndef = (size_t)(de - d - 2);
    }
    return true;
}

/* Splits s into parts; with parts NULL only counts them. Returns the count, 0 when s holds
 * no variable or escape. */
static size_t tokenize(const char *s, tpart_t *parts)
{
    size_t np = 0;
    bool special = false;
    const char *text = s, *p = s;
    while ((p = strstr(p, "${")) != NULL) {
        const char *close = strchr(p + 2, '}');
        tpart_t t;
        if (!close) break;
        if (!parse_var(p + 2, close, &t)) {
            p += 2;
            continue;
        }
        if (p > text) {
            if (parts) parts[np] = (tpart_t){.kind = TP_TEXT, .s = text, .n = (size_t)(p - text)};
            np++;
        }
        if (parts) parts[np] = t;
        np++;
        special = true;
        text = p = close + 1;
    }
    if (*text) {
        if (parts) parts[np] = (tpart_t){.kind = TP_TEXT, .s = text, .n = strlen(text)};
        np++;
    }
    return special ? np : 0;
}

/* Appends n bytes of s, escaping the pattern metacharacters unless keep_wild (TEXT parts in
 * pattern mode keep their '*' and '?'). */
static bool add_escaped(buf_t *b, const char *s, size_t n, bool keep_wild)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool meta = c == '\\' || (!keep_wild && (c == '*' || c == '?'));
        if ((meta && !buf_addc(b, '\\')) || !buf_addc(b, c)) return false;
    }
    return true;
}

void pstr_compile(pparse_t *pp, const char *s, pstr_t *out)
{
    *out = (pstr_t){.raw = s, .pat = s};
    size_t np = pp->vars ? tokenize(s, NULL) : 0;
    if (np) {
        tpart_t *parts = arena_alloc(pp->arena, sizeof(*parts) * np);
        tokenize(s, parts);
        out->parts = parts;
        out->nparts = np;
        return;
    }
    if (!strchr(s, '\\')) return;
    buf_t b;
    buf_init(&b, 2 * POLICY_MAX_STR + 1);
    add_escaped(&b, s, strlen(s), true); /* cannot pass the cap: at most doubles s */
    out->pat = arena_strndup(pp->arena, buf_str(&b), b.len);
    buf_free(&b);
}

bool pstr_value(const pstr_t *v, const policy_ctx_t *ctx, bool pattern, buf_t *b, const char **out)
{
    if (!v->nparts) {
        *out = pattern ? v->pat : v->raw;
        return true;
    }
    buf_reset(b);
    for (size_t i = 0; i < v->nparts; i++) {
        const tpart_t *t = &v->parts[i];
        const char *s = t->s;
        size_t n = t->n;
        if (t->kind == TP_VAR) {
            const policy_ctx_entry_t *e = pctx_find(ctx, t->s, t->n);
            if (e && e->n_values == 1 && e->values && e->values[0]) {
                s = e->values[0], n = strlen(s);
            } else if (t->def) {
                s = t->def, n = t->ndef;
            } else {
                return false; /* null: matches nothing */
            }
        }
        bool ok = pattern ? add_escaped(b, s, n, t->kind == TP_TEXT) : buf_add(b, s, n);
        if (!ok) return false;
    }
    *out = buf_str(b);
    return true;
}

/* ---- statements */

/* Action patterns ignore case; NotAction matches every action none of them matches. */
static bool action_match(const pstmt_t *st, const char *action)
{
    bool hit = false;
    for (size_t i = 0; i < st->actions.n && !hit; i++)
        hit = policy_wildcard(st->actions.v[i], action, true);
    return st->not_action ? !hit : hit;
}

/* Resource patterns are case-sensitive and may hold variables; a pattern whose variable has
 * no value matches nothing (so NotResource then matches). */
static bool resource_match(const pstmt_t *st, const policy_request_t *req, buf_t *b)
{
    if (!st->has_resource) return true;
    const char *r = req->resource ? req->resource : "*", *pat;
    bool hit = false;
    for (size_t i = 0; i < st->n_res && !hit; i++)
        hit = pstr_value(&st->res[i], req->ctx, true, b, &pat) && pat_match(pat, r, false);
    return st->not_resource ? !hit : hit;
}

static bool in_list(const slist_t *l, const char *s, bool nocase)
{
    for (size_t i = 0; s && i < l->n; i++)
        if (nocase ? strcasecmp(l->v[i], s) == 0 : strcmp(l->v[i], s) == 0) return true;
    return false;
}

/* The 12-digit account of an "arn:aws:iam::ACCT:..." / "arn:aws:sts::ACCT:..." ARN into
 * out[13]; false when arn has no such field. */
static bool arn_account(const char *arn, char out[13])
{
    const char *p = arn;
    for (int k = 0; k < 4 && p; k++) {
        p = strchr(p, ':');
        if (p) p++;
    }
    if (!p || strlen(p) < 13 || p[12] != ':') return false;
    for (int i = 0; i < 12; i++)
        if (p[i] < '0' || p[i] > '9') return false;
    memcpy(out, p, 12);
    out[12] = '\0';
    return true;
}

/* Does the asking principal appear in pr? Service principals match only Service entries
 * and AWS principals only AWS entries; "Principal": "*" matches everyone. */
static bool principal_hit(const pprin_t *pr, const policy_principal_t *who)
{
    static const policy_principal_t nobody;
    if (!who) who = &nobody;
    if (who->named_only) return in_list(&pr->arns, who->aws_arn, false);
    if (pr->everyone) return true;
    if (who->service) return in_list(&pr->services, who->service, true);
    if (who->federated) return in_list(&pr->federated, who->federated, false);
    char acct[13];
    const char *account = who->account;
    if (!account && who->aws_arn && arn_account(who->aws_arn, acct)) account = acct;
    if (pr->any_aws && (who->aws_arn || account)) return true;
    return in_list(&pr->accounts, account, false) || in_list(&pr->arns, who->aws_arn, false) ||
           in_list(&pr->arns, who->role_arn, false);
}

/* A statement applies when its action, resource, principal and every condition match. */
static bool stmt_applies(const pstmt_t *st, const policy_request_t *req, buf_t *b)
{
    if (!action_match(st, req->action) || !resource_match(st, req, b)) return false;
    if (st->has_principal && st->not_principal && req->principal && req->principal->named_only)
        return false; /* NotPrincipal names by exclusion, never exactly */
    if (st->has_principal && principal_hit(&st->prin, req->principal) == st->not_principal)
        return false;
    return pcond_all(st, req->ctx);
}

policy_effect_t policy_eval(const policy_t *p, const policy_request_t *req, const char **sid)
{
    policy_effect_t eff = POLICY_NO_MATCH;
    const pstmt_t *decider = NULL;
    if (sid) *sid = "";
    if (!p || !req || !req->action) return eff;
    buf_t b;
    buf_init(&b, POLICY_MAX_EXPAND);
    for (size_t i = 0; i < p->n_stmts; i++) {
        const pstmt_t *st = &p->stmts[i];
        if (!st->deny && decider) continue; /* an Allow is known: only a Deny can change it */
        if (!stmt_applies(st, req, &b)) continue;
        decider = st;
        eff = st->deny ? POLICY_DENY : POLICY_ALLOW;
        if (st->deny) break;
    }
    buf_free(&b);
    if (sid && decider) *sid = decider->sid;
    return eff;
}

policy_decision_t policy_decide(const policy_set_t *set, const policy_request_t *req,
                                policy_layer_t *why)
{
    policy_layer_t ignore;
    if (!why) why = &ignore;
    *why = POLICY_LAYER_IDENTITY;
    if (!set || !req) return POLICY_IMPLICIT_DENY;
    bool allowed = false, has_session = false, session_allows = false;
    for (size_t i = 0; i < set->n_identity; i++) {
        if (!set->identity || !set->identity[i]) continue;
        policy_effect_t e = policy_eval(set->identity[i], req, NULL);
        if (e == POLICY_DENY) return POLICY_EXPLICIT_DENY;
        allowed = allowed || e == POLICY_ALLOW;
    }
    policy_effect_t be = set->boundary ? policy_eval(set->boundary, req, NULL) : POLICY_ALLOW;
    if (be == POLICY_DENY) return (*why = POLICY_LAYER_BOUNDARY), POLICY_EXPLICIT_DENY;
    for (size_t i = 0; i < set->n_session; i++) {
        if (!set->session || !set->session[i]) continue;
        policy_effect_t e = policy_eval(set->session[i], req, NULL);
        if (e == POLICY_DENY) return (*why = POLICY_LAYER_SESSION), POLICY_EXPLICIT_DENY;
        has_session = true;
        session_allows = session_allows || e == POLICY_ALLOW;
    }
    if (!allowed) return POLICY_IMPLICIT_DENY;
    if (be != POLICY_ALLOW) return (*why = POLICY_LAYER_BOUNDARY), POLICY_IMPLICIT_DENY;
    if (has_session && !session_allows) return (*why = POLICY_LAYER_SESSION), POLICY_IMPLICIT_DENY;
    *why = POLICY_LAYER_NONE;
    return POLICY_ALLOWED;
}
