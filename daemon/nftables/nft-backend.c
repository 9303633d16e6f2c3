/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* iptables-nft behind the backend interface: the tables `ip filter` and
 * `ip6 filter` of nf_tables, read and changed the way iptables-nft reads
 * and changes them. */
#include "backend.h"
#include "nft-read.h"
#include "nft-sock.h"

static int nft_read(bs_family family, const char *table, const bs_nf_options *o, bs_table **ret) {
        (void) o;
        _cleanup_nft_sock_ bs_nft_sock s = {};
        int r = bs_nft_sock_open(&s);
        if (r < 0)
                return r;
        return bs_nft_read_table(&s, family, table, ret, NULL);
}

static int nft_read_cached(bs_family family, const char *table, const bs_nf_options *o, bs_nf_read_cache *cache,
                           const bs_table **ret) {
        bs_table *t = NULL;
        int r = nft_read(family, table, o, &t);
        if (r < 0)
                return r;
        bs_nf_read_cache_done(cache);
        cache->table = t;
        cache->generation++;
        *ret = t;
        return 0;
}

static int nft_apply_both(const char *table, const bs_change *changes, size_t n, unsigned families,
                          const bs_nf_options *o, bs_nf_read_cache *caches, bs_nf_prepare_fn prepare, void *userdata,
                          bs_nf_transition *ret) {
        (void) table, (void) changes, (void) n, (void) families, (void) o, (void) caches, (void) prepare,
                (void) userdata, (void) ret;
        return -EOPNOTSUPP;
}

static int nft_rewrite_both(const char *table, unsigned families, const bs_nf_options *o, bs_nf_read_cache *caches,
                            bs_nf_rewrite_fn compute, void *userdata, bool *ret_ipv4_only) {
        (void) table, (void) families, (void) o, (void) caches, (void) compute, (void) userdata, (void) ret_ipv4_only;
        return -EOPNOTSUPP;
}

static int nft_restore(const bs_table *snapshot, const bs_nf_options *o) {
        (void) snapshot, (void) o;
        return -EOPNOTSUPP;
}

static int nft_zero(bs_family family, const char *table, const char *chain, const bs_nf_options *o) {
        (void) family, (void) table, (void) chain, (void) o;
        return -EOPNOTSUPP;
}

const bs_backend bs_backend_iptables_nft = {
        .name = "iptables-nft",
        .read = nft_read,
        .read_cached = nft_read_cached,
        .apply_both = nft_apply_both,
        .rewrite_both = nft_rewrite_both,
        .restore = nft_restore,
        .zero = nft_zero,
};
