/* test_core.c - the error table. */
#include "spatia/error.h"
#include "test.h"

TEST(strerror_known_and_unknown)
{
    ASSERT_STREQ(spatia_strerror(SPATIA_OK), "success");
    ASSERT_STREQ(spatia_strerror(SPATIA_CONFIG), "invalid configuration");
    ASSERT_STREQ(spatia_strerror(-9999), "unknown error");
    ASSERT_STREQ(spatia_err_name(SPATIA_NOMEM), "SPATIA_NOMEM");
}

TEST_MAIN(T(strerror_known_and_unknown))
