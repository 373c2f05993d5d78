/* validate.c - model constraint checks on a decoded value tree: required, lengths,
 * ranges, enums, patterns (PCRE2, full match as Java's matches()). Messages follow the
 * Coral wording AWS services answer with; ec2 uses its own. */
#include "proto/proto.h"

#include "core/log.h"
#include "core/mem.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define VAL_MAX_ERRORS 10
#define VAL_MAX_DEPTH  64

static pcre2_code **val_patterns;
static size_t val_skipped;
static pthread_once_t val_once = PTHREAD_ONCE_INIT;

static void val_compile_all(void)
{
    val_patterns = xcalloc(model_n_patterns ? model_n_patterns : 1, sizeof(*val_patterns));
    for (size_t i = 0; i < model_n_patterns; i++) {
        int code;
        PCRE2_SIZE off;
        val_patterns[i] =
            pcre2_compile((PCRE2_SPTR)model_patterns[i], PCRE2_ZERO_TERMINATED,
                          PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOTALL, &code, &off, NULL);
        if (!val_patterns[i]) {
            val_skipped++;
            log_warn("model pattern not enforced", "\"index\":%zu,\"pcre2_error\":%d", i, code);
        } else {
            pcre2_jit_compile(val_patterns[i], PCRE2_JIT_COMPLETE);
        }
    }
}

bool proto_patterns_init(void)
{
    pthread_once(&val_once, val_compile_all);
    return val_skipped == 0;
}

size_t proto_patterns_skipped(void)
{
    proto_patterns_init();
    return val_skipped;
}

/* Full match of s against model pattern i; true when the pattern is not enforced. */
static bool val_match(int i, const char *s, size_t n)
{
    proto_patterns_init();
    pcre2_code *re = val_patterns[i];
    if (!re) return true;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    int rc = pcre2_match(re, (PCRE2_SPTR)s, n, 0, PCRE2_ANCHORED | PCRE2_ENDANCHORED, md, NULL);
    pcre2_match_data_free(md);
    return rc >= 0;
}

typedef struct val {
    const model_service_t *svc;
    buf_t path;
    buf_t msg;
    int count;
    bool ec2;
    err_t first; /* the code of the first failure */
} val_t;

void proto_render_value(buf_t *b, const cJSON *n)
{
    if (cJSON_IsString(n)) {
        buf_adds(b, n->valuestring);
    } else if (cJSON_IsNumber(n)) {
        double d = n->valuedouble;
        if (d == (double)(long long)d)
            buf_printf(b, "%lld", (long long)d);
        else
            buf_printf(b, "%g", d);
    } else if (cJSON_IsBool(n)) {
        buf_adds(b, cJSON_IsTrue(n) ? "true" : "false");
    } else if (cJSON_IsArray(n)) {
        buf_addc(b, '[');
        for (const cJSON *c = n->child; c; c = c->next) {
            proto_render_value(b, c);
            if (c->next) buf_adds(b, ", ");
        }
        buf_addc(b, ']');
    } else if (cJSON_IsObject(n)) {
        buf_adds(b, "{...}");
    }
}

/* Records one failure. n may be NULL (a missing value). */
static void val_fail(val_t *v, err_t code, const cJSON *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void val_fail(val_t *v, err_t code, const cJSON *n, const char *fmt, ...)
{
    v->count++;
    if (!v->first) v->first = code;
    if (v->count > VAL_MAX_ERRORS || (v->ec2 && v->count > 1)) return;
    buf_t e; /* one whole entry, appended only if it fits */
    buf_init(&e, v->msg.max);
    if (v->ec2) {
        /* EC2 speaks of the parameter by name, one problem at a time. */
        const char *dot = strrchr(buf_str(&v->path), '.');
        const char *param = dot ? dot + 1 : buf_str(&v->path);
        if (!n) {
            buf_printf(&e, "The request must contain the parameter %c%s",
                       param[0] >= 'a' && param[0] <= 'z' ? param[0] - 32 : param[0], param + 1);
            goto append;
        }
        buf_adds(&e, "Value (");
        proto_render_value(&e, n);
        buf_printf(&e, ") for parameter %s is invalid. ", param);
    } else {
        buf_adds(&e, "Value ");
        if (n) {
            buf_addc(&e, '\'');
            proto_render_value(&e, n);
            buf_addc(&e, '\'');
        } else {
            buf_adds(&e, "null");
        }
        buf_printf(&e, " at '%s' failed to satisfy constraint: ", buf_str(&v->path));
    }
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&e, fmt, ap);
    va_end(ap);
append:
    if (v->msg.len + e.len + 2 <= v->msg.max) {
        if (v->msg.len) buf_adds(&v->msg, "; ");
        buf_addspan(&v->msg, buf_span(&e));
    }
    buf_free(&e);
}

