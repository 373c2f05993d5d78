/* emit.c - a cJSON tree as block YAML (GetDocument's JSON-to-YAML conversion), written
 * here rather than by libfyaml's emitter, which leaks on some scalars and is one more
 * part of that library for hostile input to reach. The output reads back (with
 * yaml_load's core schema, and with YAML 1.1 readers such as PyYAML) as the same tree:
 * a string is left plain only when it cannot be read as anything else. */
#include "yaml/yaml.h"

#include "core/buf.h"
#include "core/mem.h"

#include <stdio.h>
#include <string.h>

/* Words some YAML reader takes for a null, a boolean or a number (1.1 and 1.2). */
static const char *const emit_special[] = {
    "y",    "Y",    "yes",   "Yes",   "YES",   "n",     "N",     "no",    "No",   "NO",
    "true", "True", "TRUE",  "false", "False", "FALSE", "on",    "On",    "ON",   "off",
    "Off",  "OFF",  "null",  "Null",  "NULL",  "~",     ".inf",  ".Inf",  ".INF", ".nan",
    ".NaN", ".NAN", "-.inf", "-.Inf", "-.INF", "+.inf", "+.Inf", "+.INF", "=",    "<<",
};

/* Whether s may be written as a plain scalar and read back as this same string: letters,
 * digits and "_-./:$@ " inside, starting with a letter, "_", "/" or "$", not ending in a
 * blank, no ": " or " #", and not a special word. Anything else is double-quoted. */
static bool emit_plain_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 200) return false;
    char c0 = s[0];
    if (!((c0 >= 'a' && c0 <= 'z') || (c0 >= 'A' && c0 <= 'Z') || c0 == '_' || c0 == '/' ||
          c0 == '$'))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  strchr("_-./:$@ ", c) != NULL;
        if (!ok) return false;
        if (c == ':' && (i + 1 == n || s[i + 1] == ' ')) return false;
        if (c == ' ' && (i + 1 == n || s[i + 1] == '#')) return false;
    }
    for (size_t i = 0; i < sizeof emit_special / sizeof *emit_special; i++)
        if (!strcmp(s, emit_special[i])) return false;
    return true;
}

/* The code point of the UTF-8 sequence at s (its length in *len), or -1 with *len 1 for
 * a byte that starts no valid sequence. */
static long emit_utf8(const unsigned char *s, size_t *len)
{
    unsigned char c = s[0];
    int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    long cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) n = 0;
        if (!n) break;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    *len = n ? (size_t)n : 1;
    return n ? cp : -1;
}

/* s as a double-quoted scalar. Escaped: the quote, the backslash, and every character
 * YAML does not allow raw or may read as a line break (C0 and C1 controls, DEL, U+2028,
 * U+2029, U+FFFE, U+FFFF). */
static void emit_quoted(buf_t *b, const char *s)
{
    buf_addc(b, '"');
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t len;
        long cp = emit_utf8(p, &len);
        char esc[12] = "";
        if (cp == '"' || cp == '\\')
            snprintf(esc, sizeof esc, "\\%c", (char)cp);
        else if (cp == '\n')
            snprintf(esc, sizeof esc, "\\n");
        else if (cp == '\t')
            snprintf(esc, sizeof esc, "\\t");
        else if ((cp >= 0 && cp < 0x20) || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 ||
                 cp == 0x2029 || cp == 0xfffe || cp == 0xffff)
            snprintf(esc, sizeof esc, "\\u%04lx", cp);
        if (esc[0])
            buf_adds(b, esc);
        else
            buf_add(b, p, len);
        p += len;
    }
    buf_addc(b, '"');
}

static void emit_string(buf_t *b, const char *s)
{
    if (emit_plain_ok(s))
        buf_adds(b, s);
    else
        emit_quoted(b, s);
}

/* A scalar, or an empty container, as it goes after "key: " or "- "; false for a
 * non-empty container (which goes on the following lines). */
static bool emit_inline(buf_t *b, const cJSON *v)
{
    if (cJSON_IsString(v)) {
        emit_string(b, v->valuestring);
    } else if (cJSON_IsNumber(v) || cJSON_IsBool(v) || cJSON_IsNull(v)) {
        char *t = cJSON_PrintUnformatted(v);
        buf_adds(b, t);
        cJSON_free(t);
    } else if (!v->child) {
        buf_adds(b, cJSON_IsArray(v) ? "[]" : "{}");
    } else {
        return false;
    }
    return true;
}

static void emit_indent(buf_t *b, int n)
{
    for (int i = 0; i < n; i++) buf_addc(b, ' ');
}

/* The members (or items) of container v at indent; the first line's indent is already
 * written when `started` (v is the value of a "- " entry). */
static void emit_block(buf_t *b, const cJSON *v, int indent, bool started)
{
    for (const cJSON *c = v->child; c; c = c->next) {
        if (!started) emit_indent(b, indent);
        started = false;
        if (cJSON_IsObject(v)) {
            emit_string(b, c->string ? c->string : "");
            buf_addc(b, ':');
            if (cJSON_IsArray(c) && c->child) { /* a list under a key: its "- " one deeper */
                buf_addc(b, '\n');
                emit_block(b, c, indent + 2, false);
                continue;
            }
            buf_addc(b, ' ');
        } else {
            buf_adds(b, "- ");
        }
        size_t mark = b->len;
        if (emit_inline(b, c)) {
            buf_addc(b, '\n');
        } else if (cJSON_IsObject(v)) {
            b->len = mark - 1; /* no blank after "key:" */
            b->p[b->len] = '\0';
            buf_addc(b, '\n');
            emit_block(b, c, indent + 2, false);
        } else {
            emit_block(b, c, indent + 2, true); /* "- " then the first member on its line */
        }
    }
}

char *yaml_emit(const cJSON *v)
{
    buf_t b;
    buf_init(&b, (size_t)1 << 30);
    if (emit_inline(&b, v))
        buf_addc(&b, '\n');
    else
        emit_block(&b, v, 0, false);
    char *out = xstrndup(buf_str(&b), b.len);
    buf_free(&b);
    return out;
}
