/* test_store.c - the SQLite store (migrations, transactions, statement reuse, the data
 * directory lock), the resource layer and page tokens, and the AWS id formats. */
#include "check.h"

#include "core/ids.h"
#include "res/res.h"
#include "store/store.h"
#include "store/store_int.h"

#include <ctype.h>
#include <stdlib.h>

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

int main(void)
{
    test_ids();
    char dir[] = "/tmp/catalogd-store-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    errbuf_t eb = {{0}};
    store_opts_t so = {.data_dir = dir, .exclusive = true};
    store_t *s = NULL;
    CHECK(store_open(&so, &s, &eb) == ERR_OK);
    CHECK_INT(store_schema_version(s), store_n_migrations);
    CHECK_STR(store_backend(s), "sqlite");
    test_sql_from_a_buffer(s);

    /* a second daemon on the same directory is refused; tools may share it */
    store_t *s2 = NULL;
    CHECK(store_open(&so, &s2, &eb) == ERR_STORE);
    CHECK(strstr(eb.msg, "in use by another catalogd") != NULL);
    store_opts_t shared = {.data_dir = dir, .exclusive = false};
    CHECK(store_open(&shared, &s2, &eb) == ERR_OK);
    CHECK_INT(store_schema_version(s2), store_n_migrations); /* migrations are not reapplied */
    store_close(s2);

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

    char tok[64];
    int64_t off = -1;
    res_page_token(40, tok);
    CHECK(res_page_offset(tok, &off));
    CHECK_INT(off, 40);
    CHECK(!res_page_offset("bm9wZQ==", &off));
    CHECK(!res_page_offset("%%%", &off));

    store_close(s);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return CHECK_DONE();
}
