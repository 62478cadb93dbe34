/* registry: the runtime drivers isobench has (runtimes.def, one line per
 * driver; the list is in registry.c), found by name, and runtime specs
 * ("docker:runtime=runsc") parsed against their driver's options (spec.c).
 * Adding a runtime is one driver file in this folder and one line in
 * runtimes.def (this folder's meson.build reads it for the file). */
#ifndef ISOBENCH_REGISTRY_H
#define ISOBENCH_REGISTRY_H

#include "runtime/runtime.h"

/* The registry, in runtimes.def order. */
extern const struct ib_runtime_ops *const ib_runtimes[];
extern const int ib_nruntimes;
const struct ib_runtime_ops *ib_runtime_find(const char *name);

/* Parses spec ("name" or "name:key=value,...") against the registry.
 * On success fills *ops, values[] (every option's value, defaults
 * included; free with ib_runtime_spec_free) and, if label is not NULL,
 * *label (the canonical spec: the name, then the options that differ from
 * their defaults, in table order; caller frees). Returns 0 or -EINVAL
 * with err naming what is wrong. */
int ib_runtime_spec(const char *spec, const struct ib_runtime_ops **ops,
		    char *values[IB_RT_MAX_OPTIONS], char **label,
		    struct ib_err *err);
void ib_runtime_spec_free(char *values[IB_RT_MAX_OPTIONS]);

#endif
