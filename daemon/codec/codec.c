/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The family-independent part of the codec: lays out an entry (header,
 * matches, target; every size through XT_ALIGN) and walks one back with
 * every offset checked against the entry's size.
 *
 * Decoding policy, so that encode(decode(bytes)) == bytes:
 *  - The header must be representable exactly (known flag bits, interface
 *    masks as iptables writes them, ...), else -EBADMSG. Two fields the
 *    kernel never reads are ignored: nfcache and comefrom (the kernel keeps
 *    its hook mask there). Bytes after the NUL of an interface or extension
 *    name are ignored too: the kernel only copies the name's strlen + 1 back
 *    to user space, the rest of the buffer is whatever libiptc's malloc held.
 *  - A match or target of a known name and revision whose payload has the
 *    known size is decoded into its typed form only if encoding that form
 *    gives back the very same payload bytes; otherwise (unknown flag bits,
 *    non-zero padding, a value the kernel would refuse, a size mismatch, an
 *    unknown name or revision) it is kept as BS_*_OPAQUE with its bytes.
 *  - Offsets, sizes, alignment and NUL-termination that do not hold are
 *    -EBADMSG; more than BS_MATCHES_MAX matches is -E2BIG.
 *
 * Standard targets come in two forms. The kernel's: an empty name and a
 * verdict (negative for ACCEPT/DROP/QUEUE/RETURN, an offset for jumps and
 * fall-through), which only the label libiptc resolves can name. And the
 * one iptables hands to libiptc, which bs_codec_encode writes: the label as
 * the name and a zero verdict. Both decode. */

#include <linux/netfilter.h>
#include <linux/netfilter/x_tables.h>

#include "codec-xt.h"

static const bs_codec_family *family_ops(bs_family family) {
        switch (family) {
        case BS_FAMILY_IPV4:
                return &bs_codec_ipv4;
        case BS_FAMILY_IPV6:
                return &bs_codec_ipv6;
        default:
                return NULL;
        }
}

/* ------------------------------------------------------------- interfaces */

int bs_codec_iface_encode(const char *iface, char name[IFNAMSIZ], unsigned char mask[IFNAMSIZ]) {
        size_t n = strnlen(iface, IFNAMSIZ);

        if (n >= IFNAMSIZ)
                return -EINVAL;
        memset(name, 0, IFNAMSIZ);
        memset(mask, 0, IFNAMSIZ);
        memcpy(name, iface, n);
        if (n == 0)
                return 0;
        if (iface[n - 1] == '+')
                memset(mask, 0xff, n - 1);  /* the '+' stays in the name */
        else
                memset(mask, 0xff, n + 1);  /* the NUL is part of the match */
        return 0;
}

int bs_codec_iface_decode(const char name[IFNAMSIZ], const unsigned char mask[IFNAMSIZ], char ret[IFNAMSIZ]) {
        char canon_name[IFNAMSIZ];
        unsigned char canon_mask[IFNAMSIZ];
        size_t n = strnlen(name, IFNAMSIZ);

        if (n >= IFNAMSIZ)
                return -EBADMSG;
        memset(ret, 0, IFNAMSIZ);
        memcpy(ret, name, n);
        if (bs_codec_iface_encode(ret, canon_name, canon_mask) < 0)
                return -EBADMSG;
        if (memcmp(mask, canon_mask, IFNAMSIZ) != 0)
                return -EBADMSG;
        return 0;
}

/* --------------------------------------------------------------- lookups */

static const bs_xt_match_ops *match_ops_by_kind(const bs_codec_family *fam, bs_match_kind kind) {
        for (size_t i = 0; bs_xt_matches[i]; i++)
                if (bs_xt_matches[i]->kind == kind)
                        return bs_xt_matches[i];
        for (size_t i = 0; fam->matches[i]; i++)
                if (fam->matches[i]->kind == kind)
                        return fam->matches[i];
        return NULL;
}

