/* yaml.h - YAML text into cJSON, for every parser that accepts YAML (CloudFormation
 * templates in src/tpl, Automation documents in src/auto): libfyaml builds the document,
 * a bounded walk converts it, and input known to break libfyaml 0.7.12 never reaches it.
 * The caller chooses the dialect (number typing, local tags, strictness) and words the
 * errors: a yaml_error_t says what went wrong and where, never how to say it. */
#ifndef CATALOGD_YAML_H
#define CATALOGD_YAML_H

#include "core/span.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum yaml_status {
    YAML_OK = 0,
    YAML_E_SYNTAX,       /* not well-formed: line, column and msg as libfyaml gave them */
    YAML_E_ENCODING,     /* not UTF-8, or a NUL byte (the callers refuse both earlier) */
    YAML_E_EXPLICIT_KEY, /* a "? " explicit key: refused before libfyaml sees the text */
    YAML_E_MULTI_DOC,    /* a second document, with yaml_opts_t.single_document */
    YAML_E_KEY,          /* a mapping key that is not a scalar (with plain_keys: or tagged) */
    YAML_E_NUL,          /* a scalar holds a NUL character (an escape such as "\0") */
    YAML_E_ALIAS,        /* an alias names no anchor */
    YAML_E_DEPTH,        /* nesting deeper than yaml_opts_t.max_depth */
    YAML_E_NODES,        /* more values than yaml_opts_t.max_nodes, aliases expanded */
    YAML_E_TAG,          /* a local tag the tag hook refused: the tag is in msg */
} yaml_status_t;

typedef struct yaml_error {
    yaml_status_t status;
    int line, column; /* YAML_E_SYNTAX: 1-based, as libfyaml reported them; else 0 */
    char msg[160];    /* YAML_E_SYNTAX: libfyaml's words; YAML_E_TAG: the tag; else "" */
} yaml_error_t;

/* The number a plain scalar's text s[0, n) stands for: true with *out set, or false
 * when the text is not a number (it then stays a string). */
typedef bool (*yaml_number_fn)(const char *s, size_t n, double *out);

/* The meaning of a local tag (any tag outside tag:yaml.org,2002:, e.g. "!Ref"). Called
 * twice per tagged node: first with v NULL, before the node's content is read, to ask
 * whether the tag is known (false refuses it: YAML_E_TAG); then with *v the converted
 * node, its scalars kept as strings, which the hook may replace (freeing the old). */
typedef bool (*yaml_tag_fn)(void *ud, span_t tag, cJSON **v);

/* The dialect of one caller. Zeroed members are the permissive choice. */
typedef struct yaml_opts {
    int max_depth;        /* deepest nesting allowed (the root is 0; aliases add none) */
    size_t max_nodes;     /* values built at most, aliases expanded (billion laughs) */
    bool single_document; /* a second document is YAML_E_MULTI_DOC; else it is ignored */
    bool plain_keys;      /* a tagged mapping key is YAML_E_KEY; else its tag is ignored */
    /* Plain scalars other than null (~, null, empty) and true/false: NULL reads numbers
     * by the YAML 1.2 core schema (yaml_core_number); else this function decides. */
    yaml_number_fn number;
    /* Local tags: NULL ignores them (the node converts as if untagged). */
    yaml_tag_fn tag;
    void *tag_ud;
} yaml_opts_t;

/* Parses text (need not be NUL-terminated) and converts its first document to *out (a
 * new tree the caller owns). Mappings become objects, sequences arrays; a plain scalar
 * becomes null, a bool or a number when its text says so, any other scalar (quoted,
 * block, !!str) a string; aliases are expanded within opts->max_nodes. Returns YAML_OK,
 * or the failure with err filled and *out untouched. Aborts on out of memory. */
yaml_status_t yaml_load(span_t text, const yaml_opts_t *opts, cJSON **out, yaml_error_t *err);

/* Whether yaml_load on the calling thread parses in a child process (fork): a crash or a
 * hang of libfyaml on hostile input then costs that child (killed after
 * YAML_ISOLATED_TIMEOUT_S), and the caller gets YAML_E_SYNTAX ("the YAML parser failed on
 * this input"), never a dead daemon. The request threads turn it on for themselves: text
 * from a request is parsed that way once, and what is stored after passing is re-parsed
 * in-process by the engine (the same text, the same result). Off by default (tests,
 * fuzzers, the engine). */
void yaml_isolate_this_thread(bool on);
#define YAML_ISOLATED_TIMEOUT_S 10

/* v as block YAML (a new string; free it): mappings and sequences in block style, each
 * string plain when it cannot read as anything else (no YAML 1.1 or 1.2 reader takes it
 * for a bool, null or number), double-quoted with JSON's escapes otherwise; numbers,
 * booleans and null as JSON writes them. yaml_load reads it back as v. */
char *yaml_emit(const cJSON *v);

/* A number by the YAML 1.2 core schema: decimal integers, 0o octal, 0x hex, and floats
 * with an optional exponent. .inf and .nan are not (JSON cannot hold them), nor is
 * anything that overflows a double. */
bool yaml_core_number(const char *s, size_t n, double *out);

#endif
