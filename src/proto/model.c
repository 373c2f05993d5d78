/* model.c - lookups into the generated model tables. */
#include "proto/model.h"

#include <string.h>

const model_service_t *model_service(const char *name)
{
    for (size_t i = 0; i < model_n_services; i++)
        if (strcmp(model_services[i].name, name) == 0) return &model_services[i];
    return NULL;
}

const model_member_t *model_member(const model_service_t *svc, const model_shape_t *s,
                                   const char *name)
{
    if (s->type != MT_STRUCTURE) return NULL;
    for (uint16_t i = 0; i < s->n_members; i++) {
        const model_member_t *m = &svc->members[s->first_member + i];
        if (strcmp(m->name, name) == 0) return m;
    }
    return NULL;
}
