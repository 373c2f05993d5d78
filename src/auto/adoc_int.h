/* adoc_int.h - internals shared by the files of src/auto: the document struct, the limits
 * that bound every walk, and the helpers one file lends the others ({{ }} scanning,
 * selector checks, regexes, scalar text). Not for use outside src/auto. */
#ifndef CATALOGD_ADOC_INT_H
#define CATALOGD_ADOC_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include "auto/adoc.h"

#include <pcre2.h>

#define ADOC_MAX_DEPTH      64     /* nesting of a document, and of an interpolated tree */
#define ADOC_MAX_YAML_NODES 100000 /* values built from YAML, aliases expanded */
#define ADOC_MAX_STEPS      1000
#define ADOC_MAX_STEP_NAME  128
#define ADOC_MAX_PARAM_NAME 50  /* the API's parameter key limit */
#define ADOC_MAX_REF        256 /* length of the name in a {{ name }} */
#define ADOC_MAX_PATTERN    1024
#define ADOC_MAX_SELECTOR   1024
#define ADOC_MAX_SEGMENTS   64
#define ADOC_MAX_MATCHES    65536             /* values one selector may collect */
#define ADOC_MAX_WALK       128               /* depth a selector descends into a response */
#define ADOC_MAX_TEXT       (256 * 1024)      /* one interpolated string */
#define ADOC_MAX_OUTPUT     (4 * 1024 * 1024) /* all text built by one interpolation */

/* A step name and its index, for lookups by name (sorted by name). */
typedef struct adoc_name {
    const char *name;
    int index;
} adoc_name_t;

struct adoc {
    cJSON *root; /* owned; every string below points into it */
    const char *description, *assume_role;
    const cJSON *outputs;
    adoc_param_t *params;
    pcre2_code **re; /* compiled allowedPattern per parameter, or NULL */
    size_t n_params;
    adoc_step_t *steps;
    size_t n_steps;
    adoc_name_t *by_name; /* n_steps entries */
};

/* ---- util.c */

/* Writes the message into eb (NULL is fine) and returns e. */
adoc_error_t adoc__fail(errbuf_t *eb, adoc_error_t e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* p, or abort when a cJSON constructor ran out of memory (the house OOM policy). */
cJSON *adoc__nn(cJSON *p);
/* An integral number within +-2^53 (exact in a double). */
bool adoc__get_int(const cJSON *n, int64_t *v);
/* Decimal text "-?[0-9]+" within +-2^53. */
bool adoc__parse_int(const char *s, int64_t *v);
/* The shortest text that reads back as v ("3", "0.25", "1e+300"); out holds 40 bytes. */
void adoc__num_text(double v, char out[40]);
/* The text of a scalar (string as is, number, true/false, null) in a new xmalloc'd string;
 * NULL for arrays and objects. */
char *adoc__scalar_text(const cJSON *n);
/* Code points in a UTF-8 string (bytes that do not start one are not counted). */
size_t adoc__utf8_chars(const char *s);
/* True for 1..max characters of [A-Za-z0-9_] (and extra, when not NULL). */
bool adoc__is_name(const char *s, size_t max, const char *extra);
/* True when s equals one of the NULL-terminated list. */
bool adoc__one_of(const char *s, const char *const *list);
/* Compiles an allowedPattern (UTF, bounded); NULL with a message in err on failure. */
pcre2_code *adoc__re_compile(const char *pattern, char *err, size_t errlen);
/* 1 when re matches the whole of s, 0 when not, -1 when the match hit its limits. */
int adoc__re_full_match(const pcre2_code *re, const char *s);

/* ---- steps.c */

/* Reads and checks mainSteps into d->steps and d->by_name (step fields, actions and their
 * inputs, references to other steps by name). Needs d->root; ADOC_E_CONTENT on failure. */
adoc_error_t adoc__parse_steps(adoc_t *d, errbuf_t *eb);

/* ---- command.c */

/* The top level of a Command document (schemaVersion 2.2 or 2.0 from customers, 1.2 also
 * when legacy is true: AWS's own content) and its plugins as d->steps: mainSteps (2.x) or
 * runtimeConfig (1.2, each plugin named by its action). Needs d->root; fills
 * d->description. ADOC_E_SCHEMA / ADOC_E_CONTENT on failure. */
adoc_error_t adoc__command_top(adoc_t *d, bool legacy, errbuf_t *eb);
adoc_error_t adoc__command_steps(adoc_t *d, errbuf_t *eb);

/* ---- graph.c */

/* Refuses steps from which no end (isEnd, or past the last step) can be reached. */
adoc_error_t adoc__check_graph(const adoc_t *d, errbuf_t *eb);
/* Checks every {{ }} in assumeRole and the step inputs names a declared parameter, a
 * declared step output or a supported system variable, and the document outputs. */
adoc_error_t adoc__check_refs(const adoc_t *d, errbuf_t *eb);

/* ---- interp.c */

/* One {{ name }} in a string: bytes [start, end) of the string, and the name inside. */
typedef struct adoc_ref {
    size_t start, end;
    span_t name;
} adoc_ref_t;

/* Finds the first {{ name }} in s at or after from: spaces and tabs allowed inside the
 * braces, name 1..ADOC_MAX_REF of [A-Za-z0-9_.:/-]. False when there is none; "{{" not
 * opening a well-formed reference is plain text. */
bool adoc__next_ref(span_t s, size_t from, adoc_ref_t *ref);

/* ---- select.c */

/* ADOC_OK when selector is a JSONPath adoc_select understands; else ADOC_E_CONTENT. */
adoc_error_t adoc__selector_check(const char *selector, errbuf_t *eb);

/* steps.c: the step a "step:NAME" or name reference (target) points to; the message
 * names what refers (what, of step). */
adoc_error_t adoc__check_target(const adoc_t *d, const char *target, const char *what,
                                const char *step, errbuf_t *eb);
/* branch.c: one condition of step `step` (top: a Choice, which also carries NextStep). */
adoc_error_t adoc__check_cond(const adoc_t *d, const char *step, const cJSON *c, bool top,
                              int depth, errbuf_t *eb);
/* branch.c: aws:branch inputs: a non-empty Choices list, each a condition with NextStep,
 * and an optional Default naming a step. */
adoc_error_t adoc__check_branch(const adoc_t *d, const adoc_step_t *s, errbuf_t *eb);

#endif