/* Length in Unicode code points of UTF-8 text (continuation bytes not counted). */
static int64_t val_utf8_len(const char *s)
{
    int64_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void val_length(val_t *v, const model_shape_t *s, const cJSON *n, int64_t len)
{
    if ((s->flags & MSF_HAS_MIN) && len < s->min)
        val_fail(v, ERR_VALIDATION, n, "Member must have length greater than or equal to %lld",
                 (long long)s->min);
    if ((s->flags & MSF_HAS_MAX) && len > s->max)
        val_fail(v, ERR_VALIDATION, n, "Member must have length less than or equal to %lld",
                 (long long)s->max);
}

static void val_node(val_t *v, uint16_t shape_idx, const cJSON *n, int depth);

static void val_push(val_t *v, const char *fmt, const char *a, int i)
{
    if (v->path.len) buf_addc(&v->path, '.');
    if (a)
        proto_path_member(&v->path, a);
    else
        buf_printf(&v->path, fmt, i);
}

static void val_pop(val_t *v, size_t len)
{
    v->path.len = len;
    if (v->path.p) v->path.p[len] = '\0';
}

static void val_struct(val_t *v, const model_shape_t *s, const cJSON *n, int depth)
{
    for (uint16_t i = 0; i < s->n_members; i++) {
        const model_member_t *m = &v->svc->members[s->first_member + i];
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(n, m->name);
        size_t base = v->path.len;
        if (v->ec2) {
            if (v->path.len) buf_addc(&v->path, '.');
            buf_adds(&v->path, m->wire);
        } else {
            val_push(v, NULL, m->name, 0);
        }
        if (!c || cJSON_IsNull(c)) {
            if (m->required) val_fail(v, ERR_MISSING_PARAMETER, NULL, "Member must not be null");
        } else {
            val_node(v, m->shape, c, depth + 1);
        }
        val_pop(v, base);
    }
}

/* True when n has the JSON type of shape s (as proto_conform leaves it); else records a
 * failure naming the type. */
static bool val_type(val_t *v, const model_shape_t *s, const cJSON *n)
{
    static const char *const want[] = {
        [MT_STRUCTURE] = "a structure", [MT_LIST] = "a list",          [MT_MAP] = "a map",
        [MT_STRING] = "a string",       [MT_INTEGER] = "an integer",   [MT_LONG] = "an integer",
        [MT_BOOLEAN] = "a boolean",     [MT_DOUBLE] = "a number",      [MT_FLOAT] = "a number",
        [MT_TIMESTAMP] = "a timestamp", [MT_BLOB] = "a base64 string",
    };
    bool ok;
    switch ((model_type_t)s->type) {
    case MT_STRUCTURE:
    case MT_MAP:
        ok = cJSON_IsObject(n);
        break;
    case MT_LIST:
        ok = cJSON_IsArray(n);
        break;
    case MT_STRING:
    case MT_BLOB:
        ok = cJSON_IsString(n);
        break;
    case MT_BOOLEAN:
        ok = cJSON_IsBool(n);
        break;
    default:
        ok = cJSON_IsNumber(n);
        break;
    }
    if (!ok) val_fail(v, ERR_VALIDATION, n, "Member must be %s", want[s->type]);
    return ok;
}

static void val_node(val_t *v, uint16_t shape_idx, const cJSON *n, int depth)
{
    const model_shape_t *s = model_shape(v->svc, shape_idx);
    if (depth > VAL_MAX_DEPTH || !val_type(v, s, n)) return;
    switch ((model_type_t)s->type) {
    case MT_STRUCTURE:
        val_struct(v, s, n, depth);
        return;
    case MT_LIST: {
        val_length(v, s, n, cJSON_GetArraySize(n));
        int i = 1;
        for (const cJSON *c = n->child; c; c = c->next, i++) {
            size_t base = v->path.len;
            val_push(v, "%d.member", NULL, i);
            val_node(v, s->member, c, depth + 1);
            val_pop(v, base);
        }
        return;
    }
    case MT_MAP: {
        val_length(v, s, n, cJSON_GetArraySize(n));
        const model_shape_t *ks = model_shape(v->svc, s->key);
        for (const cJSON *c = n->child; c; c = c->next) {
            size_t base = v->path.len;
            if (v->path.len) buf_addc(&v->path, '.');
            buf_adds(&v->path, c->string ? c->string : "");
            cJSON *key = cJSON_CreateString(c->string ? c->string : "");
            val_node(v, s->key, key, depth + 1);
            (void)ks;
            cJSON_Delete(key);
            val_node(v, s->value, c, depth + 1);
            val_pop(v, base);
        }
        return;
    }
    case MT_STRING: {
        const char *str = n->valuestring;
        val_length(v, s, n, val_utf8_len(str));
        if (s->n_enums) {
            bool found = false;
            for (uint16_t i = 0; i < s->n_enums && !found; i++) found = !strcmp(s->enums[i], str);
            if (!found) {
                buf_t set;
                buf_init(&set, 4096);
                for (uint16_t i = 0; i < s->n_enums; i++)
                    buf_printf(&set, "%s%s", i ? ", " : "", s->enums[i]);
                val_fail(v, ERR_VALIDATION, n, "Member must satisfy enum value set: [%s]",
                         buf_str(&set));
                buf_free(&set);
            }
        }
        if (s->pattern >= 0 && !val_match(s->pattern, str, strlen(str)))
            val_fail(v, ERR_VALIDATION, n, "Member must satisfy regular expression pattern: %s",
                     model_pattern_texts[s->pattern]);
        return;
    }
    case MT_BLOB:
        val_length(v, s, n, (int64_t)(strlen(n->valuestring) * 3 / 4));
        return;
    case MT_INTEGER:
    case MT_LONG:
    case MT_DOUBLE:
    case MT_FLOAT:
        if ((s->flags & MSF_HAS_MIN) && n->valuedouble < (double)s->min)
            val_fail(v, ERR_VALIDATION, n, "Member must have value greater than or equal to %lld",
                     (long long)s->min);
        if ((s->flags & MSF_HAS_MAX) && n->valuedouble > (double)s->max)
            val_fail(v, ERR_VALIDATION, n, "Member must have value less than or equal to %lld",
                     (long long)s->max);
        return;
    case MT_BOOLEAN:
    case MT_TIMESTAMP:
        return;
    }
}

err_t proto_validate(const model_service_t *svc, uint16_t shape, const cJSON *tree, errbuf_t *eb)
{
    if (shape == MODEL_NONE || !tree) return ERR_OK;
    val_t v = {.svc = svc, .ec2 = svc->protocol == MP_EC2};
    buf_init(&v.path, 4096);
    buf_init(&v.msg, sizeof(eb->msg) - 64);
    val_node(&v, shape, tree, 0);
    err_t rc = ERR_OK;
    if (v.count) {
        rc = v.ec2 ? v.first : ERR_VALIDATION;
        if (v.ec2)
            err_fail(eb, rc, "%s", buf_str(&v.msg));
        else
            err_fail(eb, rc, "%d validation error%s detected: %s", v.count, v.count == 1 ? "" : "s",
                     buf_str(&v.msg));
    }
    buf_free(&v.path);
    buf_free(&v.msg);
    return rc;
}

void proto_path_member(buf_t *path, const char *member)
{
    if (!member[0]) return;
    char c = member[0];
    buf_addc(path, c >= 'A' && c <= 'Z' ? (char)(c + 32) : c);
    buf_adds(path, member + 1);
}
