/* test_seal.c - the key ring of auth/seal.h: the key file's two formats (32 raw bytes of
 * older builds; one hex key a line, comments and blank lines skipped), its rejects (each
 * naming the line), key ids (first 8 hex of sha256, checked against `sha256sum`), and the
 * sealed forms: "v2:<id>:" under the first key, opened by the key of that id only; "v1:"
 * opened by whichever key of the ring opens it; tampering refused. */
#include "auth/seal.h"

#include "check.h"

#include <string.h>

/* 32 bytes 0x00..0x1f and 32 bytes 0x20..0x3f, as hex lines */
#define HEX_A "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define HEX_B "202122232425262728292A2B2C2D2E2F303132333435363738393a3b3c3d3e3f"
/* printf 000102...1f | xxd -r -p | sha256sum | cut -c1-8 (and 2021...3f) */
#define ID_A "630dcd29"
#define ID_B "72dbb733"

static err_t parse(seal_t *s, const char *text, errbuf_t *eb)
{
    return seal_keyring_parse(s, (const unsigned char *)text, strlen(text), eb);
}

static void test_text_ring(void)
{
    seal_t s;
    errbuf_t eb = {{0}};
    CHECK_INT(parse(&s, "# comment\n\n  " HEX_A "  \r\n#x\n" HEX_B, &eb), ERR_OK);
    CHECK_INT(s.n, 2);
    CHECK_INT(s.key[0][0], 0x00);
    CHECK_INT(s.key[0][31], 0x1f);
    CHECK_INT(s.key[1][10], 0x2a); /* upper-case hex */
    CHECK_STR(s.id[0], ID_A);
    CHECK_STR(s.id[1], ID_B);
    /* one key, no trailing newline */
    CHECK_INT(parse(&s, HEX_B, &eb), ERR_OK);
    CHECK_INT(s.n, 1);
    CHECK_STR(s.id[0], ID_B);
}

static void test_raw_key(void)
{
    unsigned char raw[32];
    for (int i = 0; i < 32; i++) raw[i] = (unsigned char)i;
    seal_t s;
    errbuf_t eb = {{0}};
    CHECK_INT(seal_keyring_parse(&s, raw, sizeof(raw), &eb), ERR_OK);
    CHECK_INT(s.n, 1);
    CHECK_STR(s.id[0], ID_A);
    CHECK(!memcmp(s.key[0], raw, 32));
    /* 31 or 33 raw bytes are text, and not keys */
    CHECK_INT(seal_keyring_parse(&s, raw, 31, &eb), ERR_VALIDATION);
    CHECK_INT(s.n, 0);
}

static void test_rejects(void)
{
    seal_t s;
    errbuf_t eb = {{0}};
    CHECK_INT(parse(&s, "", &eb), ERR_VALIDATION);
    CHECK(strstr(eb.msg, "no key") != NULL);
    CHECK_INT(parse(&s, "# only a comment\n\n", &eb), ERR_VALIDATION);
    CHECK(strstr(eb.msg, "no key") != NULL);
    CHECK_INT(parse(&s, HEX_A "\n" HEX_A "0\n", &eb), ERR_VALIDATION); /* 65 digits */
    CHECK(strstr(eb.msg, "line 2") != NULL);
    CHECK_INT(parse(&s, "\n\n" HEX_A "x\n", &eb), ERR_VALIDATION);
    CHECK(strstr(eb.msg, "line 3") != NULL);
    /* a non-hex digit inside: 'g' */
    CHECK_INT(parse(&s, "g00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", &eb),
              ERR_VALIDATION);
    CHECK_INT(parse(&s, HEX_A " " HEX_B, &eb), ERR_VALIDATION); /* two on a line */
    CHECK_INT(parse(&s, HEX_A "\n" HEX_B "\n" HEX_A "\n", &eb), ERR_VALIDATION);
    CHECK(strstr(eb.msg, "line 3 repeats key " ID_A) != NULL);
    CHECK_INT(s.n, 0);
    /* SEAL_KEYS_MAX keys are fine, one more is not */
    char text[(SEAL_KEYS_MAX + 1) * 66];
    size_t n = 0;
    for (int i = 0; i <= SEAL_KEYS_MAX; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "%02x%s\n", i, &HEX_A[2]);
    CHECK_INT(parse(&s, text, &eb), ERR_VALIDATION);
    CHECK(strstr(eb.msg, "more than") != NULL);
    text[SEAL_KEYS_MAX * 65] = '\0';
    CHECK_INT(parse(&s, text, &eb), ERR_OK);
    CHECK_INT(s.n, SEAL_KEYS_MAX);
}

