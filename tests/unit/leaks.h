/* leaks.h — assert_no_leaks() for the unit tests that allocate. */
#ifndef APIMON_TEST_LEAKS_H
#define APIMON_TEST_LEAKS_H

/*
 * LeakSanitizer only reports at exit, after Criterion has scored the test;
 * checking here makes a leak fail the test that caused it.
 */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define assert_no_leaks()	cr_assert_eq(__lsan_do_recoverable_leak_check(), \
				    0, "LeakSanitizer found a leak (see stderr)")
#else
#define assert_no_leaks()	((void)0)
#endif

#endif
