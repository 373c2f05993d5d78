/* adoc.h - Systems Manager Automation documents (schema 0.3): parsing and validation on
 * write, parameter binding with SSM's messages, {{ }} interpolation and the JSONPath-like
 * output selectors of aws:executeAwsApi. Pure: no I/O, no store; the automation engine
 * (svc/ssm) runs the steps. Messages follow SSM's wording (the caller maps
 * ADOC_E_CONTENT to InvalidDocumentContent, ADOC_E_SCHEMA to InvalidDocumentSchemaVersion,
 * ADOC_E_PARAMS to InvalidAutomationExecutionParametersException). */
#ifndef CATALOGD_ADOC_H
#define CATALOGD_ADOC_H

#include "core/err.h"
#include "core/span.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum adoc_error {
    ADOC_OK = 0,
    ADOC_E_CONTENT,  /* malformed or invalid content */
    ADOC_E_SCHEMA,   /* schemaVersion missing or not 0.3 */
    ADOC_E_PARAMS,   /* parameters given to an execution do not fit the document */
    ADOC_E_VARIABLE, /* interpolation of an unknown variable */
} adoc_error_t;

typedef enum adoc_format { ADOC_AUTO, ADOC_JSON, ADOC_YAML } adoc_format_t;

/* SSM's document size limit (MaxDocumentSizeExceeded). adoc_parse refuses larger content
 * with ADOC_E_CONTENT; callers check first to answer with the right error code. */
#define ADOC_MAX_CONTENT (64 * 1024)

/* The step actions catalogd runs; anything else is refused when a document is written. */
#define ADOC_ACTIONS                                                                               \
    "aws:changeInstanceState, aws:executeAwsApi, aws:waitForAwsResourceProperty, "                 \
    "aws:assertAwsResourceProperty, aws:sleep, aws:branch, aws:pause, aws:approve, "               \
    "aws:executeScript, aws:createStack, aws:deleteStack, aws:createTags, aws:runInstances, "      \
    "aws:runCommand, aws:loop, aws:createImage"

typedef struct adoc adoc_t;

/* Parses and validates a schema-0.3 Automation document (JSON, or YAML; ADOC_AUTO decides
 * by the first non-space character). Checks: schemaVersion "0.3"; top-level keys
 * (description, schemaVersion, assumeRole, parameters, mainSteps, outputs, files); each
 * parameter's type (String, StringList, Integer, Boolean, MapList, StringMap) and
 * attributes (description, default of the right type, allowedValues, allowedPattern
 * (PCRE2), minItems/maxItems, minChars/maxChars, displayType); mainSteps non-empty; step
 * names unique and [a-zA-Z0-9_]+; action supported (ADOC_ACTIONS) with its required
 * inputs (e.g. aws:changeInstanceState needs InstanceIds and DesiredState in
 * running|stopped|terminated; aws:executeAwsApi Service and Api; aws:sleep Duration or
 * Timestamp; aws:branch Choices with NextStep); onFailure Abort|Continue|step:NAME and
 * onCancel Abort|step:NAME naming existing steps; nextStep existing; timeoutSeconds,
 * maxAttempts >= 1, isEnd, isCritical typed; outputs ["Step.Output"] naming declared step
 * outputs; no loop of steps that can never reach an end. On failure returns the error
 * class and a precise message in eb (e.g. "Action aws:runCommand in step Foo is not
 * supported by catalogd. Supported actions: ..."). Bounded nesting and size. */
adoc_error_t adoc_parse(span_t content, adoc_format_t fmt, adoc_t **out, errbuf_t *eb);
void adoc_free(adoc_t *d); /* NULL is fine */

/* The plugins of Command documents catalogd runs (ADOC_PLUGINS). */
#define ADOC_PLUGINS "aws:runShellScript, aws:runPowerShellScript"

/* Parses and validates a Command document (Run Command): schemaVersion "2.2" or "2.0"
 * with mainSteps (each {action, name, inputs, precondition}; names unique and
 * [a-zA-Z0-9_.-]+; action one of ADOC_PLUGINS; runCommand required, a list of strings or
 * one {{ }} reference; workingDirectory a string; timeoutSeconds a number or text of one),
 * or, when legacy is true (AWS-owned content), "1.2" with runtimeConfig. Parameters are
 * declared and checked as for Automation (adoc_bind binds them); every {{ }} must name a
 * declared parameter. The plugins are the document's steps (adoc_step): name is the step
 * name (the action for 1.2), inputs the raw inputs. Same size, syntax and error classes
 * as adoc_parse. */
adoc_error_t adoc_parse_command(span_t content, adoc_format_t fmt, bool legacy, adoc_t **out,
                                errbuf_t *eb);
/* The document's schemaVersion as text ("0.3", "2.2", "1.2"). */
const char *adoc_schema_version(const adoc_t *d);

/* The document as JSON (YAML converted). Borrowed. */
const cJSON *adoc_json(const adoc_t *d);
const char *adoc_description(const adoc_t *d); /* or NULL */
const char *adoc_assume_role(const adoc_t *d); /* the raw assumeRole (may hold {{ }}), or NULL */

