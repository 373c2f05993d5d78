/* iam_int.h - shared pieces of the IAM operation handlers: entity lookup with IAM's
 * NoSuchEntity wording, unique ids and ARNs, case-insensitive names, Marker/MaxItems
 * paging. Entities live in the resource tables (res.h) under the kinds below; the body
 * of each is the model's output shape plus internal members the encoder drops. */
#ifndef CATALOGD_IAM_INT_H
#define CATALOGD_IAM_INT_H

#include "api/gen/ops_gen.h"
#include "core/jx.h"
#include "iam/policy.h"
#include "res/res.h"

#define IAM_USER         "iam.user"
#define IAM_GROUP        "iam.group"
#define IAM_ROLE         "iam.role"
#define IAM_POLICY       "iam.policy"           /* managed policies; AWS's live in account "aws" */
#define IAM_POLICY_VER   "iam.policy_version"   /* id "<PolicyId>:<VersionId>", parent PolicyId */
#define IAM_INLINE       "iam.inline"           /* id "<owner id>:<PolicyName>", parent owner id */
#define IAM_LOGIN        "iam.login_profile"    /* id = UserId */
#define IAM_LINK_MEMBER  "iam.member"           /* a = GroupId, b = UserId */
#define IAM_LINK_ATTACH  "iam.attach"           /* a = owner id (user/group/role), b = policy ARN */
#define IAM_PROFILE      "iam.instance_profile" /* id = InstanceProfileId, name = folded name */
#define IAM_LINK_PROFILE "iam.profile_role"     /* a = InstanceProfileId, b = RoleId */
#define IAM_AWS_ACCOUNT  "aws"                  /* owner of AWS managed policies */
#define IAM_MFA          "iam.mfa"              /* id = SerialNumber, name = folded device name */
#define IAM_SAML         "iam.saml_provider"    /* id = provider ARN, name = folded Name */
#define IAM_SERVER_CERT  "iam.server_cert"      /* id = ServerCertificateId, name = folded name */
#define IAM_SIGNING_CERT "iam.signing_cert"     /* id = CertificateId, parent = UserId or "root" */
#define IAM_SSH_KEY      "iam.ssh_key"          /* id = SSHPublicKeyId, parent = UserId */
#define IAM_SVC_CRED                                                                               \
    "iam.service_credential" /* id = ServiceSpecificCredentialId, parent = UserId */

/* Finds an entity by name (case-insensitively, as IAM does). On absence returns
 * ERR_IAM_NO_SUCH_ENTITY with IAM's message ("The user with name X cannot be found.").
 * *out is owned by the caller. type: "user", "group", "role". */
err_t iam_find(api_ctx_t *c, const char *type, const char *name, cJSON **out);
/* The resource kind for "user"/"group"/"role". */
const char *iam_kind(const char *type);
/* The lower-cased name IAM compares on, in the request arena. */
const char *iam_fold(api_ctx_t *c, const char *name);
/* A new unique id: prefix (AIDA, AGPA, AROA, ANPA, AKIA, ASIA) + 17 upper-case alphanumerics. */
void iam_new_id(api_ctx_t *c, const char *prefix, char out[32]);
/* "arn:aws:iam::ACCOUNT:<type><path><name>" in the request arena (path "/" by default). */
const char *iam_arn(api_ctx_t *c, const char *type, const char *path, const char *name);
/* Now, in the seconds-with-fraction form timestamps take in value trees. */
double iam_now(api_ctx_t *c);

/* Marker/MaxItems paging by key (res.h): starts p after the request's Marker
 * (InvalidInput when it is not one this operation issued), MaxItems (default 100) a page. */
err_t iam_page_in(api_ctx_t *c, res_page_t *p);
/* Writes IsTruncated and, when more remain, Marker. */
void iam_page_out(api_ctx_t *c, const res_page_t *p);
/* Keeps an entity or policy whose Path starts with the request's PathPrefix (ctx: c). */
err_t iam_keep_path(void *ctx, const cJSON *e, const res_pkey_t *k, bool *keep);

/* Drops the Tags of every entity of list: listings leave them out (GetRole and the like
 * show them). */
void iam_drop_tags(cJSON *list);

/* Starts a new user/group/role: fails with EntityAlreadyExists when the (case-folded)
 * name is taken, else returns a body with Path, <Type>Name, <Type>Id (id_prefix + 17),
 * Arn and CreateDate from the request's `name_member` and Path. The caller adds its own
 * members, then stores it with iam_entity_insert. */
err_t iam_entity_new(api_ctx_t *c, const char *type, const char *id_prefix, cJSON **out);
/* Inserts a body made by iam_entity_new; on success the tree is added to the output as
 * out_member (when non-NULL) or freed. */
err_t iam_entity_insert(api_ctx_t *c, const char *type, cJSON *body, const char *out_member);
/* Loads the entities of kind whose ids are the strings of ids into out (a vanished one is
 * left out). */
err_t iam_load_ids(api_ctx_t *c, const char *kind, const cJSON *ids, cJSON *out);

/* Parses doc as a policy of kind (MalformedPolicyDocument with the parser's message) and
 * enforces the size quota (LimitExceeded "Cannot exceed quota for <quota_name>: N."). */
err_t iam_check_document(api_ctx_t *c, const char *doc, policy_kind_t kind, size_t quota,
                         const char *quota_name);
/* A managed policy (ours or AWS's) by ARN; NoSuchEntity in IAM's words when absent. */
err_t iam_policy_by_arn(api_ctx_t *c, const char *arn, cJSON **out);
/* Writes back a managed policy's body. */
err_t iam_policy_save(api_ctx_t *c, const cJSON *p);
/* The document of p's default version, in the request arena. */
err_t iam_policy_default_doc(api_ctx_t *c, const cJSON *p, char **doc);
/* The owner id of a user/group/role body ("UserId", "GroupId" or "RoleId"). */
const char *iam_entity_id(const cJSON *e);