static const bs_xt_match_ops *match_ops_by_name(const bs_codec_family *fam, const char *name, uint8_t revision) {
        for (size_t i = 0; bs_xt_matches[i]; i++)
                if (streq(bs_xt_matches[i]->name, name) && bs_xt_matches[i]->revision == revision)
                        return bs_xt_matches[i];
        for (size_t i = 0; fam->matches[i]; i++)
                if (streq(fam->matches[i]->name, name) && fam->matches[i]->revision == revision)
                        return fam->matches[i];
        return NULL;
}

static const bs_xt_target_ops *target_ops_by_kind(const bs_codec_family *fam, bs_target_kind kind) {
        for (size_t i = 0; bs_xt_targets[i]; i++)
                if (bs_xt_targets[i]->kind == kind)
                        return bs_xt_targets[i];
        for (size_t i = 0; fam->targets[i]; i++)
                if (fam->targets[i]->kind == kind)
                        return fam->targets[i];
        return NULL;
}

static const bs_xt_target_ops *target_ops_by_name(const bs_codec_family *fam, const char *name,
                                                  uint8_t revision) {
        for (size_t i = 0; bs_xt_targets[i]; i++)
                if (streq(bs_xt_targets[i]->name, name) && bs_xt_targets[i]->revision == revision)
                        return bs_xt_targets[i];
        for (size_t i = 0; fam->targets[i]; i++)
                if (streq(fam->targets[i]->name, name) && fam->targets[i]->revision == revision)
                        return fam->targets[i];
        return NULL;
}

/* Any target extension name the codec knows, in either family: a chain of
 * that name would be read back as the extension. */
static bool known_target_name(const char *name) {
        const bs_codec_family *fams[] = { &bs_codec_ipv4, &bs_codec_ipv6 };

        for (size_t i = 0; bs_xt_targets[i]; i++)
                if (streq(bs_xt_targets[i]->name, name))
                        return true;
        for (size_t f = 0; f < ELEMENTSOF(fams); f++)
                for (size_t i = 0; fams[f]->targets[i]; i++)
                        if (streq(fams[f]->targets[i]->name, name))
                                return true;
        return false;
}

/* ------------------------------------------------------- standard targets */

static const struct {
        const char *label;
        bs_target_kind kind;
        int verdict;  /* the kernel's */
} standard_targets[] = {
        { "ACCEPT", BS_TARGET_ACCEPT, -NF_ACCEPT - 1 },
        { "DROP", BS_TARGET_DROP, -NF_DROP - 1 },
        { "QUEUE", BS_TARGET_QUEUE, -NF_QUEUE - 1 },
        { "RETURN", BS_TARGET_RETURN, XT_RETURN },
};

static int standard_kind_by_label(const char *label) {
        for (size_t i = 0; i < ELEMENTSOF(standard_targets); i++)
                if (streq(standard_targets[i].label, label))
                        return (int) standard_targets[i].kind;
        return -1;
}

static const char *standard_label_by_kind(bs_target_kind kind) {
        for (size_t i = 0; i < ELEMENTSOF(standard_targets); i++)
                if (standard_targets[i].kind == kind)
                        return standard_targets[i].label;
        return NULL;
}

static int standard_kind_by_verdict(int verdict) {
        for (size_t i = 0; i < ELEMENTSOF(standard_targets); i++)
                if (standard_targets[i].verdict == verdict)
                        return (int) standard_targets[i].kind;
        return -1;
}

/* A chain a rule may jump to: a valid user chain name that the decoder
 * cannot mistake for a target extension. */
static bool jump_chain_valid(const char *chain) {
        return bs_chain_name_valid(chain) && !known_target_name(chain);
}

/* ------------------------------------------------------------------ encode */

/* The extension name as it goes into u.user.name: 1..28 characters. */
static bool ext_name_valid(const char *name, size_t max) {
        size_t n = strnlen(name, max + 1);
        return n > 0 && n <= BS_EXT_NAME_MAX;
}

