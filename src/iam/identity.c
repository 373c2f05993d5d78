/* identity.c - resolving principals and gathering their policies from the IAM entities
 * kept in the resource tables (kinds and links defined by svc/iam/iam_int.h). */
#include "iam/identity.h"

#include "core/mem.h"
#include "res/res.h"

#include <argon2.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Kept in step with svc/iam/iam_int.h. */
#define K_USER    "iam.user"
#define K_GROUP   "iam.group"
#define K_ROLE    "iam.role"
#define K_POLICY  "iam.policy"
#define K_VERSION "iam.policy_version"
#define K_INLINE  "iam.inline"
#define K_LOGIN   "iam.login_profile"
#define K_PROFILE "iam.instance_profile"
#define L_MEMBER  "iam.member"
#define L_ATTACH  "iam.attach"

static const char *json_str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static err_t invalid_token(errbuf_t *eb)
{
    return err_fail(eb, ERR_INVALID_CLIENT_TOKEN,
                    "The security token included in the request is invalid.");
}

/* Fills who from a user body. */
static void who_user(auth_principal_t *who, const char *account, const cJSON *u)
{
    who->kind = AUTH_USER;
    snprintf(who->account, sizeof(who->account), "%s", account);
    snprintf(who->arn, sizeof(who->arn), "%s", json_str(u, "Arn"));
    snprintf(who->user_id, sizeof(who->user_id), "%s", json_str(u, "UserId"));
    snprintf(who->name, sizeof(who->name), "%s", json_str(u, "UserName"));
    snprintf(who->path, sizeof(who->path), "%s", json_str(u, "Path"));
}

err_t iam_identity_find(store_tx_t *tx, const char *account, const char *type, const char *name,
                        cJSON **out, errbuf_t *eb)
{
    *out = NULL;
    const char *kind = !strcmp(type, "user")               ? K_USER
                       : !strcmp(type, "group")            ? K_GROUP
                       : !strcmp(type, "role")             ? K_ROLE
                       : !strcmp(type, "instance-profile") ? K_PROFILE
                                                           : NULL;
    if (!kind || !name) return ERR_OK;
    char *folded = xstrdup(name); /* names are unique without regard to case */
    for (char *p = folded; *p; p++) *p = (char)tolower((unsigned char)*p);
    err_t rc = res_get_by_name(tx, account, kind, folded, out, eb);
    free(folded);
    return rc;
}

err_t iam_identity_login(store_tx_t *tx, const char *account, const char *name, char *hash,
                         size_t cap, auth_principal_t *who, bool *found, errbuf_t *eb)
{
    *found = false;
    cJSON *u = NULL, *lp = NULL;
    err_t rc = iam_identity_find(tx, account, "user", name, &u, eb);
    const char *id = json_str(u, "UserId");
    if (!rc && id) rc = res_get(tx, &(res_key_t){account, K_LOGIN, id}, &lp, eb);
    const char *h = json_str(lp, "PasswordHash");
    if (!rc && h) {
        who_user(who, account, u);
        snprintf(hash, cap, "%s", h);
        *found = true;
    }
    cJSON_Delete(u);
    cJSON_Delete(lp);
    return rc;
}

bool iam_login_verify(const char *encoded, const char *password)
{
    return encoded && password && argon2id_verify(encoded, password, strlen(password)) == ARGON2_OK;
}

