/* fuzz_totp.c - libFuzzer target for the TOTP pieces (auth/totp.h): each input is decoded
 * as a base32 seed and, when it decodes, its first bytes are matched as a code against
 * that seed; the decoded bytes are encoded again and must decode back to themselves.
 * Seed corpus: tests/fuzz/corpus/totp/. */
#include "fuzz_init.h"
#include "auth/totp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 512) return 0;
    char text[513];
    memcpy(text, data, size);
    text[size] = '\0';
    unsigned char key[320], again[320];
    size_t n = 0, m = 0;
    if (!totp_base32_decode(text, key, sizeof(key), &n)) return 0;
    (void)totp_match(key, n, size >= 6 ? text : "000000", 1767225600, 1);
    char enc[520];
    if (!totp_base32_encode(key, n, enc, sizeof(enc)) ||
        !totp_base32_decode(enc, again, sizeof(again), &m) || m != n || memcmp(key, again, n))
        abort();
    return 0;
}
