/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which backend holds the rules, and why (backend-choice.h). */
#include "backend-choice.h"

#include <limits.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "fileio.h"

#define LINK_HOPS_MAX 16
#define PROC_NAMES_MAX (64 * 1024)

static const char *const mode_names[_BS_BACKEND_MODE_MAX] = {
        [BS_BACKEND_AUTO] = "auto",
        [BS_BACKEND_LEGACY] = "legacy",
        [BS_BACKEND_NFT] = "nft",
};

bs_backend_mode bs_backend_mode_from_string(const char *s) {
        if (!s)
                return _BS_BACKEND_MODE_INVALID;
        for (int m = 0; m < _BS_BACKEND_MODE_MAX; m++)
                if (streq(s, mode_names[m]))
                        return m;
        if (streq(s, "iptables-legacy"))
                return BS_BACKEND_LEGACY;
        if (streq(s, "iptables-nft"))
                return BS_BACKEND_NFT;
        return _BS_BACKEND_MODE_INVALID;
}

const char *bs_backend_mode_to_string(bs_backend_mode m) {
        return m >= 0 && m < _BS_BACKEND_MODE_MAX ? mode_names[m] : NULL;
}

void bs_backend_probe_default(bs_backend_probe *ret) {
        const char *links = getenv("BACKSTOP_IPTABLES_LINKS");
        *ret = (bs_backend_probe) {
                .iptables_links = links && *links ? links : BS_IPTABLES_LINKS_DEFAULT,
                .proc_net = BS_PROC_NET_DEFAULT,
                .legacy = &bs_backend_iptables_legacy,
                .nft = &bs_backend_iptables_nft,
        };
}

/* snprintf that appends to buf and never overflows (cut short instead). */
_printf_(3, 4) static void append(char *buf, size_t size, const char *fmt, ...) {
        size_t len = strnlen(buf, size);
        if (len + 1 >= size)
                return;
        va_list ap;
        va_start(ap, fmt);
        (void) vsnprintf(buf + len, size - len, fmt, ap);
        va_end(ap);
}

/* ------------------------------------------------------------ (a) the link */

/* What a program's file name says it is. */
static bs_backend_mode mode_of_program(const char *path) {
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        if (streq(base, "xtables-nft-multi") || streq(base, "iptables-nft"))
                return BS_BACKEND_NFT;
        if (streq(base, "xtables-legacy-multi") || streq(base, "iptables-legacy") || streq(base, "xtables-multi"))
                return BS_BACKEND_LEGACY;
        return BS_BACKEND_AUTO; /* says nothing */
}

/* Follow the link at `path` hop by hop until a target's name says legacy or
 * nft. *ret: that mode, or AUTO when the path is missing, no name says it,
 * or the named program does not exist (a dangling link runs nothing).
 * `chain` gets "path -> target -> ..." up to the hop that said it, and
 * ": dangling" / ": says neither" when none did. */
static void probe_link(const char *path, char *chain, size_t chain_size, bs_backend_mode *ret) {
        struct stat st;
        *ret = BS_BACKEND_AUTO;
        chain[0] = '\0';
        if (lstat(path, &st) < 0)
                return;
        append(chain, chain_size, "%s", path);

        char cur[PATH_MAX], target[PATH_MAX];
        snprintf(cur, sizeof(cur), "%s", path);
        for (unsigned hop = 0; hop < LINK_HOPS_MAX; hop++) {
                ssize_t n = readlink(cur, target, sizeof(target) - 1);
                if (n < 0)
                        break; /* not a link (EINVAL) or unreadable: nothing more to follow */
                target[n] = '\0';
                char next[PATH_MAX];
                if (target[0] == '/')
                        snprintf(next, sizeof(next), "%s", target);
                else {
                        const char *slash = strrchr(cur, '/');
                        int dir_len = slash ? (int) (slash - cur) : 1;
                        if (snprintf(next, sizeof(next), "%.*s/%s", dir_len, slash ? cur : ".", target) >=
                            (int) sizeof(next))
                                break;
                }
                append(chain, chain_size, " -> %s", next);
                bs_backend_mode m = mode_of_program(next);
                if (m != BS_BACKEND_AUTO) {
                        if (stat(next, &st) < 0) {
                                append(chain, chain_size, ": dangling");
                                return;
                        }
                        *ret = m;
                        return;
                }
                snprintf(cur, sizeof(cur), "%s", next);
        }
        append(chain, chain_size, ": says neither legacy nor nft");
}

