/* tpl.h - CloudFormation templates: parsing (JSON, or YAML with the short-form tags
 * !Ref, !GetAtt, !Sub ...), parameters, mappings, conditions, intrinsic functions, the
 * dependency order of resources, and outputs. Pure: no I/O, no store; the stack engine
 * (svc/cloudformation) supplies resource lookups through tpl_ctx_t.
 * Error messages follow CloudFormation's ValidationError wording ("Template format
 * error: ...", "Parameters: [X] must have values", "Circular dependency between
 * resources: [A, B]", "Template error: instance of Fn::GetAtt references undefined
 * resource X", ...). */
#ifndef CATALOGD_TPL_H
#define CATALOGD_TPL_H

#include "core/err.h"
#include "core/span.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

/* Template failures are ERR_VALIDATION with CloudFormation's message (the query protocol
 * renders ERR_VALIDATION as the ValidationError code CloudFormation uses). */

typedef struct tpl tpl_t;

/* Parses a template body (JSON or YAML; YAML short-form tags become their long forms, so
 * `!GetAtt A.B` is {"Fn::GetAtt": ["A", "B"]} and `!Sub "x"` is {"Fn::Sub": "x"}) and
 * checks its structure: known top-level sections, AWSTemplateFormatVersion
 * "2010-09-09" when present, Resources present and non-empty, each resource an object
 * with a string Type, Properties an object, DependsOn naming existing resources,
 * Ref/GetAtt/Sub naming existing parameters/resources/pseudo parameters, Conditions
 * referenced by resources and outputs existing, intrinsic function argument shapes.
 * Returns ERR_OK with *out owning the template, or ERR_VALIDATION. Never reads past
 * body.n; bounded nesting. */
err_t tpl_parse(span_t body, tpl_t **out, errbuf_t *eb);
void tpl_free(tpl_t *t); /* NULL is fine */

/* The template as a JSON tree (long forms only). Borrowed. */
const cJSON *tpl_json(const tpl_t *t);
/* The Description, or NULL. */
const char *tpl_description(const tpl_t *t);

/* One declared parameter (borrowed strings; NULL when absent). */
typedef struct tpl_param {
    const char *name, *type, *default_value, *description, *allowed_pattern,
        *constraint_description;
    const cJSON *allowed_values; /* array of strings, or NULL */
    bool no_echo;
    bool has_min_length, has_max_length, has_min_value, has_max_value;
    long long min_length, max_length;
    double min_value, max_value;
} tpl_param_t;

size_t tpl_param_count(const tpl_t *t);
const tpl_param_t *tpl_param(const tpl_t *t, size_t i);

/* Whether p's type is AWS::SSM::Parameter::Value<...>: its value names a Systems Manager
 * parameter, which the caller resolves after tpl_bind (tpl itself does no I/O). */
bool tpl_param_from_ssm(const tpl_param_t *p);

/* Checks given parameter values (an object name -> string; may be NULL) against the
 * declarations and fills defaults: *out owns an object name -> string (CommaDelimitedList
 * and List<...> values stay comma-separated strings). Errors, as CloudFormation words
 * them: "Parameters: [A, B] must have values", "Parameter 'X' must be one of
 * AllowedValues", "Parameter 'X' must match pattern P" (ConstraintDescription instead
 * when given), "Parameter 'X' must be a number", length/value bounds, and
 * "Parameters: [Y] do not exist in the template" for undeclared names. */
err_t tpl_bind(const tpl_t *t, const cJSON *given, cJSON **out, errbuf_t *eb);

/* What evaluation needs from the outside world. */
typedef struct tpl_ctx {
    const char *stack_name, *stack_id, *region, *account_id;
    const char *partition;   /* "aws" */
    const char *url_suffix;  /* "amazonaws.com" */
    const cJSON *params;     /* from tpl_bind */
    const cJSON *conditions; /* from tpl_conditions; NULL before they are known */
    /* Physical id of a created resource (Ref), or NULL when it does not exist (yet). */
    const char *(*ref)(void *ud, const char *logical_id);
    /* Attribute of a created resource (Fn::GetAtt): a new cJSON value, or NULL when the
     * resource or attribute is unknown. */
    cJSON *(*getatt)(void *ud, const char *logical_id, const char *attribute);
    /* Fn::GetAZs: the availability zones of a region (NULL or "" = ctx region); a new
     * array. NULL callback: "<region>a", "<region>b", "<region>c". */
    cJSON *(*azs)(void *ud, const char *region);
    /* Fn::ImportValue: the value of export name, or NULL when there is none (NULL
     * callback: no export exists). */
    const char *(*import)(void *ud, const char *name);
    void *ud;
} tpl_ctx_t;