err_t iam_identity_resolve(void *ud, store_tx_t *tx, const char *account, const char *kind,
                           const char *principal, auth_principal_t *who, errbuf_t *eb)
{
    (void)ud;
    memset(who, 0, sizeof(*who));
    if (!strcmp(kind, "user")) {
        cJSON *u = NULL;
        err_t rc = res_get(tx, &(res_key_t){account, K_USER, principal}, &u, eb);
        if (!rc && !u) rc = invalid_token(eb);
        if (!rc) who_user(who, account, u);
        cJSON_Delete(u);
        return rc;
    }
    if (strcmp(kind, "session")) return invalid_token(eb);
    cJSON *rec = cJSON_Parse(principal);
    const char *role_id = json_str(rec, "role");
    const char *user_id = json_str(rec, "user");
    const char *session = json_str(rec, "session");
    err_t rc = ERR_OK;
    cJSON *e = NULL;
    if (role_id) {
        rc = res_get(tx, &(res_key_t){account, K_ROLE, role_id}, &e, eb);
        if (!rc && !e) rc = invalid_token(eb); /* the role is gone, and its sessions with it */
        if (!rc) {
            const char *name = json_str(e, "RoleName");
            who->kind = AUTH_ROLE_SESSION;
            snprintf(who->account, sizeof(who->account), "%s", account);
            snprintf(who->arn, sizeof(who->arn), "arn:aws:sts::%s:assumed-role/%s/%s", account,
                     name, session ? session : "");
            snprintf(who->user_id, sizeof(who->user_id), "%s:%s", role_id, session ? session : "");
            snprintf(who->name, sizeof(who->name), "%s", name);
            snprintf(who->path, sizeof(who->path), "%s", json_str(e, "Path"));
            snprintf(who->session, sizeof(who->session), "%s", session ? session : "");
            snprintf(who->role_arn, sizeof(who->role_arn), "%s", json_str(e, "Arn"));
        }
    } else if (user_id) {
        /* GetSessionToken or a console sign-in: the user's own permissions, temporary keys */
        rc = res_get(tx, &(res_key_t){account, K_USER, user_id}, &e, eb);
        if (!rc && !e) rc = invalid_token(eb);
        if (!rc) who_user(who, account, e);
    } else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "root"))) {
        who->kind = AUTH_ROOT;
        snprintf(who->account, sizeof(who->account), "%s", account);
        snprintf(who->arn, sizeof(who->arn), "arn:aws:iam::%s:root", account);
        snprintf(who->user_id, sizeof(who->user_id), "%s", account);
        snprintf(who->name, sizeof(who->name), "root");
    } else {
        rc = invalid_token(eb);
    }
    if (!rc && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "fed"))) {
        /* a federated user: its own name and ARN; its permissions are those of the user
         * (or root) that asked for it, narrowed by the session policies (the record's) */
        who->kind = AUTH_USER;
        snprintf(who->arn, sizeof(who->arn), "arn:aws:sts::%s:federated-user/%s", account,
                 session ? session : "");
        snprintf(who->user_id, sizeof(who->user_id), "%s:%s", account, session ? session : "");
        snprintf(who->name, sizeof(who->name), "%s", session ? session : "");
        snprintf(who->session, sizeof(who->session), "%s", session ? session : "");
        who->from_get_session_token = true; /* no IAM, and of STS little, as AWS says */
    }
    if (!rc) {
        if (!who->from_get_session_token)
            who->from_get_session_token =
                cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "gst"));
        const cJSON *mfa = cJSON_GetObjectItemCaseSensitive(rec, "mfa");
        who->mfa_ms = cJSON_IsNumber(mfa) ? (int64_t)mfa->valuedouble : 0;
    }
    cJSON_Delete(e);
    cJSON_Delete(rec);
    return rc;
}

char *iam_session_record(const char *role_id, const char *user_id, const char *session,
                         const char *inline_policy, const cJSON *policy_arns,
                         const char *source_arn, unsigned flags)
{
    cJSON *r = cJSON_CreateObject();
    if (role_id) cJSON_AddStringToObject(r, "role", role_id);
    if (user_id) cJSON_AddStringToObject(r, "user", user_id);
    if (flags & IAM_SESSION_ROOT) cJSON_AddBoolToObject(r, "root", true);
    if (flags & IAM_SESSION_TOKEN) cJSON_AddBoolToObject(r, "gst", true);
    if (flags & IAM_SESSION_FEDERATED) cJSON_AddBoolToObject(r, "fed", true);
    if (session) cJSON_AddStringToObject(r, "session", session);
    if (inline_policy) cJSON_AddStringToObject(r, "policy", inline_policy);
    if (policy_arns && cJSON_GetArraySize(policy_arns))
        cJSON_AddItemToObject(r, "arns", cJSON_Duplicate(policy_arns, 1));
    if (source_arn) cJSON_AddStringToObject(r, "source", source_arn);
    char *s = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    return s;
}

char *iam_session_record_mfa(char *record, int64_t mfa_ms)
{
    if (!mfa_ms) return record;
    cJSON *r = cJSON_Parse(record);
    cJSON_free(record);
    cJSON_AddNumberToObject(r, "mfa", (double)mfa_ms);
    char *s = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    return s;
}

err_t iam_managed_policy_doc(store_tx_t *tx, const char *account, const char *arn, arena_t *arena,
                             char **doc, errbuf_t *eb)
{
    const char *owner = !strncmp(arn, "arn:aws:iam::aws:", 17) ? "aws" : account;
    cJSON *p = NULL, *v = NULL;
    *doc = NULL;
    err_t rc = res_get_by_name(tx, owner, K_POLICY, arn, &p, eb);
    if (!rc && p) {
        char id[160];
        snprintf(id, sizeof(id), "%s:%s", json_str(p, "PolicyId"), json_str(p, "DefaultVersionId"));
        rc = res_get(tx, &(res_key_t){owner, K_VERSION, id}, &v, eb);
        if (!rc && v && json_str(v, "Document"))
            *doc = arena_strdup(arena, json_str(v, "Document"));
    }
    cJSON_Delete(p);
    cJSON_Delete(v);
    return rc;
}

