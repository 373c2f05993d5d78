/* err.h - the one error enum. Every failure anywhere is an err_t; each entry carries
 * the AWS error code and HTTP status it renders as in each wire protocol, so a failure
 * raised deep in a handler renders correctly in awsJson1_1, query and ec2 alike.
 * Ranges: 1-99 core, 100-199 http, 200-299 proto, 300-399 auth, 400-499 iam/sts,
 * 500-599 store/engine, 600-699 servicecatalog, 700-799 ssm, 800-899 ec2,
 * 900-999 cloudformation, 1000-1099 organizations. The human message travels beside the
 * code in an errbuf_t. */
#ifndef CATALOGD_ERR_H
#define CATALOGD_ERR_H

#include <stdarg.h>
#include <stddef.h>

/* P(name, num, json code, json status, query code, query status, ec2 code, ec2 status):
 * an error whose code differs by protocol.
 * S(name, num, code, status): an error with the same code everywhere (service errors). */
#define ERR_TABLE(P, S)                                                                            \
    S(OK, 0, "", 200)                                                                              \
    /* core */                                                                                     \
    P(INTERNAL, 1, "InternalFailure", 500, "InternalFailure", 500, "InternalError", 500)           \
    P(UNAVAILABLE, 2, "ServiceUnavailable", 503, "ServiceUnavailable", 503, "Unavailable", 503)    \
    P(THROTTLING, 3, "ThrottlingException", 400, "Throttling", 400, "RequestLimitExceeded", 503)   \
    /* http */                                                                                     \
    S(BODY_TOO_LARGE, 100, "RequestEntityTooLarge", 413)                                           \
    S(HEADERS_TOO_LARGE, 101, "RequestHeaderFieldsTooLarge", 431)                                  \
    S(BAD_HTTP, 102, "BadRequest", 400)                                                            \
    /* proto: routing, decoding, validation */                                                     \
    P(UNKNOWN_OPERATION, 200, "UnknownOperationException", 400, "InvalidAction", 400,              \
      "InvalidAction", 400)                                                                        \
    P(MISSING_ACTION, 201, "UnknownOperationException", 400, "MissingAction", 400,                 \
      "MissingAction", 400)                                                                        \
    P(SERIALIZATION, 202, "SerializationException", 400, "MalformedQueryString", 404,              \
      "MalformedQueryString", 404)                                                                 \
    P(VALIDATION, 203, "ValidationException", 400, "ValidationError", 400,                         \
      "InvalidParameterValue", 400)                                                                \
    P(MISSING_PARAMETER, 204, "ValidationException", 400, "ValidationError", 400,                  \
      "MissingParameter", 400)                                                                     \
    P(INVALID_NEXT_TOKEN, 205, "ValidationException", 400, "ValidationError", 400,                 \
      "InvalidParameterValue", 400)                                                                \
    /* auth */                                                                                     \
    P(MISSING_AUTH, 300, "MissingAuthenticationTokenException", 400, "MissingAuthenticationToken", \
      403, "AuthFailure", 401)                                                                     \
    P(INCOMPLETE_SIGNATURE, 301, "IncompleteSignatureException", 400, "IncompleteSignature", 400,  \
      "IncompleteSignature", 400)                                                                  \
    P(INVALID_CLIENT_TOKEN, 302, "UnrecognizedClientException", 400, "InvalidClientTokenId", 403,  \
      "AuthFailure", 401)                                                                          \
    P(SIGNATURE_MISMATCH, 303, "InvalidSignatureException", 400, "SignatureDoesNotMatch", 403,     \
      "SignatureDoesNotMatch", 403)                                                                \
    P(SIGNATURE_EXPIRED, 304, "InvalidSignatureException", 400, "SignatureDoesNotMatch", 403,      \
      "RequestExpired", 400)                                                                       \
    P(EXPIRED_TOKEN, 305, "ExpiredTokenException", 400, "ExpiredToken", 403, "RequestExpired",     \
      400)                                                                                         \
    P(ACCESS_DENIED, 306, "AccessDeniedException", 400, "AccessDenied", 403,                       \
      "UnauthorizedOperation", 403)                                                                \
    /* iam / sts */                                                                                \
    S(IAM_MALFORMED_POLICY, 400, "MalformedPolicyDocument", 400)                                   \
    S(IAM_NO_SUCH_ENTITY, 401, "NoSuchEntity", 404)                                                \
    S(IAM_ALREADY_EXISTS, 402, "EntityAlreadyExists", 409)                                         \
    S(IAM_DELETE_CONFLICT, 403, "DeleteConflict", 409)                                             \
    S(IAM_LIMIT_EXCEEDED, 404, "LimitExceeded", 409)                                               \
    S(IAM_INVALID_INPUT, 405, "InvalidInput", 400)                                                 \
    S(IAM_PASSWORD_POLICY, 406, "PasswordPolicyViolation", 400)                                    \
    /* iam/sts: MFA devices, SAML providers and AssumeRoleWithSAML (465-479) */                    \
    S(IAM_INVALID_AUTH_CODE, 465, "InvalidAuthenticationCode", 403)                                \
    S(STS_SAML_INVALID, 466, "InvalidIdentityToken", 400)                                          \
    S(STS_SAML_REJECTED, 467, "IDPRejectedClaim", 403)                                             \
    S(STS_SAML_EXPIRED, 468, "ExpiredTokenException", 400)                                         \
    S(STS_MALFORMED_POLICY, 420, "MalformedPolicyDocument", 400)                                   \
    S(STS_PACKED_POLICY_TOO_LARGE, 421, "PackedPolicyTooLarge", 400)                               \
    S(STS_INVALID_AUTH_MESSAGE, 422, "InvalidAuthorizationMessageException", 400)                  \
    /* iam: h-iamx (480-499) */                                                                    \
    S(IAM_INVALID_USER_TYPE, 480, "InvalidUserType", 400)                                          \
    S(IAM_MALFORMED_CERT, 481, "MalformedCertificate", 400)                                        \
    S(IAM_KEY_PAIR_MISMATCH, 482, "KeyPairMismatch", 400)                                          \
    S(IAM_DUPLICATE_CERT, 483, "DuplicateCertificate", 409)                                        \
    S(IAM_INVALID_CERT, 484, "InvalidCertificate", 400)                                            \
    S(IAM_REPORT_NOT_PRESENT, 485, "ReportNotPresent", 410)                                        \
    S(IAM_REPORT_EXPIRED, 486, "ReportExpired", 410)                                               \
    S(IAM_REPORT_IN_PROGRESS, 487, "ReportInProgress", 404)                                        \
    S(IAM_UNMODIFIABLE, 488, "UnmodifiableEntity", 400)                                            \
    S(IAM_DUPLICATE_SSH_KEY, 489, "DuplicateSSHPublicKey", 400)                                    \
    S(IAM_SSH_KEY_ENCODING, 490, "UnrecognizedPublicKeyEncoding", 400)                             \
    S(IAM_INVALID_PUBLIC_KEY, 491, "InvalidPublicKey", 400)                                        \
    S(IAM_TEMP_UNMODIFIABLE, 492, "EntityTemporarilyUnmodifiable", 409)                            \
    S(IAM_SERVICE_NOT_SUPPORTED, 493, "NotSupportedService", 404)                                  \
    S(STS_IDP_REJECTED_CLAIM, 450, "IDPRejectedClaim", 403)                                        \
    S(STS_IDP_COMMUNICATION, 451, "IDPCommunicationError", 400)                                    \
    S(STS_INVALID_IDENTITY_TOKEN, 452, "InvalidIdentityToken", 400)                                \
    S(STS_EXPIRED_WEB_TOKEN, 453, "ExpiredTokenException", 400)                                    \
    /* store / engine */                                                                           \
    P(STORE, 500, "InternalFailure", 500, "InternalFailure", 500, "InternalError", 500)            \
    P(STORE_BUSY, 501, "ThrottlingException", 400, "Throttling", 400, "RequestLimitExceeded", 503) \
    S(LEASE_LOST, 502, "InternalFailure", 500)                                                     \
    /* servicecatalog */                                                                           \
    S(SC_INVALID_PARAMETERS, 600, "InvalidParametersException", 400)                               \
    S(SC_NOT_FOUND, 601, "ResourceNotFoundException", 400)                                         \
    S(SC_IN_USE, 602, "ResourceInUseException", 400)                                               \
    S(SC_DUPLICATE, 603, "DuplicateResourceException", 400)                                        \
    S(SC_LIMIT, 604, "LimitExceededException", 400)                                                \
    S(SC_INVALID_STATE, 605, "InvalidStateException", 400)                                         \
    S(SC_NOT_SUPPORTED, 606, "OperationNotSupportedException", 400)                                \
    /* ec2 */                                                                                      \
    S(EC2_NOT_FOUND, 800, "InvalidInstanceID.NotFound", 400)                                       \
    S(EC2_MALFORMED_ID, 801, "InvalidInstanceID.Malformed", 400)                                   \
    S(EC2_INCORRECT_STATE, 802, "IncorrectInstanceState", 400)                                     \
    S(EC2_DRY_RUN, 803, "DryRunOperation", 412)                                                    \
    S(EC2_INVALID_PARAMETER, 804, "InvalidParameterValue", 400)                                    \
    S(EC2_INVALID_COMBINATION, 805, "InvalidParameterCombination", 400)                            \
    S(EC2_IDEMPOTENT_MISMATCH, 806, "IdempotentParameterMismatch", 400)                            \
    S(EC2_AMI_MALFORMED, 807, "InvalidAMIID.Malformed", 400)                                       \
    S(EC2_INVALID_FILTER, 808, "InvalidParameterValue", 400)                                       \
    S(EC2_UNSUPPORTED_OPERATION, 809, "UnsupportedOperation", 400)                                 \
    S(EC2_INVALID_ID, 810, "InvalidID", 400)                                                       \
    S(EC2_INSTANCE_LIMIT, 811, "InstanceLimitExceeded", 400)                                       \
    /* ec2 images and instance attributes */                                                       \
    S(EC2_AMI_NOT_FOUND, 830, "InvalidAMIID.NotFound", 400)                                        \
    S(EC2_AMI_NAME_DUPLICATE, 831, "InvalidAMIName.Duplicate", 400)                                \
    S(EC2_AMI_NAME_MALFORMED, 832, "InvalidAMIName.Malformed", 400)                                \
    S(EC2_AUTH_FAILURE, 833, "AuthFailure", 400)                                                   \
    S(EC2_NOT_PERMITTED, 834, "OperationNotPermitted", 400)                                        \
    S(EC2_AMI_UNAVAILABLE, 835, "InvalidAMIID.Unavailable", 400)                                   \
    /* ec2 networking: VPCs, subnets, route tables, gateways, addresses (860..884) */              \
    S(EC2_VPC_NOT_FOUND, 860, "InvalidVpcID.NotFound", 400)                                        \
    S(EC2_VPC_MALFORMED, 861, "InvalidVpcID.Malformed", 400)                                       \
    S(EC2_VPC_RANGE, 862, "InvalidVpc.Range", 400)                                                 \
    S(EC2_SUBNET_NOT_FOUND, 863, "InvalidSubnetID.NotFound", 400)                                  \
    S(EC2_SUBNET_MALFORMED, 864, "InvalidSubnetID.Malformed", 400)                                 \
    S(EC2_SUBNET_RANGE, 865, "InvalidSubnet.Range", 400)                                           \
    S(EC2_SUBNET_CONFLICT, 866, "InvalidSubnet.Conflict", 400)                                     \
    S(EC2_RTB_NOT_FOUND, 867, "InvalidRouteTableID.NotFound", 400)                                 \
    S(EC2_RTB_MALFORMED, 868, "InvalidRouteTableID.Malformed", 400)                                \
    S(EC2_IGW_NOT_FOUND, 869, "InvalidInternetGatewayID.NotFound", 400)                            \
    S(EC2_ALLOCATION_NOT_FOUND, 870, "InvalidAllocationID.NotFound", 400)                          \
    S(EC2_ASSOCIATION_NOT_FOUND, 871, "InvalidAssociationID.NotFound", 400)                        \
    S(EC2_ALREADY_ASSOCIATED, 872, "Resource.AlreadyAssociated", 400)                              \
    S(EC2_GATEWAY_NOT_ATTACHED, 873, "Gateway.NotAttached", 400)                                   \
    S(EC2_ROUTE_NOT_FOUND, 874, "InvalidRoute.NotFound", 400)                                      \
    S(EC2_ROUTE_EXISTS, 875, "RouteAlreadyExists", 400)                                            \
    S(EC2_GATEWAY_NOT_FOUND, 876, "InvalidGatewayID.NotFound", 400)                                \
    S(EC2_ADDRESS_LIMIT, 877, "AddressLimitExceeded", 400)                                         \
    S(EC2_ADDRESS_IN_USE, 878, "InvalidIPAddress.InUse", 400)                                      \
    S(EC2_ADDRESS_NOT_FOUND, 879, "InvalidAddress.NotFound", 400)                                  \
    S(EC2_NO_DEFAULT_VPC, 880, "VPCIdNotSpecified", 400)                                           \
    S(EC2_ENI_NOT_FOUND, 881, "InvalidNetworkInterfaceID.NotFound", 400)                           \
    S(EC2_DEFAULT_VPC_EXISTS, 882, "DefaultVpcAlreadyExists", 400)                                 \
    /* ec2 security groups, key pairs, volumes, launch templates (840..859, 885..) */              \
    S(EC2_SG_NOT_FOUND, 840, "InvalidGroup.NotFound", 400)                                         \
    S(EC2_SG_DUPLICATE, 841, "InvalidGroup.Duplicate", 400)                                        \
    S(EC2_SG_MALFORMED, 842, "InvalidGroupId.Malformed", 400)                                      \
    S(EC2_PERM_DUPLICATE, 843, "InvalidPermission.Duplicate", 400)                                 \
    S(EC2_PERM_NOT_FOUND, 844, "InvalidPermission.NotFound", 400)                                  \
    S(EC2_CANNOT_DELETE, 845, "CannotDelete", 400)                                                 \
    S(EC2_DEPENDENCY, 846, "DependencyViolation", 400)                                             \
    S(EC2_RULE_NOT_FOUND, 847, "InvalidSecurityGroupRuleId.NotFound", 400)                         \
    S(EC2_KEY_NOT_FOUND, 848, "InvalidKeyPair.NotFound", 400)                                      \
    S(EC2_KEY_DUPLICATE, 849, "InvalidKeyPair.Duplicate", 400)                                     \
    S(EC2_KEY_FORMAT, 850, "InvalidKeyPair.Format", 400)                                           \
    S(EC2_VOL_NOT_FOUND, 851, "InvalidVolume.NotFound", 400)                                       \
    S(EC2_VOL_MALFORMED, 852, "InvalidVolumeID.Malformed", 400)                                    \
    S(EC2_VOL_IN_USE, 853, "VolumeInUse", 400)                                                     \
    S(EC2_VOL_STATE, 854, "IncorrectState", 400)                                                   \
    S(EC2_VOL_ZONE_MISMATCH, 855, "InvalidVolume.ZoneMismatch", 400)                               \
    S(EC2_LT_NAME_EXISTS, 856, "InvalidLaunchTemplateName.AlreadyExistsException", 400)            \
    S(EC2_LT_NAME_MALFORMED, 857, "InvalidLaunchTemplateName.MalformedException", 400)             \
    S(EC2_LT_NAME_NOT_FOUND, 858, "InvalidLaunchTemplateName.NotFoundException", 400)              \
    S(EC2_LT_ID_NOT_FOUND, 859, "InvalidLaunchTemplateId.NotFound", 400)                           \
    S(EC2_LT_ID_MALFORMED, 885, "InvalidLaunchTemplateId.Malformed", 400)                          \
    S(EC2_LT_VERSION_NOT_FOUND, 886, "InvalidLaunchTemplateId.VersionNotFound", 400)               \
    S(EC2_INSTANCE_TYPE, 887, "InvalidInstanceType", 400)                                          \
    S(EC2_INVALID_PARAMETER_X, 888, "InvalidParameter", 400)                                       \
    S(EC2_SNAPSHOT_NOT_FOUND, 889, "InvalidSnapshot.NotFound", 400)                                \
    S(EC2_RULE_MALFORMED, 890, "InvalidSecurityGroupRuleId.Malformed", 400)                        \
    S(EC2_PARAMETER_DEPENDENCY, 891, "InvalidParameterDependency", 400)                            \
    /* cloudformation */                                                                           \
    S(CFN_ALREADY_EXISTS, 900, "AlreadyExistsException", 400)                                      \
    S(CFN_TOKEN_EXISTS, 901, "TokenAlreadyExistsException", 400)                                   \
    S(CFN_INSUFFICIENT_CAPABILITIES, 902, "InsufficientCapabilitiesException", 400)                \
    S(CFN_CHANGESET_NOT_FOUND, 903, "ChangeSetNotFound", 404)                                      \
    S(CFN_INVALID_CHANGESET_STATUS, 904, "InvalidChangeSetStatus", 400)                            \
    S(CFN_STACKSET_NOT_FOUND, 905, "StackSetNotFoundException", 404)                               \
    S(CFN_NAME_EXISTS, 906, "NameAlreadyExistsException", 409)                                     \
    S(CFN_STACKSET_NOT_EMPTY, 907, "StackSetNotEmptyException", 409)                               \
    S(CFN_OPERATION_IN_PROGRESS, 908, "OperationInProgressException", 409)                         \
    S(CFN_OPERATION_ID_EXISTS, 909, "OperationIdAlreadyExistsException", 409)                      \
    S(CFN_INSTANCE_NOT_FOUND, 910, "StackInstanceNotFoundException", 404)                          \
    S(CFN_OPERATION_NOT_FOUND, 911, "OperationNotFoundException", 404)                             \
    S(CFN_INVALID_OPERATION, 912, "InvalidOperationException", 400)                                \
    /* ssm */                                                                                      \
    S(SSM_INVALID_NEXT_TOKEN, 700, "InvalidNextToken", 400)                                        \
    S(SSM_INVALID_FILTER_KEY, 701, "InvalidFilterKey", 400)                                        \
    S(SSM_INVALID_FILTER_VALUE, 702, "InvalidFilterValue", 400)                                    \
    S(SSM_DOCUMENT_EXISTS, 703, "DocumentAlreadyExists", 400)                                      \
    S(SSM_INVALID_CONTENT, 704, "InvalidDocumentContent", 400)                                     \
    S(SSM_INVALID_SCHEMA, 705, "InvalidDocumentSchemaVersion", 400)                                \
    S(SSM_INVALID_DOCUMENT, 706, "InvalidDocument", 400)                                           \
    S(SSM_INVALID_VERSION, 707, "InvalidDocumentVersion", 400)                                     \
    S(SSM_DUPLICATE_CONTENT, 708, "DuplicateDocumentContent", 400)                                 \
    S(SSM_DUPLICATE_VERSION_NAME, 709, "DuplicateDocumentVersionName", 400)                        \
    S(SSM_INVALID_OPERATION, 710, "InvalidDocumentOperation", 400)                                 \
    S(SSM_MAX_SIZE, 711, "MaxDocumentSizeExceeded", 400)                                           \
    S(SSM_VERSION_LIMIT, 712, "DocumentVersionLimitExceeded", 400)                                 \
    S(SSM_DOCUMENT_LIMIT, 713, "DocumentLimitExceeded", 400)                                       \
    S(SSM_DEFINITION_NOT_FOUND, 714, "AutomationDefinitionNotFoundException", 400)                 \
    S(SSM_DEFINITION_VERSION_NOT_FOUND, 715, "AutomationDefinitionVersionNotFoundException", 400)  \
    S(SSM_INVALID_PARAMETERS, 716, "InvalidAutomationExecutionParametersException", 400)           \
    S(SSM_EXECUTION_LIMIT, 717, "AutomationExecutionLimitExceededException", 400)                  \
    S(SSM_EXECUTION_NOT_FOUND, 718, "AutomationExecutionNotFoundException", 400)                   \
    S(SSM_INVALID_STATUS_UPDATE, 719, "InvalidAutomationStatusUpdateException", 400)               \
    S(SSM_INVALID_SIGNAL, 720, "InvalidAutomationSignalException", 400)                            \
    S(SSM_STEP_NOT_FOUND, 721, "AutomationStepNotFoundException", 400)                             \
    S(SSM_IDEMPOTENT_MISMATCH, 722, "IdempotentParameterMismatch", 400)                            \
    S(SSM_INVALID_TAG, 723, "InvalidTag", 400)                                                     \
    S(SSM_INVALID_TARGET, 724, "InvalidTarget", 400)                                               \
    S(SSM_DOCUMENT_PERMISSION_LIMIT, 725, "DocumentPermissionLimit", 400)                          \
    /* ssm: Parameter Store (770..) */                                                             \
    S(SSM_PARAM_NOT_FOUND, 770, "ParameterNotFound", 400)                                          \
    S(SSM_PARAM_EXISTS, 771, "ParameterAlreadyExists", 400)                                        \
    S(SSM_PARAM_VERSION_NOT_FOUND, 772, "ParameterVersionNotFound", 400)                           \
    S(SSM_PARAM_MAX_VERSIONS, 773, "ParameterMaxVersionLimitExceeded", 400)                        \
    S(SSM_HIERARCHY_LIMIT, 774, "HierarchyLevelLimitExceededException", 400)                       \
    S(SSM_PATTERN_MISMATCH, 775, "ParameterPatternMismatchException", 400)                         \
    S(SSM_INVALID_PATTERN, 776, "InvalidAllowedPatternException", 400)                             \
    S(SSM_LABEL_LIMIT, 777, "ParameterVersionLabelLimitExceeded", 400)                             \
    S(SSM_UNSUPPORTED_TYPE, 778, "UnsupportedParameterType", 400)                                  \
    S(SSM_INVALID_KEY_ID, 779, "InvalidKeyId", 400)                                                \
    S(SSM_INVALID_FILTER_OPTION, 780, "InvalidFilterOption", 400)                                  \
    /* ssm: managed nodes (760..) */                                                               \
    S(SSM_INVALID_INSTANCE_ID, 760, "InvalidInstanceId", 400)                                      \
    S(SSM_INVALID_INSTANCE_FILTER_VALUE, 761, "InvalidInstanceInformationFilterValue", 400)        \
    /* ssm: Run Command (740..) */                                                                 \
    S(SSM_INVALID_CMD_PARAMETERS, 740, "InvalidParameters", 400)                                   \
    S(SSM_INVALID_COMMAND_ID, 742, "InvalidCommandId", 400)                                        \
    S(SSM_INVOCATION_NOT_FOUND, 743, "InvocationDoesNotExist", 400)                                \
    S(SSM_INVALID_PLUGIN_NAME, 744, "InvalidPluginName", 400)                                      \
    S(SSM_DUPLICATE_INSTANCE_ID, 745, "DuplicateInstanceId", 400)                                  \
    /* ssm: maintenance windows, patch baselines (790..) */                                        \
    S(SSM_DOES_NOT_EXIST, 790, "DoesNotExistException", 400)                                       \
    S(SSM_RESOURCE_LIMIT, 791, "ResourceLimitExceededException", 400)                              \
    S(SSM_TARGET_IN_USE, 792, "TargetInUseException", 400)                                         \
    /* organizations */                                                                            \
    S(ORG_NOT_IN_USE, 1000, "AWSOrganizationsNotInUseException", 400)                              \
    S(ORG_ALREADY_IN_ORGANIZATION, 1001, "AlreadyInOrganizationException", 400)                    \
    S(ORG_ACCOUNT_NOT_FOUND, 1002, "AccountNotFoundException", 400)                                \
    S(ORG_CREATE_STATUS_NOT_FOUND, 1003, "CreateAccountStatusNotFoundException", 400)              \
    S(ORG_INVALID_INPUT, 1004, "InvalidInputException", 400)