typedef struct adoc_param {
    const char *name, *type, *description, *allowed_pattern, *display_type;
    const cJSON *default_value;  /* NULL when the parameter has none (it is required) */
    const cJSON *allowed_values; /* array, or NULL */
    long long min_items, max_items, min_chars, max_chars; /* -1 when absent */
} adoc_param_t;

size_t adoc_param_count(const adoc_t *d);
const adoc_param_t *adoc_param(const adoc_t *d, size_t i);

/* Binds the parameters of an execution. given is the API's map name -> [strings] (may be
 * NULL). *out owns an object name -> typed value (String -> string, StringList -> array
 * of strings, Integer -> number, Boolean -> bool, StringMap -> object, MapList -> array
 * of objects; JSON text in the string form is parsed for the last two), defaults filled.
 * ADOC_E_PARAMS messages as SSM words them (the first error found; where each text comes
 * from is noted in params.c), among them:
 *   Parameter "X" has value "V" not found in {A}, {B}.     (allowedValues)
 *   Parameter type error. The value supplied for X is not a valid string.  (and integer,
 *     boolean, string list, string map, map list; a list given for a String)
 *   Parameter "X" has value "V" not matching pattern P       (allowedPattern)
 *   Missing required parameter: X in user inputs.
 *   Parameter "X" is not defined in the document.         (an undeclared name)
 * Defaults are used as declared (not re-checked against allowedValues/allowedPattern). */
adoc_error_t adoc_bind(const adoc_t *d, const cJSON *given, cJSON **out, errbuf_t *eb);

size_t adoc_step_count(const adoc_t *d);

typedef struct adoc_step {
    const char *name, *action;
    const cJSON *inputs;    /* object (raw, before interpolation) */
    const char *on_failure; /* "Abort", "Continue" or "step:NAME" */
    const char *on_cancel;  /* "Abort" or "step:NAME" */
    int64_t timeout_s;      /* 0 when absent */
    int max_attempts;       /* >= 1 */
    bool is_end, is_critical;
    const char *next_step;        /* or NULL */
    const cJSON *outputs;         /* [{Name, Selector, Type}] or NULL */
    struct adoc_step *loop_steps; /* aws:loop: its Steps, run in order each iteration */
    size_t n_loop_steps;
} adoc_step_t;

/* The step called name among the main steps and the Steps of their aws:loop steps, or
 * NULL. */
const adoc_step_t *adoc_find_step(const adoc_t *d, const char *name);

const adoc_step_t *adoc_step(const adoc_t *d, size_t i);
/* The typed gate before a step runs: its inputs as interpolated (in) against what its
 * action takes: each input of its kind (String a string, Boolean true/false, Integer an
 * integer, StringList a string or a list of strings), required ones present,
 * aws:changeInstanceState's DesiredState running|stopped|terminated, a PropertySelector
 * that compiles. Inputs an action passes on (executeAwsApi's API parameters) are typed by
 * api_invoke. ADOC_E_CONTENT with SSM's words, e.g. "Failed to resolve input: DesiredState
 * to type String. DesiredState is resolved to a type Integer." */
adoc_error_t adoc_step_inputs_check(const adoc_step_t *s, const cJSON *in, errbuf_t *eb);
/* Index of the step called name, or -1. */
int adoc_step_index(const adoc_t *d, const char *name);
/* The document's declared outputs (["Step.Output", ...]) or NULL. */
const cJSON *adoc_outputs(const adoc_t *d);

/* ---- interpolation */
typedef struct adoc_vars {
    /* The value of variable name ("InstanceId", "Step.Output", "automation:EXECUTION_ID",
     * "global:REGION", ...): a new cJSON value, or NULL when unknown. */
    cJSON *(*lookup)(void *ud, const char *name);
    void *ud;
} adoc_vars_t;

/* Replaces every {{ name }} in the strings of node (recursively; keys untouched). A string
 * that is exactly one {{ name }} takes the variable's value with its type (a list stays a
 * list); a variable inside longer text is rendered as text (lists/maps as JSON). *out owns
 * the new tree. ADOC_E_VARIABLE "Variable {{ X }} could not be resolved" for an unknown
 * name. Bounded depth and output size. */
adoc_error_t adoc_interpolate(const cJSON *node, const adoc_vars_t *vars, cJSON **out,
                              errbuf_t *eb);

/* Evaluates an output Selector against an API response (model member names):
 * $.A.B, $.A[0], $.A[*].B (a list), $..B (recursive), with Type (String, Integer,
 * Boolean, StringList, MapList, StringMap) converting the result. *out owns the value;
 * ADOC_E_CONTENT when the selector is malformed, NULL result (ADOC_OK) when nothing
 * matches. Also: ['name'] and .* / [*] on objects, [-1] from the end; a NULL type returns
 * the value unconverted (a list for a path with [*] or ..). A value that does not convert
 * to type (an object for Integer, two values for String) is ADOC_E_CONTENT too. */
adoc_error_t adoc_select(const cJSON *response, const char *selector, const char *type, cJSON **out,
                         errbuf_t *eb);

/* Seconds in an ISO 8601 duration as aws:sleep takes it (PnW, PnD, PTnHnMnS, fractions of
 * a second truncated). False on anything else or past 10^12 seconds. */
bool adoc_duration_seconds(const char *iso, int64_t *seconds);

#endif
