/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What every fuzz target checks with: a property that fails aborts, so
 * that libFuzzer keeps the input and says where. */

#include <stdio.h>
#include <stdlib.h>

#define CHECK(expr)                                                                              \
        do {                                                                                     \
                if (!(expr)) {                                                                   \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr); \
                        abort();                                                                 \
                }                                                                                \
        } while (0)
