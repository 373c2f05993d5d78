/* instance_types.c - DescribeInstanceTypes over the seeded families (t2, t3, t3a, m5, c5,
 * r5): data/ec2-instance-types/instance-types.json, compiled into
 * gen/instance_types_gen.c, each entry turned into the model's InstanceTypeInfo here. */
#include "svc/ec2/ec2_int.h"
#include "core/jx.h"

#include <stdio.h>
#include <string.h>

/* The InstanceTypeInfo of seed entry e (new object). */
static cJSON *it_info(const cJSON *e)
{
    const char *name = jx_str(e, "InstanceType");
    int64_t vcpus = jx_int(e, "VCpus", 1), tpc = jx_int(e, "ThreadsPerCore", 1);
    bool burst = jx_true(e, "Burstable");
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "InstanceType", name);
    cJSON_AddBoolToObject(t, "CurrentGeneration", true);
    cJSON_AddBoolToObject(t, "FreeTierEligible", jx_true(e, "FreeTier"));
    cJSON *uc = cJSON_AddArrayToObject(t, "SupportedUsageClasses");
    cJSON_AddItemToArray(uc, cJSON_CreateString("on-demand"));
    cJSON_AddItemToArray(uc, cJSON_CreateString("spot"));
    cJSON_AddItemToArray(cJSON_AddArrayToObject(t, "SupportedRootDeviceTypes"),
                         cJSON_CreateString("ebs"));
    cJSON_AddItemToArray(cJSON_AddArrayToObject(t, "SupportedVirtualizationTypes"),
                         cJSON_CreateString("hvm"));
    cJSON_AddBoolToObject(t, "BareMetal", false);
    cJSON_AddStringToObject(t, "Hypervisor", jx_str(e, "Hypervisor"));
    cJSON *pi = cJSON_AddObjectToObject(t, "ProcessorInfo");
    cJSON_AddItemToObject(pi, "SupportedArchitectures",
                          cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(e, "Architectures"), 1));
    cJSON_AddNumberToObject(pi, "SustainedClockSpeedInGhz",
                            cJSON_GetObjectItemCaseSensitive(e, "ClockGhz")->valuedouble);
    cJSON *vi = cJSON_AddObjectToObject(t, "VCpuInfo");
    cJSON_AddNumberToObject(vi, "DefaultVCpus", (double)vcpus);
    cJSON_AddNumberToObject(vi, "DefaultCores", (double)(vcpus / tpc ? vcpus / tpc : 1));
    cJSON_AddNumberToObject(vi, "DefaultThreadsPerCore", (double)tpc);
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(t, "MemoryInfo"), "SizeInMiB",
                            (double)jx_int(e, "MemoryMiB", 0));
    cJSON_AddBoolToObject(t, "InstanceStorageSupported", false);
    cJSON *ebs = cJSON_AddObjectToObject(t, "EbsInfo");
    cJSON_AddStringToObject(ebs, "EbsOptimizedSupport",
                            strncmp(name, "t2.", 3) ? "default" : "unsupported");
    cJSON_AddStringToObject(ebs, "EncryptionSupport", "supported");
    cJSON_AddStringToObject(ebs, "NvmeSupport",
                            strncmp(name, "t2.", 3) ? "required" : "unsupported");
    cJSON *ni = cJSON_AddObjectToObject(t, "NetworkInfo");
    cJSON_AddStringToObject(ni, "NetworkPerformance", jx_str(e, "Network"));
    cJSON_AddStringToObject(ni, "EnaSupport", strncmp(name, "t2.", 3) ? "required" : "unsupported");
    cJSON *pg = cJSON_AddArrayToObject(cJSON_AddObjectToObject(t, "PlacementGroupInfo"),
                                       "SupportedStrategies");
    cJSON_AddItemToArray(pg, cJSON_CreateString("partition"));
    cJSON_AddItemToArray(pg, cJSON_CreateString("spread"));
    if (!burst) cJSON_AddItemToArray(pg, cJSON_CreateString("cluster"));
    cJSON_AddBoolToObject(t, "HibernationSupported", true);
    cJSON_AddBoolToObject(t, "BurstablePerformanceSupported", burst);
    cJSON_AddBoolToObject(t, "DedicatedHostsSupported", !burst);
    cJSON_AddBoolToObject(t, "AutoRecoverySupported", true);
    cJSON *bm = cJSON_AddArrayToObject(t, "SupportedBootModes");
    cJSON_AddItemToArray(bm, cJSON_CreateString("legacy-bios"));
    if (strncmp(name, "t2.", 3)) cJSON_AddItemToArray(bm, cJSON_CreateString("uefi"));
    return t;
}