static int match_layout(const bs_codec_family *fam, const bs_match *m, const bs_xt_match_ops **ret_ops,
                        size_t *ret_size) {
        if (m->kind == BS_MATCH_OPAQUE) {
                const bs_opaque *o = &m->opaque;
                if (!ext_name_valid(o->name, sizeof(o->name) - 1))
                        return -EINVAL;
                /* Payloads come from the kernel, already aligned; padding them
                 * here would not read back the same. */
                if (o->size > BS_OPAQUE_MAX || o->size != XT_ALIGN(o->size) || (o->size > 0 && !o->data))
                        return -EINVAL;
                *ret_ops = NULL;
                *ret_size = BS_XT_MATCH_HDR + o->size;
                return 0;
        }
        const bs_xt_match_ops *ops = match_ops_by_kind(fam, m->kind);
        if (!ops)
                return -EINVAL;  /* icmp in IPv6, icmp6 in IPv4, an unknown kind */
        *ret_ops = ops;
        *ret_size = BS_XT_MATCH_HDR + XT_ALIGN(ops->size);
        return 0;
}

static int target_layout(const bs_codec_family *fam, const bs_target *t, const bs_xt_target_ops **ret_ops,
                         size_t *ret_size) {
        *ret_ops = NULL;
        switch (t->kind) {
        case BS_TARGET_NONE:
        case BS_TARGET_ACCEPT:
        case BS_TARGET_DROP:
        case BS_TARGET_RETURN:
        case BS_TARGET_QUEUE:
                *ret_size = BS_XT_STANDARD_SIZE;
                return 0;
        case BS_TARGET_JUMP:
        case BS_TARGET_GOTO:
                if (strnlen(t->chain, sizeof(t->chain)) >= sizeof(t->chain) || !jump_chain_valid(t->chain))
                        return -EINVAL;
                *ret_size = BS_XT_STANDARD_SIZE;
                return 0;
        case BS_TARGET_OPAQUE: {
                const bs_opaque *o = &t->opaque;
                if (!ext_name_valid(o->name, sizeof(o->name) - 1))
                        return -EINVAL;
                /* libiptc would map these names to verdicts, not a module. */
                if (standard_kind_by_label(o->name) >= 0)
                        return -EINVAL;
                if (o->size > BS_OPAQUE_MAX || o->size != XT_ALIGN(o->size) || (o->size > 0 && !o->data))
                        return -EINVAL;
                *ret_size = BS_XT_TARGET_HDR + o->size;
                return 0;
        }
        default: {
                const bs_xt_target_ops *ops = target_ops_by_kind(fam, t->kind);
                if (!ops)
                        return -EINVAL;
                *ret_ops = ops;
                *ret_size = BS_XT_TARGET_HDR + XT_ALIGN(ops->size);
                return 0;
        }
        }
}

static void write_ext_header(uint8_t *p, size_t size, const char *name, uint8_t revision) {
        struct xt_entry_match *h = (struct xt_entry_match *) p;  /* same layout as xt_entry_target */

        h->u.user.match_size = (uint16_t) size;
        memcpy(h->u.user.name, name, strlen(name));
        h->u.user.revision = revision;
}

/* Lays the entry out; writes it into buf (zeroed here) when it has room
 * for it, else only sizes it (-ENOBUFS with buf). */
