/* stack_ssm.h - what stacks take from Parameter Store (stack_ssm.c): template parameters
 * of the types AWS::SSM::Parameter::Value<...>, resolved when CreateStack or UpdateStack
 * is called, and dynamic references ({{resolve:ssm:...}}, {{resolve:ssm-secure:...}}),
 * checked at the call and resolved when a resource is created or updated. Every look-up
 * is ssm:GetParameters through the in-process client, as the stack's principal. */
#ifndef CATALOGD_STACK_SSM_H
#define CATALOGD_STACK_SSM_H

#include "svc/cloudformation/cfn_int.h"

/* Replaces the value of each SSM-typed parameter in bound (a parameter name) by the
 * parameter's value; *names owns {key: name} of those parameters (an empty object when
 * none). ValidationError "Unable to fetch parameters [a,b] from parameter store for this
 * account." when some do not exist; the callee's AccessDenied as it is. */
err_t cfn_ssm_params(api_ctx_t *c, const tpl_t *t, cJSON *bound, cJSON **names);

/* In a stack's Parameters list: an SSM-typed parameter shows its name as ParameterValue
 * and the value as ResolvedValue (NoEcho ones stay masked). */
void cfn_ssm_shown(cJSON *list, const tpl_t *t, const cJSON *names);

/* The values UsePreviousValue takes from stack: its _Params with the SSM-typed ones'
 * names in place of their values (as its Parameters show them, which an update's
 * rollback restores; _SsmNames for NoEcho ones). New object. */
cJSON *cfn_ssm_previous(const cJSON *stack);

/* The dynamic references written in the template's resource properties: each must name an
 * existing parameter (ValidationError "Parameters: [ssm:NAME] cannot be found."), and
 * ssm-secure ones may stand only where AWS allows them ("SSM Secure reference is not
 * supported in: [TYPE/Properties/...]"). */
err_t cfn_dynref_check(api_ctx_t *c, const tpl_t *t);

/* props (evaluated Properties of a resource of type) with every dynamic reference
 * replaced by its value, read as the stack's principal (s->as): *out is new. The stored
 * _Props and the events keep the references, never the values. */
err_t cfn_dynref_props(cfn_step_t *s, const char *type, const cJSON *props, cJSON **out);

/* type->create and type->update with the dynamic references in the properties resolved
 * (cfn_dynref_props) for the call only; a reference that resolves to nothing is the
 * call's failure, with CloudFormation's sentence. */
err_t cfn_ssm_create(cfn_step_t *s, const cfn_type_t *type, cJSON *res, const cJSON *props);
err_t cfn_ssm_update(cfn_step_t *s, const cfn_type_t *type, cJSON *res, const cJSON *old,
                     const cJSON *props, bool *replace);

#endif
