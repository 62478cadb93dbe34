/* registry: the list of runtime drivers, generated from runtimes.def.
 * Only the list lives here (the lookup and the spec parser are in
 * spec.c), so a unit test can link the parser with a registry of its own
 * and no driver at all. */
#include "runtime/drivers/registry.h"


#define X(name) extern const struct ib_runtime_ops ib_runtime_##name;
#include "runtime/drivers/runtimes.def"
#undef X

const struct ib_runtime_ops *const ib_runtimes[] = {
#define X(name) &ib_runtime_##name,
#include "runtime/drivers/runtimes.def"
#undef X
};
const int ib_nruntimes = (int)IB_ARRAY_LEN(ib_runtimes);
