/* seal.c - AES-256-GCM sealing of secrets under a key ring read from a key file. */
#include "auth/seal.h"

#include "core/crypto.h"
#include "core/enc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEAL_NONCE 12
#define SEAL_TAG   16

void seal_path(const char *dir, const char *key_file, char *out, size_t cap)
{
    if (key_file && *key_file)
        snprintf(out, cap, "%s", key_file);
    else
        snprintf(out, cap, "%s/master.key", dir && *dir ? dir : ".");
}

/* Appends key to the ring with its id; ERR_VALIDATION when the ring is full or holds it. */
static err_t seal_add_key(seal_t *s, const unsigned char *key, int line, errbuf_t *eb)
{
    unsigned char h[CRYPTO_SHA256_LEN];
    char hex[2 * CRYPTO_SHA256_LEN + 1];
    crypto_sha256(key, SEAL_KEY_LEN, h);
    enc_hex(h, 4, hex);
    for (int i = 0; i < s->n; i++)
        if (!memcmp(s->key[i], key, SEAL_KEY_LEN))
            return err_fail(eb, ERR_VALIDATION, "line %d repeats key %s", line, hex);
    if (s->n == SEAL_KEYS_MAX)
        return err_fail(eb, ERR_VALIDATION, "line %d: more than %d keys", line, SEAL_KEYS_MAX);
    memcpy(s->key[s->n], key, SEAL_KEY_LEN);
    snprintf(s->id[s->n], sizeof(s->id[0]), "%.8s", hex);
    s->n++;
    return ERR_OK;
}

static int seal_hexval(unsigned char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

err_t seal_keyring_parse(seal_t *s, const unsigned char *data, size_t n, errbuf_t *eb)
{
    s->n = 0;
    if (n == SEAL_KEY_LEN) return seal_add_key(s, data, 1, eb); /* the raw single-key file */
    err_t rc = ERR_OK;
    int line = 0;
    for (size_t at = 0; at < n && !rc;) {
        const unsigned char *nl = memchr(data + at, '\n', n - at);
        size_t end = nl ? (size_t)(nl - data) : n, b = at, e = end;
        at = end + 1;
        line++;
        while (b < e && isspace(data[b])) b++;
        while (e > b && isspace(data[e - 1])) e--;
        if (b == e || data[b] == '#') continue;
        unsigned char key[SEAL_KEY_LEN];
        bool ok = e - b == 2 * SEAL_KEY_LEN;
        for (size_t i = 0; ok && i < SEAL_KEY_LEN; i++) {
            int hi = seal_hexval(data[b + 2 * i]), lo = seal_hexval(data[b + 2 * i + 1]);
            ok = hi >= 0 && lo >= 0;
            key[i] = (unsigned char)(ok ? hi << 4 | lo : 0);
        }
        rc = ok ? seal_add_key(s, key, line, eb)
                : err_fail(eb, ERR_VALIDATION,
                           "line %d is not a key (want 64 hex digits: openssl rand -hex 32)", line);
        explicit_bzero(key, sizeof(key));
    }
    if (!rc && s->n == 0)
        rc = err_fail(eb, ERR_VALIDATION, "holds no key (want 64 hex digits a line)");
    if (rc) explicit_bzero(s->key, sizeof(s->key)), s->n = 0;
    return rc;
}

/* Reads the key file at s->path into the ring; *missing tells ENOENT apart. */
static err_t seal_read(seal_t *s, bool *missing, errbuf_t *eb)
{
    *missing = false;
    int fd = open(s->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *missing = errno == ENOENT;
        return err_fail(eb, ERR_STORE, "cannot read key file %s: %s", s->path, strerror(errno));
    }
    unsigned char data[SEAL_FILE_MAX + 1];
    size_t n = 0;
    ssize_t r = 0;
    while (n < sizeof(data) && (r = read(fd, data + n, sizeof(data) - n)) > 0) n += (size_t)r;
    close(fd);
    err_t rc = ERR_OK;
    errbuf_t why = {{0}};
    if (r < 0)
        rc = err_fail(eb, ERR_STORE, "cannot read key file %s: %s", s->path, strerror(errno));
    else if (n > SEAL_FILE_MAX)
        rc = err_fail(eb, ERR_STORE, "key file %s is damaged (larger than %d bytes)", s->path,
                      SEAL_FILE_MAX);
    else if (seal_keyring_parse(s, data, n, &why))
        rc = err_fail(eb, ERR_STORE,
                      "key file %s is damaged (%s): restore it from a backup or from another "
                      "node; the database's secrets are sealed with it",
                      s->path, n == 0 ? "empty" : why.msg);
    explicit_bzero(data, sizeof(data));
    return rc;
}

/* Creates the key file at s->path with one new key (O_EXCL: never over an existing one). */
static err_t seal_create(seal_t *s, ids_t *ids, errbuf_t *eb)
{
    unsigned char key[SEAL_KEY_LEN];
    char text[512];
    char hex[2 * SEAL_KEY_LEN + 1];
    ids->fill(ids, key, sizeof(key));
    enc_hex(key, sizeof(key), hex);
    int len = snprintf(text, sizeof(text),
                       "# catalogd sealing keys: one a line (64 hex digits); the first seals,\n"
                       "# every one opens. Every node of a cluster holds the same file; see\n"
                       "# docs/internals/seal.md (sharing and rotation).\n%s\n",
                       hex);
    s->n = 0;
    err_t rc = seal_add_key(s, key, 1, eb);
    int fd = rc ? -1 : open(s->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (!rc && fd < 0)
        rc = err_fail(eb, ERR_STORE, "cannot create key file %s: %s", s->path, strerror(errno));
    if (fd >= 0) {
        ssize_t w = write(fd, text, (size_t)len);
        int sync_rc = fsync(fd);
        close(fd);
        if (w != len || sync_rc != 0) rc = err_fail(eb, ERR_STORE, "cannot write %s", s->path);
    }
    explicit_bzero(key, sizeof(key));
    explicit_bzero(text, sizeof(text));
    explicit_bzero(hex, sizeof(hex));
    return rc;
}

err_t seal_open(seal_t *s, const char *dir, const char *key_file, bool create, ids_t *ids,
                errbuf_t *eb)
{
    memset(s, 0, sizeof(*s));
    seal_path(dir, key_file, s->path, sizeof(s->path));
    bool missing = false;
    errbuf_t why = {{0}};
    err_t rc = seal_read(s, &missing, &why);
    if (!rc) return ERR_OK;
    if (!missing) return err_fail(eb, rc, "%s", why.msg);
    if (!create)
        return err_fail(eb, ERR_STORE,
                        "key file %s is missing, but the database holds secrets sealed with it: "
                        "restore it from a backup or copy it from a node of this cluster (only a "
                        "first start creates it)",
                        s->path);
    return seal_create(s, ids, eb);
}

/* No length limit of its own: the blob is allocated for plain (GCM's ciphertext is as
 * long as its plaintext), so every value a caller accepts seals. */
bool seal_seal(const seal_t *s, ids_t *ids, span_t plain, buf_t *out)
{
    if (plain.n > (size_t)INT_MAX - 64 || s->n < 1) return false;
    unsigned char *blob = malloc(SEAL_NONCE + plain.n + SEAL_TAG);
    if (!blob) return false;
    ids->fill(ids, blob, SEAL_NONCE);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, fin = 0;
    bool ok =
        c && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, s->key[0], blob) == 1 &&
        EVP_EncryptUpdate(c, blob + SEAL_NONCE, &len, (const unsigned char *)plain.p,
                          (int)plain.n) == 1 &&
        EVP_EncryptFinal_ex(c, blob + SEAL_NONCE + len, &fin) == 1 &&
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, SEAL_TAG, blob + SEAL_NONCE + len + fin) == 1;
    EVP_CIPHER_CTX_free(c);
    ok = ok && buf_adds(out, "v2:") && buf_adds(out, s->id[0]) && buf_adds(out, ":") &&
         enc_base64(out, blob, (size_t)(SEAL_NONCE + len + fin + SEAL_TAG));
    free(blob);
    return ok;
}