static void test_seal_and_open(void)
{
    seal_t ab, b, a;
    errbuf_t eb = {{0}};
    ids_t ids;
    ids_init_seeded(&ids, 7);
    CHECK_INT(parse(&ab, HEX_A "\n" HEX_B "\n", &eb), ERR_OK);
    CHECK_INT(parse(&b, HEX_B "\n", &eb), ERR_OK);
    CHECK_INT(parse(&a, HEX_A "\n", &eb), ERR_OK);
    buf_t sealed, out;
    buf_init(&sealed, 4096);
    buf_init(&out, 4096);
    CHECK(seal_seal(&ab, &ids, SPAN_LIT("hello"), &sealed));
    CHECK(span_starts_with(buf_span(&sealed), SPAN_LIT("v2:" ID_A ":")));
    char id[9];
    CHECK(seal_value_key_id(buf_span(&sealed), id));
    CHECK_STR(id, ID_A);
    int key = -2;
    CHECK(seal_open_key(&ab, buf_span(&sealed), &out, &key));
    CHECK_STR(buf_str(&out), "hello");
    CHECK_INT(key, 0);
    buf_reset(&out);
    CHECK(seal_open_value(&a, buf_span(&sealed), &out));      /* a ring of A alone opens it */
    CHECK(!seal_open_key(&b, buf_span(&sealed), &out, &key)); /* B does not hold A */
    CHECK_INT(key, -1);
    /* sealed under B (a ring whose first key is B): the ring A, B opens it with its second */
    buf_reset(&sealed);
    buf_reset(&out);
    CHECK(seal_seal(&b, &ids, SPAN_LIT(""), &sealed));
    CHECK(seal_open_key(&ab, buf_span(&sealed), &out, &key));
    CHECK_INT(key, 1);
    CHECK_INT(out.len, 0);
    /* tampered: one base64 character changed */
    sealed.p[sealed.len - 3] = sealed.p[sealed.len - 3] == 'A' ? 'B' : 'A';
    CHECK(!seal_open_value(&ab, buf_span(&sealed), &out));
    /* another id in front of B's value: not opened (the id picks the key) */
    buf_reset(&sealed);
    CHECK(seal_seal(&b, &ids, SPAN_LIT("x"), &sealed));
    memcpy(sealed.p + 3, ID_A, 8);
    CHECK(!seal_open_value(&ab, buf_span(&sealed), &out));
    CHECK(!seal_open_value(&ab, SPAN_LIT("v2:" ID_A ":"), &out));
    CHECK(!seal_open_value(&ab, SPAN_LIT("v3:abc"), &out));
    CHECK(!seal_value_key_id(SPAN_LIT("v2:630dcd2:x"), id));
    buf_free(&sealed);
    buf_free(&out);
}

/* "v1:" (older builds): base64(nonce | ciphertext | tag), no key id; made here by sealing
 * with the v2 code and cutting the id out, which is the same blob. */
static void test_v1_opens_with_any_key_of_the_ring(void)
{
    seal_t ab, b;
    errbuf_t eb = {{0}};
    ids_t ids;
    ids_init_seeded(&ids, 9);
    CHECK_INT(parse(&ab, HEX_A "\n" HEX_B "\n", &eb), ERR_OK);
    CHECK_INT(parse(&b, HEX_B "\n", &eb), ERR_OK);
    buf_t v2, v1, out;
    buf_init(&v2, 4096);
    buf_init(&v1, 4096);
    buf_init(&out, 4096);
    CHECK(seal_seal(&b, &ids, SPAN_LIT("legacy"), &v2));
    CHECK(buf_adds(&v1, "v1:") && buf_add(&v1, v2.p + 12, v2.len - 12));
    int key = -2;
    CHECK(seal_open_key(&ab, buf_span(&v1), &out, &key));
    CHECK_STR(buf_str(&out), "legacy");
    CHECK_INT(key, 1);
    CHECK(!seal_value_key_id(buf_span(&v1), (char[9]){0}));
    buf_free(&v2);
    buf_free(&v1);
    buf_free(&out);
}

int main(void)
{
    test_text_ring();
    test_raw_key();
    test_rejects();
    test_seal_and_open();
    test_v1_opens_with_any_key_of_the_ring();
    return CHECK_DONE();
}
