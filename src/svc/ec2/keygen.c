/* keygen.c - the cryptography of EC2 key pairs: generating RSA (PEM, PKCS#1) and ED25519
 * (OpenSSH) private keys, reading the public keys ImportKeyPair takes (OpenSSH one-line
 * or RFC 4716), and the fingerprints EC2 computes: for a key EC2 made, the SHA-1 of the
 * PKCS#8 DER private key (RSA); for an imported RSA key, the MD5 of the DER public key;
 * for ED25519, the base64 SHA-256 of the SSH public key blob. */
#include "svc/ec2/ec2_int.h"

#include "core/enc.h"

#include <libssh/libssh.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <stdio.h>
#include <string.h>

/* "aa:bb:..." of n bytes into out (3n bytes). */
static void kg_colon_hex(const unsigned char *d, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[3 * i] = hex[d[i] >> 4];
        out[3 * i + 1] = hex[d[i] & 15];
        out[3 * i + 2] = i + 1 < n ? ':' : '\0';
    }
}

static bool kg_digest(const char *md, const unsigned char *d, size_t n, unsigned char *out,
                      unsigned *outn)
{
    return EVP_Digest(d, n, out, outn, EVP_get_digestbyname(md), NULL) == 1;
}

/* The base64 SHA-256 of key's SSH public blob, as EC2 shows an ED25519 fingerprint. */
static bool kg_sha256_b64(ssh_key key, char *out, size_t cap)
{
    unsigned char *h = NULL;
    size_t hn = 0;
    if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &h, &hn) != 0) return false;
    buf_t b;
    buf_init(&b, 64);
    bool ok = enc_base64(&b, h, hn);
    if (ok) snprintf(out, cap, "%s", buf_str(&b));
    buf_free(&b);
    ssh_clean_pubkey_hash(&h);
    return ok;
}

/* "ssh-<type> <base64>" of key into out. */
static bool kg_openssh_line(ssh_key key, char *out, size_t cap)
{
    char *b64 = NULL;
    if (ssh_pki_export_pubkey_base64(key, &b64) != 0) return false;
    snprintf(out, cap, "%s %s", ssh_key_type_to_char(ssh_key_type(key)), b64);
    ssh_string_free_char(b64);
    return true;
}

static err_t kg_rsa(ec2_keygen_t *k, buf_t *pem, errbuf_t *eb)
{
    EVP_PKEY *pk = EVP_RSA_gen(2048);
    BIO *bio = BIO_new(BIO_s_mem());
    PKCS8_PRIV_KEY_INFO *p8 = pk ? EVP_PKEY2PKCS8(pk) : NULL;
    unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
    unsigned mdn = 0;
    int dn = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, &der) : -1;
    bool ok = pk && bio && dn > 0 && kg_digest("SHA1", der, (size_t)dn, md, &mdn) &&
              PEM_write_bio_PrivateKey_traditional(bio, pk, NULL, NULL, 0, NULL, NULL) == 1;
    if (ok) {
        char *text = NULL;
        long n = BIO_get_mem_data(bio, &text);
        buf_add(pem, text, (size_t)n);
        kg_colon_hex(md, mdn, k->fingerprint);
        /* the public half, as DescribeKeyPairs IncludePublicKey shows it */
        ssh_key sk = NULL;
        ok = ssh_pki_import_privkey_base64(buf_str(pem), NULL, NULL, NULL, &sk) == 0 &&
             kg_openssh_line(sk, k->public_key, sizeof(k->public_key));
        ssh_key_free(sk);
    }
    OPENSSL_free(der);
    PKCS8_PRIV_KEY_INFO_free(p8);
    BIO_free(bio);
    EVP_PKEY_free(pk);
    return ok ? ERR_OK : err_fail(eb, ERR_INTERNAL, "generating an RSA key failed");
}

static err_t kg_ed25519(ec2_keygen_t *k, buf_t *pem, errbuf_t *eb)
{
    ssh_key key = NULL;
    char *b64 = NULL;
    bool ok = ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) == 0 &&
              ssh_pki_export_privkey_base64(key, NULL, NULL, NULL, &b64) == 0 &&
              kg_sha256_b64(key, k->fingerprint, sizeof(k->fingerprint)) &&
              kg_openssh_line(key, k->public_key, sizeof(k->public_key));
    if (ok) buf_add(pem, b64, strlen(b64));
    ssh_string_free_char(b64);
    ssh_key_free(key);
    return ok ? ERR_OK : err_fail(eb, ERR_INTERNAL, "generating an ED25519 key failed");
}

err_t ec2_keygen_create(const char *type, ec2_keygen_t *k, buf_t *private_pem, errbuf_t *eb)
{
    memset(k, 0, sizeof(*k));
    return strcmp(type, "ed25519") ? kg_rsa(k, private_pem, eb) : kg_ed25519(k, private_pem, eb);
}

/* Reads a big-endian length-prefixed field of blob at *off (NULL when it does not fit). */
static const unsigned char *kg_field(const unsigned char *blob, size_t n, size_t *off, size_t *len)
{
    if (*off + 4 > n) return NULL;
    const unsigned char *p = blob + *off;
    *len = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
    if (*len > n - *off - 4) return NULL;
    *off += 4 + *len;
    return p + 4;
}

