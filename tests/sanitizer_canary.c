/*
 * sanitizer_canary.c — three deliberate bugs that the sanitizer build must
 * catch: a leak, a heap overflow and signed-integer overflow (UB).
 *
 * Built and registered only when b_sanitize has both address and
 * undefined (tests/meson.build), as meson tests canary_leak,
 * canary_overflow and canary_ub with should_fail: true, each running one
 * of the cases below through Criterion's --filter. scripts/test-summary
 * counts a canary as passed only if it failed *and* its output shows the
 * sanitizer report, so a change to ASAN_OPTIONS, UBSAN_OPTIONS,
 * -fno-sanitize-recover or Criterion's handling of crashed workers that
 * would let real bugs pass silently fails the run instead.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

Test(canary, leak)
{
	char *volatile p = malloc(64);

	cr_assert_not_null(p);
	memset(p, 'x', 64);
	cr_assert_eq(p[63], 'x');
	/* Dropped without free(): LeakSanitizer must fail the program. */
	p = NULL;
}

Test(canary, overflow)
{
	/* volatile bytes: a store just before free() is otherwise dead and
	 * the optimiser drops it, overflow and all. */
	volatile char *volatile p = malloc(8);
	volatile size_t i = 8;

	cr_assert_not_null(p);
	p[i] = 'x';     /* one past the end: AddressSanitizer */
	free((char *)p);
}

Test(canary, ub)
{
	volatile int big = INT_MAX;
	volatile int one = 1;
	int sum = big + one;    /* signed overflow: UBSan */

	cr_assert_neq(sum, 0);
}
