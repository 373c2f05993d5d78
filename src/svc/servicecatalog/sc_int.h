/* sc_int.h - shared pieces of Service Catalog. Entities live in the resource tables
 * (res.h) under the kinds below; each body is the model's output shape plus internal
 * "_"-members the encoder drops:
 *   sc.portfolio   id port-*  PortfolioDetail             + _Tags
 *   sc.product     id prod-*  ProductViewDetail           + _Tags
 *   sc.artifact    id pa-*    ProvisioningArtifactDetail  + _Template, _Info; parent = product
 *   sc.constraint  id cons-*  ConstraintDetail            + _Parameters (the JSON text)
 *   sc.pp          id pp-*    ProvisionedProductDetail    + _Stack, _UserArn, _Tags, ...
 *   sc.record      id rec-*   RecordDetail                + _Outputs; parent = provisioned product
 *   sc.action      id act-*   ServiceActionDetail
 *   sc.plan        id plan-*  ProvisionedProductPlanDetails + _ChangeSet, _Type, ... (plan.c)
 *   sc.copy        id copyproduct-*  DescribeCopyProductStatus's output (copy.c)
 *   sc.tagoption   id tag-*   TagOptionDetail
 *   sc.share       id "<portfolio>|<account or node>" (the hub's), parent = portfolio: a
 *                  PortfolioShareDetail + _PortfolioId, _Recipients [{Account, Scope}]
 *   sc.import      id = portfolio (the recipient's): {PortfolioId, Accepted,
 *                  PortfolioShareType, _HubAccount, _HubScope} (share.c)
 * Links (a, b): sc.portfolio_product (portfolio, product), sc.portfolio_principal
 * (portfolio, principal ARN; body {"PrincipalType"}), sc.action_artifact (action,
 * "<product>|<artifact>"), sc.tagoption_resource (TagOption, portfolio or product). */
#ifndef CATALOGD_SC_INT_H
#define CATALOGD_SC_INT_H

#include "api/gen/ops_gen.h"
#include "core/jx.h"
#include "res/res.h"
#include "svc/servicecatalog/sc.h"

#define SC_PORTFOLIO                "sc.portfolio"
#define SC_PRODUCT                  "sc.product"
#define SC_ARTIFACT                 "sc.artifact"
#define SC_CONSTRAINT               "sc.constraint"
#define SC_PP                       "sc.pp"
#define SC_RECORD                   "sc.record"
#define SC_ACTION                   "sc.action"
#define SC_PLAN                     "sc.plan" /* plan-*, parent = its provisioned product's id */
#define SC_COPY                     "sc.copy" /* copyproduct-*: a CopyProduct's status */
#define SC_TAGOPTION                "sc.tagoption"
#define SC_IMPORT                   "sc.import"
#define SC_SHARE                    "sc.share"
#define SC_LINK_PORTFOLIO_PRODUCT   "sc.portfolio_product"
#define SC_LINK_PORTFOLIO_PRINCIPAL "sc.portfolio_principal"
#define SC_LINK_ACTION_ARTIFACT     "sc.action_artifact"
#define SC_LINK_TAGOPTION_RESOURCE  "sc.tagoption_resource"
/* indexed keys (keys.c): a provisioned product's or record's owner, a product's
 * lower-cased name; a provisioned product's SortBy members are keyed under their names */
#define SC_KEY_OWNER "owner"
#define SC_KEY_TITLE "title"

/* Now, as a value-tree timestamp (seconds). */
double sc_now(api_ctx_t *c);
/* A new id: prefix ("port-", "prod-", "pa-", "cons-", "pp-", "rec-", "act-") + 13
 * lower-case alphanumerics, in the request arena. */
const char *sc_new_id(api_ctx_t *c, const char *prefix);
/* A new provisioned product's body (provision.c): a new pp- id and ARN in c's account and
 * region, UNDER_CHANGE, no records yet, owned by the caller (_UserArn). */
cJSON *sc_pp_new(api_ctx_t *c, const char *name, const char *product_id, const char *artifact_id);

/* The id of the launch path to product_id through portfolio_id, as AWS writes them
 * ("lpv3-" + 13 lower-case alphanumerics), stable for the pair; in the arena. */
const char *sc_path_id(api_ctx_t *c, const char *portfolio_id, const char *product_id);
/* Does a request's PathId name that launch path? Its lpv3 id or, as catalogd first
 * gave them, the portfolio's id. */
