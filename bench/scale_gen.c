/* scale_gen.c - a catalog of millions (issue 16 item 3), written through the store.
 *
 *   scale_gen DATA_DIR SCALE ACCOUNT PP_ID ACTION_ID USER_NAME
 *
 * DATA_DIR holds a catalogd database in which the API made one of everything (bench/
 * scale_catalog.py does it: the demo world, one provisioned product launched by USER_NAME,
 * one service action ACTION_ID associated with its version and run on it once, every
 * record ended; the daemon stopped). Those rows are the templates: each generated row is a
 * template row with its ids, names, owner and times replaced, written with res_insert
 * (which writes its indexed keys too) and the links with the services' own SQL, so that
 * the rows are what the handlers write. At SCALE 1:
 *   10,000 IAM users (members of the template user's groups),
 *   200 products (the template product's clones, in its portfolios) of 20 versions each,
 *   100,000 service actions, each associated with one version (25 a version),
 *   1,000,000 provisioned products (owner round-robin over the users, product and version
 *   round-robin), each with 10 records: its PROVISION_PRODUCT record and 9
 *   EXECUTE_PROVISIONED_PRODUCT_SERVICE_ACTION records of actions of its version.
 * Counts scale linearly (at least one of each). Prints what it wrote and how long it took. */
#include "core/arena.h"
#include "core/buf.h"
#include "core/clk.h"
#include "core/ids.h"
#include "core/jx.h"
#include "res/res.h"
#include "store/store.h"
#include "svc/servicecatalog/sc.h"
#include "svc/servicecatalog/sc_int.h"
#include "svc/ssm/ssm.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GEN_BATCH 20000 /* rows a transaction */
#define GEN_SUBST 16    /* replacements a row at most */

/* A stored row to clone: the columns res_insert writes. */
typedef struct gen_row {
    char *kind, *id, *name, *parent, *state, *body;
    int64_t created_ms;
} gen_row_t;

/* Replacements applied to every text of a clone, in order: (old, new). */
typedef struct gen_subst {
    int n;
    const char *from[GEN_SUBST];
    const char *to[GEN_SUBST];
} gen_subst_t;

typedef struct gen {
    store_t *store;
    store_tx_t *tx;
    errbuf_t eb;
    const char *account;
    ids_t ids;
    int64_t rows, in_tx;
    arena_t arena; /* per generated item (gen_next) */
    arena_t keep;  /* for the whole run */
} gen_t;

/* Frees what the previous item kept in the per-item arena. */
static void gen_next(gen_t *g)
{
    arena_free(&g->arena);
    arena_init(&g->arena);
}

static char *gen_dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void gen_row_free(gen_row_t *r)
{
    free(r->kind), free(r->id), free(r->name), free(r->parent), free(r->state), free(r->body);
    memset(r, 0, sizeof(*r));
}

/* Loads the row of kind whose column col ("id", "name" or "parent") is value (the first
 * by creation; with type, the first whose body has RecordType type). */
static err_t gen_load(gen_t *g, const char *kind, const char *col, const char *value,
                      const char *type, gen_row_t *out)
{
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT kind, id, name, parent, state, body, created_ms FROM resources WHERE"
             " account = ? AND kind = ? AND %s = ? ORDER BY created_ms, seq",
             col);
    store_stmt_t *st;
    bool row;
    err_t rc = store_query(g->tx, &g->eb, &st, sql, "sss", g->account, kind, value);
    memset(out, 0, sizeof(*out));
    while (!rc && !(rc = store_step(st, &row, &g->eb)) && row) {
        cJSON *b = cJSON_Parse(store_col_text(st, 5));
        bool ok = !type || (jx_str(b, "RecordType") && !strcmp(jx_str(b, "RecordType"), type));
        cJSON_Delete(b);
        if (!ok) continue;
        *out = (gen_row_t){gen_dup(store_col_text(st, 0)),
                           gen_dup(store_col_text(st, 1)),
                           gen_dup(store_col_text(st, 2)),
                           gen_dup(store_col_text(st, 3)),
                           gen_dup(store_col_text(st, 4)),
                           gen_dup(store_col_text(st, 5)),
                           store_col_int(st, 6)};
        break;
    }
    if (!rc && !out->id)
        rc = err_fail(&g->eb, ERR_INTERNAL, "no template %s with %s %s%s%s", kind, col, value,
                      type ? " of type " : "", type ? type : "");
    return rc;
}

