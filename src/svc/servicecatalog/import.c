/* import.c - ImportAsProvisionedProduct: an existing CloudFormation stack becomes a
 * provisioned product of a product version whose template it runs. The stack is read
 * through the in-process client as the caller (cloudformation:DescribeStacks and
 * GetTemplate are the caller's to have, as on AWS); an IMPORT_PROVISIONED_PRODUCT record
 * then takes the stack's outputs (records.c) and the product is AVAILABLE, ready for
 * updates, service actions and termination like any launched one. */
#include "svc/servicecatalog/sc_int.h"

#include "core/clk.h"
#include "core/jx.h"
#include "tpl/tpl.h"

#include <stdio.h>
#include <string.h>

/* The stack states an import accepts (AWS's list). */
static bool imp_stable(const char *st)
{
    static const char *const ok[] = {"CREATE_COMPLETE", "UPDATE_COMPLETE",
                                     "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE",
                                     "IMPORT_ROLLBACK_COMPLETE"};
    for (size_t i = 0; st && i < sizeof(ok) / sizeof(ok[0]); i++)
        if (!strcmp(st, ok[i])) return true;
    return false;
}

/* Does the stack's template match the version's? The same template once parsed (JSON or
 * YAML, white space and comments aside), or, when either does not parse, the same text. */
static bool imp_same_template(const char *stack, const char *version, errbuf_t *eb)
{
    if (!stack || !version) return false;
    tpl_t *a = NULL, *b = NULL;
    bool same = !strcmp(stack, version);
    if (!same && !tpl_parse(span_of(stack), &a, eb) && !tpl_parse(span_of(version), &b, eb))
        same = cJSON_Compare(tpl_json(a), tpl_json(b), true);
    tpl_free(a);
    tpl_free(b);
    return same;
}

/* The stack PhysicalId names (ARN or name), read as the caller: *stack (in the arena) its
 * DescribeStacks entry, *text its template. ResourceNotFoundException when there is none,
 * the callee's AccessDenied when the caller may not read it. */
static err_t imp_stack(api_ctx_t *c, const char *physical, const cJSON **stack, const char **text)
{
    char why[1400];
    sc_env_t env = sc_env_of(c);
    cJSON *in = jx_own(c->arena, cJSON_CreateObject()), *out = NULL;
    cJSON_AddStringToObject(in, "StackName", physical);
    err_t rc =
        sc_call(&env, c->caller, "cloudformation", "DescribeStacks", in, &out, why, sizeof(why));
    jx_own(c->arena, out);
    *stack = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "Stacks"), 0);
    if (rc == ERR_ACCESS_DENIED) return err_fail(c->eb, rc, "%s", why);
    if (rc || !*stack || !strcmp(jx_str(*stack, "StackStatus"), "DELETE_COMPLETE"))
        return err_fail(c->eb, ERR_SC_NOT_FOUND, "Stack %s not found.", physical);
    cJSON *tin = jx_own(c->arena, cJSON_CreateObject()), *t = NULL;
    cJSON_AddStringToObject(tin, "StackName", jx_str(*stack, "StackId"));
    rc = sc_call(&env, c->caller, "cloudformation", "GetTemplate", tin, &t, why, sizeof(why));
    jx_own(c->arena, t);
    if (rc == ERR_ACCESS_DENIED) return err_fail(c->eb, rc, "%s", why);
    if (rc) return err_fail(c->eb, ERR_SC_NOT_FOUND, "Stack %s not found.", physical);
    *text = jx_str(t, "TemplateBody");
    return ERR_OK;
}

/* DuplicateResourceException when a provisioned product already has the name or manages
 * stack_id. */
static err_t imp_unique(api_ctx_t *c, const char *name, const char *stack_id)
{
    cJSON *all = jx_own(c->arena, cJSON_CreateArray());
    bool more;
    res_query_t q = {c->scope, SC_PP, NULL, 0, 0};
    err_t rc = res_list(c->tx, &q, all, &more, c->eb);
    for (const cJSON *p = all->child; !rc && p; p = p->next) {
        if (!strcmp(jx_str(p, "Status"), "TERMINATED")) continue;
        if (!strcmp(jx_str(p, "Name"), name))
            rc = err_fail(c->eb, ERR_SC_DUPLICATE,
                          "A provisioned product with the name %s already exists.", name);
        else if (jx_str(p, "_Stack") && !strcmp(jx_str(p, "_Stack"), stack_id))
            rc = err_fail(c->eb, ERR_SC_DUPLICATE,
                          "Stack %s is already managed by Service Catalog as provisioned product "
                          "%s.",
                          stack_id, jx_str(p, "Id"));
    }
    return rc;
}

/* The stack's parameters as ProvisioningParameters [{Key, Value}]: what later updates'
 * UsePreviousValue reads. New array. */
