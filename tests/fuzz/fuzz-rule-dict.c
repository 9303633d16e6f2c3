/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: the input is one or more change dictionaries in the text
 * form of tests/rule-dict-spec.h ("s:operation=append", "u:position=1",
 * "s:rule.dports=22", "%" between changes). They are converted for both
 * families and as a change set; whatever converts must be exactly what its
 * own iptables command (as Preview lists it) parses to: one parser, one
 * rule, whichever form it came in. Bad input must fail with a message. */
#include <stdlib.h>

#include "../rule-dict-spec.h"
#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* iptables -S prints nothing for "-i +" */
static void normalize_lossy(bs_rule *r) {
        if (streq(r->in_iface, "+"))
                r->in_iface[0] = '\0';
        if (streq(r->out_iface, "+"))
                r->out_iface[0] = '\0';
}

static void check_against_command(bs_change *c) {
        bs_family f = c->families & BS_FAMILY_MASK_IPV6 ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4;
        bs_buf cmd = {};
        if (bs_render_change(c, f, &cmd) < 0)
                abort();
        bs_change back;
        bs_parse_error err;
        if (bs_parse_change(f, strchr(cmd.data, ' ') + 1, &back, &err) < 0) {
                fprintf(stderr, "command \"%s\" does not parse: %s (%s)\n", cmd.data, err.message, err.word);
                abort();
        }
        normalize_lossy(&c->rule);
        normalize_lossy(&back.rule);
        if (back.kind != c->kind || !streq(back.chain, c->chain) || back.position != c->position ||
            back.policy != c->policy || !bs_rule_equal(&back.rule, &c->rule)) {
                fprintf(stderr, "command \"%s\" is not the change it came from\n", cmd.data);
                abort();
        }
        bs_change_done(&back);
        bs_buf_done(&cmd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size > 16384)
                return 0;
        char *text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        bs_kv_list *v = NULL;
        size_t n = spec_parse(text, &v);

        /* each change alone, for each family */
        for (size_t i = 0; i < n; i++)
                for (bs_family f = BS_FAMILY_IPV4; f <= BS_FAMILY_IPV6; f += 2) {
                        bs_change c;
                        char err[512] = "";
                        int r = bs_change_dict_parse(&v[i], f, &c, err, sizeof(err));
                        if (r < 0) {
                                if (r != -ENOMEM && !err[0])
                                        abort(); /* every refusal says why */
                                continue;
                        }
                        if (c.families != bs_family_mask(f) || !streq(c.table, "filter"))
                                abort();
                        check_against_command(&c);
                        bs_change_done(&c);
                }

        /* all of them as a change set */
        bs_change *changes = NULL;
        size_t nc = 0;
        char err[512] = "";
        int r = bs_change_dicts_parse(v, n, size % 2 == 0, &changes, &nc, err, sizeof(err));
        if (r >= 0) {
                if (nc < n)
                        abort(); /* each change for at least one family */
                for (size_t i = 0; i < nc; i++) {
                        check_against_command(&changes[i]);
                        bs_change_done(&changes[i]);
                }
                free(changes);
        } else if (r != -ENOMEM && !err[0])
                abort();

        spec_free(v, n);
        free(text);
        return 0;
}