/* The MD5 of the DER SubjectPublicKeyInfo of the RSA key in SSH blob (e, n), and its bits. */
static bool kg_rsa_md5(const unsigned char *blob, size_t n, char *out, int *bits)
{
    size_t off = 0, tl, el, nl;
    const unsigned char *t = kg_field(blob, n, &off, &tl);
    const unsigned char *e = t ? kg_field(blob, n, &off, &el) : NULL;
    const unsigned char *m = e ? kg_field(blob, n, &off, &nl) : NULL;
    if (!m) return false;
    BIGNUM *bn_e = BN_bin2bn(e, (int)el, NULL), *bn_n = BN_bin2bn(m, (int)nl, NULL);
    *bits = bn_n ? BN_num_bits(bn_n) : 0;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *pk = NULL;
    unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
    unsigned mdn = 0;
    int dn = -1;
    if (bld && bn_e && bn_n && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) &&
        (params = OSSL_PARAM_BLD_to_param(bld)) && ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
        EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) == 1)
        dn = i2d_PUBKEY(pk, &der);
    bool ok = dn > 0 && kg_digest("MD5", der, (size_t)dn, md, &mdn);
    if (ok) kg_colon_hex(md, mdn, out);
    OPENSSL_free(der);
    EVP_PKEY_free(pk);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_e);
    BN_free(bn_n);
    return ok;
}

/* The type and base64 blob of an OpenSSH line ("ssh-rsa AAAA... comment") or an RFC 4716
 * block, copied into type / b64. */
static bool kg_split(const char *text, char *type, size_t tcap, buf_t *b64)
{
    const char *p = text;
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++;
    if (!strncmp(p, "---- BEGIN SSH2 PUBLIC KEY ----", 31)) {
        /* headers ("Key: value", continued with a backslash) then base64 lines */
        const char *end = strstr(p, "---- END SSH2 PUBLIC KEY ----");
        if (!end) return false;
        p = strchr(p, '\n');
        bool cont = false;
        while (p && p < end) {
            p++;
            const char *eol = strchr(p, '\n');
            if (!eol || eol > end) eol = end;
            size_t len = (size_t)(eol - p);
            while (len && (p[len - 1] == '\r' || p[len - 1] == ' ')) len--;
            bool header = cont || memchr(p, ':', len) != NULL;
            cont = header && len && p[len - 1] == '\\';
            if (!header) buf_add(b64, p, len);
            p = eol < end ? eol : NULL;
        }
        /* the type is the blob's first field */
        buf_t raw;
        buf_init(&raw, 1024);
        size_t off = 0, tl = 0;
        const unsigned char *t = NULL;
        if (enc_base64_decode(&raw, span_of(buf_str(b64))))
            t = kg_field((const unsigned char *)raw.p, raw.len, &off, &tl);
        if (t && tl < tcap) snprintf(type, tcap, "%.*s", (int)tl, (const char *)t);
        buf_free(&raw);
        return t && tl < tcap;
    }
    size_t tl = strcspn(p, " \t");
    if (!tl || tl >= tcap || !p[tl]) return false;
    snprintf(type, tcap, "%.*s", (int)tl, p);
    p += tl;
    while (*p == ' ' || *p == '\t') p++;
    buf_add(b64, p, strcspn(p, " \t\r\n"));
    return b64->len > 0;
}

err_t ec2_keygen_import(const char *text, ec2_keygen_t *k, errbuf_t *eb)
{
    memset(k, 0, sizeof(*k));
    char type[64] = "";
    buf_t b64, raw;
    buf_init(&b64, 1024);
    buf_init(&raw, 1024);
    ssh_key key = NULL;
    bool ok = kg_split(text, type, sizeof(type), &b64) &&
              enc_base64_decode(&raw, span_of(buf_str(&b64))) &&
              (!strcmp(type, "ssh-rsa") || !strcmp(type, "ssh-ed25519")) &&
              ssh_pki_import_pubkey_base64(buf_str(&b64), ssh_key_type_from_name(type), &key) == 0;
    err_t rc =
        ok ? ERR_OK
           : err_fail(eb, ERR_EC2_KEY_FORMAT, "Key is not in valid OpenSSH public key format");
    if (!rc && !strcmp(type, "ssh-rsa")) {
        int bits = 0;
        if (!kg_rsa_md5((const unsigned char *)raw.p, raw.len, k->fingerprint, &bits))
            rc = err_fail(eb, ERR_EC2_KEY_FORMAT, "Key is not in valid OpenSSH public key format");
        else if (bits != 1024 && bits != 2048 && bits != 4096)
            rc = err_fail(eb, ERR_EC2_KEY_FORMAT,
                          "Invalid RSA key length %d: supported lengths are 1024, 2048 and 4096",
                          bits);
        snprintf(k->type, sizeof(k->type), "rsa");
    } else if (!rc) {
        if (!kg_sha256_b64(key, k->fingerprint, sizeof(k->fingerprint)))
            rc = err_fail(eb, ERR_EC2_KEY_FORMAT, "Key is not in valid OpenSSH public key format");
        snprintf(k->type, sizeof(k->type), "ed25519");
    }
    if (!rc && !kg_openssh_line(key, k->public_key, sizeof(k->public_key)))
        rc = err_fail(eb, ERR_EC2_KEY_FORMAT, "Key is not in valid OpenSSH public key format");
    ssh_key_free(key);
    buf_free(&b64);
    buf_free(&raw);
    return rc;
}
