/* clk.c - system and manual clocks. */
#include "core/clk.h"

#include <time.h>

static int64_t clk_sys_now(const clk_t *c)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 +
           __atomic_load_n(&c->offset_ms, __ATOMIC_RELAXED);
}

static int64_t clk_fixed_now(const clk_t *c)
{
    return __atomic_load_n(&c->fixed_ms, __ATOMIC_RELAXED);
}

void clk_advance(clk_t *c, int64_t ms)
{
    if (c->now_ms == clk_fixed_now)
        __atomic_add_fetch(&c->fixed_ms, ms, __ATOMIC_RELAXED);
    else
        __atomic_add_fetch(&c->offset_ms, ms, __ATOMIC_RELAXED);
}

clk_t clk_system(int64_t offset_ms)
{
    return (clk_t){.now_ms = clk_sys_now, .offset_ms = offset_ms};
}

clk_t clk_manual(int64_t fixed_ms)
{
    return (clk_t){.now_ms = clk_fixed_now, .fixed_ms = fixed_ms};
}

void clk_set(clk_t *c, int64_t ms)
{
    __atomic_store_n(&c->fixed_ms, ms, __ATOMIC_RELAXED);
}

int64_t clk_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
