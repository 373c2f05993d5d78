/* gen_input.h - shared by fuzz_invoke.c and fuzz_runbook.c: a fuzzer's bytes drive a
 * generator that builds an operation's input from its model shape, mostly well typed and
 * sometimes with one value of a type the model does not allow, and a store/app in a temp
 * dir to run it against. gen_value records whether it placed such a value (*bad), so a
 * target can require that the call be refused. */
#ifndef CATALOGD_FUZZ_GEN_INPUT_H
#define CATALOGD_FUZZ_GEN_INPUT_H

#include "api/api.h"
#include "app.h"
#include "proto/proto.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>

typedef struct gen {
    const uint8_t *p;
    size_t n;
    int nodes;   /* values built, bounded */
    bool no_dup; /* never give a member twice (documents refuse duplicate keys) */
} gen_t;

static inline uint8_t gen_byte(gen_t *g)
{
    if (!g->n) return 0;
    g->n--;
    return *g->p++;
}

/* True with probability k/256. */
static inline bool gen_chance(gen_t *g, int k)
{
    return gen_byte(g) < k;
}

static const char *const gen_words[] = {
    "",
    "x",
    "test",
    "catalogd",
    "/",
    "/a/b/",
    "en",
    "123456789012",
    "us-east-1",
    "arn:aws:iam::123456789012:role/r",
    "arn:aws:iam::123456789012:user/u",
    "arn:aws:iam::aws:policy/AdministratorAccess",
    "i-0123456789abcdef0",
    "ami-0abcdef1234567890",
    "t2.micro",
    "port-abcdefghijklm",
    "prod-abcdefghijklm",
    "pa-abcdefghijklm",
    "act-abcdefghijklm",
    "AWS-RestartEC2Instance",
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\","
    "\"Resource\":\"*\"}]}",
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{"
    "\"Service\":\"ssm.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}",
    "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  W:\n    Type: "
    "AWS::CloudFormation::WaitConditionHandle\n",
    "{\"Resources\":{\"W\":{\"Type\":\"AWS::CloudFormation::WaitConditionHandle\"}}}",
    "{\"schemaVersion\":\"0.3\",\"mainSteps\":[{\"name\":\"s\",\"action\":\"aws:sleep\","
    "\"inputs\":{\"Duration\":\"PT1S\"}}]}",
    "2020-01-01T00:00:00Z",
    "Automation",
    "JSON",
    "YAML",
    "running",
    "stopped",
    "CLOUD_FORMATION_TEMPLATE",
    "SSM_AUTOMATION",
    "Name",
    "Value",
    "true",
    "5",
};
#define GEN_N_WORDS (sizeof(gen_words) / sizeof(gen_words[0]))

/* A string: a word, an enum value of the shape, or a few printable bytes of the input. */
static inline cJSON *gen_string(gen_t *g, const model_shape_t *s)
{
    uint8_t k = gen_byte(g);
    if (s && s->n_enums && k < 128) return cJSON_CreateString(s->enums[gen_byte(g) % s->n_enums]);
    if (k < 224) return cJSON_CreateString(gen_words[gen_byte(g) % GEN_N_WORDS]);
    char raw[17];
    size_t len = gen_byte(g) % 16, i;
    for (i = 0; i < len && g->n; i++) raw[i] = (char)(' ' + gen_byte(g) % 95);
    raw[i] = '\0';
    return cJSON_CreateString(raw);
}

/* A value of a JSON type that shape s does not allow (never null, which a structure
 * simply drops). */
static inline cJSON *gen_wrong(gen_t *g, const model_shape_t *s)
{
    for (int tries = 0;; tries++) {
        int kind = (gen_byte(g) + tries) % 5; /* string, number, bool, list, object */
        bool ok;
        switch ((model_type_t)s->type) {
        case MT_STRUCTURE:
        case MT_MAP:
            ok = kind != 4;
            break;
        case MT_LIST:
            ok = kind != 3;
            break;
        case MT_STRING:
            ok = kind != 0;
            break;
        case MT_BLOB:
        case MT_TIMESTAMP: /* text may be base64 or a date, a number a time */
            ok = kind >= 2;
            break;
        case MT_BOOLEAN:
            ok = kind != 2;
            break;
        default:
            ok = kind != 1;
            break;
        }
        if (!ok) continue;
        switch (kind) {
        case 0:
            return cJSON_CreateString("x");
        case 1:
            return cJSON_CreateNumber(gen_chance(g, 128) ? -1 : 5.5);
        case 2:
            return cJSON_CreateBool(gen_chance(g, 128));
        case 3: {
            cJSON *a = cJSON_CreateArray();
            cJSON_AddItemToArray(a, cJSON_CreateString("i-0123456789abcdef0"));
            return a;
        }
        default: {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "a", "b");
            return o;
        }
        }
    }
}

/* True for members the generator leaves out: URLs (a fetch would leave the machine). */
static inline bool gen_skip_member(const char *name)
{
    return strstr(name, "URL") || strstr(name, "Url");
}

/* A value for shape idx of svc. bad_rate: chance (of 256) of a wrong-typed value at each
 * node; *bad is set when one was placed where the call must notice it. */
