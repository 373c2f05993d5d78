/* api.h - the request pipeline and the handler contract. Every operation, whether it
 * arrives over HTTP or from another service in-process, runs the same fixed order:
 *   route -> authenticate -> decode -> validate -> authorize -> handler (one store
 *   transaction, durable before the reply) -> encode.
 * Handlers see only the neutral value tree (proto.h) and never a wire format. */
#ifndef CATALOGD_API_H
#define CATALOGD_API_H

#include "app.h"
#include "auth/principal.h"
#include "core/arena.h"
#include "core/err.h"
#include "iam/policy.h"
#include "proto/model.h"
#include "store/store.h"

#include <cjson/cJSON.h>
#include <stdbool.h>

typedef struct api_ctx api_ctx_t;
typedef err_t (*api_handler_fn)(api_ctx_t *ctx);

/* How a call is authorized (the access column of operations.txt after the '+'). */
typedef enum api_authz {
    API_AUTHZ_POLICY = 0, /* the caller's policies must allow the row's action on its resource */
    API_AUTHZ_OPEN,       /* needs no permission (sts:GetCallerIdentity, sts:GetSessionToken) */
    API_AUTHZ_HANDLER,    /* the handler authorizes (sts:AssumeRole weighs the role's trust
                             policy against the caller's own policies itself) */
    API_AUTHZ_UNSIGNED,   /* the request may come unsigned (its caller is then the anonymous
                             principal): the handler authenticates and authorizes what it
                             carries (sts:AssumeRoleWithWebIdentity's token) */
} api_authz_t;

/* One operation row (generated from src/api/operations.txt into api/gen/ops_gen.c). */
typedef struct api_op {
    const model_service_t *svc;
    const char *name;           /* "ListPortfolios" */
    uint16_t input, output;     /* shapes, or MODEL_NONE */
    const char *result_wrapper; /* query: "GetCallerIdentityResult", or NULL */
    api_handler_fn handler;
    const char *action;   /* IAM action: "servicecatalog:ListPortfolios" */
    const char *resource; /* ARN template, "*" for none */
    bool write;           /* needs a write transaction */
    api_authz_t authz;    /* who decides whether the caller may */
} api_op_t;

extern const api_op_t api_ops[];
extern const size_t api_n_ops;

/* The row for (service, operation name), or NULL. */
const api_op_t *api_op_find(const model_service_t *svc, span_t name);

/* What a handler gets. */
/* A template URL in the request, read before the request's transaction began and, for a
 * network request, off the HTTP threads (prefetch.c), so that a slow web server never holds
 * the store's write lock or an HTTP thread. */
typedef struct api_prefetch {
    const char *url; /* what was fetched; NULL: nothing */
    err_t rc;        /* how it went (with eb's message) */
    errbuf_t eb;
    const char *text; /* the document (arena), when rc is ERR_OK */
    size_t len;
} api_prefetch_t;

struct api_ctx {
    app_t *app;
    const api_op_t *op;
    const auth_principal_t *caller;
    /* Where the call acts. Handlers use these, never app->cfg.account_id / cfg.region:
     * account: the caller's account (ARNs, owner ids, IAM and STS rows, which are global);
     * region: the region the request was signed for (regional ARNs and ids);
     * scope: the `account` column under which this call's REGIONAL resources are stored
     * (Service Catalog, CloudFormation, SSM, EC2): one partition per account and region. */
    const char *account, *region, *scope;
    const cJSON *in; /* conformed, validated input: never NULL (an empty object when there is
                        none); every value has its model type */
    cJSON *out;      /* the handler adds output members here (an object) */
    store_tx_t *tx;  /* the request's transaction */
    arena_t *arena;  /* per-request memory */
    errbuf_t *eb;
    const char *request_id;
    const char *source_ip;
    unsigned post;                  /* API_POST_* work to do once the transaction has committed */
    const api_prefetch_t *prefetch; /* NULL, or the request's template read in advance */
};

/* What a handler asks to happen after its transaction commits (never before: a
 * concurrent request must not see the effect of work that may still roll back). */
enum api_post {
    API_POST_WAKE_ENGINE = 1 << 0,  /* jobs were enqueued */
    API_POST_AUTH_CHANGED = 1 << 1, /* access keys or principals changed: drop cached lookups */
};

