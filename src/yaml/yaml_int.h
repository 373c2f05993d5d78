/* yaml_int.h - between yaml.c (the parser proper) and isolate.c (where it runs). */
#ifndef CATALOGD_YAML_INT_H
#define CATALOGD_YAML_INT_H

#include "yaml/yaml.h"

/* yaml_load's work, in the calling process. */
yaml_status_t yaml__load_here(span_t text, const yaml_opts_t *opts, cJSON **out, yaml_error_t *err);

#endif
