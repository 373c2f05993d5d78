/* seal.c - AES-256-GCM sealing of secrets with a per-deployment key file. */
#include "auth/seal.h"

#include "core/enc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

err_t seal_open(seal_t *s, const char *dir, bool create, ids_t *ids, errbuf_t *eb)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/master.key", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        unsigned char extra;
        ssize_t n = read(fd, s->key, sizeof(s->key));
        ssize_t more = n == (ssize_t)sizeof(s->key) ? read(fd, &extra, 1) : 0;
        close(fd);
        if (n != (ssize_t)sizeof(s->key) || more != 0)
            return err_fail(eb, ERR_STORE,
                            "key file %s is damaged (%s; want %zu bytes): restore it from a "
                            "backup; the database's secrets are sealed with it",
                            path, n <= 0 ? "empty" : "wrong size", sizeof(s->key));
        return ERR_OK;
    }
    if (errno != ENOENT)
        return err_fail(eb, ERR_STORE, "cannot read %s: %s", path, strerror(errno));
    if (!create)
        return err_fail(eb, ERR_STORE,
                        "key file %s is missing, but the database beside it holds secrets sealed "
                        "with it: restore it from a backup (only a first start creates it)",
                        path);
    ids->fill(ids, s->key, sizeof(s->key));
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return err_fail(eb, ERR_STORE, "cannot create %s: %s", path, strerror(errno));
    ssize_t n = write(fd, s->key, sizeof(s->key));
    int sync_rc = fsync(fd);
    close(fd);
    if (n != (ssize_t)sizeof(s->key) || sync_rc != 0)
        return err_fail(eb, ERR_STORE, "cannot write %s", path);
    return ERR_OK;
}

/* No length limit of its own: the blob is allocated for plain (GCM's ciphertext is as
 * long as its plaintext), so every value a caller accepts seals. The format is the one of
 * every build before (v1: nonce | ciphertext | tag). */
bool seal_seal(const seal_t *s, ids_t *ids, span_t plain, buf_t *out)
{
    if (plain.n > (size_t)INT_MAX - 64) return false;
    unsigned char *blob = malloc(12 + plain.n + 16);
    if (!blob) return false;
    ids->fill(ids, blob, 12);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, fin = 0;
    bool ok =
        c && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, s->key, blob) == 1 &&
        EVP_EncryptUpdate(c, blob + 12, &len, (const unsigned char *)plain.p, (int)plain.n) == 1 &&
        EVP_EncryptFinal_ex(c, blob + 12 + len, &fin) == 1 &&
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, blob + 12 + len + fin) == 1;
    EVP_CIPHER_CTX_free(c);
    ok = ok && buf_adds(out, "v1:") && enc_base64(out, blob, (size_t)(12 + len + fin + 16));
    free(blob);
    return ok;
}

bool seal_open_value(const seal_t *s, span_t sealed, buf_t *out)
{
    if (!span_starts_with(sealed, SPAN_LIT("v1:")) || sealed.n > (size_t)INT_MAX) return false;
    buf_t raw;
    buf_init(&raw, sealed.n);
    bool ok = enc_base64_decode(&raw, span_make(sealed.p + 3, sealed.n - 3)) && raw.len >= 28;
    int clen = ok ? (int)raw.len - 28 : 0;
    unsigned char *plain = ok ? malloc((size_t)clen + 16) : NULL;
    int len = 0, fin = 0;
    EVP_CIPHER_CTX *c = plain ? EVP_CIPHER_CTX_new() : NULL;
    const unsigned char *b = (const unsigned char *)raw.p;
    ok = ok && c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, s->key, b) == 1 &&
         EVP_DecryptUpdate(c, plain, &len, b + 12, clen) == 1 &&
         EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)(b + 12 + clen)) == 1 &&
         EVP_DecryptFinal_ex(c, plain + len, &fin) == 1;
    EVP_CIPHER_CTX_free(c);
    buf_free(&raw);
    ok = ok && buf_add(out, plain, (size_t)(len + fin));
    free(plain);
    return ok;
}
