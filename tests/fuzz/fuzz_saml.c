/* fuzz_saml.c - libFuzzer target for SAML (auth/saml.h): each input is parsed as IdP
 * metadata and verified as a SAML response against a fixed certificate, at a fixed time,
 * for AWS's sign-in endpoint; a valid signature's assertion is then read for its Role
 * attribute. Seed corpus: tests/fuzz/corpus/saml/ (response_signed.xml verifies). */
#include "fuzz_init.h"
#include "auth/saml.h"

#include <stddef.h>
#include <stdint.h>

/* the certificate of the key that signed corpus/saml/response_signed.xml */
static const char cert[] =
    "MIIDCTCCAfGgAwIBAgIUaYPzefccPBuJEx1sN3jDqSHgcUcwDQYJKoZIhvcNAQELBQAwEzERMA8G"
    "A1UEAwwIZnV6ei1pZHAwIBcNMjYxMjA3MTEzMzU1WhgPMjEyNjExMTMxMTMzNTVaMBMxETAPBgNV"
    "BAMMCGZ1enotaWRwMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAuv3K8TbNZneiAVQr"
    "0qR0m1xUZJ75RnUzChBiCPf855HdYfHLowXOiFRoA2Vj7DfT6ARkI2Mi97cKYlvhiPmeUfcbnKuG"
    "1x0D5NQVJPLs7nDJMJPNmoBhAAIIOZoyaeLx++M6LDzyYyaXhllAKpH3/iWb0HpBcPyQPBZ9r6Rc"
    "nEBsu5C0v9zMtM2EIX+pX2kqAO3ESfuITaiMtkbc0YgjKOv6U1S4/S0/gSwqSpWvQFPe3RRlsxjM"
    "4023CZ9cHka/OjOGcF0mVr9FUXIXv8IaXl9Wk+UycrPKI9jYyx0J5gX9xlZX5ZoP1XxcQ0yurWpJ"
    "elEoicpL0S4f3KJ8/ZuVrQIDAQABo1MwUTAdBgNVHQ4EFgQUf7mgY5mfqWGc2oJ7k89w6hVOayow"
    "HwYDVR0jBBgwFoAUf7mgY5mfqWGc2oJ7k89w6hVOayowDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG"
    "9w0BAQsFAAOCAQEAhaR3yphjhKljKDhmbXlCVOCgirbAfxF+Kn+NmvM9JBQyPGGQSRgnEj7wGAIl"
    "VL3rQ5pV8F3Axo1Q6x9hBg2JSmOmHjs3jcbaVhmlo/SM+8YJE1ulqhQjSp8KGbjIVnLM/hxt0H9o"
    "MBynYYgxdW+aXPu1O2WTGmVSSBhqgL9SuXBQGeXd3Vs3hweCSt8cOsoonzllIhv5MdEIhNDOxjwL"
    "DvWhxznjFdEc1MWMD0LsAQ3ZbVQzva1QpwpcXDEm9Nd8qFYR7hjzWe8qh6TH5HXXZ/ZJMMwbZni8"
    "omuwlJpi3a2LP/R9Q6MGkNUQNTbML+BthqQ73XctwdWBqRgx9+fWbQ==";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena_t a;
    arena_init(&a);
    span_t in = span_make((const char *)data, size);
    saml_meta_t m;
    char why[256];
    (void)saml_meta_parse(in, &a, &m, why, sizeof(why));
    const char *certs[] = {cert};
    const char *endpoints[] = {"https://signin.aws.amazon.com/saml", NULL};
    const char *audiences[] = {"urn:amazon:webservices", NULL};
    saml_assertion_t as;
    if (saml_verify(in, certs, 1, 1767225600000LL, endpoints, audiences, &a, &as, why,
                    sizeof(why)) == SAML_OK)
        (void)saml_attr(&as, "https://aws.amazon.com/SAML/Attributes/Role");
    arena_free(&a);
    return 0;
}