/* s with every replacement of x applied, in b (NULL stays NULL). */
static const char *gen_apply(const gen_subst_t *x, const char *s, buf_t *b)
{
    if (!s) return NULL;
    buf_reset(b);
    buf_adds(b, s);
    buf_t t;
    buf_init(&t, 1 << 24);
    for (int i = 0; i < x->n; i++) {
        const char *cur = buf_str(b), *hit = strstr(cur, x->from[i]);
        if (!hit) continue;
        buf_reset(&t);
        size_t fl = strlen(x->from[i]);
        for (; hit; cur = hit + fl, hit = strstr(cur, x->from[i])) {
            buf_add(&t, cur, (size_t)(hit - cur));
            buf_adds(&t, x->to[i]);
        }
        buf_adds(&t, cur);
        buf_reset(b);
        buf_adds(b, buf_str(&t));
    }
    buf_free(&t);
    return buf_str(b);
}

static void gen_sub(gen_subst_t *x, const char *from, const char *to)
{
    if (x->n == GEN_SUBST) abort(); /* a bug: raise GEN_SUBST */
    x->from[x->n] = from;
    x->to[x->n++] = to;
}

/* Commits every GEN_BATCH rows and begins the next transaction. */
static err_t gen_tick(gen_t *g)
{
    g->rows++;
    if (++g->in_tx < GEN_BATCH) return ERR_OK;
    g->in_tx = 0;
    err_t rc = store_commit(g->tx, &g->eb);
    g->tx = NULL;
    if (!rc) rc = store_begin(g->store, true, &g->tx, &g->eb);
    return rc;
}

/* Writes a clone of t through res_insert with x applied to its texts, created (and, in
 * the body, CreatedTime/UpdatedTime when present) at ms. */
static err_t gen_clone(gen_t *g, const gen_row_t *t, const gen_subst_t *x, int64_t ms)
{
    buf_t id, name, parent, body;
    buf_init(&id, 4096), buf_init(&name, 4096), buf_init(&parent, 4096);
    buf_init(&body, 1 << 24);
    res_key_t k = {g->account, t->kind, gen_apply(x, t->id, &id)};
    res_row_t row = {gen_apply(x, t->name, &name), gen_apply(x, t->parent, &parent), t->state, ms,
                     ms};
    cJSON *b = cJSON_Parse(gen_apply(x, t->body, &body));
    err_t rc = b ? ERR_OK : err_fail(&g->eb, ERR_INTERNAL, "template body is not JSON");
    static const char *const times[] = {"CreatedTime", "UpdatedTime", "CreateDate"};
    for (size_t i = 0; !rc && i < sizeof(times) / sizeof(times[0]); i++)
        if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(b, times[i])))
            jx_set(b, times[i], cJSON_CreateNumber((double)ms / 1000.0));
    if (!rc) rc = res_insert(g->tx, &k, &row, b, &g->eb);
    cJSON_Delete(b);
    buf_free(&id), buf_free(&name), buf_free(&parent), buf_free(&body);
    return rc ? rc : gen_tick(g);
}

/* Adds link (a, b) of kind as the services do (svc/iam/common.c, service_action.c). */
static err_t gen_link(gen_t *g, const char *kind, const char *a, const char *b, int64_t ms)
{
    err_t rc = store_exec(g->tx, &g->eb, NULL,
                          "INSERT INTO links (account, kind, a, b, created_ms, seq) VALUES (?, ?,"
                          " ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM links))"
                          " ON CONFLICT DO NOTHING",
                          "ssssi", g->account, kind, a, b, ms);
    return rc ? rc : gen_tick(g);
}

/* The a ends of the links of kind whose b is b, as strings appended to out. */
static err_t gen_links_to(gen_t *g, const char *kind, const char *b, cJSON *out)
{
    store_stmt_t *st;
    bool row;
    err_t rc = store_query(g->tx, &g->eb, &st,
                           "SELECT a FROM links WHERE account = ? AND kind = ? AND b = ?", "sss",
                           g->account, kind, b);
    while (!rc && !(rc = store_step(st, &row, &g->eb)) && row)
        cJSON_AddItemToArray(out, cJSON_CreateString(store_col_text(st, 0)));
    return rc;
}

static int64_t gen_scaled(double scale, int64_t full)
{
    int64_t n = (int64_t)(scale * (double)full + 0.5);
    return n < 1 ? 1 : n;
}

static double gen_secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The templates, read from the database the API filled. */
typedef struct gen_tmpl {
    gen_row_t pp, prov, exec, user, product, artifact, action;
    const char *user_arn, *path_id, *name, *action_name, *view_id, *token;
    cJSON *groups, *portfolios;
} gen_tmpl_t;

