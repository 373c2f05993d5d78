/* enc.h - byte encodings used on the wire: hex, base64, percent-encoding, timestamps. */
#ifndef CATALOGD_ENC_H
#define CATALOGD_ENC_H

#include "core/buf.h"
#include "core/span.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void enc_hex(const unsigned char *in, size_t n, char *out);

/* Standard base64 with padding. Returns false when b's cap would be passed. */
bool enc_base64(buf_t *b, const void *in, size_t n);
/* Decodes standard base64 (padding optional, no whitespace). False on malformed input. */
bool enc_base64_decode(buf_t *b, span_t in);

/* RFC 3986 percent-encoding as SigV4 needs it: A-Z a-z 0-9 - _ . ~ stay, every other
 * byte becomes %XX upper-case; '/' stays when keep_slash. */
bool enc_uri(buf_t *b, span_t in, bool keep_slash);
/* Percent-decoding; '+' becomes a space when plus_space (form bodies). False when a
 * '%' is not followed by two hex digits. */
bool enc_uri_decode(buf_t *b, span_t in, bool plus_space);

/* Milliseconds since the epoch -> "2026-11-30T01:37:13.123Z" (ISO 8601, UTC). */
void enc_iso8601(int64_t ms, char out[32]);
/* Milliseconds since the epoch -> "20261130T013713Z" (the SigV4 X-Amz-Date form). */
void enc_amzdate(int64_t ms, char out[17]);
/* Parses "YYYYMMDDTHHMMSSZ"; false on anything else. */
bool enc_parse_amzdate(span_t s, int64_t *ms);
/* Parses ISO 8601 date-times: YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM|-HH:MM]; also a bare date
 * YYYY-MM-DD. False on anything else. */
bool enc_parse_iso8601(span_t s, int64_t *ms);
/* ms (a double from a value tree) clamped to the years 0001-9999 the formats can show. */
int64_t enc_clamp_ms(double ms);
/* Well-formed UTF-8: no overlongs, surrogates or code points past U+10FFFF. */
bool enc_utf8_valid(span_t s);
/* Days from civil date (proleptic Gregorian), for timestamp arithmetic. */
int64_t enc_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
