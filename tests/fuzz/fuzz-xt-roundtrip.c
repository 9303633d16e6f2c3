/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: an extension's bytes printed by the real libxtables helper
 * and the text parsed back through it (daemon/xtables), as the daemon does
 * for display and for Apply. Whatever the helper does with the bytes (it
 * may print nonsense, refuse, crash or hang), the daemon's side must come
 * back with a whole text, and where the printed text parses, it must
 * print the same again: iptables -S output read back means what it said.
 *
 * Needs root (the helper runs as nobody) and the helper:
 * BACKSTOP_XTABLES_HELPER, else build-dir/daemon/xtables/backstop-xtables
 * next to this program. Input: one byte (bit 0 IPv6, bits 1-2 the rule's
 * protocol: none, tcp, udp, sctp), one byte choosing the extension among
 * those of the host's xtables directory, one byte the revision, then the
 * payload. */
#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "text.h"
#include "xt-client.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static bs_xt_client *client;
static char names[256][BS_EXT_NAME_MAX + 1];
static size_t n_names;

static void scan_extensions(void) {
        const char *dir = getenv("XTABLES_LIBDIR");
        DIR *d = opendir(dir ? dir : "/usr/lib/x86_64-linux-gnu/xtables");
        if (!d)
                return;
        struct dirent *e;
        while ((e = readdir(d)) && n_names < 256) {
                const char *n = e->d_name, *rest = NULL;
                if (!strncmp(n, "libxt_", 6))
                        rest = n + 6;
                else if (!strncmp(n, "libipt_", 7))
                        rest = n + 7;
                else if (!strncmp(n, "libip6t_", 8))
                        rest = n + 8;
                size_t len = rest ? strcspn(rest, ".") : 0;
                if (len == 0 || len > BS_EXT_NAME_MAX || strcmp(rest + len, ".so"))
                        continue;
                memcpy(names[n_names], rest, len);
                names[n_names++][len] = '\0';
        }
        closedir(d);
        /* the directory's order is the file system's: sorted, an input
         * names the same extension on every host with the same set */
        qsort(names, n_names, sizeof(names[0]), (int (*)(const void *, const void *)) strcmp);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        char path[PATH_MAX];
        const char *helper = getenv("BACKSTOP_XTABLES_HELPER");
        if (!helper) {
                char self[PATH_MAX];
                ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
                CHECK(n > 0);
                self[n] = '\0';
                /* build-dir/tests/fuzz/this -> build-dir/daemon/xtables/backstop-xtables */
                snprintf(path, sizeof(path), "%s/../../daemon/xtables/backstop-xtables", dirname(self));
                helper = path;
        }
        CHECK(bs_xt_client_new(helper, &client) == 0);
        /* an extension that loops on some bytes costs 0.2 s (and a pause
         * of twice that) */
        bs_xt_client_set_timeout(client, 200 * 1000ULL);
        bs_text_set_ext_provider(&bs_xt_client_provider, client);
        scan_extensions();
        return 0;
}

static char *render_rule(const bs_rule *r) {
        bs_buf b = {};
        CHECK(bs_render_rule(r, &b) == 0);
        return b.data ? b.data : strdup("");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const uint16_t protos[] = { 0, 6, 17, 132 };
        if (size < 3 || n_names == 0 || size - 3 > 4096)
                return 0;
        bs_family f = data[0] & 1 ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4;
        const char *name = names[data[1] % n_names];
        bool target = name[0] >= 'A' && name[0] <= 'Z';
        bs_rule r;
        bs_rule_init(&r, f);
        r.proto = protos[(data[0] >> 1) & 3];
        bs_opaque *o;
        if (target) {
                r.target.kind = BS_TARGET_OPAQUE;
                o = &r.target.opaque;
        } else {
                bs_match *m = bs_rule_add_match(&r, BS_MATCH_OPAQUE);
                CHECK(m);
                o = &m->opaque;
        }
        strcpy(o->name, name);
        o->revision = data[2];
        o->size = (size - 3 + 7) / 8 * 8;
        o->data = calloc(1, o->size ? o->size : 1);
        CHECK(o->data);
        memcpy(o->data, data + 3, size - 3);

        int pid_before = bs_xt_client_helper_pid(client, f);
        char *text = render_rule(&r);
        static unsigned long n_runs, n_printed;
        n_runs++;
        n_printed += !strstr(text, BS_RAW_OPTION);
        bool stats = getenv("FUZZ_XT_STATS");
        if (stats && pid_before && bs_xt_client_helper_pid(client, f) == 0)
                fprintf(stderr, "helper gone after %s revision %u, %zu bytes\n", name, o->revision, o->size);
        if (stats && (n_runs & (n_runs - 1)) == 0)
                fprintf(stderr, "%lu inputs, %lu printed by the helper (helper pid %d)\n", n_runs, n_printed,
                        bs_xt_client_helper_pid(client, f));
        /* printed whole: by the helper, or raw */
        CHECK(strstr(text, target ? "-j " : "-m ") && !strchr(text, '\n'));
        bs_rule back;
        bs_parse_error err;
        char **words;
        size_t n;
        if (!strstr(text, BS_RAW_OPTION) && bs_split_words(text, &words, &n, &err) == 0) {
                if (bs_parse_rule(f, words, n, &back, &err) == 0) {
                        char *again = render_rule(&back);
                        if (strcmp(again, text) != 0 && !strstr(again, BS_RAW_OPTION)) {
                                fprintf(stderr, "%s: printed \"%s\", read back and printed \"%s\"\n", name, text,
                                        again);
                                abort();
                        }
                        free(again);
                        bs_rule_done(&back);
                }
                bs_words_free(words, n);
        }
        free(text);
        bs_rule_done(&r);
        return 0;
}
