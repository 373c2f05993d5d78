/* command.c - the parts of a Command document (Run Command) that differ from Automation:
 * the schema versions and top-level keys, and the plugins (mainSteps for 2.x,
 * runtimeConfig for AWS's own 1.2 content) with the inputs each plugin takes. Parameters
 * and {{ }} references are read by parse.c and graph.c as for Automation. */
#include "auto/adoc_int.h"

#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

static const char *const top_keys_2[] = {"schemaVersion", "description", "parameters", "mainSteps",
                                         NULL};
static const char *const top_keys_1[] = {"schemaVersion", "description", "parameters",
                                         "runtimeConfig", NULL};
static const char *const step_keys[] = {"action", "name", "inputs", "precondition", NULL};
static const char *const plugins[] = {"aws:runShellScript", "aws:runPowerShellScript", NULL};
static const char *const plugin_inputs[] = {"id", "runCommand", "workingDirectory",
                                            "timeoutSeconds", NULL};

adoc_error_t adoc__command_top(adoc_t *d, bool legacy, errbuf_t *eb)
{
    cJSON *sv = cJSON_GetObjectItemCaseSensitive(d->root, "schemaVersion");
    if (!sv)
        return adoc__fail(eb, ADOC_E_SCHEMA,
                          "Document schema version is missing. Command documents use "
                          "schemaVersion 2.2.");
    if (cJSON_IsNumber(sv)) { /* a YAML plain 2.2 */
        char t[40];
        adoc__num_text(sv->valuedouble, t);
        cJSON_ReplaceItemInObjectCaseSensitive(d->root, "schemaVersion",
                                               adoc__nn(cJSON_CreateString(t)));
        sv = cJSON_GetObjectItemCaseSensitive(d->root, "schemaVersion");
    }
    const char *v = cJSON_IsString(sv) ? sv->valuestring : "";
    bool v1 = legacy && !strcmp(v, "1.2");
    if (!v1 && strcmp(v, "2.2") && strcmp(v, "2.0"))
        return adoc__fail(eb, ADOC_E_SCHEMA,
                          "Document schema version, %.20s, is not supported. Command documents "
                          "use schemaVersion 2.2 (or 2.0); schema 1.2 is AWS's own, "
                          "read-only content.",
                          *v ? v : "(not a string)");
    for (const cJSON *c = d->root->child; c; c = c->next)
        if (!adoc__one_of(c->string, v1 ? top_keys_1 : top_keys_2))
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "Unknown top-level key \"%.100s\". A schema %s Command document "
                              "may contain schemaVersion, description, parameters and %s.",
                              c->string, v, v1 ? "runtimeConfig" : "mainSteps");
    const cJSON *desc = cJSON_GetObjectItemCaseSensitive(d->root, "description");
    if (desc && !cJSON_IsString(desc))
        return adoc__fail(eb, ADOC_E_CONTENT, "The document description must be a string.");
    d->description = desc ? desc->valuestring : NULL;
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(d->root, "parameters");
    if (ps && !cJSON_IsObject(ps))
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "parameters must be an object mapping each parameter name to its "
                          "definition.");
    const char *body = v1 ? "runtimeConfig" : "mainSteps";
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(d->root, body);
    if (!b) return adoc__fail(eb, ADOC_E_CONTENT, "The document must contain %s.", body);
    if (v1 ? !cJSON_IsObject(b) || !b->child : !cJSON_IsArray(b) || !b->child)
        return adoc__fail(eb, ADOC_E_CONTENT, "%s must be a non-empty %s.", body,
                          v1 ? "object of plugins" : "list of steps");
    return ADOC_OK;
}

/* Checks the inputs of one plugin (name for the messages). */
static adoc_error_t check_inputs(const char *name, const cJSON *in, errbuf_t *eb)
{
    if (!cJSON_IsObject(in))
        return adoc__fail(eb, ADOC_E_CONTENT, "The inputs of step %s must be an object.", name);
    for (const cJSON *c = in->child; c; c = c->next)
        if (!adoc__one_of(c->string, plugin_inputs))
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "Step %s has unsupported input \"%.100s\". Supported inputs: "
                              "runCommand, workingDirectory, timeoutSeconds.",
                              name, c->string);
    const cJSON *rc = cJSON_GetObjectItemCaseSensitive(in, "runCommand");
    if (!rc) return adoc__fail(eb, ADOC_E_CONTENT, "Step %s is missing input runCommand.", name);
    bool ok = cJSON_IsString(rc) || cJSON_IsArray(rc);
    for (const cJSON *c = cJSON_IsArray(rc) ? rc->child : NULL; c; c = c->next)
        ok &= cJSON_IsString(c);
    if (!ok)
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "The runCommand of step %s must be a list of strings or a {{ "
                          "parameter }}.",
                          name);
    const cJSON *wd = cJSON_GetObjectItemCaseSensitive(in, "workingDirectory");
    if (wd && !cJSON_IsString(wd))
        return adoc__fail(eb, ADOC_E_CONTENT, "The workingDirectory of step %s must be a string.",
                          name);
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(in, "timeoutSeconds");
    int64_t n;
    if (ts && !(cJSON_IsString(ts) || (adoc__get_int(ts, &n) && n >= 1)))
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "The timeoutSeconds of step %s must be a positive integer.", name);
    return ADOC_OK;
}