static int encode(const bs_rule *r, uint8_t *buf, size_t avail, size_t *ret_size) {
        const bs_codec_family *fam = family_ops(r->family);
        const bs_xt_match_ops *mops[BS_MATCHES_MAX];
        size_t msize[BS_MATCHES_MAX];
        const bs_xt_target_ops *tops;
        size_t tsize, total;
        int k;

        if (!fam)
                return -EINVAL;
        if (r->n_matches > BS_MATCHES_MAX || (r->n_matches > 0 && !r->matches))
                return -EINVAL;

        total = fam->entry_size;
        for (size_t i = 0; i < r->n_matches; i++) {
                if ((k = match_layout(fam, &r->matches[i], &mops[i], &msize[i])) < 0)
                        return k;
                total += msize[i];
        }
        if ((k = target_layout(fam, &r->target, &tops, &tsize)) < 0)
                return k;
        size_t target_offset = total;
        total += tsize;
        if (total > BS_XT_ENTRY_MAX)
                return -EINVAL;
        *ret_size = total;
        if (!buf || total > avail)
                return -ENOBUFS;
        uint8_t *e = buf;
        memset(e, 0, total);

        bool is_goto = r->target.kind == BS_TARGET_GOTO;
        if ((k = fam->encode_header(r, is_goto, e)) < 0)
                return k;
        /* iptables leaves nfcache and comefrom zero; the kernel keeps its
         * hook mask in comefrom. */
        uint16_t offsets[2] = { (uint16_t) target_offset, (uint16_t) total };
        struct xt_counters counters = { .pcnt = r->packets, .bcnt = r->bytes };
        memcpy(e + fam->target_offset_at, &offsets[0], sizeof(offsets[0]));
        memcpy(e + fam->next_offset_at, &offsets[1], sizeof(offsets[1]));
        memcpy(e + fam->counters_at, &counters, sizeof(counters));

        size_t off = fam->entry_size;
        for (size_t i = 0; i < r->n_matches; i++) {
                const bs_match *m = &r->matches[i];
                uint8_t *p = e + off;
                if (m->kind == BS_MATCH_OPAQUE) {
                        write_ext_header(p, msize[i], m->opaque.name, m->opaque.revision);
                        if (m->opaque.size > 0)
                                memcpy(p + BS_XT_MATCH_HDR, m->opaque.data, m->opaque.size);
                } else {
                        write_ext_header(p, msize[i], mops[i]->name, mops[i]->revision);
                        if ((k = mops[i]->encode(m, r->family, p + BS_XT_MATCH_HDR)) < 0)
                                return k;
                }
                off += msize[i];
        }

        const bs_target *t = &r->target;
        uint8_t *p = e + off;
        switch (t->kind) {
        case BS_TARGET_NONE:
                write_ext_header(p, tsize, XT_STANDARD_TARGET, 0);
                break;
        case BS_TARGET_JUMP:
        case BS_TARGET_GOTO:
                write_ext_header(p, tsize, t->chain, 0);
                break;
        case BS_TARGET_OPAQUE:
                write_ext_header(p, tsize, t->opaque.name, t->opaque.revision);
                if (t->opaque.size > 0)
                        memcpy(p + BS_XT_TARGET_HDR, t->opaque.data, t->opaque.size);
                break;
        default:
                if (tops) {
                        write_ext_header(p, tsize, tops->name, tops->revision);
                        if ((k = tops->encode(t, r->family, p + BS_XT_TARGET_HDR)) < 0)
                                return k;
                } else
                        /* ACCEPT, DROP, RETURN, QUEUE: libiptc maps the name */
                        write_ext_header(p, tsize, standard_label_by_kind(t->kind), 0);
                break;
        }

        return 0;
}

int bs_codec_encode(const bs_rule *r, void **ret_entry, size_t *ret_size) {
        size_t size = 0;
        int k = encode(r, NULL, 0, &size);
        if (k != -ENOBUFS)
                return k < 0 ? k : -EINVAL;
        _cleanup_free_ uint8_t *e = malloc(size);
        if (!e)
                return -ENOMEM;
        k = encode(r, e, size, &size);
        if (k < 0)
                return k;
        *ret_entry = TAKE_PTR(e);
        *ret_size = size;
        return 0;
}

int bs_codec_encode_to(const bs_rule *r, void *buf, size_t avail, size_t *ret_size) {
        return encode(r, buf, avail, ret_size);
}

/* ------------------------------------------------------------------ decode */

/* Reads the name of the extension header at p; -EBADMSG without its NUL. */
static int read_ext_header(const uint8_t *p, uint16_t *ret_size, char ret_name[XT_EXTENSION_MAXNAMELEN],
                           uint8_t *ret_revision) {
        struct xt_entry_match h;

        memcpy(&h, p, sizeof(h));
        if (strnlen(h.u.user.name, sizeof(h.u.user.name)) >= sizeof(h.u.user.name))
                return -EBADMSG;
        strcpy(ret_name, h.u.user.name);
        *ret_size = h.u.user.match_size;
        *ret_revision = h.u.user.revision;
        return 0;
}