bool sc_path_is(api_ctx_t *c, const char *path_id, const char *portfolio_id,
                const char *product_id);

/* Paging by key (res.h): p starts after PageToken, PageSize (default 20) a page, tokens
 * bound to scope (NULL: the operation); InvalidParametersException for a token not ours. */
err_t sc_page_in(api_ctx_t *c, res_page_t *p, const char *scope);
/* NextPageToken when more remain. */
void sc_page_out(api_ctx_t *c, const res_page_t *p);
/* A whole list call: one page (PageToken/PageSize) of the account's entities of kind in
 * creation order that keep (NULL: all) accepts, each shown through view (NULL: as stored) in
 * the array member of the output. */
err_t sc_list_kind(api_ctx_t *c, const char *kind, res_keep_fn keep, void *ctx,
                   cJSON *(*view)(const cJSON *), const char *member);

/* Loads an entity of kind by id: *out (owned by the caller) is NULL when there is none
 * (or id is NULL); only store errors fail. */
err_t sc_find(api_ctx_t *c, const char *kind, const char *id, cJSON **out);
/* Loads an entity of kind by id; ResourceNotFoundException naming it when absent
 * (what: "Portfolio", "Product", "ProvisioningArtifact", ...). *out owned by the caller. */
err_t sc_get(api_ctx_t *c, const char *kind, const char *id, const char *what, cJSON **out);
/* sc_get for an entity a request only needs to exist: the body is not kept. */
err_t sc_require(api_ctx_t *c, const char *kind, const char *id, const char *what);
/* Deletes an entity of kind by id (absent is fine). */
err_t sc_del(api_ctx_t *c, const char *kind, const char *id);
/* Saves an entity's body back (it must exist). */
err_t sc_put(api_ctx_t *c, const char *kind, const char *id, const cJSON *body);

/* The portfolios the caller has access to (principal associations of its user ARN, its
 * groups' ARNs, its role's ARN, or an IAM_PATTERN matching one of those): an array of
 * portfolio ids. The root user sees every portfolio, its accepted imports included.
 * Called with c->scope the caller's own. */
err_t sc_caller_portfolios(api_ctx_t *c, cJSON **out);
/* Does the caller have access to product (through any of its portfolios, its own or
 * imported: each portfolio's product links are read where its catalog lives)? Also gives
 * the portfolio (the launch path) it came through when path is non-NULL. Called with
 * c->scope the caller's own. */
err_t sc_caller_has_product(api_ctx_t *c, const char *product_id, bool *ok, const char **path);

/* The launch role of product in portfolio: the LAUNCH constraint's RoleArn (or the ARN
 * of LocalRoleName in this account), or NULL when there is none. In the arena. */
err_t sc_launch_role(api_ctx_t *c, const char *portfolio_id, const char *product_id,
                     const char **role_arn);

/* Fetches a provisioning artifact's template (Info.LoadTemplateFromURL, or
 * Info.ImportFromPhysicalId = a stack ARN whose template is copied) and, unless
 * disable_validation, checks it parses as a CloudFormation template.
 * InvalidParametersException with the reason otherwise. *text is arena text. */
err_t sc_artifact_template(api_ctx_t *c, const cJSON *info, bool disable_validation,
                           const char **text);

/* Idempotency tokens: the answer first given under (scope, token), or NULL; and
 * recording it. */
err_t sc_token_get(api_ctx_t *c, const char *scope, const char *token, cJSON **prior);
err_t sc_token_put(api_ctx_t *c, const char *scope, const char *token, const cJSON *resp);

/* Where an internal call runs: inside a request or an engine step. */
typedef struct sc_env {
    app_t *app;
    store_tx_t *tx;
    unsigned *post;
    arena_t *arena;
    const char *account, *region; /* where the work acts (a record's: where it was made) */
    const char *scope;            /* and the partition its rows are in (app_scope) */
} sc_env_t;
/* The env of a request: its transaction, after-commit flags, arena, account and region. */
sc_env_t sc_env_of(api_ctx_t *c);
/* Calls service:op as `as` through the internal client (input borrowed). On failure
 * why holds the error as botocore prints it: "An error occurred (Code) when calling the
 * Op operation: message". */
err_t sc_call(const sc_env_t *env, const auth_principal_t *as, const char *service, const char *op,
              cJSON *in, cJSON **out, char *why, size_t cap);