/* One call into the pipeline after the wire: what an in-process client provides. */
typedef struct api_call {
    const api_op_t *op;
    const auth_principal_t *caller; /* authenticated principal */
    cJSON *input; /* decoded or built input (NULL: none); borrowed: api_invoke conforms and
                     validates its own copy */
    const char *request_id;
    const char *source_ip;
    store_tx_t *tx; /* enclosing transaction of an in-process caller, or NULL for a new one */
    unsigned *post; /* with tx: where the callee's API_POST_* flags go (the caller runs them) */
    const api_prefetch_t *prefetch; /* the template URL read off this thread (front.c), or
                                       NULL: api_invoke reads one itself (api_prefetch) */
    uint64_t *durable; /* without tx: the caller waits for its commit to be durable itself
                          (store_commit_ticket's ticket here, 0: nothing to wait for); NULL:
                          api_invoke returns once it is (store_commit) */
} api_call_t;

/* Conforms, validates, authorizes and runs call->op, for wire and in-process calls alike.
 * The input is copied and conformed to the operation's input shape (proto_conform): a value
 * of the wrong type anywhere in it fails the call with the service protocol's error
 * (awsJson: SerializationException; query, ec2: the validation error), so a handler only
 * ever sees values of their model types. On ERR_OK *out owns the output tree. On failure
 * eb holds the message and nothing the handler wrote is kept (its own transaction is
 * rolled back; inside an enclosing one the caller decides). */
err_t api_invoke(app_t *app, const api_call_t *call, arena_t *arena, cJSON **out, errbuf_t *eb);

/* Runs API_POST_* work after a commit. */
void api_post_commit(app_t *app, unsigned post);

/* The resource ARN an authorization is about, from the row's template (authz.c):
 * {account}, {region}, {Member} (a request member, "*" when absent) and {@type:Member}
 * (the stored ARN of the IAM user/group/role that member names). */
const char *api_resource_arn(app_t *app, store_tx_t *tx, const api_call_t *call, arena_t *arena);
/* All of them: a {Member[]} reference stands for each element of a list member (every
 * instance of StopInstances is authorized). Returns an arena array of *n ARNs. */
const char **api_resource_arns(app_t *app, store_tx_t *tx, const api_call_t *call, arena_t *arena,
                               size_t *n);
/* ERR_ACCESS_DENIED for call->caller and action on resource, with the protocol's wording:
 * IAM's "User: ... is not authorized to perform: ... on resource: ... <because>", or EC2's
 * UnauthorizedOperation text (with the decodable blob for a call that writes). */
err_t api_deny(const api_call_t *call, const char *action, const char *resource, bool explicit_deny,
               const char *because, errbuf_t *eb);

/* Authorization of one call (authz.c), as the row's authz says: ERR_OK or
 * ERR_ACCESS_DENIED with AWS's message. Credentials from GetSessionToken are held to their
 * limits here whatever the row says. */
err_t api_authorize(app_t *app, const api_call_t *call, store_tx_t *tx, errbuf_t *eb);

/* The request context a handler's caller is decided with (aws-api.md §7.3): the global
 * condition keys (aws:CurrentTime, aws:SourceIp, aws:username, aws:PrincipalArn,
 * aws:PrincipalTag/..., ...) and the operation's own service keys, exactly as
 * api_authorize built them. Entries and values live in c->arena. */
policy_ctx_t api_request_context(const api_ctx_t *c);

/* The HTTP entry point (front.c): handler for http_opts_t.handler with ud = app. */
struct http_request;
struct http_response;
void api_http_handle(void *app, const struct http_request *req, struct http_response *resp);
/* The probes (probe.c), unauthenticated: /_catalogd/health answers 200 while the process
 * serves (liveness); /_catalogd/ready answers 200, or 503 while the node drains
 * (app_drain) or its database does not answer (checked at most once a second; a check
 * pending for 2 s counts as no answer). False, resp untouched, for any other path. */
bool api_probe_http(app_t *app, const struct http_request *req, struct http_response *resp);

/* Checks one more permission a handler needs beyond its own action (iam:PassRole when a
 * role is handed to a service, ...): ERR_OK or ERR_ACCESS_DENIED with IAM's sentence. key /
 * value add one context key (NULL: none). */