/* Plugin i from a 2.x step. */
static adoc_error_t read_step(adoc_t *d, const cJSON *s, size_t i, errbuf_t *eb)
{
    if (!cJSON_IsObject(s))
        return adoc__fail(eb, ADOC_E_CONTENT, "Each entry of mainSteps must be an object.");
    for (const cJSON *c = s->child; c; c = c->next)
        if (!adoc__one_of(c->string, step_keys))
            return adoc__fail(eb, ADOC_E_CONTENT,
                              "Unknown step key \"%.100s\". A Command document step may contain "
                              "action, name, inputs and precondition.",
                              c->string);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(s, "name");
    if (!cJSON_IsString(name) || !adoc__is_name(name->valuestring, ADOC_MAX_STEP_NAME, ".-"))
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "Step %zu must have a name of 1 to %d letters, digits, underscores, "
                          "hyphens or periods.",
                          i + 1, ADOC_MAX_STEP_NAME);
    for (size_t j = 0; j < i; j++)
        if (!strcmp(d->steps[j].name, name->valuestring))
            return adoc__fail(eb, ADOC_E_CONTENT, "Duplicate step name %s.", name->valuestring);
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(s, "action");
    if (!cJSON_IsString(action))
        return adoc__fail(eb, ADOC_E_CONTENT, "Step %s is missing its action.", name->valuestring);
    if (!adoc__one_of(action->valuestring, plugins))
        return adoc__fail(eb, ADOC_E_CONTENT,
                          "Action %.100s in step %s is not supported by catalogd. Supported "
                          "actions: " ADOC_PLUGINS ".",
                          action->valuestring, name->valuestring);
    const cJSON *pre = cJSON_GetObjectItemCaseSensitive(s, "precondition");
    if (pre && !cJSON_IsObject(pre))
        return adoc__fail(eb, ADOC_E_CONTENT, "The precondition of step %s must be an object.",
                          name->valuestring);
    adoc_error_t rc =
        check_inputs(name->valuestring, cJSON_GetObjectItemCaseSensitive(s, "inputs"), eb);
    if (rc != ADOC_OK) return rc;
    d->steps[i] = (adoc_step_t){.name = name->valuestring,
                                .action = action->valuestring,
                                .inputs = cJSON_GetObjectItemCaseSensitive(s, "inputs"),
                                .max_attempts = 1};
    return ADOC_OK;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const adoc_name_t *)a)->name, ((const adoc_name_t *)b)->name);
}

adoc_error_t adoc__command_steps(adoc_t *d, errbuf_t *eb)
{
    const cJSON *rc1 = cJSON_GetObjectItemCaseSensitive(d->root, "runtimeConfig");
    const cJSON *list = rc1 ? rc1 : cJSON_GetObjectItemCaseSensitive(d->root, "mainSteps");
    size_t n = 0;
    for (const cJSON *c = list->child; c; c = c->next) n++;
    if (n > ADOC_MAX_STEPS)
        return adoc__fail(eb, ADOC_E_CONTENT, "A document may have at most %d steps.",
                          ADOC_MAX_STEPS);
    d->steps = xcalloc(n, sizeof(*d->steps));
    d->by_name = xcalloc(n, sizeof(*d->by_name));
    size_t i = 0;
    for (const cJSON *c = list->child; c; c = c->next, i++) {
        adoc_error_t rc;
        if (!rc1) {
            rc = read_step(d, c, i, eb);
        } else {
            /* 1.2: "aws:runShellScript": {"properties": [ {inputs} ]} (one entry used) */
            const cJSON *props = cJSON_GetObjectItemCaseSensitive(c, "properties");
            const cJSON *in = cJSON_IsArray(props) ? props->child : props;
            rc = !adoc__one_of(c->string, plugins)
                     ? adoc__fail(eb, ADOC_E_CONTENT, "Plugin %.100s is not supported.", c->string)
                     : check_inputs(c->string, in, eb);
            if (rc == ADOC_OK)
                d->steps[i] = (adoc_step_t){
                    .name = c->string, .action = c->string, .inputs = in, .max_attempts = 1};
        }
        if (rc != ADOC_OK) return rc;
        d->by_name[i] = (adoc_name_t){d->steps[i].name, (int)i};
        d->n_steps = i + 1;
    }
    qsort(d->by_name, d->n_steps, sizeof(*d->by_name), cmp_name);
    return ADOC_OK;
}
