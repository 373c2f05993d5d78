/* describe.c - what the EC2 Describe calls share beyond filters: the start of a page
 * (NextToken and MaxResults as EC2 checks them) and the question whether an instance still
 * uses something (a security group, a key pair). */
#include "svc/ec2/ec2_int.h"
#include "core/jx.h"

#include <string.h>

err_t ec2_page_begin(api_ctx_t *c, res_page_t *p, int64_t min, int64_t max, bool named,
                     const char *ids_member)
{
    const char *tok = api_in_str(c, "NextToken");
    int64_t limit = api_in_int(c, "MaxResults", 0);
    if (!res_page_begin(p, c->op->action, limit, false, tok))
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER, "The token '%s' is invalid.", tok);
    if (limit && named)
        return err_fail(c->eb, ERR_EC2_INVALID_COMBINATION,
                        "The parameter %s cannot be used with the parameter maxResults",
                        ids_member);
    if (limit && (limit < min || limit > max))
        return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                        "Value ( %lld ) for parameter maxResults is invalid. Expecting a value "
                        "greater than %lld.",
                        (long long)limit, (long long)min - 1);
    return ERR_OK;
}

err_t ec2_instances_using(api_ctx_t *c, const char *list, const char *key, const char *value,
                          bool *yes)
{
    cJSON *all = cJSON_CreateArray();
    bool more;
    err_t rc =
        res_list(c->tx, &(res_query_t){c->scope, EC2_INSTANCE, NULL, 0, 0}, all, &more, c->eb);
    *yes = false;
    for (const cJSON *i = all->child; i && !*yes; i = i->next) {
        if (ec2_state(i) == EC2_TERMINATED) continue;
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(i, list);
        for (const cJSON *e = l ? l->child : NULL; e && !*yes; e = e->next) {
            const char *v = jx_str(e, key);
            *yes = v && !strcmp(v, value);
        }
    }
    cJSON_Delete(all);
    return rc;
}