err_t api_check_action(api_ctx_t *c, const char *action, const char *resource, const char *key,
                       const char *value);
/* iam:PassRole on role_arn for service (iam:PassedToService). */
err_t api_check_pass_role(api_ctx_t *c, const char *role_arn, const char *service);

/* ---- template URLs (prefetch.c) */

#define API_MAX_TEMPLATE (1024 * 1024) /* bytes of a template read from a URL */

/* What call needs read from the network before its transaction: for
 * sts:AssumeRoleWithWebIdentity the key of its identity provider's key set when that must
 * be fetched (sts_webid_prefetch_key: then the fetch reads the keys instead of a URL);
 * else the template URL of call, when its operation names one (CreateStack, UpdateStack,
 * ValidateTemplate, CreateProduct, CreateProvisioningArtifact), its input is valid and the
 * caller may make the call (checked in a read transaction); else NULL (the pipeline then
 * refuses it the usual way). The URL is copied into arena. */
const char *api_prefetch_url(app_t *app, const api_call_t *call, arena_t *arena);
/* Synchronous, for in-process callers on their own threads: when api_prefetch_url names a
 * URL, reads it now into *pf (text in arena). Never fails itself: a fetch error is kept in
 * pf for the handler to report where it would have fetched. */
void api_prefetch(app_t *app, const api_call_t *call, arena_t *arena, api_prefetch_t *pf);
/* Hands the read of url to the fetch threads (never the caller's thread): *pf is filled
 * there (text in arena, which nobody else may touch meanwhile), then done(ud) runs there.
 * ERR_THROTTLING ("Rate exceeded"; nothing queued) when the fetch queue is full,
 * ERR_UNAVAILABLE when catalogd is not serving. */
err_t api_prefetch_submit(app_t *app, const api_call_t *call, const char *url, arena_t *arena,
                          api_prefetch_t *pf, void (*done)(void *ud), void *ud, errbuf_t *eb);
/* The template at url as text in c->arena: the prefetched copy when the request's own URL,
 * else read now (prov_fetch, API_MAX_TEMPLATE bytes; refused on an HTTP thread). On failure
 * the service's AWS message (ERR_VALIDATION) and never the remote's answer; the reason is
 * logged. */
err_t api_fetch_template(api_ctx_t *c, const char *url, const char **text);

/* ---- the internal client (client.c): one service calling another (DESIGN §4) */

/* Calls service:operation as principal `as`, inside the caller's transaction, through
 * the same validate -> authorize -> handler path a network request takes. input is
 * borrowed (NULL = no members). On ERR_OK *out owns the output tree; on failure eb has
 * the callee's error (e.g. ERR_ACCESS_DENIED with AWS's sentence about `as`). Post-commit
 * work the callee asks for is handed to the caller's ctx. A principal that names no region
 * (as->region "") acts in ctx's region. */
err_t api_client_call(api_ctx_t *ctx, const auth_principal_t *as, const char *service,
                      const char *operation, cJSON *input, cJSON **out, errbuf_t *eb);

/* The same outside any request (as must name its account and region: a call without them
 * is refused with ERR_INTERNAL): opens and commits its own transaction (engine steps use
 * it with the step's transaction instead, through api_client_call_tx, and then must pass
 * post = &engine_run_t.post, which the engine runs after the step's commit; tx without
 * post is refused with ERR_INTERNAL). */
err_t api_client_call_tx(app_t *app, store_tx_t *tx, unsigned *post, arena_t *arena,
                         const auth_principal_t *as, const char *service, const char *operation,
                         cJSON *input, cJSON **out, errbuf_t *eb);

/* The sentence a botocore client prints for a failed call, into out: "An error occurred
 * (Code) when calling the Op operation: message" (Code as the service's protocol names
 * rc). Service Catalog records and Automation step failures quote callees this way. */
void api_client_error_text(err_t rc, const char *service, const char *operation, const char *msg,
                           char *out, size_t cap);

/* ---- helpers for handlers (util.c) */
/* String member of the input, or NULL. */
const char *api_in_str(const api_ctx_t *c, const char *name);
/* Integer member of the input, or def when absent. */
int64_t api_in_int(const api_ctx_t *c, const char *name, int64_t def);

#endif