static err_t gen_templates(gen_t *g, const char *pp_id, const char *action_id,
                           const char *user_name, gen_tmpl_t *t)
{
    err_t rc = gen_load(g, SC_PP, "id", pp_id, NULL, &t->pp);
    cJSON *pp = rc ? NULL : cJSON_Parse(t->pp.body);
    if (!rc) rc = gen_load(g, SC_RECORD, "parent", pp_id, "PROVISION_PRODUCT", &t->prov);
    if (!rc)
        rc = gen_load(g, SC_RECORD, "parent", pp_id, "EXECUTE_PROVISIONED_PRODUCT_SERVICE_ACTION",
                      &t->exec);
    if (!rc) rc = gen_load(g, SC_ACTION, "id", action_id, NULL, &t->action);
    if (!rc) rc = gen_load(g, "iam.user", "name", user_name, NULL, &t->user);
    if (!rc) rc = gen_load(g, SC_PRODUCT, "id", jx_str(pp, "ProductId"), NULL, &t->product);
    if (!rc)
        rc = gen_load(g, SC_ARTIFACT, "id", jx_str(pp, "ProvisioningArtifactId"), NULL,
                      &t->artifact);
    t->user_arn = arena_strdup(&g->keep, jx_str(pp, "_UserArn"));
    t->path_id = arena_strdup(&g->keep, jx_str(pp, "_PathId"));
    t->name = arena_strdup(&g->keep, jx_str(pp, "Name"));
    t->token = jx_str(pp, "IdempotencyToken")
                   ? arena_strdup(&g->keep, jx_str(pp, "IdempotencyToken"))
                   : NULL;
    cJSON *a = rc ? NULL : cJSON_Parse(t->action.body);
    t->action_name = arena_strdup(
        &g->keep, jx_str(cJSON_GetObjectItemCaseSensitive(a, "ServiceActionSummary"), "Name"));
    cJSON_Delete(a);
    cJSON *pb = rc ? NULL : cJSON_Parse(t->product.body);
    const char *view = jx_str(cJSON_GetObjectItemCaseSensitive(pb, "ProductViewSummary"), "Id");
    t->view_id = view ? arena_strdup(&g->keep, view) : NULL;
    cJSON_Delete(pb);
    t->groups = cJSON_CreateArray();
    t->portfolios = cJSON_CreateArray();
    if (!rc) rc = gen_links_to(g, "iam.member", t->user.id, t->groups);
    if (!rc) rc = gen_links_to(g, SC_LINK_PORTFOLIO_PRODUCT, t->product.id, t->portfolios);
    cJSON_Delete(pp);
    return rc;
}

/* A new id: prefix and as many characters of alphabet as the template's id has after
 * it (AWS's forms). In the arena. */
static const char *gen_id(gen_t *g, const char *tmpl, size_t prefix, const char *alphabet)
{
    char out[128], pre[32];
    snprintf(pre, sizeof(pre), "%.*s", (int)prefix, tmpl);
    ids_chars(&g->ids, pre, alphabet, strlen(tmpl) - prefix, out);
    return arena_strdup(&g->arena, out);
}

/* The launch path id of product in portfolio (sc_path_id's, in the arena). */
static const char *gen_path(gen_t *g, const char *portfolio, const char *product)
{
    api_ctx_t c = {.arena = &g->arena};
    return sc_path_id(&c, portfolio, product);
}

