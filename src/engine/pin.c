/* pin.c - a step's wishes about where its job runs next (engine.h: engine_pin); the
 * engine writes them with the step's commit and reads them in its claim (engine.c). */
#include "engine/engine.h"

void engine_pin(engine_run_t *r)
{
    r->pin = 1;
}

void engine_unpin(engine_run_t *r)
{
    r->pin = -1;
}

bool engine_pin_first(engine_run_t *r)
{
    engine_pin(r);
    return r->pinned || r->orphaned;
}
