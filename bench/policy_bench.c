/* policy_bench.c - micro-benchmark of the IAM policy engine (src/iam/policy*.c): how many
 * authorization decisions per second policy_decide makes for a principal holding 10
 * policies of 10 statements each (mixed services, wildcards in actions and ARNs, a policy
 * variable, conditions on aws:RequestedRegion / aws:SourceIp / aws:SecureTransport, one
 * Deny statement per policy), for an allowed, an explicitly denied and an implicitly
 * denied request; and how long policy_parse takes per policy document.
 * Each decision figure is the median of RUNS runs of SECONDS each; the parse figure is
 * the median of RUNS runs of SECONDS/2 each. Every measured call is checked to give the
 * expected answer first, so the numbers are for correct work.
 *
 * The Deny statements sit in the last statement of each policy, so a request that no
 * deny matches still walks all 100 statements (as policy_decide must, to rule out an
 * explicit deny); the explicitly denied request matches the Deny of the 10th policy, so
 * it too reads every policy. */

// Built by `make` (RelWithDebInfo: -O2, no sanitizers); run from the repository root:
//   build/policy_bench [SECONDS per run, default 2] [RUNS, default 5]

#include "core/mem.h"
#include "iam/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_POLICIES 10
#define N_STMTS    10
#define ACCOUNT    "123456789012"

