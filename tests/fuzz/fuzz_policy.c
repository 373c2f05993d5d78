/* fuzz_policy.c - libFuzzer target for the IAM policy language: parses each input as an
 * identity and as a trust policy and, when one parses, evaluates it against fixed requests
 * (with and without context, principals of every kind) and through policy_decide.
 * Seed corpus: tests/fuzz/corpus/policy/. */
#include "fuzz_init.h"
#include "iam/policy.h"

#include <stddef.h>
#include <stdint.h>

static const char *const one_user[] = {"alice"};
static const char *const one_team[] = {"blue"};
static const char *const tag_keys[] = {"Department", "Project"};
static const char *const one_ip[] = {"203.0.113.7"};
static const char *const one_time[] = {"2026-11-30T01:37:13Z"};
static const char *const one_num[] = {"10"};
static const char *const one_bool[] = {"true"};
static const char *const one_arn[] = {"arn:aws:iam::123456789012:user/alice"};

static const policy_ctx_entry_t entries[] = {
    {"aws:username", PCT_STRING, one_user, 1},
    {"aws:PrincipalTag/team", PCT_STRING, one_team, 1},
    {"aws:TagKeys", PCT_STRING, tag_keys, 2},
    {"aws:SourceIp", PCT_IP, one_ip, 1},
    {"aws:CurrentTime", PCT_DATE, one_time, 1},
    {"s3:max-keys", PCT_NUMERIC, one_num, 1},
    {"aws:SecureTransport", PCT_BOOL, one_bool, 1},
    {"aws:PrincipalArn", PCT_STRING, one_arn, 1},
};
static const policy_ctx_t ctx = {entries, sizeof(entries) / sizeof(entries[0])};

static const policy_principal_t principals[] = {
    {.aws_arn = "arn:aws:iam::123456789012:user/alice", .account = "123456789012"},
    {.aws_arn = "arn:aws:sts::123456789012:assumed-role/Ops/s",
     .role_arn = "arn:aws:iam::123456789012:role/Ops",
     .account = "123456789012"},
    {.service = "servicecatalog.amazonaws.com"},
    {.federated = "arn:aws:iam::123456789012:saml-provider/Idp"},
    {0},
};

static const struct {
    const char *action, *resource;
} requests[] = {
    {"servicecatalog:ExecuteProvisionedProductServiceAction", "*"},
    {"ssm:StartAutomationExecution",
     "arn:aws:ssm:us-east-1::automation-definition/AWS-RestartEC2Instance:$DEFAULT"},
    {"ec2:StopInstances", "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0"},
    {"s3:GetObject", "arn:aws:s3:::home/alice/k"},
    {"sts:AssumeRole", "arn:aws:iam::123456789012:role/Ops"},
};

static void exercise(const policy_t *p)
{
    for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
        for (size_t k = 0; k < sizeof(principals) / sizeof(principals[0]); k++) {
            policy_request_t req = {.action = requests[i].action,
                                    .resource = requests[i].resource,
                                    .ctx = k % 2 ? &ctx : NULL,
                                    .principal = &principals[k]};
            const char *sid = NULL;
            policy_effect_t e = policy_eval(p, &req, &sid);
            if (!sid || (e != POLICY_NO_MATCH && e != POLICY_ALLOW && e != POLICY_DENY))
                __builtin_trap();
            const policy_t *set[] = {p};
            policy_set_t s = {
                .identity = set, .n_identity = 1, .boundary = p, .session = set, .n_session = 1};
            (void)policy_decide(&s, &req, NULL);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    span_t doc = span_make((const char *)data, size);
    (void)policy_size_nows(doc);
    for (int kind = POLICY_IDENTITY; kind <= POLICY_TRUST; kind++) {
        policy_t *p = NULL;
        errbuf_t eb;
        err_t rc = policy_parse(doc, (policy_kind_t)kind, &p, &eb);
        if (rc == ERR_OK) {
            exercise(p);
            (void)policy_version(p);
            policy_free(p);
        } else if (rc != ERR_IAM_MALFORMED_POLICY || p != NULL) {
            __builtin_trap();
        }
    }
    return 0;
}
