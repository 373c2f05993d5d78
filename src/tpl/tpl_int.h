/* tpl_int.h - internals shared by the files of the template engine (the .c files of src/tpl):
 * the template object, the limits every path is bounded by, the YAML loader, the
 * parameter declarations, the static checks and the evaluator that tpl_eval,
 * tpl_conditions, tpl_order and tpl_outputs share. Not for use outside src/tpl. */
#ifndef CATALOGD_TPL_INT_H
#define CATALOGD_TPL_INT_H

#include "core/buf.h"
#include "tpl/tpl.h"

#include <stdbool.h>
#include <stddef.h>

/* ---- limits (CloudFormation's where it has one) */

#define TPL_MAX_BODY       (1024 * 1024) /* bytes; CloudFormation's S3 template limit */
#define TPL_MAX_DEPTH      128           /* nesting of objects and arrays */
#define TPL_MAX_YAML_NODES 200000        /* nodes built from YAML, aliases expanded */
#define TPL_MAX_RESOURCES  500
#define TPL_MAX_PARAMS     200
#define TPL_MAX_OUTPUTS    200
#define TPL_MAX_MAPPINGS   200
#define TPL_MAX_NAME       255    /* logical ids, parameter and output names */
#define TPL_EVAL_MAX_NODES 200000 /* values one evaluation may build */
#define TPL_EVAL_MAX_BYTES (8u * 1024 * 1024)
#define TPL_MAX_MSG_NAMES  900 /* bytes of names quoted in one error message */
#define TPL_MAX_LISTED     64  /* names collected for one error message */

/* ---- the template */

typedef enum tpl_pkind {
    TPL_PK_STRING,      /* String, AWS-specific ids, AWS::SSM::Parameter::Value<String> */
    TPL_PK_NUMBER,      /* Number */
    TPL_PK_LIST_NUMBER, /* List<Number> */
    TPL_PK_LIST,        /* CommaDelimitedList, List<AWS::...>, SSM list values */
} tpl_pkind_t;

/* A parameter declaration: the public view plus the storage it borrows from. */
typedef struct tpl_pdecl {
    tpl_param_t pub;
    tpl_pkind_t kind;
    char *default_owned; /* Default as a string (numbers and booleans stringified) */
    cJSON *allowed;      /* AllowedValues as an array of strings, or NULL */
    void *re;            /* compiled AllowedPattern (pcre2_code *), or NULL */
} tpl_pdecl_t;

struct tpl {
    cJSON *root; /* the whole template, long forms only */
    /* Sections, borrowed from root; NULL when absent. */
    const cJSON *parameters, *mappings, *conditions, *resources, *outputs;
    const char *description;
    tpl_pdecl_t *params;
    size_t n_params;
    /* Condition names, each after every condition it references. */
    const char **cond_order;
    size_t n_cond;
};

/* ---- loading (yaml.c, CloudFormation's dialect of src/yaml) */

/* Parses a YAML document into *out (owned), short-form tags turned into long forms.
 * ERR_VALIDATION "Template format error: YAML not well-formed. (line L, column C)" and
 * friends on failure, *out untouched. */
err_t tpl__yaml_load(span_t body, cJSON **out, errbuf_t *eb);

/* ---- shared helpers (util.c) */

/* The intrinsic function node is, when it is one: an object with a single member named
 * Ref, Condition (with a string argument) or Fn::*. Returns the name and sets *arg to the
 * argument (borrowed), or returns NULL. */
const char *tpl__fn(const cJSON *node, const cJSON **arg);
/* Case-sensitive member lookup that accepts a NULL or non-object node. */
const cJSON *tpl__get(const cJSON *obj, const char *key);
/* Whether name is one of the AWS:: pseudo parameters. */
bool tpl__is_pseudo(const char *name);
/* Whether s is a non-empty ASCII alphanumeric name of at most TPL_MAX_NAME bytes. */
bool tpl__alnum(const char *s);
/* CloudFormation's string form of a scalar: strings as they are, numbers in their
 * shortest round-trip form, booleans "true"/"false". Returns a new string (free()), or
 * NULL when v is not a scalar. */
char *tpl__str(const cJSON *v);
/* Appends the string forms (tpl__str) of list's items to b, delim between them. Stops at
 * an item that is not a scalar, or when b is full (what is appended stays). */
typedef enum tpl_join { TPL_JOIN_OK, TPL_JOIN_NOT_SCALAR, TPL_JOIN_FULL } tpl_join_t;
tpl_join_t tpl__join(buf_t *b, const cJSON *list, const char *delim);
/* The shortest decimal text that reads back as v (integers without exponent below
 * 1e21). out needs 40 bytes. */