/* A policy that allows nothing (a policy with no statement does not parse). */
#define IAM_ALLOW_NOTHING                                                                          \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"                 \
    "\"catalogd:Nothing\",\"Resource\":\"*\"}]}"

typedef struct collect {
    store_tx_t *tx;
    const char *account;
    arena_t *arena;
    errbuf_t *eb;
    iam_policies_t *out;
    size_t cap_all, cap_id, cap_sess;
} collect_t;

/* Parses doc and files it as identity (to_session false) or session policy. */
static void collect_doc(collect_t *c, const char *doc, int where)
{
    policy_t *p = NULL;
    errbuf_t ignore;
    if (!doc || policy_parse(span_of(doc), POLICY_IDENTITY, &p, &ignore)) return;
    iam_policies_t *o = c->out;
    if (o->n_all == c->cap_all) {
        c->cap_all = c->cap_all ? c->cap_all * 2 : 8;
        o->all = xrealloc(o->all, sizeof(*o->all) * c->cap_all);
    }
    o->all[o->n_all++] = p;
    if (where == 0) {
        if (o->set.n_identity == c->cap_id) {
            c->cap_id = c->cap_id ? c->cap_id * 2 : 8;
            o->identity = xrealloc(o->identity, sizeof(*o->identity) * c->cap_id);
        }
        o->identity[o->set.n_identity++] = p;
    } else if (where == 1) {
        if (o->set.n_session == c->cap_sess) {
            c->cap_sess = c->cap_sess ? c->cap_sess * 2 : 4;
            o->session = xrealloc(o->session, sizeof(*o->session) * c->cap_sess);
        }
        o->session[o->set.n_session++] = p;
    } else {
        o->set.boundary = p;
    }
}

/* The inline and attached policies of one owner (user, group or role id). */
static err_t collect_owner(collect_t *c, const char *owner)
{
    cJSON *inl = cJSON_CreateArray();
    bool more;
    res_query_t q = {c->account, K_INLINE, owner, 0, 0};
    err_t rc = res_list(c->tx, &q, inl, &more, c->eb);
    for (cJSON *p = inl->child; !rc && p; p = p->next)
        collect_doc(c, json_str(p, "PolicyDocument"), 0);
    cJSON_Delete(inl);
    store_stmt_t *st;
    if (!rc)
        rc = store_query(c->tx, c->eb, &st,
                         "SELECT b FROM links WHERE account = ? AND kind = ? AND a = ?", "sss",
                         c->account, L_ATTACH, owner);
    cJSON *arns = cJSON_CreateArray();
    bool row;
    while (!rc && !(rc = store_step(st, &row, c->eb)) && row)
        cJSON_AddItemToArray(arns, cJSON_CreateString(store_col_text(st, 0)));
    for (cJSON *a = arns->child; !rc && a; a = a->next) {
        char *doc = NULL;
        rc = iam_managed_policy_doc(c->tx, c->account, a->valuestring, c->arena, &doc, c->eb);
        collect_doc(c, doc, 0);
    }
    cJSON_Delete(arns);
    return rc;
}

err_t iam_boundary_doc(store_tx_t *tx, const char *account, const cJSON *e, arena_t *arena,
                       char **doc, errbuf_t *eb)
{
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(e, "PermissionsBoundary");
    const char *arn = json_str(b, "PermissionsBoundaryArn");
    *doc = NULL;
    if (!arn) return ERR_OK;
    err_t rc = iam_managed_policy_doc(tx, account, arn, arena, doc, eb);
    if (!rc && !*doc) *doc = arena_strdup(arena, "{\"Version\":\"2012-10-17\",\"Statement\":[]}");
    return rc;
}

/* The permissions boundary of a user or role body, when it has one. */
static err_t collect_boundary(collect_t *c, const cJSON *e)
{
    char *doc = NULL;
    err_t rc = iam_boundary_doc(c->tx, c->account, e, c->arena, &doc, c->eb);
    if (!rc && doc) collect_doc(c, doc, 2);
    return rc;
}

