/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: the transaction journal parser (daemon/journal.h), which
 * reads a file the daemon finds in its runtime directory at start.
 *
 * Input: one control byte, then the journal text. The journal ends in a
 * checksum line that a random mutation almost always breaks, which would
 * keep the fuzzer at the door: with bit 0 of the control byte clear, the
 * harness appends the right "end <checksum>" line itself (the checksum of
 * the version the text declares), so the parser's deeper states are
 * reached; with it set, the text is parsed as given.
 *
 * Whatever parses must format, and the formatted journal must parse again
 * and format to the same bytes (a version 1 journal is formatted as the
 * current version, which recomputes its table after from its changes: that
 * may be refused, as a corrupt journal). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1 || size > 1024 * 1024)
                return 0;
        bool as_given = data[0] & 1;
        data++, size--;
        char *text = malloc(size + 32);
        CHECK(text);
        memcpy(text, data, size);
        size_t len = size;
        if (!as_given)
                len += (size_t) snprintf(text + size, 32, "end %016" PRIx64 "\n",
                                         bs_journal_checksum(bs_journal_text_version(text, size), text, size));

        bs_journal *j = NULL;
        char err[256] = "";
        int r = bs_journal_parse(text, len, &j, err, sizeof(err));
        /* Version 1 wrote the table after as given; formatted as version 2
         * it is recomputed from the changes, which need not give it. */
        bool version1 = len >= 19 && memcmp(text, "backstop-journal 1\n", 19) == 0;
        free(text);
        if (r < 0) {
                CHECK(!j);
                CHECK(r == -EBADMSG || r == -ENOMEM);
                return 0;
        }
        CHECK(j);

        bs_buf a = {}, b = {};
        CHECK(bs_journal_format(j, &a) == 0);
        bs_journal *j2 = NULL;
        r = bs_journal_parse(a.data, a.len, &j2, err, sizeof(err));
        if (r < 0 && version1) {
                CHECK(r == -EBADMSG || r == -ENOMEM);
                bs_buf_done(&a);
                bs_journal_free(j);
                return 0;
        }
        if (r < 0) {
                fprintf(stderr, "formatted journal does not parse: %s\n%s", err, a.data);
                abort();
        }
        CHECK(bs_journal_format(j2, &b) == 0);
        CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
        CHECK(j->id == j2->id && j->n_changes == j2->n_changes);

        bs_buf_done(&a);
        bs_buf_done(&b);
        bs_journal_free(j);
        bs_journal_free(j2);
        return 0;
}
