/* totp.h - time-based one-time passwords (RFC 6238 over RFC 4226: HMAC-SHA-1, 30-second
 * steps, 6 digits), as AWS's virtual MFA devices use them, and the base32 (RFC 4648) their
 * seeds travel in. */
#ifndef CATALOGD_TOTP_H
#define CATALOGD_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOTP_STEP_S   30
#define TOTP_SEED_LEN 40 /* bytes of a seed catalogd makes: 64 base32 characters, as AWS's */

/* Upper-case base32 with '=' padding of n bytes into out; false when out (cap bytes, NUL
 * included) is too small. */
bool totp_base32_encode(const unsigned char *in, size_t n, char *out, size_t cap);
/* Decodes base32 (either case, padding optional); false on any other character, a bad
 * length or more than cap bytes. *n is the decoded length. */
bool totp_base32_decode(const char *in, unsigned char *out, size_t cap, size_t *n);
/* The 6-digit code of key for time step `step` (unix seconds / 30). */
uint32_t totp_code(const unsigned char *key, size_t n, int64_t step);
/* The step within `window` steps of now_s (now first, then one earlier, one later, ...)
 * whose code is `code` (exactly 6 ASCII digits), or -1 when none is or code is malformed. */
int64_t totp_match(const unsigned char *key, size_t n, const char *code, int64_t now_s, int window);

#endif