static int it_filter_values(const cJSON *t, const char *name, const char **vals, int cap,
                            char *scratch)
{
    if (!strcmp(name, "instance-type")) return vals[0] = jx_str(t, "InstanceType"), 1;
    if (!strcmp(name, "hypervisor")) return vals[0] = jx_str(t, "Hypervisor"), 1;
    static const char *const bools[][2] = {
        {"current-generation", "CurrentGeneration"},
        {"free-tier-eligible", "FreeTierEligible"},
        {"burstable-performance-supported", "BurstablePerformanceSupported"},
        {"bare-metal", "BareMetal"},
        {"hibernation-supported", "HibernationSupported"}};
    for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++)
        if (!strcmp(name, bools[i][0]))
            return vals[0] = jx_true(t, bools[i][1]) ? "true" : "false", 1;
    static const char *const nums[][3] = {{"vcpu-info.default-vcpus", "VCpuInfo", "DefaultVCpus"},
                                          {"vcpu-info.default-cores", "VCpuInfo", "DefaultCores"},
                                          {"memory-info.size-in-mib", "MemoryInfo", "SizeInMiB"}};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
        if (!strcmp(name, nums[i][0])) {
            snprintf(
                scratch, 16, "%lld",
                (long long)jx_int(cJSON_GetObjectItemCaseSensitive(t, nums[i][1]), nums[i][2], 0));
            return vals[0] = scratch, 1;
        }
    if (!strcmp(name, "processor-info.supported-architecture")) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(t, "ProcessorInfo"), "SupportedArchitectures");
        int n = 0;
        for (const cJSON *x = a ? a->child : NULL; x && n < cap; x = x->next)
            vals[n++] = x->valuestring;
        return n;
    }
    if (!strcmp(name, "network-info.network-performance"))
        return vals[0] =
                   jx_str(cJSON_GetObjectItemCaseSensitive(t, "NetworkInfo"), "NetworkPerformance"),
               1;
    return -1;
}

bool ec2_instance_type_known(const char *name)
{
    char quoted[80];
    snprintf(quoted, sizeof(quoted), "\"InstanceType\":\"%s\"", name);
    for (size_t i = 0; i < ec2_n_instance_types; i++)
        if (strstr(ec2_instance_types[i], quoted)) return true;
    return false;
}

err_t ec2_describe_instance_types(api_ctx_t *c)
{
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(c->in, "InstanceTypes");
    res_page_t p;
    err_t rc = ec2_dry_run(c);
    buf_t missing;
    buf_init(&missing, 4096);
    for (const cJSON *w = want ? want->child : NULL; !rc && w; w = w->next)
        if (!ec2_instance_type_known(w->valuestring))
            buf_printf(&missing, "%s%s", missing.len ? ", " : "", w->valuestring);
    if (!rc && missing.len)
        rc =
            err_fail(c->eb, ERR_EC2_INSTANCE_TYPE,
                     "The following supplied instance types do not exist: [%s]", buf_str(&missing));
    buf_free(&missing);
    if (!rc) rc = ec2_page_begin(c, &p, 5, 100, false, NULL);
    cJSON *list = cJSON_AddArrayToObject(c->out, "InstanceTypes");
    for (size_t i = 0; !rc && i < ec2_n_instance_types; i++) {
        cJSON *e = cJSON_Parse(ec2_instance_types[i]);
        cJSON *t = e ? it_info(e) : NULL;
        bool ok = t != NULL;
        if (ok && cJSON_GetArraySize(want)) {
            ok = false;
            for (const cJSON *w = want->child; w && !ok; w = w->next)
                ok = !strcmp(w->valuestring, jx_str(t, "InstanceType"));
        }
        if (ok)
            rc = ec2_filter_match(c, t, cJSON_GetObjectItemCaseSensitive(c->in, "Filters"),
                                  it_filter_values, &ok);
        res_offer_t o =
            ok && !rc ? res_page_offer(&p, &(res_pkey_t){.n = (int64_t)i}) : RES_PAGE_SKIP;
        if (o == RES_PAGE_TAKE) cJSON_AddItemToArray(list, t), t = NULL;
        cJSON_Delete(t);
        cJSON_Delete(e);
        if (o == RES_PAGE_FULL) break;
    }
    if (!rc) res_page_out(&p, c->out, "NextToken");
    return rc;
}