void tpl__num_fmt(double v, char out[40]);
/* Appends "A, B, C" built from an array of strings, cut at TPL_MAX_MSG_NAMES bytes. */
void tpl__names(buf_t *b, const cJSON *names);
/* ERR_VALIDATION with the message before + "[A, B, C]" (tpl__names) + after. */
err_t tpl__names_error(errbuf_t *eb, const cJSON *names, const char *before, const char *after);
/* Appends s to arr unless it is already there. */
void tpl__add_unique(cJSON *arr, const char *s);
/* The same for names an error message lists: at most TPL_MAX_LISTED of them. */
void tpl__add_name(cJSON *arr, const char *s);
bool tpl__has(const cJSON *arr, const char *s);

/* One piece of an Fn::Sub string: literal text (with ${!X} already turned into ${X}) or
 * a variable name. */
typedef struct tpl_sub_tok {
    bool is_var;
    span_t text;
} tpl_sub_tok_t;
/* Reads the next piece of *rest; false at the end. The ${! escape yields the literal
 * "${" followed by what comes after the "!". An unterminated ${ is literal text. */
bool tpl__sub_next(span_t *rest, tpl_sub_tok_t *tok);
/* Whether a Fn::Sub variable name uses only [A-Za-z0-9_.:] and is non-empty. */
bool tpl__sub_var_ok(span_t v);

/* ---- parameters (params.c) */

/* Reads and checks the Parameters section into t->params. */
err_t tpl__params_load(tpl_t *t, errbuf_t *eb);
void tpl__params_free(tpl_t *t);
/* The declaration named name, or NULL. */
const tpl_pdecl_t *tpl__param(const tpl_t *t, const char *name);

/* ---- static checks (check.c) */

/* Checks the references and intrinsic function shapes of Conditions, Resources and
 * Outputs, and orders the conditions into t->cond_order. */
err_t tpl__check(tpl_t *t, errbuf_t *eb);

/* ---- evaluation (eval.c, fn.c) */

/* An evaluation in progress: what it may use and what it has spent. */
typedef struct tpl_ev {
    const tpl_t *t;
    const tpl_ctx_t *ctx;
    errbuf_t *eb;
    cJSON *memo;         /* conditions evaluated here, when ctx has none (owned) */
    bool memo_busy;      /* the memo is being filled */
    const char *block;   /* "Resources" or "Outputs", for error messages */
    size_t nodes, bytes; /* spent of TPL_EVAL_MAX_NODES / TPL_EVAL_MAX_BYTES */
} tpl_ev_t;

/* The AWS::NoValue marker an evaluation returns where a member or item is to be removed.
 * Never part of a tree; never freed. */
extern cJSON tpl__novalue;
#define TPL_NOVALUE (&tpl__novalue)

void tpl__ev_init(tpl_ev_t *e, const tpl_t *t, const tpl_ctx_t *ctx, errbuf_t *eb);
void tpl__ev_done(tpl_ev_t *e);
/* Evaluates node: *out is a new tree, or TPL_NOVALUE. */
err_t tpl__ev(tpl_ev_t *e, const cJSON *node, int depth, cJSON **out);
/* Frees what tpl__ev returned (TPL_NOVALUE and NULL are fine). */
void tpl__ev_free(cJSON *v);
/* The value of the condition named name. */
err_t tpl__cond(tpl_ev_t *e, const char *name, bool *out);
/* Charges the budget for n nodes and bytes of string; ERR_VALIDATION once spent. */
err_t tpl__charge(tpl_ev_t *e, size_t nodes, size_t bytes);
/* Charges the budget for a whole tree (values from callbacks and mappings). */
err_t tpl__charge_tree(tpl_ev_t *e, const cJSON *v, int depth);
/* Evaluates node to a string (numbers and booleans stringified): *out owned. */
err_t tpl__ev_str(tpl_ev_t *e, const cJSON *node, int depth, const char *what, char **out);

/* The intrinsic functions other than Ref, Fn::GetAtt, Fn::If and the conditions
 * (fn.c); each evaluates its argument arg and sets *out as tpl__ev does. */
err_t tpl__fn_join(tpl_ev_t *e, const cJSON *arg, int depth, cJSON **out);
err_t tpl__fn_select(tpl_ev_t *e, const cJSON *arg, int depth, cJSON **out);
err_t tpl__fn_split(tpl_ev_t *e, const cJSON *arg, int depth, cJSON **out);
err_t tpl__fn_findinmap(tpl_ev_t *e, const cJSON *arg, int depth, cJSON **out);
err_t tpl__fn_sub(tpl_ev_t *e, const cJSON *arg, int depth, cJSON **out);
err_t tpl__fn_base64(tpl_ev_t *e, const cJSON *arg, int depth, cJSON **out);
err_t tpl__fn_getazs(tpl_ev_t *e, const cJSON *arg, int depth, cJSON **out);
/* Ref of name as a value (parameter, pseudo parameter or resource): *out as tpl__ev. */
err_t tpl__ref(tpl_ev_t *e, const char *name, cJSON **out);
/* Fn::GetAtt of res.attr: *out owned. */
err_t tpl__getatt(tpl_ev_t *e, const char *res, const char *attr, cJSON **out);

/* The message for a function whose argument has the wrong shape. */
err_t tpl__shape_error(errbuf_t *eb, const char *fn);

#endif
