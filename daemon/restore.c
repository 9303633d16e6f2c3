/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "restore.h"

#include "fileio.h"
#include "log.h"
#include "persist.h"
#include "recipe.h"

static const char empty_filter[] = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n";

/* The default-deny recipe's changes applied to an empty filter table of
 * each family: what the restore loads when the saved rules cannot be. */
static int fallback_tables(const bs_mgmt_ports *ports, bs_table *ret[2]) {
        bs_table *t[2] = {};
        int r = 0;
        for (int f = 0; f < 2 && r >= 0; f++) {
                bs_parse_error err = {};
                r = bs_parse_save(f == 0 ? BS_FAMILY_IPV4 : BS_FAMILY_IPV6, empty_filter, "filter", &t[f], &err);
        }
        bs_change *changes = NULL;
        size_t n = 0;
        if (r >= 0)
                r = bs_recipe_default_deny(t[0], t[1], ports->ports, ports->n, &changes, &n);
        for (size_t i = 0; r >= 0 && i < n; i++)
                for (int f = 0; r >= 0 && f < 2; f++)
                        if (changes[i].families & bs_family_mask(t[f]->family))
                                r = bs_table_apply_change(t[f], &changes[i]);
        if (changes)
                bs_changes_free(changes, n);
        if (r < 0) {
                bs_table_free(t[0]);
                bs_table_free(t[1]);
                return r;
        }
        ret[0] = t[0];
        ret[1] = t[1];
        return 0;
}

/* Load IPv4 then IPv6 (where given). A kernel without the IPv6 filter
 * table (-EPROTONOSUPPORT) has no IPv6 to protect: not a failure. */
static int load_tables(const bs_backend *backend, bs_table *const t[2], const bs_nf_options *o, char *reason,
                       size_t reason_size) {
        for (int f = 0; f < 2; f++) {
                if (!t[f])
                        continue;
                int r = backend->restore(t[f], o);
                if (r == -EPROTONOSUPPORT && f == 1) {
                        log_warning("This kernel has no IPv6 filter table: the saved IPv6 rules are not loaded.");
                        continue;
                }
                if (r < 0) {
                        snprintf(reason, reason_size, "the kernel refused the %s rules: %s",
                                 bs_family_to_string(t[f]->family), strerror(-r));
                        return r;
                }
        }
        return 0;
}

static void write_record(const char *runtime_dir, const char *text) {
        int r = bs_mkdir_parents(runtime_dir, 0755);
        if (r >= 0)
                r = bs_write_file_atomic(runtime_dir, BS_BOOT_RESTORE_FILE, text, strlen(text), 0644);
        if (r < 0)
                log_error_errno(r, "Cannot record the outcome of the restore in %s/%s: %m", runtime_dir,
                                BS_BOOT_RESTORE_FILE);
}

int bs_boot_restore(const bs_backend *backend, const char *state_dir, const char *runtime_dir,
                    const bs_mgmt_ports *ports) {
        bs_nf_options o = BS_NF_OPTIONS_DEFAULT;
        bs_table *t[2] = {};
        char reason[700] = "";
        int r = 0, found = 0;

        /* both files parsed before either is loaded */
        for (int f = 0; f < 2 && r >= 0; f++) {
                bs_family fam = f == 0 ? BS_FAMILY_IPV4 : BS_FAMILY_IPV6;
                bs_parse_error err = {};
                r = bs_persist_load(state_dir, fam, &t[f], &err);
                if (r == -ENOENT) {
                        r = 0;
                        continue;
                }
                found++;
                if (r < 0)
                        snprintf(reason, sizeof(reason), "%s/%s: %s", state_dir, bs_persist_file(fam),
                                 r == -EBADMSG ? err.message : strerror(-r));
        }
        if (r >= 0 && found == 0) {
                log_info("No saved rules in %s: nothing to restore.", state_dir);
                return 0;
        }
        if (r >= 0)
                r = load_tables(backend, t, &o, reason, sizeof(reason));
        if (r >= 0)
                for (int f = 0; f < 2; f++)
                        if (t[f])
                                log_info("Restored %zu %s rule(s) from %s/%s.", bs_table_count_rules(t[f]),
                                         bs_family_to_string(t[f]->family), state_dir,
                                         bs_persist_file(t[f]->family));
        for (int f = 0; f < 2; f++) {
                bs_table_free(t[f]);
                t[f] = NULL;
        }
        if (r >= 0) {
                write_record(runtime_dir, "restored\n");
                return 0;
        }

        log_crit("BOOT RESTORE FAILED: %s. Loading the fail-closed rules instead, for IPv4 and IPv6: "
                 "loopback, ESTABLISHED,RELATED, the management ports, ICMPv6 neighbour discovery, INPUT DROP.",
                 reason);
        char record[BS_BOOT_RESTORE_MAX];
        snprintf(record, sizeof(record), "fail-closed: %s\n", reason);
        write_record(runtime_dir, record);
        int k = fallback_tables(ports, t);
        char err2[256] = "";
        if (k >= 0)
                k = load_tables(backend, t, &o, err2, sizeof(err2));
        for (int f = 0; f < 2; f++)
                bs_table_free(t[f]);
        if (k < 0)
                log_crit_errno(k, "THE FAIL-CLOSED RULES COULD NOT BE LOADED EITHER (%s): the firewall is as the "
                                  "kernel had it. Check it by hand.",
                               err2[0] ? err2 : strerror(-k));
        else
                log_crit("Fail-closed rules loaded. Fix or remove the saved rules in %s, then run backstopd "
                         "--restore again (systemctl restart backstopd-restore.service).",
                         state_dir);
        return r;
}

int bs_boot_restore_read(const char *runtime_dir, char **ret) {
        _cleanup_free_ char *text = NULL;
        int r = bs_read_file(runtime_dir, BS_BOOT_RESTORE_FILE, BS_BOOT_RESTORE_MAX, &text, NULL);
        if (r == -ENOENT) {
                *ret = strdup("");
                return *ret ? 0 : -ENOMEM;
        }
        if (r < 0)
                return r;
        text[strcspn(text, "\n")] = 0;
        *ret = TAKE_PTR(text);
        return 0;
}