static const char *const SERVICES[N_POLICIES] = {
    "ec2",    "s3",  "ssm", "servicecatalog", "cloudformation", "iam", "dynamodb",
    "lambda", "sns", "sqs",
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Appends one statement j of policy i (service svc) to out. */
static size_t statement(char *out, size_t cap, int i, int j, const char *svc)
{
    const char *next = SERVICES[(i + 1) % N_POLICIES];
    switch (j) {
    case 0:
        return (size_t)snprintf(
            out, cap,
            "{\"Sid\":\"Read%d\",\"Effect\":\"Allow\",\"Action\":[\"%s:Describe*\","
            "\"%s:Get*\"],\"Resource\":\"*\"}",
            i, svc, svc);
    case 1:
        return (size_t)snprintf(out, cap,
                                "{\"Effect\":\"Allow\",\"Action\":[\"%s:List*\",\"%s:Get?tem\"],"
                                "\"Resource\":\"arn:aws:%s:us-east-1:" ACCOUNT ":thing/*\"}",
                                svc, svc, svc);
    case 2:
        return (size_t)snprintf(out, cap,
                                "{\"Effect\":\"Allow\",\"Action\":\"%s:Put*\",\"Resource\":"
                                "\"arn:aws:%s:*:" ACCOUNT ":table/${aws:username}/*\"}",
                                svc, svc);
    case 3:
        return (size_t)snprintf(
            out, cap,
            "{\"Effect\":\"Allow\",\"Action\":[\"%s:CreateThing\",\"%s:UpdateThing\","
            "\"%s:TagResource\",\"%s:UntagResource\"],\"Resource\":["
            "\"arn:aws:%s:us-east-1:" ACCOUNT ":thing/a-*\","
            "\"arn:aws:%s:us-west-2:" ACCOUNT ":thing/b-*\"]}",
            svc, svc, svc, svc, svc, svc);
    case 4:
        return (size_t)snprintf(
            out, cap,
            "{\"Effect\":\"Allow\",\"Action\":\"%s:Start*\",\"Resource\":\"*\","
            "\"Condition\":{\"StringEquals\":{\"aws:RequestedRegion\":[\"us-east-1\","
            "\"eu-west-1\"]},\"IpAddress\":{\"aws:SourceIp\":[\"10.0.0.0/8\","
            "\"127.0.0.0/8\"]}}}",
            svc);
    case 5:
        return (size_t)snprintf(out, cap,
                                "{\"Effect\":\"Allow\",\"Action\":\"%s:Stop*\",\"NotResource\":"
                                "\"arn:aws:%s:*:*:protected/*\"}",
                                svc, svc);
    case 6:
        return (size_t)snprintf(out, cap,
                                "{\"Effect\":\"Allow\",\"Action\":[\"%s:Batch*\",\"%s:Batch*\"],"
                                "\"Resource\":\"arn:aws:%s:us-east-1:" ACCOUNT ":*\"}",
                                svc, next, svc);
    case 7:
        return (size_t)snprintf(out, cap,
                                "{\"Effect\":\"Allow\",\"Action\":\"%s:Send*\",\"Resource\":"
                                "\"arn:aws:%s:us-east-1:" ACCOUNT ":queue-?\",\"Condition\":"
                                "{\"StringLike\":{\"aws:PrincipalArn\":\"arn:aws:iam::" ACCOUNT
                                ":user/*\"}}}",
                                svc, svc);
    case 8:
        return (size_t)snprintf(out, cap,
                                "{\"Effect\":\"Allow\",\"Action\":[\"%s:Invoke*\",\"%s:Publish\","
                                "\"%s:Receive*\"],\"Resource\":\"arn:aws:%s:*:" ACCOUNT ":*\"}",
                                svc, svc, svc, svc);
    default:
        return (size_t)snprintf(
            out, cap,
            "{\"Sid\":\"NoDelete%d\",\"Effect\":\"Deny\",\"Action\":\"%s:Delete*\","
            "\"Resource\":\"*\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":"
            "\"false\"}}}",
            i, svc);
    }
}

static char *policy_doc(int i)
{
    size_t cap = 8192, n = 0;
    char *out = malloc(cap);
    if (!out) exit(1);
    n += (size_t)snprintf(out + n, cap - n, "{\"Version\":\"2012-10-17\",\"Statement\":[");
    for (int j = 0; j < N_STMTS; j++) {
        if (j) out[n++] = ',';
        n += statement(out + n, cap - n, i, j, SERVICES[i]);
    }
    snprintf(out + n, cap - n, "]}");
    return out;
}

/* ---- the request context a call of catalogd's carries (api/authz.c) */

static const char *const V_TIME[] = {"2026-11-30T12:00:00Z"};
static const char *const V_EPOCH[] = {"1795953600"};
static const char *const V_REGION[] = {"us-east-1"};
static const char *const V_TLS[] = {"false"};
static const char *const V_ACCOUNT[] = {ACCOUNT};
static const char *const V_USERID[] = {"AIDAEXAMPLEEXAMPLE01"};
static const char *const V_IP[] = {"127.0.0.1"};
static const char *const V_USER[] = {"bench"};
static const char *const V_ARN[] = {"arn:aws:iam::" ACCOUNT ":user/bench"};
static const char *const V_TYPE[] = {"User"};

static const policy_ctx_entry_t CTX[] = {
    {"aws:CurrentTime", PCT_DATE, V_TIME, 1},
    {"aws:EpochTime", PCT_NUMERIC, V_EPOCH, 1},
    {"aws:RequestedRegion", PCT_STRING, V_REGION, 1},
    {"aws:SecureTransport", PCT_BOOL, V_TLS, 1},
    {"aws:PrincipalAccount", PCT_STRING, V_ACCOUNT, 1},
    {"aws:userid", PCT_STRING, V_USERID, 1},
    {"aws:SourceIp", PCT_IP, V_IP, 1},
    {"aws:username", PCT_STRING, V_USER, 1},
    {"aws:PrincipalArn", PCT_STRING, V_ARN, 1},
    {"aws:PrincipalType", PCT_STRING, V_TYPE, 1},
};

typedef struct bench_req {
    const char *label;
    policy_request_t req;
    policy_decision_t want;
} bench_req_t;

static const char *decision_name(policy_decision_t d)
{
    return d == POLICY_ALLOWED         ? "allowed"
           : d == POLICY_EXPLICIT_DENY ? "explicitDeny"
                                       : "implicitDeny";
}

/* Decisions per second over about `seconds`. */
static double decide_rate(const policy_set_t *set, const policy_request_t *req, double seconds,
                          volatile unsigned *sink)
{
    unsigned long long n = 0;
    double t0 = now_s(), t;
    do {
        for (int k = 0; k < 256; k++) *sink += (unsigned)policy_decide(set, req, NULL);
        n += 256;
        t = now_s();
    } while (t - t0 < seconds);
    return (double)n / (t - t0);
}

/* Microseconds per policy_parse of docs (round robin) over about `seconds`. */
static double parse_us(char *const *docs, double seconds, volatile unsigned *sink)
{
    unsigned long long n = 0;
    double t0 = now_s(), t;
    do {
        for (int k = 0; k < N_POLICIES; k++) {
            policy_t *p = NULL;
            errbuf_t eb;
            if (policy_parse(span_of(docs[k]), POLICY_IDENTITY, &p, &eb) != ERR_OK) {
                fprintf(stderr, "parse failed: %s\n", eb.msg);
                exit(1);
            }
            *sink += (unsigned)(policy_version(p) != NULL);
            policy_free(p);
        }
        n += N_POLICIES;
        t = now_s();
    } while (t - t0 < seconds);
    return (t - t0) * 1e6 / (double)n;
}

int main(int argc, char **argv)
{
    mem_init();
    double seconds = argc > 1 ? strtod(argv[1], NULL) : 2.0;
    int runs = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 5;
    if (seconds <= 0 || runs < 1 || runs > 100) {
        fprintf(stderr, "usage: %s [SECONDS per run] [RUNS]\n", argv[0]);
        return 2;
    }
    char *docs[N_POLICIES];
    policy_t *pols[N_POLICIES];
    const policy_t *ids[N_POLICIES];
    size_t total = 0;
    for (int i = 0; i < N_POLICIES; i++) {
        docs[i] = policy_doc(i);
        total += strlen(docs[i]);
        errbuf_t eb;
        if (policy_parse(span_of(docs[i]), POLICY_IDENTITY, &pols[i], &eb) != ERR_OK) {
            fprintf(stderr, "policy %d did not parse: %s\n%s\n", i, eb.msg, docs[i]);
            return 1;
        }
        ids[i] = pols[i];
    }
    policy_ctx_t ctx = {CTX, sizeof(CTX) / sizeof(CTX[0])};
    policy_set_t set = {ids, N_POLICIES, NULL, NULL, 0};
    bench_req_t reqs[] = {
        {"allowed",
         {"sqs:SendMessage", "arn:aws:sqs:us-east-1:" ACCOUNT ":queue-7", &ctx, NULL},
         POLICY_ALLOWED},
        {"explicit deny",
         {"sqs:DeleteQueue", "arn:aws:sqs:us-east-1:" ACCOUNT ":queue-7", &ctx, NULL},
         POLICY_EXPLICIT_DENY},
        {"implicit deny",
         {"kms:Decrypt", "arn:aws:kms:us-east-1:" ACCOUNT ":key/1234", &ctx, NULL},
         POLICY_IMPLICIT_DENY},
    };
    for (size_t r = 0; r < sizeof(reqs) / sizeof(reqs[0]); r++) {
        policy_decision_t got = policy_decide(&set, &reqs[r].req, NULL);
        if (got != reqs[r].want) {
            fprintf(stderr, "%s: got %s, want %s\n", reqs[r].label, decision_name(got),
                    decision_name(reqs[r].want));
            return 1;
        }
    }

    volatile unsigned sink = 0;
    printf(
        "policy_decide: %d policies x %d statements, %zu context keys, %d runs of %.1f s, median\n",
        N_POLICIES, N_STMTS, sizeof(CTX) / sizeof(CTX[0]), runs, seconds);
    printf("%-14s %-13s %16s %12s   %s\n", "request", "decision", "decisions/s", "ns/decision",
           "runs (decisions/s)");
    for (size_t r = 0; r < sizeof(reqs) / sizeof(reqs[0]); r++) {
        double v[100], copy[100];
        for (int k = 0; k < runs; k++)
            copy[k] = v[k] = decide_rate(&set, &reqs[r].req, seconds, &sink);
        double m = median(copy, runs);
        printf("%-14s %-13s %16.0f %12.1f  ", reqs[r].label, decision_name(reqs[r].want), m,
               1e9 / m);
        for (int k = 0; k < runs; k++) printf(" %.0f", v[k]);
        printf("\n");
    }
    double pv[100];
    for (int k = 0; k < runs; k++) pv[k] = parse_us(docs, seconds / 2, &sink);
    printf("%-14s %-13s %16s %12.2f   (us per policy of %zu bytes on average, %d statements)\n",
           "policy_parse", "-", "-", median(pv, runs), total / N_POLICIES, N_STMTS);
    for (int i = 0; i < N_POLICIES; i++) {
        policy_free(pols[i]);
        free(docs[i]);
    }
    return sink == 0xFFFFFFFFu ? 3 : 0; /* keeps sink alive */
}
