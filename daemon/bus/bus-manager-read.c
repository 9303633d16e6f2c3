/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager's read-only methods: ListRules, ListChains, GetRulesText,
 * Check, ListConnections, and ZeroCounters (which changes counters only).
 * Validate -> polkit -> read -> reply. */
#include <arpa/inet.h>
#include <assert.h>
#include <inttypes.h>
#include <linux/netfilter/xt_conntrack.h>
#include <sys/stat.h>
#include <time.h>

#include "bus-errors.h"

#include "bus-manager-internal.h"
#include "check.h"
#include "conntrack.h"
#include "localaddr.h"
#include "log.h"
#include "rule-dict.h"
#include "text.h"
#include "textdiff.h"
#include "utf8.h"

/* "ipv4", "ipv6" or (when allowed) "" for both: a mask of families. */
static int parse_family(const char *s, bool allow_both, unsigned *ret, sd_bus_error *error) {
        if (streq(s, "ipv4"))
                *ret = BS_FAMILY_MASK_IPV4;
        else if (streq(s, "ipv6"))
                *ret = BS_FAMILY_MASK_IPV6;
        else if (allow_both && streq(s, ""))
                *ret = BS_FAMILY_MASK_BOTH;
        else
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid family \"%.*s\" (%s)",
                                         bs_utf8_prefix(s, 32), s,
                                         allow_both ? "\"ipv4\", \"ipv6\" or \"\"" : "\"ipv4\" or \"ipv6\"");
        return 0;
}

static int check_chain_arg(const char *s, sd_bus_error *error) {
        if (streq(s, "") || bs_builtin_chain("filter", s) || bs_chain_name_valid(s))
                return 0;
        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid chain name \"%.*s\"",
                                 bs_utf8_prefix(s, 40), s);
}

/* The family and chain arguments of ListRules, GetRulesText and
 * ZeroCounters, read and checked; counters: GetRulesText's third argument
 * (NULL for the others). */
static int read_family_chain(sd_bus_message *msg, bool allow_both, const char **family, const char **chain,
                             int *counters, unsigned *families, sd_bus_error *error) {
        int r = sd_bus_message_read(msg, "ss", family, chain);
        if (r >= 0 && counters)
                r = sd_bus_message_read(msg, "b", counters);
        if (r < 0)
                return r;
        r = parse_family(*family, allow_both, families, error);
        if (r < 0)
                return r;
        return check_chain_arg(*chain, error);
}

/* ---------------------------------------------------------------- ListRules */

static int append_field(const char *key, const char *value, void *userdata) {
        return sd_bus_message_append(userdata, "{sv}", key, "s", value);
}

static int append_rule(sd_bus_message *reply, const bs_table *t, const bs_chain *c, size_t i, bs_rule_texts *texts) {
        const bs_rule *rule = &c->rules[i];
        _cleanup_buf_ bs_buf text = {};
        int r = bs_rule_texts_render(texts, rule, &text);
        if (r < 0)
                return r;
        const char *target = bs_target_name(&rule->target);
        r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}{sv}{sv}{sv}", "family", "s",
                                  bs_family_to_string(t->family), "chain", "s", c->name, "position", "u",
                                  (uint32_t) (i + 1), "packets", "t", rule->packets, "bytes", "t", rule->bytes,
                                  "rule", "s", text.data ? text.data : "", "target", "s", target ? target : "");
        if (r < 0)
                return r;
        r = bs_rule_fields_foreach(rule, append_field, reply);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

/* The read-only handlers' common middle, after their validation: polkit,
 * then the tables. 1 with t[] filled (read-only, see manager_peek_tables), 0 when
 * the call now waits for polkit (the handler returns 1 and is called again),
 * or a negative error. */
static int authorize_and_read_tables(Manager *m, sd_bus_message *msg, unsigned families, const bs_table *t[2],
                                     sd_bus_error *error) {
        int r = bs_polkit_verify(m->polkit, msg, NULL, error);
        if (r <= 0)
                return r;
        r = bus_manager_read_tables(m, families, true, t, error);
        return r < 0 ? r : 1;
}

