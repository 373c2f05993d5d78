/* policy_int.h - internals shared by the policy files (policy.c parses, policy_cond.c holds
 * conditions and policy variables, policy_eval.c evaluates). A parsed policy is a compact
 * tree allocated from its own arena; evaluation never looks at JSON. Not for other modules. */
#ifndef CATALOGD_POLICY_INT_H
#define CATALOGD_POLICY_INT_H

#include "core/arena.h"
#include "core/buf.h"
#include "iam/policy.h"

#include <cjson/cJSON.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds on what a document may hold (AWS's own quotas are far below these). */
#define POLICY_MAX_DOC    131072 /* bytes: IAM's PolicyDocument length limit */
#define POLICY_MAX_DEPTH  32     /* JSON nesting; a valid policy needs 6 */
#define POLICY_MAX_STR    4096   /* bytes in any one string of the document */
#define POLICY_MAX_EXPAND 8192   /* bytes of a value after variable substitution */

/* ---- strings that may hold policy variables (2012-10-17 only) */
typedef enum tpart_kind {
    TP_TEXT, /* text as written: '*' and '?' are wildcards in Like contexts */
    TP_CHAR, /* an escape (${*} ${?} ${$}): always the literal character */
    TP_VAR,  /* ${key} or ${key, 'default'} */
} tpart_kind_t;

typedef struct tpart {
    tpart_kind_t kind;
    const char *s; /* TEXT: the text; CHAR: the character; VAR: the key */
    size_t n;
    const char *def; /* VAR: the default value, NULL when none */
    size_t ndef;
} tpart_t;

typedef struct pstr {
    const char *raw;      /* NUL-terminated, as written; the literal value when nparts == 0 */
    const char *pat;      /* nparts == 0: raw as an escaped pattern (see pat_match) */
    const tpart_t *parts; /* variables present: the value is built per request */
    size_t nparts;
} pstr_t;

/* ---- conditions */
typedef enum pop {
    OP_STR_EQ,
    OP_STR_NE,
    OP_STR_EQ_IC,
    OP_STR_NE_IC,
    OP_STR_LIKE,
    OP_STR_NLIKE,
    OP_NUM_EQ,
    OP_NUM_NE,
    OP_NUM_LT,
    OP_NUM_LE,
    OP_NUM_GT,
    OP_NUM_GE,
    OP_DATE_EQ,
    OP_DATE_NE,
    OP_DATE_LT,
    OP_DATE_LE,
    OP_DATE_GT,
    OP_DATE_GE,
    OP_BOOL,
    OP_BIN_EQ,
    OP_IP,
    OP_NOT_IP,
    OP_ARN_EQ,
    OP_ARN_LIKE,
    OP_ARN_NE,
    OP_ARN_NLIKE,
    OP_NULL,
} pop_t;

typedef enum pqual { Q_NONE, Q_ANY, Q_ALL } pqual_t;

/* One policy value pre-parsed for its operator's family. */
typedef struct pval {
    pstr_t s;
    bool ok; /* numeric/date/ip: the text parsed; a value that did not never matches */
    double num;
    int64_t ms;
    uint8_t ip[16];
    uint8_t ip_len; /* 4 or 16 */
    uint8_t prefix; /* CIDR prefix length in bits */
} pval_t;

typedef struct pcond {
    pop_t op;
    pqual_t qual;
    bool if_exists;
    const char *key; /* matched against context keys without regard to case */
    pval_t *vals;
    size_t n_vals;
} pcond_t;

/* ---- principals (trust policies) */
typedef struct slist {
    const char **v;
    size_t n;
} slist_t;

typedef struct pprin {
    bool everyone;    /* "Principal": "*" */
    bool any_aws;     /* {"AWS": "*"} */
    slist_t accounts; /* 12-digit ids, from "ACCT" or "arn:aws:iam::ACCT:root" */
    slist_t arns;     /* user, role and session ARNs */
    slist_t services; /* service names, compared without regard to case */
    slist_t federated;
} pprin_t;

/* ---- statements and the policy */
typedef struct pstmt {
    const char *sid; /* "" when absent */
    bool deny;
    bool not_action;
    slist_t actions;
    bool has_resource; /* identity policies always; trust policies never */
    bool not_resource;
    pstr_t *res;
    size_t n_res;
    bool has_principal; /* trust policies always */
    bool not_principal;
    pprin_t prin;
    pcond_t *conds;
    size_t n_conds;
} pstmt_t;

struct policy {
    arena_t arena; /* owns everything below */
    policy_kind_t kind;
    bool vars;           /* Version 2012-10-17: policy variables are recognised */
    const char *version; /* "2012-10-17", "2008-10-17" or NULL */
    pstmt_t *stmts;
    size_t n_stmts;
};

/* ---- validation state shared by the parse helpers */
typedef enum prank {
    RANK_SYNTAX = 0, /* the document is abandoned at once */
    RANK_FIELD,      /* principal / prohibited or missing field */
    RANK_LEGACY,     /* "The policy failed legacy parsing" */
    RANK_SID,
    RANK_ACTIONS, /* "Policy statement must contain actions." */
    RANK_RESOURCES,
    RANK_RES_FORMAT,
    RANK_ACTION_FORMAT,
    RANK_NONE,
} prank_t;

typedef struct pparse {
    arena_t *arena;
    policy_kind_t kind;
    bool vars;
    prank_t rank; /* the most important problem seen so far; RANK_NONE when none */
    char msg[512];
} pparse_t;

/* Records a problem when it outranks what was recorded before; returns false so callers
 * can `return pp_fail(...)` to stop walking a structure. */
bool pp_fail(pparse_t *pp, prank_t rank, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define MSG_SYNTAX    "Syntax errors in policy."
#define MSG_LEGACY    "The policy failed legacy parsing"
#define PP_SYNTAX(pp) pp_fail((pp), RANK_SYNTAX, MSG_SYNTAX)

/* Copies a JSON string into the arena, refusing (syntax error) strings over POLICY_MAX_STR. */
bool pp_str(pparse_t *pp, const cJSON *j, const char **out);

/* Compiles s (NUL-terminated, in the arena) into a pstr, splitting out ${...} variables when
 * the policy is 2012-10-17. Never fails: malformed variables stay literal text. */
void pstr_compile(pparse_t *pp, const char *s, pstr_t *out);

/* Builds v's value for this request into b: with pattern set, as an escaped pattern for
 * pat_match (wildcards only where the policy text wrote them); otherwise the literal value.
 * *out borrows from v or b. Returns false when a variable has no value and no default (the
 * value is null and matches nothing), or when the result would pass POLICY_MAX_EXPAND. */
bool pstr_value(const pstr_t *v, const policy_ctx_t *ctx, bool pattern, buf_t *b, const char **out);

/* Wildcard match of an escaped pattern: '*' any run, '?' one character, '\x' the literal x. */
bool pat_match(const char *pat, const char *s, bool nocase);

/* Parses one Condition block (a JSON object) into st->conds. False when a problem was recorded
 * that ends the walk (syntax). */
bool pcond_parse(pparse_t *pp, const cJSON *cond, pstmt_t *st);

/* True when every condition of st holds for ctx (ctx may be NULL: no keys). */
bool pcond_all(const pstmt_t *st, const policy_ctx_t *ctx);

/* The context entry for key (case-insensitive), or NULL. */
const policy_ctx_entry_t *pctx_find(const policy_ctx_t *ctx, const char *key, size_t n);

#endif