/* Credentials of a launch role, assumed by servicecatalog.amazonaws.com for an hour under
 * session name session: *as is the role session. Failures as sts_assume gives them
 * (ERR_ACCESS_DENIED when the trust policy refuses), message in eb. */
err_t sc_assume_launch_role(const sc_env_t *env, const char *role, const char *session,
                            auth_principal_t *as, errbuf_t *eb);
/* The launch role's session for work named session (assumed as sc_assume_launch_role
 * does): true with *as, or false with the record's reason in why ("Access denied while
 * assuming the role R: ..." when the trust policy refuses, else "Failed to retrieve
 * credentials for role R: ..."). */
bool sc_launch_as(const sc_env_t *env, const char *role, const char *session, auth_principal_t *as,
                  char *why, size_t cap);
/* CloudFormation Parameters [{ParameterKey, ParameterValue | UsePreviousValue}] from
 * ProvisioningParameters [{Key, Value, UsePreviousValue}]. New array. */
cJSON *sc_cfn_params(const cJSON *given);
/* Service Catalog acting as itself (servicecatalog.amazonaws.com), in p. */
const auth_principal_t *sc_service_principal(const sc_env_t *env, auth_principal_t *p);

/* Tags as [{Key, Value}] from a request member (copy), or an empty array. */
cJSON *sc_tags_in(api_ctx_t *c, const char *member);

/* ---- records (records.c) and their job */
#define SC_JOB      "sc.record"
#define SC_ATTEMPTS 3 /* of a record step failing inside catalogd, before the record is FAILED */

/* Creates a record of type (PROVISION_PRODUCT, UPDATE_PROVISIONED_PRODUCT,
 * TERMINATE_PROVISIONED_PRODUCT, EXECUTE_PROVISIONED_PRODUCT_SERVICE_ACTION) for pp in
 * status CREATED, makes it pp's LastRecordId (and LastProvisioningRecordId for the first
 * three), and enqueues the job that carries it out. UPDATE_PROVISIONED_PRODUCT_PROPERTIES
 * (the caller has made the change) is SUCCEEDED at once, with no job. work holds the job's own
 * members
 * ("_"-prefixed; taken over). The RecordDetail goes into c->out. pp is updated (the
 * caller saves it). */
err_t sc_record_start(api_ctx_t *c, cJSON *pp, const char *type, cJSON *work,
                      const char **record_id);
/* The RecordDetail view of a stored record. */
cJSON *sc_record_view(const cJSON *rec);

/* The provisioned product a request names (Id or Name), if the caller may see it:
 * its own, or any when its policies allow the action at account level (or it is root).
 * ResourceNotFoundException otherwise. */
err_t sc_pp_find(api_ctx_t *c, const char *id, const char *name, cJSON **out);

/* ---- launching pieces (provision.c) shared by ProvisionProduct, plans and imports */
/* May the caller work on provisioned product pp: its launcher's own, another session's of
 * its role at roleLevel, anyone's at accountLevel (the caller's policies decide). */
bool sc_pp_owned(api_ctx_t *c, const cJSON *pp);
/* The active artifact of product_id named by id (or else name); ResourceNotFoundException
 * when absent, InvalidParametersException when inactive. *out owned by the caller. */
err_t sc_artifact_named(api_ctx_t *c, const char *product_id, const char *id, const char *name,
                        cJSON **out);
/* The launch path of the request (PathId or PathName among the caller's portfolios, else the
 * first that holds product_id): ResourceNotFoundException when the caller cannot launch the
 * product, InvalidParametersException for a path not its. *path in the arena. */
err_t sc_path_for(api_ctx_t *c, const char *product_id, const char **path);
/* InvalidParametersException unless given ([{Key, Value}]) binds to template tmpl. */
err_t sc_check_params(api_ctx_t *c, const char *tmpl, const cJSON *given);
/* Does the request's AccessLevelFilter (User by default) cover body p, by its _UserArn? */
bool sc_pp_visible(api_ctx_t *c, const cJSON *p);
/* InvalidStateException unless pp is AVAILABLE, TAINTED or ERROR. */
err_t sc_pp_stable(api_ctx_t *c, const cJSON *pp);
/* Update parameters with UsePreviousValue entries resolved against prev (new array). */
cJSON *sc_resolve_previous(const cJSON *given, const cJSON *prev);
/* The tags of a provisioned product's stack: tags (its own) and Service Catalog's
 * aws:servicecatalog:* tags naming it, its product, portfolio and launching principal.
 * New array. */
