/* seal.h - secrets at rest: AES-256-GCM under a key file in the data directory, so the
 * database alone does not reveal secret access keys (which SigV4 needs in clear). */
#ifndef CATALOGD_SEAL_H
#define CATALOGD_SEAL_H

#include "core/buf.h"
#include "core/err.h"
#include "core/ids.h"
#include "core/span.h"

typedef struct seal {
    unsigned char key[32];
} seal_t;

/* Loads <dir>/master.key; when it does not exist, creates it (0600, random) if create is
 * set (a first start, with no sealed secrets yet), else refuses: a new key would leave
 * every sealed secret unreadable. ERR_STORE with one line naming the file when it is
 * missing (and !create), empty, of the wrong size or unreadable. */
err_t seal_open(seal_t *s, const char *dir, bool create, ids_t *ids, errbuf_t *eb);
/* Appends "v1:" + base64(nonce | ciphertext | tag) of plain (any length out can hold) to
 * out; false when out cannot hold it. */
bool seal_seal(const seal_t *s, ids_t *ids, span_t plain, buf_t *out);
/* Appends the plaintext of sealed to out; false when it was tampered with or is not ours. */
bool seal_open_value(const seal_t *s, span_t sealed, buf_t *out);

#endif