static inline cJSON *gen_value(gen_t *g, const model_service_t *svc, uint16_t idx, int depth,
                               int bad_rate, bool *bad)
{
    const model_shape_t *s = model_shape(svc, idx);
    g->nodes++;
    if (depth > 0 && bad_rate && gen_chance(g, bad_rate)) {
        *bad = true;
        return gen_wrong(g, s);
    }
    bool deep = depth > 5 || g->nodes > 200;
    switch ((model_type_t)s->type) {
    case MT_STRUCTURE: {
        cJSON *o = cJSON_CreateObject();
        for (uint16_t i = 0; i < s->n_members && !deep; i++) {
            const model_member_t *m = &svc->members[s->first_member + i];
            if (gen_skip_member(m->name) || !gen_chance(g, m->required ? 230 : 90)) continue;
            if (!g->no_dup && gen_chance(g, 8)) { /* given twice: only the last counts */
                bool ignored = false;
                cJSON_AddItemToObject(o, m->name,
                                      gen_value(g, svc, m->shape, depth + 1, bad_rate, &ignored));
            }
            cJSON_AddItemToObject(o, m->name,
                                  gen_value(g, svc, m->shape, depth + 1, bad_rate, bad));
        }
        if (gen_chance(g, 8)) cJSON_AddStringToObject(o, "NotInTheModel", "x");
        return o;
    }
    case MT_LIST: {
        cJSON *a = cJSON_CreateArray();
        int n = deep ? 0 : gen_byte(g) % 4;
        for (int i = 0; i < n; i++)
            cJSON_AddItemToArray(a, gen_value(g, svc, s->member, depth + 1, bad_rate, bad));
        return a;
    }
    case MT_MAP: {
        cJSON *o = cJSON_CreateObject();
        int n = deep ? 0 : gen_byte(g) % 3;
        for (int i = 0; i < n; i++) {
            cJSON *k = gen_string(g, model_shape(svc, s->key));
            if (!cJSON_GetObjectItemCaseSensitive(o, k->valuestring))
                cJSON_AddItemToObject(o, k->valuestring,
                                      gen_value(g, svc, s->value, depth + 1, bad_rate, bad));
            cJSON_Delete(k);
        }
        return o;
    }
    case MT_STRING:
        return gen_string(g, s);
    case MT_BLOB:
        return cJSON_CreateString(gen_chance(g, 200) ? "aGVsbG8=" : "");
    case MT_BOOLEAN:
        return cJSON_CreateBool(gen_chance(g, 128));
    case MT_INTEGER:
    case MT_LONG: {
        static const double ints[] = {0, 1, -1, 2, 5, 10, 20, 100, 1000, 3600, 2147483647.0};
        return cJSON_CreateNumber(ints[gen_byte(g) % (sizeof(ints) / sizeof(ints[0]))]);
    }
    case MT_DOUBLE:
    case MT_FLOAT:
        return cJSON_CreateNumber((double)(int8_t)gen_byte(g) / 4.0);
    case MT_TIMESTAMP:
        return gen_chance(g, 128) ? cJSON_CreateNumber(1577836800.0 + gen_byte(g))
                                  : cJSON_CreateString("2020-01-01T00:00:00Z");
    }
    return cJSON_CreateNull();
}

/* The account root, as authentication would have made it. */
static inline void gen_root(const app_t *app, auth_principal_t *who)
{
    memset(who, 0, sizeof(*who));
    who->kind = AUTH_ROOT;
    snprintf(who->account, sizeof(who->account), "%s", app->cfg.account_id);
    snprintf(who->region, sizeof(who->region), "%s", app->cfg.region);
    snprintf(who->arn, sizeof(who->arn), "arn:aws:iam::%s:root", app->cfg.account_id);
    snprintf(who->user_id, sizeof(who->user_id), "%s", app->cfg.account_id);
    snprintf(who->name, sizeof(who->name), "root");
    snprintf(who->path, sizeof(who->path), "/");
    snprintf(who->region, sizeof(who->region), "%s", app->cfg.region); /* signed for it */
}

static app_t gen_the_app;
static char gen_dir[] = "/tmp/catalogd-fuzz-XXXXXX";

static inline int gen_unlink(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* At a normal exit (libFuzzer's, past -max_total_time or -runs): stops the engine, closes
 * the store and removes its directory. A crash leaves it for a look. */
static inline void gen_cleanup(void)
{
    app_close(&gen_the_app);
    nftw(gen_dir, gen_unlink, 16, FTW_DEPTH | FTW_PHYS);
}

/* Opens an app over a new store in a temp dir, removed at exit. workers: the engine's
 * worker threads (started only when > 0). */
static inline app_t *gen_app(int workers)
{
    app_t *app = &gen_the_app;
    const char *dir = gen_dir;
    if (!mkdtemp(gen_dir)) abort();
    app_config_t cfg;
    app_config_defaults(&cfg);
    snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", dir);
    cfg.sync_full = false;
    cfg.workers = workers > 0 ? workers : 1;
    cfg.ec2_delay_ms = 0;
    cfg.log_level = LOG_ERROR;
    log_setup(LOG_OFF, 2);
    errbuf_t eb = {{0}};
    if (app_open(app, &cfg, &eb) != ERR_OK) {
        fprintf(stderr, "app_open: %s\n", eb.msg);
        abort();
    }
    if (workers > 0 && engine_start(app->engine, &eb) != ERR_OK) abort();
    atexit(gen_cleanup);
    return app;
}

/* An errbuf message must be a terminated, non-empty string. */
static inline void gen_check_msg(const errbuf_t *eb)
{
    if (!memchr(eb->msg, '\0', sizeof(eb->msg)) || !eb->msg[0]) __builtin_trap();
}

#endif
