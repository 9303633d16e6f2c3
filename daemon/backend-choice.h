/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Which backend holds the rules, and why; and whether the ruleset we do not
 * manage filters INPUT too.
 *
 * Backstop writes the ruleset the host's own `iptables` shows, so that
 * `iptables -S` and `backstopctl rules` agree. The choice, in order:
 *   the command line (--backend=), else the configuration file (Backend=,
 *   daemon-config.h), else "auto":
 *   (a) what the host's iptables is: the alternatives link, else the
 *       iptables in /usr/sbin or /sbin, followed link by link until a name
 *       says it (xtables-nft-multi, iptables-nft: nft; xtables-legacy-multi,
 *       iptables-legacy, xtables-multi: legacy);
 *   (b) else which ruleset holds rules (a filter table with a rule or a
 *       policy other than ACCEPT) when only one does;
 *   (c) else nft, what every current distribution's iptables is.
 *
 * This lives in the daemon folder, not in netfilter/ or nftables/: it is
 * the first layer that sees both backends. Library-like: no logging, -errno;
 * main.c logs the choice and its reason. Both the daemon and --restore
 * choose through here, so that boot loads the ruleset the daemon manages. */

#include "backend.h"

typedef enum bs_backend_mode {
        BS_BACKEND_AUTO,
        BS_BACKEND_LEGACY,
        BS_BACKEND_NFT,
        _BS_BACKEND_MODE_MAX,
        _BS_BACKEND_MODE_INVALID = -EINVAL,
} bs_backend_mode;

/* "auto", "legacy", "nft" (also "iptables-legacy", "iptables-nft", the
 * backends' own names); -EINVAL for anything else. */
bs_backend_mode bs_backend_mode_from_string(const char *s) _pure_;
const char *bs_backend_mode_to_string(bs_backend_mode m) _pure_;

#define BS_IPTABLES_LINKS_DEFAULT "/etc/alternatives/iptables:/usr/sbin/iptables:/sbin/iptables"
#define BS_PROC_NET_DEFAULT "/proc/net"

/* What "auto" looks at. Tests point the paths at their own files (the
 * daemon takes the links from $BACKSTOP_IPTABLES_LINKS) and may give
 * backends of their own. */
typedef struct bs_backend_probe {
        const char *iptables_links;  /* ':'-separated paths, tried in order */
        const char *proc_net;        /* where ip_tables_names and ip6_tables_names are */
        const bs_backend *legacy, *nft;
        const bs_nf_options *nf;
} bs_backend_probe;

/* The defaults, with $BACKSTOP_IPTABLES_LINKS (the strings are the
 * environment's own or static: valid while the environment is). */
void bs_backend_probe_default(bs_backend_probe *ret);

#define BS_BACKEND_REASON_MAX 512

typedef struct bs_backend_choice {
        const bs_backend *backend;
        char reason[BS_BACKEND_REASON_MAX];
} bs_backend_choice;

/* The "auto" choice: (a), (b), (c) above. Always chooses (read errors only
 * make (b) find nothing), so returns 0, or -EINVAL. */
int bs_backend_choose_auto(const bs_backend_probe *p, bs_backend_choice *ret);

/* The whole choice. cmdline: the --backend= value, or -1 when not given;
 * config_mode, config_path: the configuration file's Backend= and the
 * file (config_path NULL when no file sets it). */
int bs_backend_choose(int cmdline, int config_mode, const char *config_path, const bs_backend_probe *p,
                      bs_backend_choice *ret);

/* Whether the legacy ruleset filters INPUT (its filter table's INPUT chain
 * has a rule or policy DROP, either family), for a daemon that manages the
 * nft one. Reads nothing (and so creates no legacy table) when the kernel
 * lists no legacy filter table. *ret_description: e.g. "ipv4 filter INPUT:
 * 2 rules, policy DROP", "; "-separated, NULL when it does not. A kernel
 * without the legacy tables answers false. */
int bs_legacy_filters_input(const bs_backend_probe *p, bool *ret, char **ret_description);
