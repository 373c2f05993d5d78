/* clk.h - the injectable clock. Everything that reads the time takes a clk_t, so tests
 * drive time instead of sleeping (curl's fixed test time). */
#ifndef CATALOGD_CLK_H
#define CATALOGD_CLK_H

#include <stdint.h>

typedef struct clk {
    /* Wall-clock milliseconds since the Unix epoch. */
    int64_t (*now_ms)(const struct clk *c);
    int64_t fixed_ms;  /* for the manual clock */
    int64_t offset_ms; /* added to the system clock */
} clk_t;

/* The system clock, shifted by offset_ms (0 in production). */
clk_t clk_system(int64_t offset_ms);
/* A clock that always reads fixed_ms until changed by clk_set. */
clk_t clk_manual(int64_t fixed_ms);
void clk_set(clk_t *c, int64_t ms);
/* Moves a clock forward by ms (any thread; readers see it at once): the system clock's
 * offset grows, a manual clock's reading does. */
void clk_advance(clk_t *c, int64_t ms);

static inline int64_t clk_now_ms(const clk_t *c)
{
    return c->now_ms(c);
}

/* Monotonic milliseconds, for measuring durations (never injectable). */
int64_t clk_mono_us(void);

#endif
