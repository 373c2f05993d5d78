/* keys.c - the indexed keys of Service Catalog's kinds (res/keys.c): what the search
 * operations filter and sort on in SQL instead of reading every body. */
#include "svc/servicecatalog/sc.h"
#include "svc/servicecatalog/sc_int.h"

#include "core/jx.h"

#include <ctype.h>

/* A provisioned product's owner (the principal that provisioned it: the User access
 * level's filter) and SearchProvisionedProducts' SortBy members (their attribute view
 * has them as is). */
static const res_key_def_t sc_pp_keys[] = {
    {SC_KEY_OWNER, "_UserArn", NULL},
    {"Name", "Name", NULL},
    {"Id", "Id", NULL},
    {"Status", "Status", NULL},
    {"Arn", "Arn", NULL},
    {"LastRecordId", "LastRecordId", NULL},
    {"IdempotencyToken", "IdempotencyToken", NULL},
};

/* SearchProducts' SortBy Title: the product's name, lower-cased (ASCII). */
static void sc_key_title(const cJSON *b, buf_t *out)
{
    const char *v = jx_str(cJSON_GetObjectItemCaseSensitive(b, "ProductViewSummary"), "Name");
    for (; v && *v; v++) buf_addc(out, (char)tolower((unsigned char)*v));
}

static const res_key_def_t sc_product_keys[] = {{SC_KEY_TITLE, NULL, sc_key_title}};

/* A record's owner: ListRecordHistory at the User level. */
static const res_key_def_t sc_record_keys[] = {{SC_KEY_OWNER, "_UserArn", NULL}};

static const res_keyer_t sc_keyers[] = {
    /* SearchProvisionedProducts' TotalResultsCount at the Account level: counted */
    {SC_PP, sc_pp_keys, sizeof(sc_pp_keys) / sizeof(sc_pp_keys[0]), true},
    {SC_PRODUCT, sc_product_keys, 1, false},
    {SC_RECORD, sc_record_keys, 1, false},
};

void sc_register_keys(void)
{
    for (size_t i = 0; i < sizeof(sc_keyers) / sizeof(sc_keyers[0]); i++)
        res_keys_register(&sc_keyers[i]);
}
