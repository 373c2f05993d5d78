/* test_ec2_net.c - unit tests for EC2 networking's arithmetic (src/svc/ec2/net.c, zones.c):
 * CIDR blocks as EC2 reads them (canonical form, what is not a block), overlap and
 * containment, and the zones and zone ids of a region. */
#include "svc/ec2/net_int.h"

#include "check.h"

static const char *canon(const char *s, char out[20])
{
    ec2_cidr_t c;
    if (!ec2_cidr_parse(s, &c)) return NULL;
    ec2_cidr_text(&c, out);
    return out;
}

static void test_cidr_parse(void)
{
    char b[20];
    CHECK_STR(canon("10.0.0.0/16", b), "10.0.0.0/16");
    CHECK_STR(canon("10.20.30.40/16", b), "10.20.0.0/16");  /* host bits cleared */
    CHECK_STR(canon("100.68.0.18/18", b), "100.68.0.0/18"); /* EC2's own example */
    CHECK_STR(canon("0.0.0.0/0", b), "0.0.0.0/0");
    CHECK_STR(canon("255.255.255.255/32", b), "255.255.255.255/32");
    static const char *const bad[] = {
        "",          "10.0.0.0",     "10.0.0/16",  "10.0.0.0/33",  "256.0.0.0/8",
        "10.0.0.0/", "10.0.0.0/16x", "-1.0.0.0/8", " 10.0.0.0/8",  "10.0.0.0/ 8",
        "10..0.0/8", "10.0.0.0/016", "ten/8",      "1000.0.0.0/8", "10.0.0.0.0/8"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ec2_cidr_t c;
        CHECK(!ec2_cidr_parse(bad[i], &c));
    }
}

static void test_cidr_relations(void)
{
    ec2_cidr_t vpc, a, b, out;
    CHECK(ec2_cidr_parse("10.0.0.0/16", &vpc) && ec2_cidr_parse("10.0.1.0/24", &a) &&
          ec2_cidr_parse("10.0.1.128/25", &b) && ec2_cidr_parse("10.1.0.0/24", &out));
    CHECK(ec2_cidr_within(&a, &vpc) && ec2_cidr_within(&b, &a) && !ec2_cidr_within(&a, &b));
    CHECK(!ec2_cidr_within(&out, &vpc) && ec2_cidr_within(&vpc, &vpc));
    CHECK(ec2_cidr_overlaps(&a, &b) && ec2_cidr_overlaps(&b, &a) && !ec2_cidr_overlaps(&a, &out));
}

static void test_zones(void)
{
    arena_t a;
    arena_init(&a);
    const char *names[16];
    CHECK(ec2_zone_names("us-east-1", names, 16, &a) == 6);
    CHECK_STR(names[5], "us-east-1f");
    CHECK(ec2_zone_names("eu-west-2", names, 16, &a) == 3);
    CHECK(ec2_zone_names("local-test-1", names, 16, &a) == 3); /* a region of its own */
    CHECK_STR(ec2_zone_id("us-east-1", "us-east-1a", &a), "use1-az1");
    CHECK_STR(ec2_zone_id("eu-west-2", "eu-west-2c", &a), "euw2-az3");
    CHECK_STR(ec2_zone_id("ap-southeast-2", "ap-southeast-2b", &a), "apse2-az2");
    CHECK_STR(ec2_zone_id("ca-central-1", "ca-central-1a", &a), "cac1-az1");
    CHECK(ec2_zone_id("us-east-1", "us-east-1g", &a) == NULL);
    CHECK(ec2_zone_id("us-east-1", "us-west-1a", &a) == NULL);
    CHECK(ec2_zone_id("us-east-1", "us-east-1", &a) == NULL);
    arena_free(&a);
}

int main(void)
{
    test_cidr_parse();
    test_cidr_relations();
    test_zones();
    return CHECK_DONE();
}
