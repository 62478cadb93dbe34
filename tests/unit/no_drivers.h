/* no_drivers.h: for the unit tests that bring a registry of their own
 * (their own ib_runtimes[] of toy drivers): assert_no_real_driver() fails
 * if any driver of runtimes.def was linked in anyway. The references are
 * weak, and a weak reference does not pull an object out of the static
 * library: a driver's address is NULL unless something else linked it. */
#ifndef ISOBENCH_TEST_NO_DRIVERS_H
#define ISOBENCH_TEST_NO_DRIVERS_H

#include "runtime/runtime.h"

#define X(name)                                                             \
	extern const struct ib_runtime_ops ib_runtime_##name                \
		__attribute__((weak));
#include "runtime/drivers/runtimes.def"
#undef X

static inline void assert_no_real_driver(void)
{
#define X(name)                                                             \
	if (&ib_runtime_##name != NULL)                                     \
		fail_msg("driver %s is linked into a test that should link "  \
			 "none", #name);
#include "runtime/drivers/runtimes.def"
#undef X
}

#endif
