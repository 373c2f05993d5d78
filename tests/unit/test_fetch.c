/* test_fetch.c - the outbound client's address policy (src/prov/fetch.c): which addresses a
 * fetch may connect to, in every spelling (IPv4, IPv6, IPv4-mapped, IPv4-compatible, NAT64,
 * 6to4), the operator's allow-list and its parsing, and URLs refused before any network
 * (bad schemes, malformed, an HTTP thread). */
#include "prov/fetch.h"

#include "check.h"

#include <arpa/inet.h>
#include <netinet/in.h>

/* The verdict on the textual address a under p: NULL (allowed) or the reason. */
static const char *verdict(const prov_fetch_policy_t *p, const char *a)
{
    struct sockaddr_storage ss = {0};
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, a, &v4->sin_addr) == 1)
        v4->sin_family = AF_INET;
    else if (inet_pton(AF_INET6, a, &v6->sin6_addr) == 1)
        v6->sin6_family = AF_INET6;
    else
        return "unparsable test address";
    return prov_fetch_refused(p, (const struct sockaddr *)&ss);
}

static void test_refused_by_default(void)
{
    prov_fetch_policy_t p = {0};
    static const char *const refused[] = {"127.0.0.1",
                                          "127.1.2.3",
                                          "0.0.0.0",
                                          "10.0.0.1",
                                          "10.255.255.255",
                                          "172.16.0.1",
                                          "172.31.255.254",
                                          "192.168.1.1",
                                          "169.254.169.254",
                                          "169.254.0.1",
                                          "100.64.0.1",
                                          "100.127.255.255",
                                          "224.0.0.1",
                                          "239.255.255.250",
                                          "255.255.255.255",
                                          "240.0.0.1",
                                          "192.0.0.192",
                                          "198.18.0.1",
                                          "::",
                                          "::1",
                                          "fe80::1",
                                          "febf::1",
                                          "fc00::1",
                                          "fd00:ec2::254",
                                          "ff02::1",
                                          "100::1",
                                          "::ffff:127.0.0.1",
                                          "::ffff:169.254.169.254",
                                          "::ffff:10.0.0.1",
                                          "::127.0.0.1",
                                          "::ffff:0.0.0.0",
                                          "64:ff9b::a9fe:a9fe",
                                          "64:ff9b::7f00:1",
                                          "2002:7f00:1::1",
                                          "2002:a9fe:a9fe::",
                                          "fec0::1"};
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        const char *why = verdict(&p, refused[i]);
        if (!why) fprintf(stderr, "  allowed but should not be: %s\n", refused[i]);
        CHECK(why != NULL);
    }
    static const char *const fine[] = {
        "93.184.216.34",        "8.8.8.8",          "172.32.0.1",     "172.15.255.255",
        "100.128.0.1",          "192.169.0.1",      "169.255.0.1",    "2606:4700::6810:84e5",
        "::ffff:93.184.216.34", "64:ff9b::808:808", "2002:808:808::1"};
    for (size_t i = 0; i < sizeof fine / sizeof *fine; i++) {
        const char *why = verdict(&p, fine[i]);
        if (why) fprintf(stderr, "  refused but should not be: %s (%s)\n", fine[i], why);
        CHECK(why == NULL);
    }
    CHECK_STR(verdict(&p, "127.0.0.1"), "loopback");
    CHECK_STR(verdict(&p, "::ffff:127.0.0.1"), "loopback");
    CHECK_STR(verdict(&p, "169.254.169.254"), "link-local (instance metadata)");
    CHECK_STR(verdict(&p, "fd00:ec2::254"), "unique local (private)");
}

static void test_allow_list(void)
{
    prov_fetch_policy_t p = {0};
    errbuf_t eb = {{0}};
    CHECK_INT(
        prov_fetch_allow_parse(&p, "127.0.0.0/8, 10.20.0.0/16,fd00:ec2::/32 ,192.168.1.5", &eb),
        ERR_OK);
    CHECK_INT(p.n_allow, 4);
    CHECK(verdict(&p, "127.0.0.1") == NULL);
    CHECK(verdict(&p, "::ffff:127.9.9.9") == NULL); /* the mapped form of an allowed one */
    CHECK(verdict(&p, "10.20.3.4") == NULL);
    CHECK(verdict(&p, "10.21.0.1") != NULL);
    CHECK(verdict(&p, "fd00:ec2::254") == NULL);
    CHECK(verdict(&p, "fd00:ec3::254") != NULL);
    CHECK(verdict(&p, "192.168.1.5") == NULL);
    CHECK(verdict(&p, "192.168.1.6") != NULL);
    CHECK(verdict(&p, "::1") != NULL); /* 127/8 allows IPv4 loopback only */
    CHECK(verdict(&p, "169.254.169.254") != NULL);

    static const char *const bad[] = {"10.0.0.0/33", "nonsense", "10.0.0.0/",
                                      "::1/129",     "10.0.0/8", "1.2.3.4/8x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        prov_fetch_policy_t q = {0};
        CHECK_INT(prov_fetch_allow_parse(&q, bad[i], &eb), ERR_VALIDATION);
        CHECK(strstr(eb.msg, "--fetch-allow") != NULL);
    }
    prov_fetch_policy_t e = {0};
    CHECK_INT(prov_fetch_allow_parse(&e, "", &eb), ERR_OK);
    CHECK_INT(e.n_allow, 0);
}

static void test_urls_refused_before_the_network(void)
{
    prov_fetch_policy_t p = {0};
    errbuf_t eb = {{0}};
    buf_t b;
    buf_init(&b, 1024);
    prov_fetch_forbid_this_thread(); /* whatever happens, this test never waits on the network */
    static const char *const bad[] = {
        "ftp://example.com/t.yaml", "gopher://127.0.0.1/", "http://", "t.yaml", "", "http//x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_INT(prov_fetch(&p, bad[i], &b, &eb), PROV_FETCH_BAD_URL);
    /* file: URLs without a template directory */
    CHECK_INT(prov_fetch(&p, "file:///etc/passwd", &b, &eb), PROV_FETCH_FILE);
    /* an HTTP thread never waits on the network, not even for an allowed address */
    CHECK_INT(prov_fetch(&p, "http://93.184.216.34/t.yaml", &b, &eb), PROV_FETCH_UNREACHABLE);
    CHECK(b.len == 0);
    buf_free(&b);
}

int main(void)
{
    test_refused_by_default();
    test_allow_list();
    test_urls_refused_before_the_network();
    return CHECK_DONE();
}