/* Evaluates every condition (Fn::Equals/And/Or/Not/If, Condition references, Ref to
 * parameters and pseudo parameters, Fn::FindInMap): *out owns an object name -> bool. */
err_t tpl_conditions(const tpl_t *t, const tpl_ctx_t *ctx, cJSON **out, errbuf_t *eb);

/* The logical ids of the resources to create (those whose Condition holds, given
 * ctx->conditions), in an order where every resource comes after everything it depends on
 * (DependsOn, Ref, Fn::GetAtt, Fn::Sub references). *out owns an array of strings.
 * ERR_VALIDATION "Circular dependency between resources: [A, B, C]". Dependencies on a
 * resource whose condition is false are errors as in CloudFormation ("Template format
 * error: Unresolved resource dependencies [X] in the Resources block of the template"). */
err_t tpl_order(const tpl_t *t, const tpl_ctx_t *ctx, cJSON **out, errbuf_t *eb);

/* The dependencies of one resource (logical ids it references), for reverse-order
 * deletion. *out owns an array of strings. */
err_t tpl_dependencies(const tpl_t *t, const char *logical_id, cJSON **out, errbuf_t *eb);

/* Evaluates intrinsic functions in node (a resource's Properties, an output Value, ...):
 * Ref, Fn::GetAtt, Fn::Sub (both forms, ${AWS::...}, ${Res.Attr}, ${!Literal}),
 * Fn::Join, Fn::Select, Fn::Split, Fn::FindInMap, Fn::If (with AWS::NoValue removing the
 * member or list item), Fn::Equals, Fn::And, Fn::Or, Fn::Not, Fn::Base64, Fn::GetAZs,
 * Fn::ImportValue (through ctx->import: "No export named X found."), Condition; pseudo parameters
 * AWS::StackName, AWS::StackId, AWS::Region, AWS::AccountId, AWS::Partition,
 * AWS::URLSuffix, AWS::NoValue, AWS::NotificationARNs. *out owns the result (a new tree).
 * A Ref/GetAtt to a resource not yet created is ERR_VALIDATION naming it. */
err_t tpl_eval(const tpl_t *t, const tpl_ctx_t *ctx, const cJSON *node, cJSON **out, errbuf_t *eb);

/* The export names the template's Fn::ImportValue nodes name (in the Properties of the
 * resources whose condition holds, given ctx->conditions, and the Values of such outputs),
 * each evaluated under ctx (parameters, pseudo parameters): *out owns an array of unique
 * strings. */
err_t tpl_imports(const tpl_t *t, const tpl_ctx_t *ctx, cJSON **out, errbuf_t *eb);

/* ---- dynamic references (dynref.c): {{resolve:ssm:NAME}}, {{resolve:ssm:NAME:VERSION}},
 * {{resolve:ssm-secure:NAME[:VERSION]}} inside string values. Other services'
 * references ({{resolve:secretsmanager:...}}) are left as written. */

/* Called for each reference: secure for ssm-secure, ref is NAME or NAME:VERSION, path
 * where the string stands (where + "/Member/0/..."). With value non-NULL it sets *value
 * to the resolved text (malloc'd); an error stops the walk. */
typedef err_t (*tpl_dynref_fn)(void *ud, bool secure, const char *ref, const char *path,
                               char **value, errbuf_t *eb);
/* Hands every reference in node to fn; with out non-NULL, *out owns a copy of node with
 * each reference replaced by its value. */
err_t tpl_dynrefs(const cJSON *node, const char *where, tpl_dynref_fn fn, void *ud, cJSON **out,
                  errbuf_t *eb);

/* A resource of the template (borrowed), or NULL. */
const cJSON *tpl_resource(const tpl_t *t, const char *logical_id);

/* Evaluates the Outputs whose Condition holds: *out owns an array of
 * {"OutputKey","OutputValue","Description","ExportName"} (values as strings; lists
 * joined with ","). */
err_t tpl_outputs(const tpl_t *t, const tpl_ctx_t *ctx, cJSON **out, errbuf_t *eb);

#endif