/* ----------------------------------------------------- (b) who holds rules */

/* Whether the kernel lists `table` among the legacy tables of the family
 * (<proc_net>/ip_tables_names or ip6_tables_names). Reading a legacy table
 * that is not there would create it (libiptc loads its module). */
static bool legacy_table_listed(const bs_backend_probe *p, bs_family family, const char *table) {
        _cleanup_free_ char *names = NULL;
        size_t len;
        if (bs_read_file(p->proc_net, family == BS_FAMILY_IPV6 ? "ip6_tables_names" : "ip_tables_names",
                         PROC_NAMES_MAX, &names, &len) < 0)
                return false;
        for (char *save = NULL, *line = strtok_r(names, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                if (streq(line, table))
                        return true;
        return false;
}

/* A table with a rule in any chain, or a built-in chain whose policy is
 * not ACCEPT, is one somebody set up. */
static bool table_holds_rules(const bs_table *t) {
        for (size_t i = 0; i < t->n_chains; i++)
                if (t->chains[i].n_rules > 0 || (t->chains[i].builtin && t->chains[i].policy != BS_POLICY_ACCEPT))
                        return true;
        return false;
}

/* Errors that say the table or the whole ruleset is not in this kernel:
 * it holds nothing. Any other error (the xtables lock held, a backend that
 * cannot read here: -EOPNOTSUPP) leaves it unknown, and is said so. */
static bool error_means_nothing(int r) {
        return r == -EPROTONOSUPPORT || r == -ENOENT || r == -EAFNOSUPPORT;
}

/* Whether the ruleset behind `b` holds rules in either family's filter
 * table. -errno of the first read that failed otherwise, with *ret set
 * from the family that could be read. */
static int ruleset_holds_rules(const bs_backend_probe *p, const bs_backend *b, bool legacy, bool *ret) {
        *ret = false;
        int first_error = 0;
        for (int f = 0; f < 2; f++) {
                bs_family family = f == 0 ? BS_FAMILY_IPV4 : BS_FAMILY_IPV6;
                if (legacy && !legacy_table_listed(p, family, "filter"))
                        continue;
                _cleanup_table_ bs_table *t = NULL;
                int r = b->read(family, "filter", p->nf, &t);
                if (r < 0) {
                        if (!error_means_nothing(r) && first_error == 0)
                                first_error = r;
                        continue;
                }
                if (table_holds_rules(t))
                        *ret = true;
        }
        return first_error;
}

static void describe_read(char *buf, size_t size, const char *what, bool holds, int error) {
        if (error < 0 && !holds)
                append(buf, size, "%s not readable: %s", what, strerror(-error));
        else
                append(buf, size, "%s %s", what, holds ? "holds rules" : "holds none");
}

/* ------------------------------------------------------------------ choice */

static void set_choice(bs_backend_choice *ret, const bs_backend *b) {
        ret->backend = b;
        ret->reason[0] = '\0';
}

int bs_backend_choose_auto(const bs_backend_probe *p, bs_backend_choice *ret) {
        if (!p || !ret || !p->iptables_links || !p->legacy || !p->nft)
                return -EINVAL;

        /* (a) */
        char seen[BS_BACKEND_REASON_MAX / 2] = "";
        const char *links = p->iptables_links;
        while (*links) {
                size_t len = strcspn(links, ":");
                char path[PATH_MAX];
                if (len > 0 && len < sizeof(path)) {
                        memcpy(path, links, len);
                        path[len] = '\0';
                        char chain[BS_BACKEND_REASON_MAX / 2];
                        bs_backend_mode m;
                        probe_link(path, chain, sizeof(chain), &m);
                        if (m != BS_BACKEND_AUTO) {
                                set_choice(ret, m == BS_BACKEND_NFT ? p->nft : p->legacy);
                                append(ret->reason, sizeof(ret->reason), "auto: %s", chain);
                                return 0;
                        }
                        if (chain[0] && !seen[0])
                                snprintf(seen, sizeof(seen), "%s", chain);
                }
                links += len;
                links += *links == ':';
        }

        /* (b) */
        bool legacy_rules, nft_rules;
        int legacy_error = ruleset_holds_rules(p, p->legacy, true, &legacy_rules);
        int nft_error = ruleset_holds_rules(p, p->nft, false, &nft_rules);
        const bs_backend *b = legacy_rules && !nft_rules ? p->legacy : p->nft;
        set_choice(ret, b);
        append(ret->reason, sizeof(ret->reason), "auto: ");
        if (legacy_rules != nft_rules)
                append(ret->reason, sizeof(ret->reason), "only the %s filter tables hold rules",
                       legacy_rules ? "legacy" : "nf_tables");
        else /* (c) */
                append(ret->reason, sizeof(ret->reason), "%s; nft, the default",
                       legacy_rules ? "both rulesets hold rules" : "neither ruleset holds rules");
        append(ret->reason, sizeof(ret->reason), " (host iptables unknown: %s; ",
               seen[0] ? seen : "no iptables link found");
        describe_read(ret->reason, sizeof(ret->reason), "legacy", legacy_rules, legacy_error);
        append(ret->reason, sizeof(ret->reason), ", ");
        describe_read(ret->reason, sizeof(ret->reason), "nf_tables", nft_rules, nft_error);
        append(ret->reason, sizeof(ret->reason), ")");
        return 0;
}

int bs_backend_choose(int cmdline, int config_mode, const char *config_path, const bs_backend_probe *p,
                      bs_backend_choice *ret) {
        if (!p || !ret || cmdline >= _BS_BACKEND_MODE_MAX || (config_path && (config_mode < 0 ||
                                                                              config_mode >= _BS_BACKEND_MODE_MAX)))
                return -EINVAL;
        bs_backend_mode m;
        if (cmdline >= 0)
                m = cmdline;
        else if (config_path)
                m = config_mode;
        else
                m = BS_BACKEND_AUTO;
        if (m == BS_BACKEND_AUTO)
                return bs_backend_choose_auto(p, ret);

        set_choice(ret, m == BS_BACKEND_NFT ? p->nft : p->legacy);
        if (cmdline >= 0)
                append(ret->reason, sizeof(ret->reason), "--backend=%s", bs_backend_mode_to_string(m));
        else
                append(ret->reason, sizeof(ret->reason), "configured in %s (Backend=%s)", config_path,
                       bs_backend_mode_to_string(m));
        return 0;
}

/* ------------------------------------------------ the other ruleset: legacy */

int bs_legacy_filters_input(const bs_backend_probe *p, bool *ret, char **ret_description) {
        if (!p || !p->legacy || !ret)
                return -EINVAL;
        char desc[1024] = "";
        for (int f = 0; f < 2; f++) {
                bs_family family = f == 0 ? BS_FAMILY_IPV4 : BS_FAMILY_IPV6;
                if (!legacy_table_listed(p, family, "filter"))
                        continue;
                _cleanup_table_ bs_table *t = NULL;
                int r = p->legacy->read(family, "filter", p->nf, &t);
                if (r < 0) {
                        if (error_means_nothing(r) || r == -EOPNOTSUPP)
                                continue;
                        return r;
                }
                const bs_chain *input = bs_table_find_chain(t, "INPUT");
                if (!input || (input->n_rules == 0 && input->policy != BS_POLICY_DROP))
                        continue;
                append(desc, sizeof(desc), "%s%s filter INPUT: %zu rule%s, policy %s", desc[0] ? "; " : "",
                       bs_family_to_string(family), input->n_rules, input->n_rules == 1 ? "" : "s",
                       bs_policy_to_string(input->policy));
        }
        if (ret_description) {
                *ret_description = NULL;
                if (desc[0] && !(*ret_description = strdup(desc)))
                        return -ENOMEM;
        }
        *ret = desc[0] != '\0';
        return 0;
}
