/* fuzz_init.h - what every fuzz target starts with: libFuzzer's one-time initializer,
 * which puts the process under the daemon's allocation policy (mem_init: cJSON allocates
 * through the abort-on-OOM wrappers) before the first input. Include it once per target. */
#ifndef CATALOGD_FUZZ_INIT_H
#define CATALOGD_FUZZ_INIT_H

#include "core/mem.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    mem_init();
    return 0;
}

#endif
