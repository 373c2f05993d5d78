/* test_regions.c - unit tests for where a call acts (docs/internals/regions.md): the
 * generated region list (core/regions.h), the store partition of an account and region
 * (app_scope), a job's place read back from its payload (app_where_of), the home region a
 * store records at its first start and keeps, and the pipeline's refusal of an in-process
 * call whose principal names no region. */
#include "api/api.h"
#include "core/regions.h"

#include "check.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_regions_find(void)
{
    CHECK(regions_n_aws > 10);
    for (size_t i = 1; i < regions_n_aws; i++) /* sorted, for the binary search */
        CHECK(strcmp(regions_aws[i - 1].name, regions_aws[i].name) < 0);
    static const char *const known[] = {"us-east-1",  "us-west-2",      "eu-west-1",
                                        "af-south-1", "ap-northeast-3", "sa-east-1"};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        const region_info_t *r = regions_find(span_of(known[i]));
        CHECK(r != NULL);
        if (r) CHECK_STR(r->name, known[i]);
    }
    CHECK_STR(regions_find(span_of("us-east-1"))->description, "US East (N. Virginia)");
    static const char *const unknown[] = {
        "",           "us-east",    "us-east-10",    "US-EAST-1",
        "us-east-1 ", "cn-north-1", "us-gov-west-1", "xx-nowhere-1"};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
        CHECK(regions_find(span_of(unknown[i])) == NULL);
    /* a span is matched whole, not as a prefix of a longer text */
    CHECK(regions_find(span_make("us-east-12", 9)) != NULL);
    CHECK(regions_find(span_make("us-east-1", 8)) == NULL);
}

static void test_scope_and_where(void)
{
    app_t app;
    memset(&app, 0, sizeof(app));
    app_config_defaults(&app.cfg);
    snprintf(app.home_region, sizeof(app.home_region), "eu-west-1");
    char s[64], a[16];
    CHECK_STR(app_scope(&app, "111122223333", "eu-west-1", s, sizeof(s)), "111122223333");
    CHECK_STR(app_scope(&app, "111122223333", "us-east-1", s, sizeof(s)), "111122223333/us-east-1");
    CHECK_STR(app_scope_account("111122223333/us-east-1", a), "111122223333");
    CHECK_STR(app_scope_account("111122223333", a), "111122223333");

    app_where_t w;
    app_where_of(&app, "{\"id\":\"x\",\"account\":\"444455556666\",\"region\":\"us-west-2\"}", &w);
    CHECK_STR(w.account, "444455556666");
    CHECK_STR(w.region, "us-west-2");
    CHECK_STR(w.scope, "444455556666/us-west-2");
    /* a payload from before regions: the default account in the home region */
    app_where_of(&app, "{\"id\":\"x\"}", &w);
    CHECK_STR(w.account, app.cfg.account_id);
    CHECK_STR(w.region, "eu-west-1");
    CHECK_STR(w.scope, app.cfg.account_id);
}

static char dir[] = "/tmp/catalogd-regions-XXXXXX";

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static err_t open_app(app_t *app, const char *region)
{
    app_config_t cfg;
    app_config_defaults(&cfg);
    snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", dir);
    snprintf(cfg.region, sizeof(cfg.region), "%s", region);
    cfg.sync_full = false;
    cfg.log_level = LOG_ERROR;
    errbuf_t eb = {{0}};
    err_t rc = app_open(app, &cfg, &eb);
    if (rc) fprintf(stderr, "app_open: %s\n", eb.msg);
    return rc;
}

static void test_home_region_and_refusal(void)
{
    log_setup(LOG_OFF, 2);
    if (!mkdtemp(dir)) abort();
    app_t app;
    CHECK_INT(open_app(&app, "ap-southeast-2"), ERR_OK);
    CHECK_STR(app.home_region, "ap-southeast-2");

    auth_principal_t root;
    memset(&root, 0, sizeof(root));
    root.kind = AUTH_ROOT;
    snprintf(root.account, sizeof(root.account), "%s", app.cfg.account_id);
    snprintf(root.arn, sizeof(root.arn), "arn:aws:iam::%s:root", app.cfg.account_id);
    snprintf(root.user_id, sizeof(root.user_id), "%s", app.cfg.account_id);
    arena_t arena;
    arena_init(&arena);
    errbuf_t eb = {{0}};
    cJSON *out = NULL;
    /* no region: refused, whatever the operation */
    CHECK_INT(api_client_call_tx(&app, NULL, NULL, &arena, &root, "sts", "GetCallerIdentity", NULL,
                                 &out, &eb),
              ERR_INTERNAL);
    CHECK(strstr(eb.msg, "names no region") != NULL);
    CHECK(out == NULL);
    snprintf(root.region, sizeof(root.region), "us-west-2");
    CHECK_INT(api_client_call_tx(&app, NULL, NULL, &arena, &root, "sts", "GetCallerIdentity", NULL,
                                 &out, &eb),
              ERR_OK);
    cJSON_Delete(out);
    arena_free(&arena);
    app_close(&app);

    /* a later --region is only the default: the store keeps the home region it recorded */
    CHECK_INT(open_app(&app, "us-east-1"), ERR_OK);
    CHECK_STR(app.home_region, "ap-southeast-2");
    app_close(&app);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
    test_regions_find();
    test_scope_and_where();
    test_home_region_and_refusal();
    return CHECK_DONE();
}