/* Lists the bodies of links of kind whose `a` (a_side) or `b` column equals key. Appends
 * the other side's value strings to out (a cJSON array of strings). */
err_t iam_links(api_ctx_t *c, const char *kind, bool by_a, const char *key, cJSON *out);
err_t iam_link_add(api_ctx_t *c, const char *kind, const char *a, const char *b, bool *existed);
err_t iam_link_del(api_ctx_t *c, const char *kind, const char *a, const char *b, bool *found);
/* Number of links of kind with the given a (by_a) or b. */
err_t iam_link_count(api_ctx_t *c, const char *kind, bool by_a, const char *key, int64_t *n);

/* Adds or replaces the request's Tags in body's "Tags" (LimitExceeded past 50). */
err_t iam_tags_put(api_ctx_t *c, cJSON *body);
/* Tag<X> (IAM_TAG_PUT: the request's Tags), Untag<X> (IAM_TAG_DROP: its TagKeys) and
 * List<X>Tags (IAM_TAG_LIST) on the entity find loads (in IAM's words when absent),
 * written back with save. */
typedef enum iam_tag_op { IAM_TAG_PUT, IAM_TAG_DROP, IAM_TAG_LIST } iam_tag_op_t;
typedef err_t (*iam_find_fn)(api_ctx_t *c, cJSON **out);
typedef err_t (*iam_save_fn)(api_ctx_t *c, const cJSON *body);
err_t iam_tags_op(api_ctx_t *c, iam_tag_op_t op, iam_find_fn find, iam_save_fn save);
/* A customer managed policy by ARN for a write: InvalidInput for one of AWS's. */
err_t iam_own_policy(api_ctx_t *c, const char *arn, cJSON **out);
/* An instance profile by name (NoSuchEntity in IAM's words when absent). */
err_t iam_profile_find(api_ctx_t *c, const char *name, cJSON **out);

/* Appends {PolicyName, PolicyArn} to out for each managed policy ARN of arns. */
err_t iam_attached_items(api_ctx_t *c, const cJSON *arns, cJSON *out);
/* The user a credential call (access key, signing certificate) is about: UserName, else
 * the calling user; the root when the root calls without a name (*user stays NULL, *kind
 * and *principal are "root"); else *kind "user" and *principal the UserId. */
err_t iam_key_owner(api_ctx_t *c, cJSON **user, const char **kind, const char **principal);
/* Adds "Roles" (the roles the profile holds, as GetRole shows them) to profile p. */
err_t iam_profile_roles(api_ctx_t *c, cJSON *p);
/* Loads every version of managed policy p (oldest first) into a new array *out. */
err_t iam_versions(api_ctx_t *c, const cJSON *p, cJSON **out);

/* A server certificate by name (NoSuchEntity in IAM's words when absent; certs.c). */
err_t iam_server_cert_find(api_ctx_t *c, const char *name, cJSON **out);

/* Whether any resource of kind has parent (a user's signing certificates, SSH keys). */
err_t iam_any_child(api_ctx_t *c, const char *kind, const char *parent, bool *any);
/* Writes body as resource kind/id of the account, replacing it or making it (the
 * account's one-of settings: password policy, credential report, STS preferences). */
err_t iam_put_setting(api_ctx_t *c, const char *kind, const char *id, const cJSON *body);
/* Sets the unique-name column of resource kind/id to name, folded (after a rename). */
err_t iam_rename_row(api_ctx_t *c, const char *kind, const char *id, const char *name);
/* Whether role is service-linked (its path begins /aws-service-role/): AWS alone changes
 * it (UnmodifiableEntity), DeleteServiceLinkedRole deletes it. */
bool iam_is_service_linked(const cJSON *role);
/* UnmodifiableEntity in IAM's words when role is service-linked, else ERR_OK. */
err_t iam_protect_slr(api_ctx_t *c, const cJSON *role);

/* Makes arn (NULL: none) the permissions boundary of user or role body e (not saved):
 * NoSuchEntity ("Scope ARN: ... does not exist or is not attachable.") when the policy does
 * not exist; the PermissionsBoundaryUsageCount of the old and new policy follow. */
err_t iam_boundary_use(api_ctx_t *c, cJSON *e, const char *arn);

/* The account's GlobalEndpointTokenVersion: 1, or 2 once set to v2Token (svccreds.c). */
err_t iam_token_version(api_ctx_t *c, int *version);

/* Merges tags (a request's Tags list, or NULL) into body's "Tags" (tags.c): InvalidInput
 * when two of tags have keys equal without regard to case, a present tag replaced by one
 * whose key equals it so, LimitExceeded ("Cannot exceed quota for <quota>: 50.") when more
 * than 50 would remain. body is left half-changed on failure: the caller discards it. */
err_t iam_tags_apply(api_ctx_t *c, cJSON *body, const cJSON *tags, const char *quota);

/* What an account's password policy asks beyond a password's own form (account.c). */
typedef struct iam_pw_rules {
    int reuse;             /* how many recent passwords may not be set again (0: any) */
    bool users_may_change; /* AllowUsersToChangePassword */
} iam_pw_rules_t;
#define PW_HISTORY_MAX 24 /* PasswordReusePrevention's maximum */
/* Holds password to the account's password policy (without one: at least 8 characters):
 * PasswordPolicyViolation with IAM's sentence for the first rule broken (password NULL:
 * no check). rules (or NULL) receives the rest of the policy. */
err_t iam_password_check(api_ctx_t *c, const char *password, iam_pw_rules_t *rules);

#endif
