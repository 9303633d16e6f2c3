/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The target extensions: LOG and REJECT, and their lookup by -j name. */
#include "text-internal.h"

#include <strings.h>

/* ------------------------------------------------------------ LOG */

enum { LOG_LEVEL_O, LOG_PREFIX_O, LOG_TCPSEQ_O, LOG_TCPOPT_O, LOG_IPOPT_O, LOG_UID_O, LOG_MACDECODE_O };

static const text_opt log_opts[] = {
        { "log-level", LOG_LEVEL_O, true, false },
        { "log-prefix", LOG_PREFIX_O, true, false },
        { "log-tcp-sequence", LOG_TCPSEQ_O, false, false },
        { "log-tcp-options", LOG_TCPOPT_O, false, false },
        { "log-ip-options", LOG_IPOPT_O, false, false },
        { "log-uid", LOG_UID_O, false, false },
        { "log-macdecode", LOG_MACDECODE_O, false, false },
        {},
};

static void log_init(text_parse_state *s, text_ext_inst *x) {
        s->rule->target.kind = BS_TARGET_LOG;
        s->rule->target.log = (bs_target_log){ .level = 4 };
}

static int log_option(text_parse_state *s, text_ext_inst *x, const text_opt *o, const char *arg, int word,
                      bool invert) {
        bs_target_log *l = &s->rule->target.log;
        switch (o->id) {
        case LOG_LEVEL_O: {
                int level = text_log_level_from_string(arg);
                if (level < 0)
                        return FAIL(s, word, arg, "unknown log level \"%s\" (0-7 or emerg, alert, crit, error, "
                                    "warning, notice, info, debug)", arg);
                l->level = (uint8_t) level;
                return 0;
        }
        case LOG_PREFIX_O: {
                size_t len = strlen(arg);
                if (len == 0)
                        return FAIL(s, word, arg, "empty --log-prefix");
                if (len > BS_LOG_PREFIX_MAX)
                        return FAIL(s, word, arg, "log prefix is too long (%zu characters, at most %d)", len,
                                    BS_LOG_PREFIX_MAX);
                if (strpbrk(arg, "\n\r"))
                        return FAIL(s, word, arg, "log prefix may not contain a line break");
                memcpy(l->prefix, arg, len + 1);
                return 0;
        }
        case LOG_TCPSEQ_O:
                l->flags |= XT_LOG_TCPSEQ;
                return 0;
        case LOG_TCPOPT_O:
                l->flags |= XT_LOG_TCPOPT;
                return 0;
        case LOG_IPOPT_O:
                l->flags |= XT_LOG_IPOPT;
                return 0;
        case LOG_UID_O:
                l->flags |= XT_LOG_UID;
                return 0;
        case LOG_MACDECODE_O:
                l->flags |= XT_LOG_MACDECODE;
                return 0;
        }
        return -EINVAL;
}

static const text_ext log_ext = {
        .name = "LOG", .target = true, .opts = log_opts, .init = log_init, .option = log_option,
};

/* ------------------------------------------------------------ REJECT */

static const text_opt reject_opts[] = { { "reject-with", 0, true, false }, {} };

static void reject_init(text_parse_state *s, text_ext_inst *x) {
        s->rule->target.kind = BS_TARGET_REJECT;
        s->rule->target.reject.with = s->family == BS_FAMILY_IPV6 ? IP6T_ICMP6_PORT_UNREACH
                                                                  : IPT_ICMP_PORT_UNREACHABLE;
}

static int reject_option(text_parse_state *s, text_ext_inst *x, const text_opt *o, const char *arg, int word,
                         bool invert) {
        size_t n, len = strlen(arg);
        const text_reject_name *t = text_reject_names(s->family, &n);
        /* by prefix of the name or its alias, the first in table order */
        for (size_t i = 0; len > 0 && i < n; i++)
                if (strncasecmp(t[i].name, arg, len) == 0 || strncasecmp(t[i].alias, arg, len) == 0) {
                        s->rule->target.reject.with = t[i].with;
                        return 0;
                }
        return FAIL(s, word, arg, "unknown reject type \"%s\" for %s", arg,
                    s->family == BS_FAMILY_IPV6 ? "IPv6" : "IPv4");
}

static const text_ext reject_ext = {
        .name = "REJECT", .target = true, .opts = reject_opts, .init = reject_init, .option = reject_option,
};

const text_ext *text_find_target(const char *name) {
        if (streq(name, "LOG"))
                return &log_ext;
        if (streq(name, "REJECT"))
                return &reject_ext;
        return NULL;
}