/* Opens the raw blob (nonce | ciphertext | tag) under key into out. */
static bool seal_decrypt(const unsigned char *key, const unsigned char *b, size_t n, buf_t *out)
{
    if (n < SEAL_NONCE + SEAL_TAG || n > (size_t)INT_MAX) return false;
    int clen = (int)(n - SEAL_NONCE - SEAL_TAG);
    unsigned char *plain = malloc((size_t)clen + SEAL_TAG);
    int len = 0, fin = 0;
    EVP_CIPHER_CTX *c = plain ? EVP_CIPHER_CTX_new() : NULL;
    bool ok = c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, b) == 1 &&
              EVP_DecryptUpdate(c, plain, &len, b + SEAL_NONCE, clen) == 1 &&
              EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, SEAL_TAG,
                                  (void *)(b + SEAL_NONCE + clen)) == 1 &&
              EVP_DecryptFinal_ex(c, plain + len, &fin) == 1;
    EVP_CIPHER_CTX_free(c);
    ok = ok && buf_add(out, plain, (size_t)(len + fin));
    if (plain) explicit_bzero(plain, (size_t)clen + SEAL_TAG);
    free(plain);
    return ok;
}

bool seal_value_key_id(span_t sealed, char id[9])
{
    if (!span_starts_with(sealed, SPAN_LIT("v2:")) || sealed.n < 12 || sealed.p[11] != ':')
        return false;
    for (size_t i = 3; i < 11; i++)
        if (!isxdigit((unsigned char)sealed.p[i])) return false;
    memcpy(id, sealed.p + 3, 8);
    id[8] = '\0';
    return true;
}

bool seal_open_key(const seal_t *s, span_t sealed, buf_t *out, int *key)
{
    *key = -1;
    char id[9];
    bool v2 = seal_value_key_id(sealed, id);
    size_t skip = v2 ? 12 : 3;
    if (!v2 && !span_starts_with(sealed, SPAN_LIT("v1:"))) return false;
    buf_t raw;
    buf_init(&raw, sealed.n);
    bool ok = enc_base64_decode(&raw, span_make(sealed.p + skip, sealed.n - skip));
    for (int i = 0; ok && i < s->n && *key < 0; i++) {
        if (v2 && strcmp(s->id[i], id)) continue;
        if (seal_decrypt(s->key[i], (const unsigned char *)raw.p, raw.len, out)) *key = i;
    }
    buf_free(&raw);
    return *key >= 0;
}

bool seal_open_value(const seal_t *s, span_t sealed, buf_t *out)
{
    int key;
    return seal_open_key(s, sealed, out, &key);
}