static int opaque_set(bs_opaque *o, const char *name, uint8_t revision, const uint8_t *data, size_t size) {
        if (strlen(name) > BS_EXT_NAME_MAX || size > BS_OPAQUE_MAX)
                return -EBADMSG;
        memset(o, 0, sizeof(*o));
        strcpy(o->name, name);
        o->revision = revision;
        if (size > 0) {
                o->data = malloc(size);
                if (!o->data)
                        return -ENOMEM;
                memcpy(o->data, data, size);
                o->size = size;
        }
        return 0;
}

static int decode_match(const bs_codec_family *fam, const char *name, uint8_t revision, const uint8_t *data,
                        size_t size, bs_match *ret) {
        const bs_xt_match_ops *ops = match_ops_by_name(fam, name, revision);

        if (ops && size == XT_ALIGN(ops->size) && size <= BS_XT_INFO_MAX) {
                _Alignas(8) uint8_t info[BS_XT_INFO_MAX], check[BS_XT_INFO_MAX];
                bs_match m = { .kind = ops->kind };

                memcpy(info, data, size);
                ops->decode(info, fam->family, &m);
                memset(check, 0, size);
                if (ops->encode(&m, fam->family, check) >= 0 && memcmp(check, info, size) == 0) {
                        *ret = m;
                        return 0;
                }
        }
        memset(ret, 0, sizeof(*ret));
        ret->kind = BS_MATCH_OPAQUE;
        return opaque_set(&ret->opaque, name, revision, data, size);
}

static int decode_target_ext(const bs_codec_family *fam, const char *name, uint8_t revision, const uint8_t *data,
                             size_t size, bs_target *ret);

static int decode_standard_label(const char *label, bool is_goto, bs_target *ret) {
        int kind;

        if (label[0] == '\0') {
                if (is_goto)
                        return -EBADMSG;
                ret->kind = BS_TARGET_NONE;
                return 0;
        }
        if ((kind = standard_kind_by_label(label)) >= 0) {
                if (is_goto)
                        return -EBADMSG;
                ret->kind = (bs_target_kind) kind;
                return 0;
        }
        if (strlen(label) > BS_CHAIN_NAME_MAX || !jump_chain_valid(label))
                return -EBADMSG;
        ret->kind = is_goto ? BS_TARGET_GOTO : BS_TARGET_JUMP;
        strcpy(ret->chain, label);
        return 0;
}

static int decode_target(const bs_codec_family *fam, const char *name, uint8_t revision, const uint8_t *data,
                         size_t size, bool is_goto, const char *label, bs_target *ret) {
        bool standard_size = size + BS_XT_TARGET_HDR == BS_XT_STANDARD_SIZE;
        int verdict = 0, kind;

        memset(ret, 0, sizeof(*ret));
        if (standard_size)
                memcpy(&verdict, data, sizeof(verdict));

        /* The kernel's form of a standard target. */
        if (name[0] == '\0') {
                if (!standard_size || revision != 0)
                        return -EBADMSG;
                if (label)
                        return decode_standard_label(label, is_goto, ret);
                if (is_goto)
                        return -EBADMSG;
                if (verdict == 0) {  /* bs_codec_encode's fall-through */
                        ret->kind = BS_TARGET_NONE;
                        return 0;
                }
                if ((kind = standard_kind_by_verdict(verdict)) < 0)
                        return -EBADMSG;  /* a jump or fall-through: needs the label */
                ret->kind = (bs_target_kind) kind;
                return 0;
        }

        /* The form iptables hands to libiptc: ACCEPT, DROP, QUEUE, RETURN. */
        if ((kind = standard_kind_by_label(name)) >= 0) {
                if (!standard_size || revision != 0 || is_goto)
                        return -EBADMSG;
                ret->kind = (bs_target_kind) kind;
                return 0;
        }

        /* ... or a jump named by its chain. Only without a label: for an entry
         * libiptc read from the kernel, a named target is an extension. */
        if (!label && standard_size && revision == 0 && verdict == 0 && jump_chain_valid(name)) {
                ret->kind = is_goto ? BS_TARGET_GOTO : BS_TARGET_JUMP;
                strcpy(ret->chain, name);
                return 0;
        }
        if (is_goto)
                return -EBADMSG;  /* only chains can be gone to */
        return decode_target_ext(fam, name, revision, data, size, ret);
}