cJSON *sc_stack_tags(api_ctx_t *c, const cJSON *pp, const cJSON *tags);

/* ---- service-action execution (execute.c), called by the record job */
/* One step of an EXECUTE record's work in env (the record job's transaction and
 * after-commit flags; job_id: the record job, which the automation wakes when it ends);
 * returns with the record and provisioned product updated (status, errors, outputs),
 * *finished when the record is over, else *again_ms for the next look. */
err_t sc_execute_step(const sc_env_t *env, const char *job_id, cJSON *rec, cJSON *pp,
                      int64_t *again_ms, bool *finished, errbuf_t *eb);
/* Finishes a record: status SUCCEEDED or FAILED, the error (added to RecordErrors and to
 * RecordOutputs as ErrorMessage) when failed. */
void sc_record_end(cJSON *rec, const char *status, const char *error, double now);
void sc_record_output(cJSON *rec, const char *key, const char *value, const char *description);

/* ---- catalog administration helpers (portfolio.c, product.c, artifact.c,
 * association.c, constraint.c). Bodies also carry "_IdempotencyToken" (the token of the
 * create that made them) and artifacts "_ProductId". */

/* The other side of every link of kind whose a (by_a) or b equals key, as strings
 * appended to out, oldest first. */
err_t sc_links(api_ctx_t *c, const char *kind, bool by_a, const char *key, cJSON *out);
/* One page p of sc_links appended to out. */
err_t sc_link_page(api_ctx_t *c, const char *kind, bool by_a, const char *key, res_page_t *p,
                   cJSON *out);
/* Adds (or, with body, re-labels) link (a, b) of kind. body: JSON text or NULL. */
err_t sc_link_put(api_ctx_t *c, const char *kind, const char *a, const char *b, const char *body);
/* Removes link (a, b) of kind; *found tells whether it existed. */
err_t sc_link_del(api_ctx_t *c, const char *kind, const char *a, const char *b, bool *found);
/* Number of links of kind whose a (by_a) or b equals key. */
err_t sc_link_count(api_ctx_t *c, const char *kind, bool by_a, const char *key, int64_t *n);
/* Does link (a, b) of kind exist? */
err_t sc_link_exists(api_ctx_t *c, const char *kind, const char *a, const char *b, bool *yes);

/* Applies the request's AddTags and RemoveTags to tags (an array of {Key, Value} owned by
 * a body): a key added again takes the new value. LimitExceededException past 20 tags. */
err_t sc_tags_update(api_ctx_t *c, cJSON *tags);

/* A product by id, or else by exact name (first created wins); ResourceNotFoundException
 * when neither finds one, InvalidParametersException when both are NULL. With end_user,
 * only products the caller can launch are found. *out owned by the caller. */
err_t sc_product_find(api_ctx_t *c, const char *id, const char *name, bool end_user, cJSON **out);

/* ResourceInUseException when product_id (or its version artifact_id, when non-NULL)
 * has provisioned products or associated service actions. */
err_t sc_product_in_use(api_ctx_t *c, const char *product_id, const char *artifact_id);

/* Creates a provisioning artifact of product_id from a ProvisioningArtifactProperties
 * tree (fetches and validates its template first). *out owns the new body. */
err_t sc_artifact_create(api_ctx_t *c, const char *product_id, const cJSON *props,
                         const char *token, cJSON **out);
/* An artifact of product_id by id, or else by name; ResourceNotFoundException when
 * absent, InvalidParametersException when both are NULL or the name is ambiguous. */
err_t sc_artifact_find(api_ctx_t *c, const char *product_id, const char *id, const char *name,
                       cJSON **out);
/* The bodies of product_id's artifacts, oldest first, appended to out. */
err_t sc_artifacts_of(api_ctx_t *c, const char *product_id, cJSON *out);
/* The Info map an artifact's describe shows ({"TemplateUrl"} or {"PhysicalId"}): new. */
cJSON *sc_artifact_info(const cJSON *artifact);

/* The constraints of portfolio_id (and of product_id when non-NULL), bodies appended to
 * out, oldest first. */
