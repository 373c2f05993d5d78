/* test_store.c - the SQLite store (migrations, transactions, statement reuse, the data
 * directory lock), the resource layer and page tokens, and the AWS id formats. */
#include "check.h"

#include "core/ids.h"
#include "res/res.h"
#include "store/store.h"
#include "store/store_int.h"

#include <ctype.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int count_rows(store_t *s, const char *kind)
{
    errbuf_t eb;
    store_tx_t *tx;
    if (store_begin(s, false, &tx, &eb)) return -1;
    store_stmt_t *st;
    bool row = false;
    int n = -1;
    if (!store_query(tx, &eb, &st, "SELECT COUNT(*) FROM resources WHERE kind = ?", "s", kind) &&
        !store_step(st, &row, &eb) && row)
        n = (int)store_col_int(st, 0);
    store_rollback(tx);
    return n;
}

/* Regression (found by fuzz_runbook): the statement cache kept the pointer to a caller's SQL
 * and compared later queries with it after that buffer was gone (the engine builds its claim
 * query in a stack buffer). The ASan build reads freed memory here on the old code. */
static void test_sql_from_a_buffer(store_t *s)
{
    errbuf_t eb = {{0}};
    store_tx_t *tx;
    store_stmt_t *st;
    bool row = false;
    char *sql = strdup("SELECT 1");
    CHECK(store_begin(s, false, &tx, &eb) == ERR_OK);
    CHECK(store_query(tx, &eb, &st, sql, "") == ERR_OK);
    CHECK(!store_step(st, &row, &eb) && row);
    store_rollback(tx);
    free(sql);
    CHECK(store_begin(s, false, &tx, &eb) == ERR_OK);
    CHECK(store_query(tx, &eb, &st, "SELECT 2", "") == ERR_OK);
    CHECK(!store_step(st, &row, &eb) && row && store_col_int(st, 0) == 2);
    sql = strdup("SELECT 1"); /* the same text from another buffer: the cached statement */
    CHECK(store_query(tx, &eb, &st, sql, "") == ERR_OK);
    CHECK(!store_step(st, &row, &eb) && row && store_col_int(st, 0) == 1);
    store_rollback(tx);
    free(sql);
}

static void test_ids(void)
{
    ids_t g;
    ids_init_system(&g);
    char id[64], uuid[37], inst[20];
    ids_aws(&g, "act-", id, sizeof(id));
    CHECK_INT(strlen(id), 17);
    CHECK(strncmp(id, "act-", 4) == 0);
    bool ok = true;
    for (int i = 4; i < 17; i++)
        ok &= islower((unsigned char)id[i]) || isdigit((unsigned char)id[i]);
    CHECK(ok);
    ids_instance(&g, inst);
    CHECK_INT(strlen(inst), 19);
    ok = true;
    for (int i = 2; i < 19; i++)
        ok &= isxdigit((unsigned char)inst[i]) && !isupper((unsigned char)inst[i]);
    CHECK(ok);
    ids_uuid(&g, uuid);
    CHECK_INT(strlen(uuid), 36);
    CHECK(uuid[8] == '-' && uuid[13] == '-' && uuid[14] == '4' && uuid[18] == '-' &&
          uuid[23] == '-');
    char other[37];
    ids_uuid(&g, other);
    CHECK(strcmp(uuid, other) != 0);
    /* the seeded generator repeats itself, for deterministic tests */
    ids_t a, b;
    ids_init_seeded(&a, 7);
    ids_init_seeded(&b, 7);
    char x[37], y[37];
    ids_uuid(&a, x);
    ids_uuid(&b, y);
    CHECK_STR(x, y);
}

