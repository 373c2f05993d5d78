/* fuzz_keyring.c - libFuzzer target for the sealing key ring (auth/seal.h): each input is
 * parsed as a key file; a ring read is checked (1..SEAL_KEYS_MAX keys, ids of 8 hex digits)
 * and a value sealed under it opens to what was sealed. The input is also opened as a
 * sealed value ("v1:" / "v2:<id>:") under a fixed ring, and its key id read.
 * Seed corpus: tests/fuzz/corpus/keyring/. */
#include "fuzz_init.h"
#include "auth/seal.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    seal_t s;
    errbuf_t eb;
    ids_t ids;
    ids_init_seeded(&ids, 1);
    span_t in = span_make((const char *)data, size);
    buf_t sealed, out;
    buf_init(&sealed, 2 * size + 128);
    buf_init(&out, size + 64);
    if (seal_keyring_parse(&s, data, size, &eb) == ERR_OK) {
        if (s.n < 1 || s.n > SEAL_KEYS_MAX) __builtin_trap();
        for (int i = 0; i < s.n; i++)
            if (strlen(s.id[i]) != 8 || strspn(s.id[i], "0123456789abcdef") != 8) __builtin_trap();
        int key = -1;
        if (!seal_seal(&s, &ids, in, &sealed) ||
            !seal_open_key(&s, buf_span(&sealed), &out, &key) || key != 0 || out.len != size ||
            (size && memcmp(out.p, data, size)))
            __builtin_trap();
    } else if (s.n != 0)
        __builtin_trap();
    static const unsigned char raw[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    if (seal_keyring_parse(&s, raw, sizeof(raw), &eb) != ERR_OK) __builtin_trap();
    buf_reset(&out);
    (void)seal_open_value(&s, in, &out);
    char id[9];
    if (seal_value_key_id(in, id) && strlen(id) != 8) __builtin_trap();
    buf_free(&sealed);
    buf_free(&out);
    return 0;
}