/* A call's one argument, a family: "ipv4", "ipv6", or (allow_both) "". */
static int read_family_arg(sd_bus_message *msg, bool allow_both, unsigned *ret, sd_bus_error *error) {
        const char *family;
        int r = sd_bus_message_read(msg, "s", &family);
        if (r < 0)
                return r;
        return parse_family(family, allow_both, ret, error);
}

/* The whole of a read-only call whose one argument is a family ("",
 * "ipv4", "ipv6"): validate, polkit, tables; returns as
 * authorize_and_read_tables does. */
static int family_call_tables(Manager *m, sd_bus_message *msg, const bs_table *t[2], sd_bus_error *error) {
        unsigned families;
        int r = read_family_arg(msg, true, &families, error);
        if (r < 0)
                return r;
        return authorize_and_read_tables(m, msg, families, t, error);
}

/* The same for ListRules and GetRulesText (a family, "" only for
 * ListRules, and a chain; counters: GetRulesText's flag, else NULL). */
static int chain_call_tables(Manager *m, sd_bus_message *msg, const char **chain, int *counters, unsigned *families,
                             const bs_table *t[2], sd_bus_error *error) {
        const char *family;
        int r = read_family_chain(msg, !counters, &family, chain, counters, families, error);
        if (r < 0)
                return r;
        return authorize_and_read_tables(m, msg, *families, t, error);
}

/* One dictionary of ListRules' and ListChains' "chains" */
static int append_chain(sd_bus_message *reply, const bs_table *t, const bs_chain *c) {
        return sd_bus_message_append(reply, "a{sv}", 6, "family", "s", bs_family_to_string(t->family), "chain", "s",
                                     c->name, "policy", "s", c->builtin ? bs_policy_to_string(c->policy) : "",
                                     "packets", "t", c->policy_packets, "bytes", "t", c->policy_bytes, "rules", "u",
                                     (uint32_t) c->n_rules);
}

