/* seal.h - secrets at rest: AES-256-GCM under a key ring read from a key file
 * (<data-dir>/master.key, or --seal-key-file), so the database alone does not reveal secret
 * access keys (which SigV4 needs in clear). Every node of a cluster holds the same ring;
 * docs/internals/seal.md describes the file, the check value and rotation. */
#ifndef CATALOGD_SEAL_H
#define CATALOGD_SEAL_H

#include "core/buf.h"
#include "core/err.h"
#include "core/ids.h"
#include "core/span.h"

#define SEAL_KEYS_MAX 8      /* keys one ring holds (a rotation needs two) */
#define SEAL_KEY_LEN  32     /* AES-256 */
#define SEAL_FILE_MAX (4096) /* the largest key file read */
#define SEAL_PATH_MAX 1100

typedef struct seal {
    int n;                                          /* keys in the ring, at least 1 once opened */
    unsigned char key[SEAL_KEYS_MAX][SEAL_KEY_LEN]; /* key[0] is current: it seals */
    char id[SEAL_KEYS_MAX][9];                      /* key id: first 8 hex digits of sha256(key) */
    char path[SEAL_PATH_MAX];                       /* the key file, for messages */
} seal_t;

/* The key file's path: key_file when set, else <dir>/master.key. */
void seal_path(const char *dir, const char *key_file, char *out, size_t cap);

/* Parses a key file's bytes into s (s->path is left alone). Either exactly 32 bytes (the
 * raw single key every build before key rings wrote) or text: one key a line as 64 hex
 * digits, the first the current one; blank lines and lines starting with '#' are skipped,
 * as is surrounding white space. ERR_VALIDATION with the reason (and line) when the text
 * holds no key, a line that is not a key, a key twice, or more than SEAL_KEYS_MAX keys. */
err_t seal_keyring_parse(seal_t *s, const unsigned char *data, size_t n, errbuf_t *eb);

/* Loads the ring from key_file (when set) or <dir>/master.key. When the file does not
 * exist, creates it (0600, one random key, text format) if create is set (a first start,
 * with no sealed secrets yet), else refuses: a new key would leave every sealed secret
 * unreadable. ERR_STORE with one line naming the file when it is missing (and !create),
 * unreadable or does not parse. */
err_t seal_open(seal_t *s, const char *dir, const char *key_file, bool create, ids_t *ids,
                errbuf_t *eb);

/* Appends "v2:<id>:" + base64(nonce | ciphertext | tag) of plain under the current key to
 * out; false when out cannot hold it. */
bool seal_seal(const seal_t *s, ids_t *ids, span_t plain, buf_t *out);
/* Appends the plaintext of sealed to out: "v2:<id>:..." is opened by the ring's key of
 * that id, "v1:..." (every build before key rings) by whichever key of the ring opens it.
 * False when it was tampered with, is not ours, or its key is not in the ring. */
bool seal_open_value(const seal_t *s, span_t sealed, buf_t *out);
/* As seal_open_value; *key gets the index in the ring of the key that opened it (-1 when
 * none). */
bool seal_open_key(const seal_t *s, span_t sealed, buf_t *out, int *key);
/* The key id a "v2:" value names, into id (9 bytes); false for any other value. */
bool seal_value_key_id(span_t sealed, char id[9]);

#endif