/* store_check refuses what is not a catalogd database, and changes nothing doing so. */
static void test_store_check(void)
{
    char dir[] = "/tmp/catalogd-check-XXXXXX", path[128];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/catalogd.db", dir);
    errbuf_t eb = {{0}};
    bool exists = true;
    CHECK_INT(store_check(dir, &exists, &eb), ERR_OK); /* no database: a first start */
    CHECK(!exists);
    const struct {
        const char *bytes;
        size_t n;
        const char *says;
    } bad[] = {{"", 0, "is empty (0 bytes)"},
               {"not a database at all, just some text.", 38, "is not a SQLite database"}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        FILE *f = fopen(path, "wb");
        CHECK(f && fwrite(bad[i].bytes, 1, bad[i].n, f) == bad[i].n);
        if (f) fclose(f);
        CHECK_INT(store_check(dir, &exists, &eb), ERR_STORE);
        CHECK(exists);
        CHECK(strstr(eb.msg, bad[i].says) && strstr(eb.msg, path));
        store_opts_t so = {.data_dir = dir, .exclusive = true};
        store_t *s = NULL;
        CHECK_INT(store_open(&so, &s, &eb), ERR_STORE); /* store_open checks the same */
        CHECK(strstr(eb.msg, bad[i].says) != NULL);
    }
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

/* Migration 4 on a database left at version 3 with rows from before migration 3 (no seq):
 * they get distinct keys in creation order, and a keyset walk returns each once. */
static void test_migration_4(void)
{
    char dir[] = "/tmp/catalogd-test-m4-XXXXXX", path[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/catalogd.db", dir);
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db,
                       "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY,"
                       " applied_ms BIGINT NOT NULL)",
                       NULL, NULL, NULL) == SQLITE_OK);
    for (int v = 1; v <= 3; v++) {
        for (const char *const *sql = store_migrations[v - 1]; *sql; sql++)
            CHECK(sqlite3_exec(db, *sql, NULL, NULL, NULL) == SQLITE_OK);
        char ins[96];
        snprintf(ins, sizeof(ins), "INSERT INTO schema_migrations VALUES (%d, 0)", v);
        CHECK(sqlite3_exec(db, ins, NULL, NULL, NULL) == SQLITE_OK);
    }
    /* three old rows in one millisecond and one older, then one made after migration 3 */
    CHECK(sqlite3_exec(
              db,
              "INSERT INTO resources (account, kind, id, created_ms, updated_ms, body, seq)"
              " VALUES ('a', 't.old', 'c', 5, 5, '{\"Id\":\"c\"}', NULL), ('a', 't.old', 'a',"
              " 5, 5, '{\"Id\":\"a\"}', NULL), ('a', 't.old', 'b', 5, 5,"
              " '{\"Id\":\"b\"}', NULL), ('a', 't.old', 'z', 1, 1, '{\"Id\":\"z\"}',"
              " NULL), ('a', 't.old', 'n', 9, 9, '{\"Id\":\"n\"}', 1);"
              "INSERT INTO links (account, kind, a, b, created_ms) VALUES ('a', 'l', 'x',"
              " 'y', 1), ('a', 'l', 'x', 'w', 1)",
              NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);

    store_t *s = NULL;
    errbuf_t eb;
    store_opts_t so = {.data_dir = dir, .exclusive = true};
    CHECK(store_open(&so, &s, &eb) == ERR_OK);
    CHECK_INT(store_schema_version(s), store_n_migrations);
    store_tx_t *tx = NULL;
    res_page_t pg;
    char order[8] = "", tok[RES_PAGE_TOKEN_MAX] = "";
    res_query_t q = {"a", "t.old", NULL, 0, 0};
    for (int round = 0; round < 5; round++) {
        CHECK(res_page_begin(&pg, "T:Old", 2, false, tok));
        cJSON *arr = cJSON_CreateArray();
        CHECK(store_begin(s, false, &tx, &eb) == ERR_OK);
        CHECK(res_list_page(tx, &q, &pg, NULL, NULL, arr, &eb) == ERR_OK);
        store_rollback(tx);
        for (cJSON *e = arr->child; e; e = e->next)
            strncat(order, cJSON_GetObjectItem(e, "Id")->valuestring,
                    sizeof(order) - strlen(order) - 1);
        cJSON_Delete(arr);
        if (!res_page_next(&pg, tok)) break;
    }
    CHECK_STR(order, "zabcn"); /* creation order; old rows of one millisecond by id */
    cJSON *links = cJSON_CreateArray();
    CHECK(store_begin(s, false, &tx, &eb) == ERR_OK);
    CHECK(res_page_begin(&pg, "", 0, false, NULL));
    CHECK(res_links_page(tx, "a", "l", true, "x", &pg, NULL, NULL, links, &eb) == ERR_OK);
    store_rollback(tx);
    CHECK_INT(cJSON_GetArraySize(links), 2);
    cJSON_Delete(links);
    store_close(s);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

/* Group commit under sync_full: threads committing at once, ordinary and lazy commits mixed,
 * each waiting for a shared fdatasync of the log; every commit is there afterwards, no
 * thread is left waiting (a lost wake-up would hang this test), and a reopened store reads
 * them all. */
enum { GC_THREADS = 6, GC_COMMITS = 40 };
typedef struct gc_arg {
    store_t *s;
    int index;
    int failed;
} gc_arg_t;

static void *gc_thread(void *p)
{
    gc_arg_t *a = p;
    for (int i = 0; i < GC_COMMITS; i++) {
        errbuf_t eb = {{0}};
        store_tx_t *tx = NULL;
        bool lazy = (i + a->index) % 3 == 0;
        err_t e = lazy ? store_begin_lazy(a->s, &tx, &eb) : store_begin(a->s, true, &tx, &eb);
        char key[32];
        snprintf(key, sizeof(key), "gc.%d.%d", a->index, i);
        if (!e)
            e = store_exec(tx, &eb, NULL, "INSERT INTO meta (key, value) VALUES (?, 'x')", "s",
                           key);
        if (e) {
            store_rollback(tx);
            a->failed++;
            continue;
        }
        if (store_commit(tx, &eb)) a->failed++;
    }
    return NULL;
}

/* store_when_durable's callback: counts the calls, remembers ok */
typedef struct gc_wait {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int calls, ok;
} gc_wait_t;

static void gc_durable(void *arg, bool ok)
{
    gc_wait_t *w = arg;
    pthread_mutex_lock(&w->mu);
    w->calls++;
    w->ok += ok;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* Tickets: an ordinary write under sync_full gets one, and its waiter is called once with
 * ok (from the syncer thread); lazy writers, readers and an already durable ticket need no
 * wait (called at once). */
static void test_tickets(store_t *s)
{
    errbuf_t eb = {{0}};
    gc_wait_t w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    uint64_t t1 = 0, t2 = 0, t3 = 7;
    store_tx_t *tx;
    CHECK(store_begin(s, true, &tx, &eb) == ERR_OK);
    CHECK(store_exec(tx, &eb, NULL, "INSERT INTO meta (key, value) VALUES ('gt.1', 'x')", "") ==
          ERR_OK);
    CHECK(store_commit_ticket(tx, &t1, &eb) == ERR_OK);
    CHECK(t1 > 0);
    CHECK(store_begin_lazy(s, &tx, &eb) == ERR_OK);
    CHECK(store_exec(tx, &eb, NULL, "INSERT INTO meta (key, value) VALUES ('gt.2', 'x')", "") ==
          ERR_OK);
    CHECK(store_commit_ticket(tx, &t2, &eb) == ERR_OK);
    CHECK(t2 == 0);
    CHECK(store_begin(s, false, &tx, &eb) == ERR_OK);
    CHECK(store_commit_ticket(tx, &t3, &eb) == ERR_OK);
    CHECK(t3 == 0);
    store_when_durable(s, t1, gc_durable, &w);
    pthread_mutex_lock(&w.mu);
    while (w.calls < 1) pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    CHECK_INT(w.calls, 1);
    CHECK_INT(w.ok, 1);
    store_when_durable(s, t1, gc_durable, &w); /* durable already: called here and now */
    store_when_durable(s, 0, gc_durable, &w);
    CHECK_INT(w.calls, 3);
    CHECK_INT(w.ok, 3);
}

static void test_group_commit(void)
{
    char dir[] = "/tmp/catalogd-gc-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    errbuf_t eb = {{0}};
    store_opts_t so = {.data_dir = dir, .exclusive = true, .sync_full = true};
    store_t *s = NULL;
    CHECK(store_open(&so, &s, &eb) == ERR_OK);
    pthread_t th[GC_THREADS];
    gc_arg_t args[GC_THREADS];
    for (int i = 0; i < GC_THREADS; i++) {
        args[i] = (gc_arg_t){s, i, 0};
        CHECK(pthread_create(&th[i], NULL, gc_thread, &args[i]) == 0);
    }
    for (int i = 0; i < GC_THREADS; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(args[i].failed, 0);
    }
    test_tickets(s);
    store_close(s);
    CHECK(store_open(&so, &s, &eb) == ERR_OK);
    store_tx_t *tx;
    store_stmt_t *st;
    bool row = false;
    CHECK(store_begin(s, false, &tx, &eb) == ERR_OK);
    CHECK(store_query(tx, &eb, &st, "SELECT COUNT(*) FROM meta WHERE key LIKE 'gc.%'", "") ==
          ERR_OK);
    CHECK(!store_step(st, &row, &eb) && row);
    CHECK_INT(store_col_int(st, 0), GC_THREADS * GC_COMMITS);
    store_rollback(tx);
    CHECK(store_begin(s, false, &tx, &eb) == ERR_OK);
    CHECK(store_query(tx, &eb, &st, "SELECT COUNT(*) FROM meta WHERE key LIKE 'gt.%'", "") ==
          ERR_OK);
    CHECK(!store_step(st, &row, &eb) && row);
    CHECK_INT(store_col_int(st, 0), 2);
    store_rollback(tx);
    store_close(s);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

int main(void)
{
    test_group_commit();
    test_ids();
    test_migration_4();
    char dir[] = "/tmp/catalogd-store-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    errbuf_t eb = {{0}};
    store_opts_t so = {.data_dir = dir, .exclusive = true};
    store_t *s = NULL;
    CHECK(store_open(&so, &s, &eb) == ERR_OK);
    CHECK_INT(store_schema_version(s), store_n_migrations);
    CHECK_STR(store_backend(s), "sqlite");
    CHECK(store_created(s)); /* a first start */
    test_sql_from_a_buffer(s);

    /* a second daemon on the same directory is refused; tools may share it */
    store_t *s2 = NULL;
    CHECK(store_open(&so, &s2, &eb) == ERR_STORE);
    CHECK(strstr(eb.msg, "in use by another catalogd") != NULL);
    store_opts_t shared = {.data_dir = dir, .exclusive = false};
    CHECK(store_open(&shared, &s2, &eb) == ERR_OK);
    CHECK_INT(store_schema_version(s2), store_n_migrations); /* migrations are not reapplied */
    CHECK(!store_created(s2));
    store_close(s2);
    test_store_check();

    /* commit keeps, rollback discards */
    store_tx_t *tx;
    const res_key_t k1 = {"111111111111", "t.thing", "one"};
    const res_key_t k2 = {"111111111111", "t.thing", "two"};
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "Id", "one");
    res_row_t row = {.name = "first", .created_ms = 10};
    CHECK(store_begin(s, true, &tx, &eb) == ERR_OK);
    CHECK(res_insert(tx, &k1, &row, body, &eb) == ERR_OK);
    CHECK(store_commit(tx, &eb) == ERR_OK);
    CHECK(store_begin(s, true, &tx, &eb) == ERR_OK);
    row.name = "second";
    row.created_ms = 20;
    CHECK(res_insert(tx, &k2, &row, body, &eb) == ERR_OK);
    store_rollback(tx);
    CHECK_INT(count_rows(s, "t.thing"), 1);

    /* unique names */
    CHECK(store_begin(s, true, &tx, &eb) == ERR_OK);
    row.name = "first";
    CHECK(res_insert(tx, &k2, &row, body, &eb) == ERR_STORE);
    store_rollback(tx);

    /* the same statement nested inside its own loop gets a fresh handle */
    CHECK(store_begin(s, true, &tx, &eb) == ERR_OK);
    row.name = "second";
    CHECK(res_insert(tx, &k2, &row, body, &eb) == ERR_OK);
    store_stmt_t *outer, *inner;
    bool more = false, in_row = false;
    int pairs = 0;
    const char *q = "SELECT id FROM resources WHERE kind = 't.thing' ORDER BY id";
    CHECK(store_query(tx, &eb, &outer, q, "") == ERR_OK);
    while (!store_step(outer, &more, &eb) && more) {
        CHECK(store_query(tx, &eb, &inner, q, "") == ERR_OK);
        while (!store_step(inner, &in_row, &eb) && in_row) pairs++;
    }
    CHECK_INT(pairs, 4);
    CHECK(store_commit(tx, &eb) == ERR_OK);

    /* listing with limits and page tokens */
    CHECK(store_begin(s, false, &tx, &eb) == ERR_OK);
    cJSON *arr = cJSON_CreateArray();
    res_query_t rq = {"111111111111", "t.thing", NULL, 0, 1};
    CHECK(res_list(tx, &rq, arr, &more, &eb) == ERR_OK);
    CHECK_INT(cJSON_GetArraySize(arr), 1);
    CHECK(more);
    rq.offset = 1;
    cJSON_Delete(arr);
    arr = cJSON_CreateArray();
    CHECK(res_list(tx, &rq, arr, &more, &eb) == ERR_OK);
    CHECK_INT(cJSON_GetArraySize(arr), 1);
    CHECK(!more);
    cJSON *got = NULL;
    CHECK(res_get_by_name(tx, "111111111111", "t.thing", "second", &got, &eb) == ERR_OK);
    CHECK(got && strcmp(cJSON_GetObjectItem(got, "Id")->valuestring, "one") == 0);
    cJSON_Delete(got);
    CHECK(res_get(tx, &(res_key_t){"111111111111", "t.thing", "nope"}, &got, &eb) == ERR_OK);
    CHECK(got == NULL);
    store_rollback(tx);
    cJSON_Delete(arr);
    cJSON_Delete(body);

    /* paging by key: tokens round-trip, are bound to their scope, refuse garbage */
    res_page_t pg;
    char tok[RES_PAGE_TOKEN_MAX];
    CHECK(res_page_begin(&pg, "T:List", 1, false, NULL));
    CHECK(res_page_offer(&pg, &(res_pkey_t){.s = "b:c", .n = 7, .seq = 3, .id = "x"}) ==
          RES_PAGE_TAKE);
    CHECK(res_page_next(&pg, tok) == NULL); /* nothing past the page seen yet */
    CHECK(res_page_offer(&pg, &(res_pkey_t){.s = "b:c", .n = 7, .seq = 4}) == RES_PAGE_FULL);
    CHECK(res_page_next(&pg, tok) != NULL);
    CHECK(res_page_begin(&pg, "T:List", 1, false, tok));
    CHECK(pg.after && pg.from.n == 7 && pg.from.seq == 3 && !strcmp(pg.from.s, "b:c") &&
          !strcmp(pg.from.id, "x"));
    CHECK(res_page_offer(&pg, &(res_pkey_t){.s = "b:c", .n = 7, .seq = 3, .id = "x"}) ==
          RES_PAGE_SKIP);
    CHECK(res_page_offer(&pg, &(res_pkey_t){.s = "b:d"}) == RES_PAGE_TAKE);
    CHECK(!res_page_begin(&pg, "T:Other", 1, false, tok));
    CHECK(!res_page_begin(&pg, "T:List", 1, false, "bm9wZQ=="));
    CHECK(!res_page_begin(&pg, "T:List", 1, false, "%%%"));

    /* a keyset walk returns every row that exists throughout exactly once */
    body = cJSON_CreateObject();
    CHECK(store_begin(s, true, &tx, &eb) == ERR_OK);
    for (int i = 0; i < 6; i++) {
        char id[16];
        snprintf(id, sizeof(id), "p%d", i);
        res_row_t r = {.created_ms = 100 + i / 2}; /* two rows per millisecond */
        CHECK(res_insert(tx, &(res_key_t){"111111111111", "t.page", id}, &r, body, &eb) == ERR_OK);
    }
    CHECK(store_commit(tx, &eb) == ERR_OK);
    res_query_t pq = {"111111111111", "t.page", NULL, 0, 0};
    for (int desc = 0; desc < 2; desc++) {
        int seen = 0;
        tok[0] = '\0';
        for (int round = 0; round < 10; round++) {
            CHECK(res_page_begin(&pg, "T:Page", 2, desc, tok));
            arr = cJSON_CreateArray();
            CHECK(store_begin(s, false, &tx, &eb) == ERR_OK);
            CHECK(res_list_page(tx, &pq, &pg, NULL, NULL, arr, &eb) == ERR_OK);
            store_rollback(tx);
            seen += cJSON_GetArraySize(arr);
            cJSON_Delete(arr);
            if (!res_page_next(&pg, tok)) break;
        }
        CHECK_INT(seen, 6);
    }
    cJSON_Delete(body);

    store_close(s);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return CHECK_DONE();
}