err_t iam_policies_load(store_tx_t *tx, const auth_principal_t *who, arena_t *arena,
                        iam_policies_t *out, errbuf_t *eb)
{
    memset(out, 0, sizeof(*out));
    collect_t c = {tx, who->account, arena, eb, out, 0, 0, 0};
    err_t rc = ERR_OK;
    cJSON *rec = NULL, *e = NULL;
    if (who->kind == AUTH_ROLE_SESSION || (who->kind == AUTH_USER && who->access_key[0])) {
        /* session keys carry their own record: role or user, plus session policies */
        store_stmt_t *st;
        bool row = false;
        rc = store_query(
            tx, eb, &st,
            "SELECT principal FROM access_keys WHERE access_key_id = ? AND kind = 'session'", "s",
            who->access_key);
        if (!rc) rc = store_step(st, &row, eb);
        if (!rc && row) {
            rec = cJSON_Parse(store_col_text(st, 0));
            rc = store_step(st, &row, eb);
        }
    }
    /* a federated user's permissions are its asker's: an IAM user (the record's), or the
     * root, who may do anything */
    bool fed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "fed"));
    const char *uid = fed ? json_str(rec, "user") : who->user_id;
    if (!rc && fed && !uid)
        collect_doc(&c,
                    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":\"*\",\"Resource\":\"*\"}]}",
                    0);
    else if (!rc && who->kind == AUTH_USER) {
        rc = res_get(tx, &(res_key_t){who->account, K_USER, uid}, &e, eb);
        if (!rc && e) rc = collect_owner(&c, uid);
        if (!rc && e) rc = collect_boundary(&c, e);
        store_stmt_t *st;
        if (!rc)
            rc = store_query(tx, eb, &st,
                             "SELECT a FROM links WHERE account = ? AND kind = ? AND b = ?", "sss",
                             who->account, L_MEMBER, uid);
        cJSON *groups = cJSON_CreateArray();
        bool row;
        while (!rc && !(rc = store_step(st, &row, eb)) && row)
            cJSON_AddItemToArray(groups, cJSON_CreateString(store_col_text(st, 0)));
        for (cJSON *g = groups->child; !rc && g; g = g->next)
            rc = collect_owner(&c, g->valuestring);
        cJSON_Delete(groups);
    } else if (!rc && who->kind == AUTH_ROLE_SESSION) {
        const char *role_id = json_str(rec, "role");
        if (role_id) {
            rc = res_get(tx, &(res_key_t){who->account, K_ROLE, role_id}, &e, eb);
            if (!rc && e) rc = collect_owner(&c, role_id);
            if (!rc && e) rc = collect_boundary(&c, e);
        }
    }
    if (!rc && rec) {
        bool any = false;
        const char *inline_policy = json_str(rec, "policy");
        if (inline_policy) {
            collect_doc(&c, inline_policy, 1);
            any = true;
        }
        const cJSON *arns = cJSON_GetObjectItemCaseSensitive(rec, "arns");
        for (const cJSON *a = arns ? arns->child : NULL; !rc && a; a = a->next) {
            char *doc = NULL;
            rc = iam_managed_policy_doc(tx, who->account, a->valuestring, arena, &doc, eb);
            collect_doc(&c, doc, 1);
            any = true;
        }
        /* a session policy that no longer exists still limits: it allows nothing; and a
         * federated user without one may do nothing at all */
        if ((any || fed) && out->set.n_session == 0) collect_doc(&c, IAM_ALLOW_NOTHING, 1);
    }
    cJSON_Delete(rec);
    cJSON_Delete(e);
    out->set.identity = out->identity;
    out->set.session = out->session;
    if (rc) iam_policies_free(out);
    return rc;
}

void iam_policies_free(iam_policies_t *p)
{
    for (size_t i = 0; i < p->n_all; i++) policy_free(p->all[i]);
    free(p->all);
    free(p->identity);
    free(p->session);
    memset(p, 0, sizeof(*p));
}

cJSON *iam_principal_tags(store_tx_t *tx, const auth_principal_t *who, errbuf_t *eb)
{
    cJSON *e = NULL, *tags = NULL;
    if (who->kind == AUTH_USER)
        res_get(tx, &(res_key_t){who->account, K_USER, who->user_id}, &e, eb);
    else if (who->kind == AUTH_ROLE_SESSION) {
        char folded[sizeof(who->name)];
        size_t i = 0;
        for (; who->name[i] && i + 1 < sizeof(folded); i++)
            folded[i] = (char)(who->name[i] >= 'A' && who->name[i] <= 'Z' ? who->name[i] + 32
                                                                          : who->name[i]);
        folded[i] = '\0';
        res_get_by_name(tx, who->account, K_ROLE, folded, &e, eb);
    }
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "Tags");
    if (cJSON_IsArray(t) && cJSON_GetArraySize(t)) tags = cJSON_Duplicate(t, 1);
    cJSON_Delete(e);
    return tags;
}
