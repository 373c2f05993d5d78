/* vpc_ref.c - the VPC look-ups security groups and launches need, until the VPC records
 * exist: a VPC id is taken as given when well formed, and the default VPC's id is derived
 * from the account and region (stable for a deployment). */
#include "svc/ec2/ec2_int.h"

#include <stdio.h>
#include <string.h>

err_t ec2_vpc_resolve(api_ctx_t *c, const char *given, const char **out)
{
    if (given) {
        size_t n = strlen(given);
        if (strncmp(given, "vpc-", 4) || (n != 12 && n != 21) ||
            strspn(given + 4, "0123456789abcdef") != n - 4)
            return err_fail(c->eb, ERR_EC2_INVALID_PARAMETER,
                            "Invalid id: \"%s\" (expecting \"vpc-...\")", given);
        *out = given;
        return ERR_OK;
    }
    char key[128];
    snprintf(key, sizeof(key), "%s/%s/default-vpc", c->app->cfg.account_id, c->app->cfg.region);
    uint32_t a = span_fnv1a(SPAN_FNV_BASIS, span_of(key));
    uint32_t b = span_fnv1a(a ^ 0x9e3779b9u, span_of(key));
    *out = arena_printf(c->arena, "vpc-0%08x%08x", a, b);
    return ERR_OK;
}