typedef struct gen_counts {
    int64_t users, products, versions, actions, pps, records;
} gen_counts_t;

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: %s DATA_DIR SCALE ACCOUNT PP_ID ACTION_ID USER_NAME\n", argv[0]);
        return 2;
    }
    double scale = strtod(argv[2], NULL);
    gen_t g = {.account = argv[3]};
    ids_init_system(&g.ids);
    arena_init(&g.arena);
    arena_init(&g.keep);
    sc_register_keys(); /* the daemon's keyers (app.c): the same declarations */
    ssm_register_keys();
    store_opts_t o = {.data_dir = argv[1], .sync_full = false, .busy_timeout_ms = 5000};
    gen_counts_t n = {gen_scaled(scale, 10000),  gen_scaled(scale, 200),     20,
                      gen_scaled(scale, 100000), gen_scaled(scale, 1000000), 0};
    gen_tmpl_t t = {0};
    double t0 = gen_secs();
    err_t rc = store_open(&o, &g.store, &g.eb);
    if (!rc) rc = store_begin(g.store, true, &g.tx, &g.eb);
    /* a big page cache: the generator's inserts land all over the indexes */
    if (!rc) rc = store_exec(g.tx, &g.eb, NULL, "PRAGMA cache_size = -2000000", "");
    if (!rc) rc = gen_templates(&g, argv[4], argv[5], argv[6], &t);
    int64_t base = t.pp.created_ms - (n.pps * 20 + 1000) - n.actions - n.users - 1000;
    int64_t ms = base;
    /* users: the template user's clones, in its groups */
    const char **users = calloc((size_t)n.users, sizeof(*users));
    for (int64_t u = 0; !rc && u < n.users; u++) {
        gen_next(&g);
        gen_subst_t x = {0};
        const char *name = arena_printf(&g.arena, "scaleuser%05" PRId64, u);
        const char *uid = gen_id(&g, t.user.id, 4, IDS_UPPER_ALNUM);
        users[u] = strdup(arena_printf(&g.arena, "arn:aws:iam::%s:user/%s", g.account, name));
        gen_sub(&x, t.user.id, uid);
        gen_sub(&x, t.user_arn, users[u]);
        gen_sub(&x, arena_printf(&g.arena, "\"%s\"", t.user.name),
                arena_printf(&g.arena, "\"%s\"", name));
        gen_sub(&x, arena_printf(&g.arena, "\"%s\"", argv[6]),
                arena_printf(&g.arena, "\"%s\"", name));
        /* the name column is IAM's folded name: exact */
        gen_row_t ur = t.user;
        ur.name = (char *)name;
        rc = gen_clone(&g, &ur, &x, ++ms);
        const cJSON *grp;
        cJSON_ArrayForEach(grp, t.groups) if (!rc) rc =
            gen_link(&g, "iam.member", grp->valuestring, uid, ms);
    }
    /* products and their versions, in the template product's portfolios */
    int64_t nv = n.products * n.versions;
    char **prod = calloc((size_t)n.products, sizeof(*prod));
    char **ver = calloc((size_t)nv, sizeof(*ver));
    const char *tpid = t.view_id;
    for (int64_t p = 0; !rc && p < n.products; p++) {
        gen_next(&g);
        gen_subst_t x = {0};
        prod[p] = strdup(gen_id(&g, t.product.id, 5, IDS_LOWER_ALNUM));
        gen_sub(&x, t.product.id, prod[p]);
        if (tpid) gen_sub(&x, tpid, gen_id(&g, tpid, 9, IDS_LOWER_ALNUM));
        gen_sub(&x, "\"Name\":\"", arena_printf(&g.arena, "\"Name\":\"Scale %05" PRId64 " ", p));
        rc = gen_clone(&g, &t.product, &x, ++ms);
        const cJSON *port;
        cJSON_ArrayForEach(port, t.portfolios) if (!rc) rc =
            gen_link(&g, SC_LINK_PORTFOLIO_PRODUCT, port->valuestring, prod[p], ms);
        for (int64_t v = 0; !rc && v < n.versions; v++) {
            gen_subst_t y = {0};
            ver[p * n.versions + v] = strdup(gen_id(&g, t.artifact.id, 3, IDS_LOWER_ALNUM));
            gen_sub(&y, t.artifact.id, ver[p * n.versions + v]);
            gen_sub(&y, t.product.id, prod[p]);
            gen_sub(&y, "\"Name\":\"", arena_printf(&g.arena, "\"Name\":\"s%03" PRId64 "-", v));
            rc = gen_clone(&g, &t.artifact, &y, ++ms);
        }
    }
    /* service actions: action a goes with version a % nv */
    char **act = calloc((size_t)n.actions, sizeof(*act));
    for (int64_t a = 0; !rc && a < n.actions; a++) {
        gen_next(&g);
        gen_subst_t x = {0};
        act[a] = strdup(gen_id(&g, t.action.id, 4, IDS_LOWER_ALNUM));
        gen_sub(&x, t.action.id, act[a]);
        gen_sub(&x, arena_printf(&g.arena, "\"Name\":\"%s\"", t.action_name),
                arena_printf(&g.arena, "\"Name\":\"%s %06" PRId64 "\"", t.action_name, a));
        rc = gen_clone(&g, &t.action, &x, ++ms);
        int64_t v = a % nv;
        if (!rc)
            rc = gen_link(&g, SC_LINK_ACTION_ARTIFACT, act[a],
                          arena_printf(&g.arena, "%s|%s", prod[v / n.versions], ver[v]), ms);
    }
    /* provisioned products and their records */
    const char *tmpl_name = t.name;
    ms = t.pp.created_ms - n.pps * 20 - 1000;
    int64_t per = n.actions / nv > 0 ? n.actions / nv : 1;
    for (int64_t i = 0; !rc && i < n.pps; i++, ms += 20) {
        gen_next(&g);
        int64_t p = i % n.products, v = p * n.versions + (i / n.products) % n.versions;
        const char *pp = gen_id(&g, t.pp.id, 3, IDS_LOWER_ALNUM);
        const char *name = arena_printf(&g.arena, "scale-pp-%07" PRId64, i);
        const char *prov = gen_id(&g, t.prov.id, 4, IDS_LOWER_ALNUM);
        const char *recs[9];
        for (int r = 0; r < 9; r++) recs[r] = gen_id(&g, t.exec.id, 4, IDS_LOWER_ALNUM);
        gen_subst_t x = {0};
        gen_sub(&x, t.pp.id, pp);
        if (t.token) { /* each launch has its own ProvisionToken */
            char uuid[37];
            ids_uuid(&g.ids, uuid);
            gen_sub(&x, t.token, arena_strdup(&g.arena, uuid));
        }
        gen_sub(&x, t.prov.id, prov);
        int last = x.n;
        gen_sub(&x, t.exec.id, recs[8]); /* the last record */
        gen_sub(&x, t.user_arn, users[i % n.users]);
        gen_sub(&x, t.product.id, prod[p]);
        gen_sub(&x, t.artifact.id, ver[v]);
        gen_sub(&x, gen_path(&g, t.path_id, t.product.id), gen_path(&g, t.path_id, prod[p]));
        gen_sub(&x, arena_printf(&g.arena, "\"%s\"", tmpl_name),
                arena_printf(&g.arena, "\"%s\"", name));
        gen_sub(&x, arena_printf(&g.arena, "/%s/", tmpl_name),
                arena_printf(&g.arena, "/%s/", name));
        const char *uname = strrchr(users[i % n.users], '/') + 1;
        gen_sub(&x, arena_printf(&g.arena, "\"%s\"", argv[6]),
                arena_printf(&g.arena, "\"%s\"", uname));
        rc = gen_clone(&g, &t.pp, &x, ms);
        if (!rc) rc = gen_clone(&g, &t.prov, &x, ms + 1);
        for (int r = 0; !rc && r < 9; r++) {
            x.to[last] = recs[r];
            gen_subst_t y = x;
            gen_sub(&y, t.action.id, act[(v + nv * ((i + r) % per)) % n.actions]);
            rc = gen_clone(&g, &t.exec, &y, ms + 2 + r);
            n.records++;
        }
        n.records++;
    }
    if (!rc)
        rc = store_commit(g.tx, &g.eb);
    else
        store_rollback(g.tx);
    g.tx = NULL;
    /* the pass the daemon makes at start-up, made here: it finds every row keyed and moves
     * the mark past them, so the daemon's next start reads nothing */
    if (!rc) rc = res_keys_backfill(g.store, NULL, &g.eb);
    double secs = gen_secs() - t0;
    if (rc) {
        fprintf(stderr, "scale_gen: %s\n", g.eb.msg);
    } else {
        printf("{\"users\":%" PRId64 ",\"products\":%" PRId64 ",\"versions\":%" PRId64
               ",\"actions\":%" PRId64 ",\"provisioned_products\":%" PRId64 ",\"records\":%" PRId64
               ",\"rows\":%" PRId64 ",\"seconds\":%.1f}\n",
               n.users, n.products, nv, n.actions, n.pps, n.records, g.rows, secs);
    }
    gen_row_t *rows[] = {&t.pp, &t.prov, &t.exec, &t.user, &t.product, &t.artifact, &t.action};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) gen_row_free(rows[i]);
    cJSON_Delete(t.groups);
    cJSON_Delete(t.portfolios);
    for (int64_t i = 0; i < n.users; i++) free((void *)users[i]);
    for (int64_t i = 0; i < n.products; i++) free(prod[i]);
    for (int64_t i = 0; i < nv; i++) free(ver[i]);
    for (int64_t i = 0; i < n.actions; i++) free(act[i]);
    free(users), free(prod), free(ver), free(act);
    store_close(g.store);
    arena_free(&g.arena);
    arena_free(&g.keep);
    return rc ? 1 : 0;
}