static int decode_target_ext(const bs_codec_family *fam, const char *name, uint8_t revision, const uint8_t *data,
                             size_t size, bs_target *ret) {
        const bs_xt_target_ops *ops = target_ops_by_name(fam, name, revision);
        if (ops && size == XT_ALIGN(ops->size) && size <= BS_XT_INFO_MAX) {
                _Alignas(8) uint8_t info[BS_XT_INFO_MAX], check[BS_XT_INFO_MAX];
                bs_target t = { .kind = ops->kind };

                memcpy(info, data, size);
                ops->decode(info, fam->family, &t);
                memset(check, 0, size);
                if (ops->encode(&t, fam->family, check) >= 0 && memcmp(check, info, size) == 0) {
                        *ret = t;
                        return 0;
                }
        }
        ret->kind = BS_TARGET_OPAQUE;
        return opaque_set(&ret->opaque, name, revision, data, size);
}

static int decode_entry(const bs_codec_family *fam, const uint8_t *e, size_t size, const char *target_label,
                        bs_rule *ret) {
        uint16_t target_offset, next_offset, ext_size;
        char name[XT_EXTENSION_MAXNAMELEN];
        uint8_t revision;
        bool is_goto;
        int k;

        if ((k = fam->decode_header(e, ret, &is_goto)) < 0)
                return k;
        struct xt_counters counters;
        memcpy(&target_offset, e + fam->target_offset_at, sizeof(target_offset));
        memcpy(&next_offset, e + fam->next_offset_at, sizeof(next_offset));
        memcpy(&counters, e + fam->counters_at, sizeof(counters));
        ret->packets = counters.pcnt;
        ret->bytes = counters.bcnt;

        /* Everything lies within the entry, 8-aligned, with room for the
         * target's header. */
        if (next_offset != size || target_offset < fam->entry_size ||
            target_offset > next_offset - BS_XT_TARGET_HDR || target_offset != XT_ALIGN(target_offset) ||
            next_offset != XT_ALIGN(next_offset))
                return -EBADMSG;

        for (size_t off = fam->entry_size; off < target_offset; off += ext_size) {
                if (target_offset - off < BS_XT_MATCH_HDR)
                        return -EBADMSG;
                if ((k = read_ext_header(e + off, &ext_size, name, &revision)) < 0)
                        return k;
                if (ext_size < BS_XT_MATCH_HDR || ext_size > target_offset - off || ext_size != XT_ALIGN(ext_size) ||
                    name[0] == '\0')
                        return -EBADMSG;
                if (ret->n_matches >= BS_MATCHES_MAX)
                        return -E2BIG;
                bs_match *m = bs_rule_add_match(ret, BS_MATCH_COMMENT);
                if (!m)
                        return -ENOMEM;
                k = decode_match(fam, name, revision, e + off + BS_XT_MATCH_HDR, ext_size - BS_XT_MATCH_HDR, m);
                if (k < 0) {
                        ret->n_matches--;  /* m owns nothing on failure */
                        return k;
                }
        }

        /* The target fills the rest of the entry exactly, as iptables writes it. */
        if ((k = read_ext_header(e + target_offset, &ext_size, name, &revision)) < 0)
                return k;
        if (ext_size != next_offset - target_offset)
                return -EBADMSG;
        k = decode_target(fam, name, revision, e + target_offset + BS_XT_TARGET_HDR, ext_size - BS_XT_TARGET_HDR,
                          is_goto, target_label, &ret->target);
        if (k < 0) {
                ret->target.kind = BS_TARGET_NONE;  /* owns nothing on failure */
                return k;
        }
        return 0;
}

