/* stats.c - latency histogram and CPU readings of the load generator. */
#include "loadgen.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* Bucket of a value: exact below 1024 us, then LG_HIST_SUB buckets per power of two. */
static size_t lg_hist_index(uint64_t us)
{
    if (us < 1024) return (size_t)us;
    int e = 63 - __builtin_clzll(us); /* 10.. */
    size_t sub = (size_t)(us >> (e - 9)) - LG_HIST_SUB;
    size_t i = 1024 + (size_t)(e - 10) * LG_HIST_SUB + sub;
    return i < LG_HIST_BUCKETS ? i : LG_HIST_BUCKETS - 1;
}

/* The smallest value of bucket i's range (upper end for the report: the next one - 1). */
static uint64_t lg_hist_value(size_t i)
{
    if (i < 1024) return i;
    size_t e = (i - 1024) / LG_HIST_SUB + 10, sub = (i - 1024) % LG_HIST_SUB + LG_HIST_SUB;
    return (uint64_t)sub << (e - 9);
}

void lg_hist_add(lg_hist_t *h, uint64_t us)
{
    h->c[lg_hist_index(us)]++;
    h->n++;
    h->sum_us += us;
    if (us > h->max_us) h->max_us = us;
}

void lg_hist_merge(lg_hist_t *into, const lg_hist_t *from)
{
    for (size_t i = 0; i < LG_HIST_BUCKETS; i++) into->c[i] += from->c[i];
    into->n += from->n;
    into->sum_us += from->sum_us;
    if (from->max_us > into->max_us) into->max_us = from->max_us;
}

uint64_t lg_hist_pct(const lg_hist_t *h, double p)
{
    if (h->n == 0) return 0;
    uint64_t want = (uint64_t)(p / 100.0 * (double)h->n + 0.5), seen = 0;
    if (want < 1) want = 1;
    for (size_t i = 0; i < LG_HIST_BUCKETS; i++) {
        seen += h->c[i];
        if (seen >= want) {
            uint64_t v = lg_hist_value(i);
            return v < h->max_us ? v : h->max_us;
        }
    }
    return h->max_us;
}

double lg_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t lg_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* utime + stime (clock ticks) of one process, all its threads; 0 when it is gone. */
static unsigned long long lg_pid_ticks(int pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[n] = '\0';
    char *p = strrchr(line, ')'); /* the command may hold spaces and parentheses */
    if (!p) return 0;
    unsigned long long ut = 0, st = 0;
    /* after ") ": state(3) ... utime is field 14, stime 15 */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return 0;
    return ut + st;
}

/* The pid's children (as listed by its threads), added to out; returns the new count. */
static int lg_children(int pid, int *out, int n, int cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    DIR *d = opendir(path);
    if (!d) return n;
    struct dirent *e;
    while ((e = readdir(d)) && n < cap) {
        if (e->d_name[0] == '.') continue;
        char cp[300];
        snprintf(cp, sizeof cp, "/proc/%d/task/%s/children", pid, e->d_name);
        FILE *f = fopen(cp, "r");
        if (!f) continue;
        int c;
        while (n < cap && fscanf(f, "%d", &c) == 1) out[n++] = c;
        fclose(f);
    }
    closedir(d);
    return n;
}

double lg_proc_cpu_s(const int *pids, int npids)
{
    int all[256], n = 0;
    for (int i = 0; i < npids && n < 256; i++) {
        all[n++] = pids[i];
        n = lg_children(pids[i], all, n, 256); /* nginx: the master's workers */
    }
    unsigned long long t = 0;
    for (int i = 0; i < n; i++) t += lg_pid_ticks(all[i]);
    return (double)t / (double)sysconf(_SC_CLK_TCK);
}

double lg_self_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}