err_t sc_constraints_of(api_ctx_t *c, const char *portfolio_id, const char *product_id, cJSON *out);
/* ConstraintSummaries [{Type, Description}] of product_id in portfolio_id: new array. */
err_t sc_constraint_summaries(api_ctx_t *c, const char *portfolio_id, const char *product_id,
                              cJSON **out);

/* ---- TagOptions (tagoption.c) */
/* The TagOptionDetails associated with resource_id (a portfolio or product), oldest
 * association first, only the active ones when active_only, appended to out. */
err_t sc_tagoptions_of(api_ctx_t *c, const char *resource_id, bool active_only, cJSON *out);
/* Removes every TagOption association of a resource being deleted. */
err_t sc_tagoptions_drop(api_ctx_t *c, const char *resource_id);
/* TagOptionSummaries [{Key, Values}] of the active TagOptions of product_id and of
 * portfolio_id (the launch path; NULL: none): a new array. */
err_t sc_tagoption_summaries(api_ctx_t *c, const char *portfolio_id, const char *product_id,
                             cJSON **out);
/* The tags a launch (or update) through portfolio_id of product_id applies: given (a
 * request's [{Key, Value}], NULL: none) plus, for each TagOption key with one allowed
 * value that given lacks, that value. InvalidParametersException when given sets a
 * TagOption key to a value its TagOptions do not allow, or lacks a key with several
 * values. *tags new (NULL on failure). */
err_t sc_tagoption_tags(api_ctx_t *c, const char *portfolio_id, const char *product_id,
                        const cJSON *given, cJSON **tags);

/* Does a RESOURCE_UPDATE constraint of product_id in portfolio_id set
 * TagUpdateOnProvisionedProduct to ALLOWED? (constraint.c) */
err_t sc_tag_updates_allowed(api_ctx_t *c, const char *portfolio_id, const char *product_id,
                             bool *yes);
/* ---- shares between accounts (share.c) */

/* The storage scope of account in the caller's region (c->scope's form). In the arena. */
const char *sc_scope_of(api_ctx_t *c, const char *account);
/* The caller's import of portfolio_id (offered or accepted; *out owned, NULL when none). */
err_t sc_import_find(api_ctx_t *c, const char *portfolio_id, cJSON **out);
/* Where portfolio_id's catalog lives for the caller: c->scope for its own portfolio, the
 * hub's scope for one it imported and accepted; ResourceNotFoundException otherwise. *out
 * (NULL: not wanted) gets the portfolio's body, owned by the caller. */
err_t sc_portfolio_home(api_ctx_t *c, const char *portfolio_id, const char **scope, cJSON **out);
/* Where portfolio_id's catalog (its product links, constraints) lives for the caller:
 * the hub's scope for an accepted import, else c->scope. */
err_t sc_catalog_scope(api_ctx_t *c, const char *portfolio_id, const char **scope);
/* The caller's accepted imports (sc.import bodies, oldest first) appended to out. */
err_t sc_accepted_imports(api_ctx_t *c, cJSON *out);
/* Where product_id's catalog (the product, its versions, its portfolios' constraints and
 * actions) lives: c->scope for the caller's own product, the hub's scope when one of the
 * caller's accepted imports holds it, else c->scope (where reads then find nothing).
 * Handlers run their catalog reads with c->scope set to it, and everything that is the
 * caller's own (principal associations, provisioned products, records) before or after. */
err_t sc_product_home(api_ctx_t *c, const char *product_id, const char **home);
/* Where provisioned product pp's catalog (its product, versions, actions) lives: its
 * _Catalog (a hub's scope, for a product launched from an imported portfolio) or c->scope. */
const char *sc_pp_catalog(api_ctx_t *c, const cJSON *pp);
/* The accounts an OrganizationNode share reaches (org_share.c): the members of the
 * caller's organization (ORGANIZATION: all but the caller; ACCOUNT: that member),
 * appended to accounts as ids. The caller must have enabled AWS Organizations access
 * (InvalidStateException); a node not of its organization is InvalidParametersException,
 * an organizational unit ResourceNotFoundException (catalogd has none). */
err_t sc_org_recipients(api_ctx_t *c, const cJSON *node, cJSON *accounts);
/* Is portfolio_id (the caller's own) shared with any account? */
err_t sc_portfolio_shared(api_ctx_t *c, const char *portfolio_id, bool *shared);

#endif