int bs_codec_decode(bs_family family, const void *entry, size_t size, const char *target_label, bs_rule *ret) {
        const bs_codec_family *fam = family_ops(family);
        int k;

        if (!fam)
                return -EINVAL;
        bs_rule_init(ret, family);
        if (!entry || size < fam->entry_size || size > BS_XT_ENTRY_MAX)
                return -EBADMSG;

        k = decode_entry(fam, entry, size, target_label, ret);
        if (k < 0) {
                bs_rule_done(ret);
                bs_rule_init(ret, family);
        }
        return k;
}

/* ------------------------------------------------- single payloads (nft) */

static int payload_of_opaque(const bs_opaque *o, bs_codec_payload *ret) {
        ret->name = o->name;
        ret->revision = o->revision;
        ret->data = o->data;
        ret->size = o->size;
        return 0;
}

/* A known extension's payload, zeroed in ret->buf for its encode(). */
static int payload_room(bs_codec_payload *ret, const char *name, uint8_t revision, size_t size) {
        if (size > sizeof(ret->buf))
                return -EINVAL;
        memset(ret->buf, 0, size);
        ret->name = name;
        ret->revision = revision;
        ret->data = ret->buf;
        ret->size = size;
        return 0;
}

int bs_codec_match_payload(bs_family family, const bs_match *m, bs_codec_payload *ret) {
        const bs_codec_family *fam = family_ops(family);
        const bs_xt_match_ops *ops;
        size_t size;
        int k;

        if (!fam)
                return -EINVAL;
        if ((k = match_layout(fam, m, &ops, &size)) < 0)
                return k;
        if (!ops)
                return payload_of_opaque(&m->opaque, ret);
        size -= BS_XT_MATCH_HDR;
        if ((k = payload_room(ret, ops->name, ops->revision, size)) < 0)
                return k;
        return ops->encode(m, family, ret->buf);
}

int bs_codec_target_payload(bs_family family, const bs_target *t, bs_codec_payload *ret) {
        const bs_codec_family *fam = family_ops(family);
        const bs_xt_target_ops *ops;
        size_t size;
        int k;

        if (!fam)
                return -EINVAL;
        if ((k = target_layout(fam, t, &ops, &size)) < 0)
                return k;
        if (t->kind == BS_TARGET_OPAQUE)
                return payload_of_opaque(&t->opaque, ret);
        if (!ops)
                return -EINVAL;  /* a standard target: a verdict, not a payload */
        size -= BS_XT_TARGET_HDR;
        if ((k = payload_room(ret, ops->name, ops->revision, size)) < 0)
                return k;
        return ops->encode(t, family, ret->buf);
}

static bool ext_name_ok(const char *name) {
        return name && name[0] != '\0' && strnlen(name, BS_EXT_NAME_MAX + 1) <= BS_EXT_NAME_MAX;
}

int bs_codec_match_from_payload(bs_family family, const char *name, uint8_t revision, const void *data,
                                size_t size, bs_match *ret) {
        const bs_codec_family *fam = family_ops(family);

        memset(ret, 0, sizeof(*ret));
        if (!fam)
                return -EINVAL;
        if (!ext_name_ok(name) || (size > 0 && !data))
                return -EBADMSG;
        return decode_match(fam, name, revision, data, size, ret);
}

int bs_codec_target_from_payload(bs_family family, const char *name, uint8_t revision, const void *data,
                                 size_t size, bs_target *ret) {
        const bs_codec_family *fam = family_ops(family);

        memset(ret, 0, sizeof(*ret));
        if (!fam)
                return -EINVAL;
        /* the standard targets are verdicts, never payloads */
        if (!ext_name_ok(name) || standard_kind_by_label(name) >= 0 || (size > 0 && !data))
                return -EBADMSG;
        int k = decode_target_ext(fam, name, revision, data, size, ret);
        if (k < 0)
                memset(ret, 0, sizeof(*ret));
        return k;
}