#define ERR_ENUM_P(name, num, jc, js, qc, qs, ec, es) ERR_##name = num,
#define ERR_ENUM_S(name, num, c, s)                   ERR_##name = num,
typedef enum err { ERR_TABLE(ERR_ENUM_P, ERR_ENUM_S) } err_t;
#undef ERR_ENUM_P
#undef ERR_ENUM_S

/* The wire protocols an error can render in. */
typedef enum err_proto { ERR_PROTO_JSON, ERR_PROTO_QUERY, ERR_PROTO_EC2 } err_proto_t;

/* AWS error code for e in protocol p; never NULL ("InternalFailure" for unknown values). */
const char *err_code(err_t e, err_proto_t p);
/* HTTP status for e in protocol p. */
int err_status(err_t e, err_proto_t p);
/* The enum name without its prefix, for logs ("VALIDATION"). */
const char *err_name(err_t e);
/* True when e may pass if the same work is tried again: a server fault (HTTP 5xx), a busy
 * store, throttling. False for a refusal (access denied, validation, not found...), which
 * the same call would meet again. */
int err_retryable(err_t e);

/* The human message that travels with an error (curl's failf text on the handle). */
typedef struct errbuf {
    char msg[1024];
} errbuf_t;

/* Records a message and returns e, so callers write `return err_fail(eb, ERR_X, ...)`.
 * The arguments may point into eb->msg itself (re-wrapping a callee's message).
 * A NULL eb is allowed (the message is dropped). */
err_t err_fail(errbuf_t *eb, err_t e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
err_t err_vfail(errbuf_t *eb, err_t e, const char *fmt, va_list ap);

#endif