/* ListChains' aa{sv}: every chain of both tables (NULL: family absent). */
int bus_manager_append_chains(sd_bus_message *reply, const bs_table *const t[2]) {
        int r = sd_bus_message_open_container(reply, 'a', "a{sv}");
        for (int f = 0; r >= 0 && f < 2; f++)
                for (size_t i = 0; r >= 0 && t[f] && i < t[f]->n_chains; i++)
                        r = append_chain(reply, t[f], &t[f]->chains[i]);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

/* ListRules' second half alone: what "backstopctl status" needs, without
 * marshalling (and the client skipping) one dictionary per rule. */
int bus_manager_method_list_chains(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        assert(msg);
        assert(userdata);
        const bs_table *t[2];
        int r = family_call_tables(userdata, msg, t, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = bus_manager_append_chains(reply, t);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

int bus_manager_method_list_rules(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        assert(msg);
        assert(m);
        const bs_table *t[2];
        const char *chain;
        unsigned families;
        int r = chain_call_tables(m, msg, &chain, NULL, &families, t, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        bool found = streq(chain, "");
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        r = sd_bus_message_new_method_return(msg, &reply);
        for (int pass = 0; r >= 0 && pass < 2; pass++) {
                r = sd_bus_message_open_container(reply, 'a', "a{sv}");
                for (int f = 0; r >= 0 && f < 2; f++) {
                        if (!t[f])
                                continue;
                        /* the extensions the model does not know, printed
                         * for the whole table (or chain) in one go */
                        bs_rule_texts *texts = NULL;
                        if (pass == 0) {
                                int k = bs_rule_texts_new(t[f], streq(chain, "") ? NULL : chain, &texts);
                                if (k == -ENOENT)
                                        continue;
                                if (k < 0) {
                                        r = k;
                                        break;
                                }
                        }
                        for (size_t i = 0; r >= 0 && i < t[f]->n_chains; i++) {
                                const bs_chain *c = &t[f]->chains[i];
                                if (!streq(chain, "") && !streq(chain, c->name))
                                        continue;
                                found = true;
                                if (pass == 0) {
                                        for (size_t k = 0; r >= 0 && k < c->n_rules; k++)
                                                r = append_rule(reply, t[f], c, k, texts);
                                } else
                                        r = append_chain(reply, t[f], c);
                        }
                        bs_rule_texts_free(texts);
                }
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r < 0)
                return r;
        if (!found)
                return sd_bus_error_setf(error, BS_ERROR_NOT_FOUND, "No chain \"%s\"", chain);
        return sd_bus_send(NULL, reply, NULL);
}

int bus_manager_method_get_rules_text(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        assert(msg);
        assert(m);
        const char *chain;
        int counters;
        unsigned families;
        const bs_table *t[2];
        int r = chain_call_tables(m, msg, &chain, &counters, &families, t, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        int f = families == BS_FAMILY_MASK_IPV6 ? 1 : 0;
        /* The whole table without counters is what `backstopctl rules`
         * asks for: kept rendered while the table's rules stay the same. */
        bool keep = !counters && streq(chain, "");
        uint64_t generation = m->read_cache[f].generation;
        if (keep && m->rules_text[f].text && m->rules_text[f].generation == generation)
                return sd_bus_reply_method_return(msg, "s", m->rules_text[f].text);

        _cleanup_buf_ bs_buf text = {};
        r = bs_render_table(t[f], streq(chain, "") ? NULL : chain, counters, &text);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, BS_ERROR_NOT_FOUND, "No chain \"%s\"", chain);
        if (r < 0)
                return r;
        if (keep && text.data) {
                free(m->rules_text[f].text);
                m->rules_text[f].text = TAKE_PTR(text.data);
                m->rules_text[f].generation = generation;
                return sd_bus_reply_method_return(msg, "s", m->rules_text[f].text);
        }
        return sd_bus_reply_method_return(msg, "s", text.data ? text.data : "");
}

int bus_manager_method_zero_counters(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        assert(msg);
        assert(m);
        const char *family, *chain;
        unsigned families;
        int r = read_family_chain(msg, true, &family, &chain, NULL, &families, error);
        if (r < 0)
                return r;
        if (families == BS_FAMILY_MASK_IPV6 && !m->ipv6_active)
                return sd_bus_error_set(error, BS_ERROR_UNSUPPORTED, "IPv6 is not active on this host");

        r = bs_polkit_verify(m->polkit, msg, NULL, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        for (int f = 0; f < 2; f++) {
                bs_family fam = f == 0 ? BS_FAMILY_IPV4 : BS_FAMILY_IPV6;
                if (!(families & bs_family_mask(fam)) || (f == 1 && !m->ipv6_active))
                        continue;
                manager_commit_begin(m);
                r = m->backend->zero(fam, "filter", streq(chain, "") ? NULL : chain, &m->nf);
                manager_commit_end(m);
                if (r == -ENOENT)
                        return sd_bus_error_setf(error, BS_ERROR_NOT_FOUND, "No chain \"%s\" in %s", chain,
                                                 bs_family_to_string(fam));
                if (r < 0)
                        return bs_bus_error_set_errno(error, r, "Cannot zero the %s counters",
                                                      bs_family_to_string(fam));
        }
        log_info("Counters zeroed (family \"%s\", chain \"%s\").", family, chain);
        return sd_bus_reply_method_return(msg, NULL);
}

int bus_manager_method_check(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        assert(msg);
        assert(m);
        const bs_table *t[2];
        int r = family_call_tables(m, msg, t, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        _cleanup_check_report_ bs_check_report report = {};
        r = bs_check_run(t[0], t[1], &m->ports, &report);
        if (r < 0)
                return bs_bus_error_set_errno(error, r, "The checks could not run");

        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "b", report.passed);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "a{sv}");
        for (size_t i = 0; r >= 0 && i < report.n; i++) {
                const bs_check_item *it = &report.items[i];
                r = sd_bus_message_append(reply, "a{sv}", 5, "id", "s", it->id, "family", "s", it->family, "passed",
                                          "b", it->passed, "summary", "s", it->summary, "detail", "s", it->detail);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* One dictionary of ListConnections' aa{sv}; now_ns: CLOCK_REALTIME. */
static int append_connection(sd_bus_message *reply, const Manager *m, const bs_local_addrs *local, const bs_conn *c,
                             uint64_t now_ns) {
        int af = c->family == BS_FAMILY_IPV6 ? AF_INET6 : AF_INET;
        char src[INET6_ADDRSTRLEN] = "", dst[INET6_ADDRSTRLEN] = "", pbuf[8];
        (void) inet_ntop(af, c->orig.src, src, sizeof(src));
        (void) inet_ntop(af, c->orig.dst, dst, sizeof(dst));
        bool inbound = bs_local_addrs_contains(local, c->family, c->orig.dst) &&
                       !bs_addr_is_loopback(c->family, c->orig.src);
        bool mgmt = inbound && bs_mgmt_ports_contains(&m->ports, c->l4proto, c->orig.dport);
        int r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}", "family", "s",
                                          bs_family_to_string(c->family), "protocol", "s",
                                          bs_proto_to_string(c->l4proto, pbuf), "source", "s", src, "source-port",
                                          "q", c->orig.sport, "destination", "s", dst, "destination-port", "q",
                                          c->orig.dport, "state", "s", bs_tcp_state_to_string(c), "inbound", "b",
                                          inbound, "management", "b", mgmt);
        if (r >= 0 && c->has_start && c->start_ns <= now_ns)
                r = sd_bus_message_append(reply, "{sv}", "age-seconds", "t",
                                          (uint64_t) ((now_ns - c->start_ns) / 1000000000ULL));
        return r < 0 ? r : sd_bus_message_close_container(reply);
}

/* GetAll and ListChains("") in one reply, from one look at the kernel's
 * tables: what "backstopctl status" shows. Both halves read the tables
 * through the read cache within this one event-loop iteration, so the
 * kernel is checked once (see Manager.read_checked), not once per call. */
int bus_manager_method_get_status(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        assert(msg);
        assert(m);
        int r = bs_polkit_verify(m->polkit, msg, NULL, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        /* an authorized caller gets the properties as of now (and every
         * subscriber their PropertiesChanged), not as of the last refresh */
        manager_refresh_properties(m);
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = bus_manager_append_properties(reply, m, error);
        if (r < 0)
                return r;
        const bs_table *t[2];
        r = bus_manager_read_tables(m, BS_FAMILY_MASK_BOTH, false, t, error);
        if (r < 0)
                return r;
        r = bus_manager_append_chains(reply, t);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

int bus_manager_method_list_connections(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        assert(msg);
        assert(m);
        int r = bs_polkit_verify(m->polkit, msg, NULL, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        _cleanup_free_ bs_conn *conns = NULL;
        size_t n = 0;
        r = bs_connections_dump(&conns, &n);
        if (r < 0)
                return bs_bus_error_set_errno(error, r, "Cannot read the conntrack table");
        _cleanup_local_addrs_ bs_local_addrs local = {};
        r = bs_local_addrs_get(&local);
        if (r < 0)
                return bs_bus_error_set_errno(error, r, "Cannot read the local addresses");

        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t now_ns = (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;

        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "a{sv}");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = append_connection(reply, m, &local, &conns[i], now_ns);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* The running table of family f in the form it is compared with the saved
 * file (bs_persist_render_plain), kept while its rules stay the same
 * (status asks at every call); NULL in *ret without a running table (no
 * IPv6 here: a saved rules.v6 is all difference, Save removes it). */
static int running_plain_text(Manager *m, int f, bool as_last_read, const char **ret, uint64_t *ret_generation,
                              sd_bus_error *error) {
        *ret = NULL;
        *ret_generation = 0;
        if (f == 1 && !m->ipv6_active)
                return 0;
        const bs_table *t[2] = {};
        int r = 0;
        if (as_last_read && m->read_cache[f].table)
                t[f] = m->read_cache[f].table;
        else
                r = bus_manager_read_tables(m, bs_family_mask(f == 0 ? BS_FAMILY_IPV4 : BS_FAMILY_IPV6), false, t,
                                            error);
        if (r < 0)
                return r;
        if (!t[f])
                return 0;
        uint64_t generation = m->read_cache[f].generation;
        if (!(m->plain_text[f].text && m->plain_text[f].generation == generation)) {
                _cleanup_buf_ bs_buf text = {};
                if ((r = bs_persist_render_plain(t[f], &text)) < 0)
                        return r;
                free(m->plain_text[f].text);
                m->plain_text[f].text = text.data ? TAKE_PTR(text.data) : strdup("");
                if (!m->plain_text[f].text)
                        return -ENOMEM;
                m->plain_text[f].generation = generation;
        }
        *ret = m->plain_text[f].text;
        *ret_generation = generation;
        return 0;
}

/* The saved table of family f in that form: "" without a saved file. */
static int saved_plain_text(Manager *m, int f, bs_buf *out, sd_bus_error *error) {
        bs_family fam = f == 1 ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4;
        int r = bs_persist_saved_text(m->state_dir, fam, &m->saved_cache[f], out);
        if (r == -EBADMSG)
                return sd_bus_error_setf(error, BS_ERROR_FAILED,
                                         "The saved rules %s/%s do not parse (a boot would fail closed)",
                                         m->state_dir, bs_persist_file(fam));
        if (r < 0 && r != -ENOENT) {
                log_error("Cannot read the saved rules %s/%s: %s", m->state_dir, bs_persist_file(fam),
                          strerror(-r));
                return sd_bus_error_set_errnof(error, -r, "Cannot read the saved rules %s/%s: %s", m->state_dir,
                                               bs_persist_file(fam), strerror(-r));
        }
        return 0;
}

/* GetSavedRulesText: the saved and the running table of one family in the
 * one form they are compared in, for a diff.
 * Validate -> polkit (read-rules) -> read -> reply. */
int bus_manager_method_get_saved_rules_text(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        assert(msg);
        assert(m);
        unsigned families;
        int r = read_family_arg(msg, false, &families, error);
        if (r < 0)
                return r;
        r = bs_polkit_verify(m->polkit, msg, NULL, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        int f = families == BS_FAMILY_MASK_IPV6 ? 1 : 0;
        const char *running;
        uint64_t generation;
        if ((r = running_plain_text(m, f, false, &running, &generation, error)) < 0)
                return r;
        _cleanup_buf_ bs_buf saved = {};
        if ((r = saved_plain_text(m, f, &saved, error)) < 0)
                return r;
        return sd_bus_reply_method_return(msg, "ss", saved.data ? saved.data : "", running ? running : "");
}

/* What says whether the saved file changed: its inode, size and time, or
 * nothing when there is none. */
static void saved_file_stamp(Manager *m, int f, struct stat *ret) {
        _cleanup_free_ char *path = NULL;
        *ret = (struct stat) {};
        if (asprintf(&path, "%s/%s", m->state_dir, bs_persist_file(f == 1 ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4)) < 0 ||
            stat(path, ret) < 0)
                *ret = (struct stat) {};
}

static bool same_stamp(const struct stat *a, const struct stat *b) {
        return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
               a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* CountUnsavedLines: per family, the lines a diff of GetSavedRulesText's
 * two texts removes and adds, kept while the running rules (their
 * generation) and the saved file (its stamp) stay the same. Like
 * RulesSaved, it speaks of the rules as the daemon last read them (status
 * asks right after GetStatus, which read them): with iptables-legacy a
 * second look at the kernel's table would double status's time. */
int bus_manager_method_count_unsaved_lines(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        assert(msg);
        assert(m);
        int r = bs_polkit_verify(m->polkit, msg, NULL, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        uint32_t counts[2];
        for (int f = 0; f < 2; f++) {
                const char *running;
                uint64_t generation;
                if ((r = running_plain_text(m, f, true, &running, &generation, error)) < 0)
                        return r;
                struct stat stamp;
                saved_file_stamp(m, f, &stamp);
                if (m->unsaved[f].known && m->unsaved[f].generation == generation &&
                    same_stamp(&m->unsaved[f].saved_stamp, &stamp)) {
                        counts[f] = m->unsaved[f].lines;
                        continue;
                }
                _cleanup_buf_ bs_buf saved = {};
                if ((r = saved_plain_text(m, f, &saved, error)) < 0)
                        return r;
                size_t removed = 0, added = 0;
                r = text_diff(saved.data ? saved.data : "", running ? running : "", "", "", 0, NULL, &removed,
                              &added);
                if (r < 0)
                        return r;
                counts[f] = removed + added > UINT32_MAX ? UINT32_MAX : (uint32_t) (removed + added);
                m->unsaved[f].known = true;
                m->unsaved[f].generation = generation;
                m->unsaved[f].saved_stamp = stamp;
                m->unsaved[f].lines = counts[f];
        }
        return sd_bus_reply_method_return(msg, "uu", counts[0], counts[1]);
}