static cJSON *imp_params(const cJSON *stack)
{
    cJSON *out = cJSON_CreateArray();
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(stack, "Parameters");
    for (const cJSON *p = ps ? ps->child : NULL; p; p = p->next) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "Key", jx_str(p, "ParameterKey"));
        cJSON_AddStringToObject(e, "Value",
                                jx_str(p, "ParameterValue") ? jx_str(p, "ParameterValue") : "");
        cJSON_AddItemToArray(out, e);
    }
    return out;
}

err_t sc_import_as_provisioned_product(api_ctx_t *c)
{
    const char *pid = api_in_str(c, "ProductId"), *name = api_in_str(c, "ProvisionedProductName");
    const char *physical = api_in_str(c, "PhysicalId"), *token = api_in_str(c, "IdempotencyToken");
    cJSON *prod = NULL, *pa = NULL, *pp = NULL;
    /* a retried request returns its first record */
    cJSON *all = jx_own(c->arena, cJSON_CreateArray());
    bool more;
    res_query_t q = {c->scope, SC_PP, NULL, 0, 0};
    err_t rc = res_list(c->tx, &q, all, &more, c->eb);
    for (const cJSON *p = all->child; !rc && p; p = p->next)
        if (jx_str(p, "_ImportToken") && !strcmp(jx_str(p, "_ImportToken"), token) &&
            !strcmp(jx_str(p, "_UserArn"), c->caller->arn)) {
            cJSON *rec = NULL;
            rc = sc_get(c, SC_RECORD, jx_str(p, "LastProvisioningRecordId"), "Record", &rec);
            if (!rc) cJSON_AddItemToObject(c->out, "RecordDetail", sc_record_view(rec));
            cJSON_Delete(rec);
            return rc;
        }
    const cJSON *stack = NULL;
    const char *text = NULL, *path = NULL;
    if (!rc) rc = sc_get(c, SC_PRODUCT, pid, "Product", &prod);
    if (!rc) rc = sc_artifact_find(c, pid, api_in_str(c, "ProvisioningArtifactId"), NULL, &pa);
    if (!rc) rc = imp_stack(c, physical, &stack, &text);
    const char *stack_id = stack ? jx_str(stack, "StackId") : NULL;
    if (!rc && !imp_stable(jx_str(stack, "StackStatus")))
        rc = err_fail(c->eb, ERR_SC_INVALID_STATE,
                      "Stack %s is in state %s: only a stack in CREATE_COMPLETE, "
                      "UPDATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE, IMPORT_COMPLETE or "
                      "IMPORT_ROLLBACK_COMPLETE can be imported.",
                      stack_id, jx_str(stack, "StackStatus"));
    if (!rc) rc = imp_unique(c, name, stack_id);
    errbuf_t ignore;
    if (!rc && !imp_same_template(text, jx_str(pa, "_Template"), &ignore))
        rc = err_fail(c->eb, ERR_SC_INVALID_PARAMETERS,
                      "The template of stack %s does not match provisioning artifact %s of "
                      "product %s.",
                      stack_id, jx_str(pa, "Id"), pid);
    if (rc) goto done;
    /* the path is the caller's first to the product, when it has one: constraints are not
     * applied by an import (they are by the next update) */
    bool can = false;
    rc = sc_caller_has_product(c, pid, &can, &path);
    if (rc) goto done;
    pp = sc_pp_new(c, name, pid, jx_str(pa, "Id"));
    const char *id = jx_str(pp, "Id");
    if (can) cJSON_AddStringToObject(pp, "_PathId", path);
    cJSON_AddStringToObject(pp, "_Stack", stack_id);
    cJSON_AddStringToObject(pp, "_ImportToken", token);
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(stack, "Tags");
    cJSON_AddItemToObject(pp, "_Tags", tags ? cJSON_Duplicate(tags, 1) : cJSON_CreateArray());
    cJSON_AddItemToObject(pp, "_Params", imp_params(stack));
    res_row_t row = {.state = "UNDER_CHANGE", .created_ms = clk_now_ms(&c->app->clock)};
    rc = res_insert(c->tx, &(res_key_t){c->scope, SC_PP, id}, &row, pp, c->eb);
    /* the record's job reads the stack's outputs and makes the product AVAILABLE */
    cJSON *work = cJSON_CreateObject();
    cJSON_AddStringToObject(work, "_Phase", "wait");
    if (!rc)
        rc = sc_record_start(c, pp, "IMPORT_PROVISIONED_PRODUCT", work, NULL);
    else
        cJSON_Delete(work);
    if (!rc) rc = sc_put(c, SC_PP, id, pp);
done:
    cJSON_Delete(pp);
    cJSON_Delete(pa);
    cJSON_Delete(prod);
    return rc;
}
