/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "journal.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"

#define BASE_PREFIX "journal-base-"

bs_journal_base *bs_journal_base_ref(bs_journal_base *b) {
        if (b)
                b->n_ref++;
        return b;
}

void bs_journal_base_unref(bs_journal_base *b) {
        if (!b || --b->n_ref > 0)
                return;
        for (size_t i = 0; i < b->n_replay; i++)
                free(b->replay[i]);
        free(b->replay);
        free(b);
}

bool bs_journal_base_name_valid(const char *name) {
        size_t k = strlen(BASE_PREFIX), n = strlen(name);
        return n > k && n <= k + 20 && strncmp(name, BASE_PREFIX, k) == 0 && strspn(name + k, "0123456789") == n - k;
}

int bs_journal_base_append(bs_journal_base *b, char *const *commands, size_t n) {
        if (n > SIZE_MAX / 2 - b->n_replay)
                return -E2BIG;
        if (b->n_replay + n > b->cap_replay) {
                size_t cap = b->cap_replay ? b->cap_replay : 16;
                while (cap < b->n_replay + n)
                        cap *= 2;
                char **v = realloc(b->replay, cap * sizeof(char *));
                if (!v)
                        return -ENOMEM;
                b->replay = v;
                b->cap_replay = cap;
        }
        size_t added = 0, bytes = 0;
        for (; added < n; added++) {
                b->replay[b->n_replay + added] = strdup(commands[added]);
                if (!b->replay[b->n_replay + added])
                        break;
                bytes += strlen(commands[added]);
        }
        if (added < n) {
                for (size_t i = 0; i < added; i++)
                        free(b->replay[b->n_replay + i]);
                return -ENOMEM;
        }
        b->n_replay += n;
        b->replay_bytes += bytes;
        return 0;
}

/* Every base file in dir but keep (a name; NULL: none kept). */
static void remove_other_bases(const char *dir, const char *keep) {
        DIR *d = opendir(dir);
        if (!d)
                return;
        struct dirent *e;
        while ((e = readdir(d)))
                if (bs_journal_base_name_valid(e->d_name) && (!keep || strcmp(e->d_name, keep) != 0))
                        (void) unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
}

int bs_journal_base_write(const char *dir, const bs_table *const tables[2], bs_journal_base **ret) {
        _cleanup_journal_base_ bs_journal_base *b = calloc(1, sizeof(*b));
        if (!b)
                return -ENOMEM;
        b->n_ref = 1;
        /* unique across restarts of the daemon: the wall clock in
         * microseconds, one later than the last when it did not move */
        static uint64_t last;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t n = (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
        if (n <= last)
                n = last + 1;
        last = n;
        snprintf(b->name, sizeof(b->name), BASE_PREFIX "%" PRIu64, n);

        _cleanup_buf_ bs_buf out = {};
        int r = bs_buf_printf(&out, "backstop-journal-base 1\n");
        if (r < 0)
                return r;
        r = bs_journal_format_tables(tables, &out);
        if (r < 0)
                return r;
        b->checksum = bs_journal_checksum(BS_JOURNAL_VERSION, out.data, out.len);
        r = bs_buf_printf(&out, "end %016" PRIx64 "\n", b->checksum);
        if (r < 0)
                return r;
        r = bs_write_file_atomic(dir, b->name, out.data, out.len, 0600);
        if (r < 0)
                return r;
        remove_other_bases(dir, b->name);
        *ret = TAKE_PTR(b);
        return 0;
}
