/* unit.h: what every unit test includes: cmocka (with the headers it
 * needs first) and a few assertions cmocka lacks. cmocka's
 * assert_float_equal compares in single precision, too coarse for
 * statistics, hence assert_near on doubles. */
#ifndef ISOBENCH_UNIT_H
#define ISOBENCH_UNIT_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* |a - b| <= tol, on doubles; NAN never passes. */
#define assert_near(a, b, tol)                                               \
	do {                                                                 \
		double a_ = (a), b_ = (b), t_ = (tol);                       \
		if (!(fabs(a_ - b_) <= t_))                                  \
			fail_msg("%s = %.17g, expected %.17g (+- %g)", #a,   \
				 a_, b_, t_);                                \
	} while (0)

/* haystack contains needle (both strings). */
#define assert_contains(haystack, needle)                                    \
	do {                                                                 \
		const char *h_ = (haystack), *n_ = (needle);                 \
		if (!h_ || !strstr(h_, n_))                                  \
			fail_msg("\"%s\" does not contain \"%s\"",           \
				 h_ ? h_ : "(null)", n_);                    \
	} while (0)

/* s starts with prefix. */
#define assert_prefix(s, prefix)                                             \
	do {                                                                 \
		const char *s_ = (s), *p_ = (prefix);                        \
		if (!s_ || strncmp(s_, p_, strlen(p_)) != 0)                 \
			fail_msg("\"%s\" does not start with \"%s\"",        \
				 s_ ? s_ : "(null)", p_);                    \
	} while (0)

#endif
