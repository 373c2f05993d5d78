/* test_jx.c - the JSON helpers' contracts: jx_set replaces a member and takes its value;
 * with nothing to set it in (NULL, or not an object) the value is freed, not leaked (the
 * sanitizer build turns a leak into a failure: SendCommand refused before its record
 * existed leaked its account and region this way). */
#include "check.h"
#include "core/jx.h"

static void test_set_replaces(void)
{
    cJSON *o = cJSON_CreateObject();
    jx_set_str(o, "A", "one");
    jx_set_str(o, "A", "two");
    CHECK_STR(jx_str(o, "A"), "two");
    CHECK(cJSON_GetArraySize(o) == 1);
    cJSON_Delete(o);
}

static void test_set_without_an_object_frees_the_value(void)
{
    jx_set(NULL, "A", cJSON_CreateString("kept nowhere"));
    jx_set_str(NULL, "B", "kept nowhere");
    jx_set_num(NULL, "C", 1);
    cJSON *arr = cJSON_CreateArray();
    jx_set_str(arr, "D", "not a member of an array");
    CHECK(cJSON_GetArraySize(arr) == 0);
    cJSON_Delete(arr);
}

int main(void)
{
    test_set_replaces();
    test_set_without_an_object_frees_the_value();
    return CHECK_DONE();
}
