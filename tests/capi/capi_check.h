/* The checks of the C ABI test programs: CHECK(call) fails the test when a
 * call does not return RT_OK (printing its status and rt_last_error()),
 * EXPECT(cond) when a condition is false. A failure prints where and exits
 * 1, so each program's exit status is its result. */
#ifndef RUNATIME_TESTS_CAPI_CHECK_H
#define RUNATIME_TESTS_CAPI_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#include "runatime.h"

#define CHECK(call)                                                     \
  do {                                                                  \
    rt_status check_status_ = (call);                                   \
    if (check_status_ != RT_OK) {                                       \
      fprintf(stderr, "%s:%d: %s: %s: %s\n", __FILE__, __LINE__, #call, \
              rt_status_name(check_status_), rt_last_error());          \
      exit(1);                                                          \
    }                                                                   \
  } while (0)

#define EXPECT(cond)                                                      \
  do {                                                                    \
    if (!(cond)) {                                                        \
      fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
      exit(1);                                                            \
    }                                                                     \
  } while (0)

#endif /* RUNATIME_TESTS_CAPI_CHECK_H */
