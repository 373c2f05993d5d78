/* branch.c - the conditions of aws:branch Choices (and of aws:loop's LoopCondition):
 * Variable with one operator, And/Or (two or more), Not (one); NextStep naming a step. */
#include "auto/adoc_int.h"

#include <string.h>

static const char *const branch_ops[] = {"StringEquals",
                                         "EqualsIgnoreCase",
                                         "StartsWith",
                                         "EndsWith",
                                         "Contains",
                                         "NumericEquals",
                                         "NumericGreater",
                                         "NumericLesser",
                                         "NumericGreaterOrEquals",
                                         "NumericLesserOrEquals",
                                         "BooleanEquals",
                                         NULL};

/* And/Or: a list of at least two conditions (SSM's message for fewer, typo included, is
 * "Expect at lease two expressions ..."). */
static adoc_error_t check_list_op(const adoc_t *d, const char *step, const cJSON *v, const char *op,
                                  int depth, errbuf_t *eb)
{
    size_t n = 0;
    if (!cJSON_IsArray(v))
        return adoc__fail(eb, ADOC_E_CONTENT, "The %s of a Choice in step %s must be a list.", op,
                          step);
    for (const cJSON *c = v->child; c; c = c->next) n++;
    if (n < 2)
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "Expect at lease two expressions for operator: %s in step: %s. "
                          "Provided: %zu",
                          op, step, n);
    for (const cJSON *c = v->child; c; c = c->next) {
        adoc_error_t rc = adoc__check_cond(d, step, c, false, depth + 1, eb);
        if (rc != ADOC_OK) return rc;
    }
    return ADOC_OK;
}

/* The value compared by operator op: a string for the string operators, a number (or a
 * string, resolved at run time) for Numeric*, a boolean (or string) for BooleanEquals. */
static adoc_error_t check_operand(const char *step, const char *op, const cJSON *v, errbuf_t *eb)
{
    bool ok;
    if (strncmp(op, "Numeric", 7) == 0)
        ok = cJSON_IsNumber(v) || cJSON_IsString(v);
    else if (strcmp(op, "BooleanEquals") == 0)
        ok = cJSON_IsBool(v) || cJSON_IsString(v);
    else
        ok = cJSON_IsString(v);
    if (ok) return ADOC_OK;
    return adoc__fail(eb, ADOC_E_CONTENT, "The %s value of a Choice in step %s must be %s.", op,
                      step,
                      strncmp(op, "Numeric", 7) == 0     ? "a number"
                      : strcmp(op, "BooleanEquals") == 0 ? "true or false"
                                                         : "a string");
}

/* One condition of aws:branch: Variable with one operator, or And/Or (lists), or Not (one
 * condition). top: a Choice itself, which also carries NextStep. */
adoc_error_t adoc__check_cond(const adoc_t *d, const char *step, const cJSON *c, bool top,
                              int depth, errbuf_t *eb)
{
    if (depth > ADOC_MAX_DEPTH || !cJSON_IsObject(c))
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "Each Choice of step %s, and each condition inside one, must be an "
                          "object.",
                          step);
    const char *op = NULL, *combo = NULL;
    bool var = false, next = false;
    for (const cJSON *k = c->child; k; k = k->next) {
        const char *key = k->string;
        adoc_error_t rc = ADOC_OK;
        if (strcmp(key, "NextStep") == 0 && top) {
            if (!cJSON_IsString(k))
                return adoc__fail(eb, ADOC_E_CONTENT,
                                  "The NextStep of a Choice in step %s must be a step name.", step);
            rc = adoc__check_target(d, k->valuestring, "NextStep of a Choice", step, eb);
            next = true;
        } else if (strcmp(key, "Variable") == 0) {
            if (!cJSON_IsString(k))
                return adoc__fail(eb, ADOC_E_CONTENT,
                                  "The Variable of a Choice in step %s must be a string such as "
                                  "\"{{ stepName.outputName }}\".",
                                  step);
            var = true;
        } else if (adoc__one_of(key, branch_ops)) {
            if (op)
                return adoc__fail(eb, ADOC_E_CONTENT,
                                  "A Choice in step %s has two operators, %s and %s.", step, op,
                                  key);
            op = key;
            rc = check_operand(step, key, k, eb);
        } else if (strcmp(key, "And") == 0 || strcmp(key, "Or") == 0 || strcmp(key, "Not") == 0) {
            if (combo)
                return adoc__fail(eb, ADOC_E_CONTENT,
                                  "A Choice in step %s has two operators, %s and %s.", step, combo,
                                  key);
            combo = key;
            if (key[0] != 'N')
                rc = check_list_op(d, step, k, key, depth, eb);
            else if (cJSON_IsArray(k) && k->child && !k->child->next)
                rc = adoc__check_cond(d, step, k->child, false, depth + 1, eb);
            else
                rc = adoc__check_cond(d, step, k, false, depth + 1, eb);
        } else {
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "Unsupported operator %.100s in a Choice of step %s. Supported: "
                              "Variable with StringEquals, EqualsIgnoreCase, StartsWith, "
                              "EndsWith, Contains, NumericEquals, NumericGreater, NumericLesser, "
                              "NumericGreaterOrEquals, NumericLesserOrEquals or BooleanEquals; "
                              "And, Or, Not%s.",
                              key, step, top ? "; NextStep" : "");
        }
        if (rc != ADOC_OK) return rc;
    }
    if (combo && (op || var))
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "A Choice in step %s mixes %s with a Variable comparison; nest the "
                          "comparison inside %s.",
                          step, combo, combo);
    if (!combo && !(op && var))
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "A Choice in step %s needs a Variable and one operator (or And, Or, "
                          "Not).",
                          step);
    if (top && !next)
        return adoc__fail(eb, ADOC_E_CONTENT, "A Choice in step %s is missing NextStep.", step);
    return ADOC_OK;
}

/* aws:branch inputs: a non-empty Choices list, each a condition with NextStep, and an
 * optional Default naming a step. */
adoc_error_t adoc__check_branch(const adoc_t *d, const adoc_step_t *s, errbuf_t *eb)
{
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(s->inputs, "Choices");
    if (!cJSON_IsArray(ch) || !ch->child)
        return adoc__fail(eb, ADOC_E_CONTENT, "The Choices of step %s must be a non-empty list.",
                          s->name);
    for (const cJSON *c = ch->child; c; c = c->next) {
        adoc_error_t rc = adoc__check_cond(d, s->name, c, true, 0, eb);
        if (rc != ADOC_OK) return rc;
    }
    const cJSON *def = cJSON_GetObjectItemCaseSensitive(s->inputs, "Default");
    return def ? adoc__check_target(d, def->valuestring, "Default", s->name, eb) : ADOC_OK;
}
