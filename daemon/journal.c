/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "journal.h"

#include <endian.h>
#include <inttypes.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>

#include "fileio.h"
#include "strict.h"

/* A change line is at most 8192 bytes (BS_CHANGE_TEXT_MAX); its canonical
 * command can be longer (a program name, "-p tcp -m tcp", quoting). */
#define CHANGE_MAX (4 * 8192)
/* the strict-mode snapshot line, however many connections it names */
#define CONNECTIONS_MAX BS_CT_SNAPSHOT_TEXT_MAX
#define TABLE_TEXT_MAX (BS_JOURNAL_MAX / 2)

bs_journal *bs_journal_new(void) {
        bs_journal *j = calloc(1, sizeof(*j));
        if (!j)
                return NULL;
        j->connections = strdup("");
        if (!j->connections) {
                free(j);
                return NULL;
        }
        return j;
}

void bs_journal_free(bs_journal *j) {
        if (!j)
                return;
        for (size_t i = 0; i < j->n_blocks; i++)
                free(j->blocks[i]);
        free(j->blocks);
        free(j->changes);
        free(j->connections);
        for (int f = 0; f < 2; f++) {
                bs_table_free(j->before[f]);
                bs_table_free(j->after[f]);
        }
        bs_journal_base_unref(j->base);
        free(j);
}

/* Room for n more changes and one more block. */
static int reserve_changes(bs_journal *j, size_t n) {
        if (n > BS_JOURNAL_CHANGES_MAX - j->n_changes)
                return -E2BIG;
        /* doubling: one realloc per change copied a large set's array
         * over and over */
        int r = bs_grow((void **) &j->changes, &j->cap_changes, j->n_changes + n, sizeof(char *));
        if (r < 0)
                return r;
        return bs_grow((void **) &j->blocks, &j->cap_blocks, j->n_blocks + 1, sizeof(char *));
}

int bs_journal_add_change(bs_journal *j, const char *s) {
        return bs_journal_add_changes(j, (char *const *) &s, 1);
}

int bs_journal_add_changes(bs_journal *j, char *const *changes, size_t n) {
        size_t total = 0;
        for (size_t i = 0; i < n; i++) {
                size_t len = strlen(changes[i]);
                if (len > CHANGE_MAX)
                        return -E2BIG;
                total += len + 1;
        }
        int r = reserve_changes(j, n);
        if (r < 0)
                return r;
        char *block = malloc(total ? total : 1);
        if (!block)
                return -ENOMEM;
        j->blocks[j->n_blocks++] = block;
        for (size_t i = 0; i < n; i++) {
                size_t len = strlen(changes[i]) + 1;
                memcpy(block, changes[i], len);
                j->changes[j->n_changes++] = block;
                block += len;
        }
        return 0;
}

#define FNV64_OFFSET 0xcbf29ce484222325ULL
#define FNV64_PRIME 0x100000001b3ULL

uint64_t bs_journal_checksum(unsigned version, const char *p, size_t n) {
        uint64_t h = FNV64_OFFSET;
        size_t i = 0;
        if (version >= 3)
                for (; n - i >= 8; i += 8) {
                        uint64_t w;
                        memcpy(&w, p + i, 8);
                        h ^= le64toh(w);
                        h *= FNV64_PRIME;
                }
        for (; i < n; i++) {
                h ^= (uint8_t) p[i];
                h *= FNV64_PRIME;
        }
        return h;
}

unsigned bs_journal_text_version(const char *text, size_t len) {
        static const char *const wordwise[] = { "backstop-journal 3\n", "backstop-journal 4\n",
                                                "backstop-journal-base 1\n" };
        for (size_t i = 0; i < sizeof(wordwise) / sizeof(wordwise[0]); i++) {
                size_t n = strlen(wordwise[i]);
                if (len >= n && memcmp(text, wordwise[i], n) == 0)
                        return i == 0 ? 3 : BS_JOURNAL_VERSION;
        }
        return 2;
}

/* "HEADER LEN\nDATA\n", in one reserve and three copies: a 10,000-change
 * journal formatted each header with printf. */
static int append_blob(bs_buf *out, const char *header, const char *data) {
        size_t len = strlen(data), hlen = strlen(header);
        char digits[24];
        size_t nd = 0;
        for (size_t v = len; nd == 0 || v > 0; v /= 10)
                digits[sizeof(digits) - 1 - nd++] = (char) ('0' + v % 10);
        int r = bs_buf_reserve(out, hlen + 1 + nd + 1 + len + 1 + 1);
        if (r < 0)
                return r;
        char *p = out->data + out->len;
        memcpy(p, header, hlen);
        p += hlen;
        *p++ = ' ';
        memcpy(p, digits + sizeof(digits) - nd, nd);
        p += nd;
        *p++ = '\n';
        memcpy(p, data, len);
        p += len;
        *p++ = '\n';
        *p = '\0';
        out->len = (size_t) (p - out->data);
        return 0;
}

static const char *family_name(int f) {
        return f == 0 ? "ipv4" : "ipv6";
}

int bs_journal_format(const bs_journal *j, bs_buf *out) {
        int r = bs_buf_printf(out,
                              "backstop-journal %d\n"
                              "id %" PRIu32 "\n"
                              "owner-uid %" PRIu32 "\n"
                              "strict %d\n"
                              "save %d\n"
                              "deadline-boottime-usec %" PRIu64 "\n"
                              "deadline-realtime-usec %" PRIu64 "\n",
                              BS_JOURNAL_VERSION, j->id, j->owner_uid, j->strict, j->save,
                              j->deadline_boottime_usec, j->deadline_realtime_usec);
        if (r < 0)
                return r;
        for (size_t i = 0; i < j->n_changes; i++) {
                r = append_blob(out, "change", j->changes[i]);
                if (r < 0)
                        return r;
        }
        r = append_blob(out, "connections", j->connections ? j->connections : "");
        if (r < 0)
                return r;
        for (int f = 0; f < 2; f++) {
                if (!j->before[f] != !j->after[f])
                        return -EINVAL;
                if (j->after[f] && j->after[f]->family != (f == 0 ? BS_FAMILY_IPV4 : BS_FAMILY_IPV6))
                        return -EINVAL;
        }
        if (j->base) {
                if (j->n_replay > j->base->n_replay || !bs_journal_base_name_valid(j->base->name))
                        return -EINVAL;
                r = bs_buf_printf(out, "base %s %016" PRIx64 "\n", j->base->name, j->base->checksum);
                for (size_t i = 0; r >= 0 && i < j->n_replay; i++)
                        r = append_blob(out, "replay", j->base->replay[i]);
        } else
                r = bs_journal_format_tables((const bs_table *const *) j->before, out);
        if (r < 0)
                return r;
        return bs_buf_printf(out, "end %016" PRIx64 "\n", bs_journal_checksum(BS_JOURNAL_VERSION, out->data, out->len));
}

int bs_journal_format_tables(const bs_table *const tables[2], bs_buf *out) {
        int r;
        for (int f = 0; f < 2; f++) {
                if (!tables[f])
                        continue;
                bs_family fam = f == 0 ? BS_FAMILY_IPV4 : BS_FAMILY_IPV6;
                if (tables[f]->family != fam)
                        return -EINVAL;
                _cleanup_buf_ bs_buf text = {};
                r = bs_render_save_raw(tables[f], true, &text);
                if (r < 0)
                        return r;
                char header[64];
                snprintf(header, sizeof(header), "table before %s", family_name(f));
                r = append_blob(out, header, text.data ? text.data : "");
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---------------------------------------------------------------- parsing */

typedef struct cursor {
        const char *p, *end;
        unsigned line;
        char *err;
        size_t err_size;
} cursor;

static int fail(cursor *c, const char *fmt, ...) _printf_(2, 3);
static int fail(cursor *c, const char *fmt, ...) {
        if (c->err && c->err_size > 0) {
                char msg[512];
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(msg, sizeof(msg), fmt, ap);
                va_end(ap);
                snprintf(c->err, c->err_size, "journal line %u: %s", c->line, msg);
        }
        return -EBADMSG;
}

/* The next line, without its '\n', into buf. */
static int next_line(cursor *c, char *buf, size_t size) {
        c->line++;
        const char *nl = memchr(c->p, '\n', (size_t) (c->end - c->p));
        if (!nl)
                return fail(c, "truncated (no end of line)");
        size_t n = (size_t) (nl - c->p);
        if (n >= size)
                return fail(c, "line too long");
        memcpy(buf, c->p, n);
        buf[n] = 0;
        if (strlen(buf) != n)
                return fail(c, "NUL byte");
        c->p = nl + 1;
        return 0;
}

static int parse_u64(cursor *c, const char *s, uint64_t max, uint64_t *ret) {
        if (!*s || *s < '0' || *s > '9' || (s[0] == '0' && s[1]))
                return fail(c, "bad number \"%s\"", s);
        errno = 0;
        char *e;
        unsigned long long v = strtoull(s, &e, 10);
        if (errno || *e || v > max)
                return fail(c, "bad number \"%s\"", s);
        *ret = v;
        return 0;
}

/* "KEY NUMBER" */
static int expect_number(cursor *c, const char *key, uint64_t max, uint64_t *ret) {
        char line[256];
        int r = next_line(c, line, sizeof(line));
        if (r < 0)
                return r;
        size_t k = strlen(key);
        if (strncmp(line, key, k) != 0 || line[k] != ' ')
                return fail(c, "expected \"%s\"", key);
        return parse_u64(c, line + k + 1, max, ret);
}

/* The bytes of a blob announced with its length: exactly len bytes, '\n'. */
static int read_blob(cursor *c, uint64_t len, char **ret) {
        if ((uint64_t) (c->end - c->p) < len + 1)
                return fail(c, "truncated (%" PRIu64 " bytes announced)", len);
        if (c->p[len] != '\n')
                return fail(c, "blob not followed by end of line");
        if (memchr(c->p, 0, len))
                return fail(c, "NUL byte in blob");
        char *s = strndup(c->p, len);
        if (!s)
                return -ENOMEM;
        for (const char *q = c->p; q < c->p + len; q++)
                if (*q == '\n')
                        c->line++;
        c->p += len + 1;
        c->line++;
        *ret = s;
        return 0;
}

/* Applies to t (of family f) its family's commands among cmds[0..n),
 * named "what N" in why when one fails. */
static int apply_commands(bs_table *t, int f, char *const *cmds, size_t n, const char *what, char *why,
                          size_t why_size) {
        bs_family fam = f == 0 ? BS_FAMILY_IPV4 : BS_FAMILY_IPV6;
        const char *program = f == 0 ? "iptables " : "ip6tables ";
        for (size_t i = 0; i < n; i++) {
                if (strncmp(cmds[i], program, strlen(program)) != 0) {
                        if (strncmp(cmds[i], "iptables ", 9) == 0 || strncmp(cmds[i], "ip6tables ", 10) == 0)
                                continue; /* the other family's */
                        snprintf(why, why_size, "%s %zu is not an iptables or ip6tables command", what, i + 1);
                        return -EBADMSG;
                }
                bs_change c;
                bs_parse_error perr = {};
                int r = bs_parse_change(fam, cmds[i] + strlen(program), &c, &perr);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        snprintf(why, why_size, "%s %zu: %s", what, i + 1, perr.message[0] ? perr.message : "invalid");
                        return -EBADMSG;
                }
                r = bs_table_apply_change(t, &c);
                bs_change_done(&c);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        snprintf(why, why_size, "%s %zu does not apply to the table before: %s", what, i + 1,
                                 strerror(-r));
                        return -EBADMSG;
                }
        }
        return 0;
}

/* Version 2: family f's table after the transaction, from its table
 * before and its changes (why says what failed). */
static int recompute_after(bs_journal *j, int f, char *why, size_t why_size) {
        _cleanup_table_ bs_table *t = NULL;
        int r = bs_table_copy(&t, j->before[f]);
        if (r < 0)
                return r;
        r = apply_commands(t, f, j->changes, j->n_changes, "change", why, why_size);
        if (r < 0)
                return r;
        j->after[f] = TAKE_PTR(t);
        return 0;
}

/* The last line is "end HEX\n", the checksum of what comes before it:
 * checked, and c->end set to it. */
static int check_end_line(cursor *c, const char *text, size_t len) {
        if (len < 21 || text[len - 1] != '\n')
                return fail(c, "truncated (no end line)");
        const char *endline = text + len - 21;
        if (strncmp(endline, "end ", 4) != 0 || (endline > text && endline[-1] != '\n'))
                return fail(c, "truncated (no end line)");
        char hex[17];
        memcpy(hex, endline + 4, 16);
        hex[16] = 0;
        char *e;
        errno = 0;
        uint64_t sum = strtoull(hex, &e, 16);
        if (errno || *e || strspn(hex, "0123456789abcdef") != 16)
                return fail(c, "bad checksum line");
        if (sum != bs_journal_checksum(bs_journal_text_version(text, len), text, (size_t) (endline - text)))
                return fail(c, "checksum mismatch (corrupt)");
        c->end = endline;
        return 0;
}

/* "table before FAMILY N" and its blob, into before[FAMILY] (version 1:
 * or "table after", into after[]); line is what follows "table ". */
static int parse_table(cursor *c, const char *line, unsigned version, bs_table *before[2], bs_table *after[2]) {
        char which[16], fam[16], num[32];
        if (sscanf(line, "%15s %15s %31s", which, fam, num) != 3)
                return fail(c, "bad table line");
        int w = streq(which, "before") ? 0 : streq(which, "after") ? 1 : -1;
        int f = streq(fam, "ipv4") ? 0 : streq(fam, "ipv6") ? 1 : -1;
        if (w < 0 || f < 0 || (w == 1 && version > 1))
                return fail(c, "bad table line");
        bs_table **slot = w == 0 ? &before[f] : &after[f];
        if (*slot)
                return fail(c, "table %s %s twice", which, fam);
        if (w == 1 && !before[f])
                return fail(c, "table after %s without before", fam);
        uint64_t v;
        int r = parse_u64(c, num, TABLE_TEXT_MAX, &v);
        if (r < 0)
                return r;
        unsigned at = c->line + 1;
        _cleanup_free_ char *blob = NULL;
        if ((r = read_blob(c, v, &blob)) < 0)
                return r;
        bs_parse_error perr = {};
        r = bs_parse_save(f == 0 ? BS_FAMILY_IPV4 : BS_FAMILY_IPV6, blob, "filter", slot, &perr);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                c->line = at;
                return fail(c, "table %s %s: %s", which, fam, perr.message);
        }
        return 0;
}

int bs_journal_parse(const char *text, size_t len, bs_journal **ret, char *err, size_t err_size) {
        cursor c = { .p = text, .end = text + len, .err = err, .err_size = err_size };
        if (err && err_size)
                err[0] = 0;
        if (len > BS_JOURNAL_MAX)
                return fail(&c, "too big");

        /* the checksum first */
        int r = check_end_line(&c, text, len);
        if (r < 0)
                return r;

        _cleanup_journal_ bs_journal *j = bs_journal_new();
        if (!j)
                return -ENOMEM;

        char line[256];
        r = next_line(&c, line, sizeof(line));
        if (r < 0)
                return r;
        if (strncmp(line, "backstop-journal ", 17) != 0)
                return fail(&c, "not a backstop journal");
        uint64_t v;
        r = parse_u64(&c, line + 17, UINT32_MAX, &v);
        if (r < 0)
                return r;
        if (v < 1 || v > BS_JOURNAL_VERSION)
                return fail(&c, "unknown version %" PRIu64, v);
        unsigned version = (unsigned) v;

        if ((r = expect_number(&c, "id", UINT32_MAX, &v)) < 0)
                return r;
        j->id = (uint32_t) v;
        if ((r = expect_number(&c, "owner-uid", UINT32_MAX, &v)) < 0)
                return r;
        j->owner_uid = (uint32_t) v;
        if ((r = expect_number(&c, "strict", 1, &v)) < 0)
                return r;
        j->strict = v;
        if ((r = expect_number(&c, "save", 1, &v)) < 0)
                return r;
        j->save = v;
        if ((r = expect_number(&c, "deadline-boottime-usec", UINT64_MAX, &j->deadline_boottime_usec)) < 0)
                return r;
        if ((r = expect_number(&c, "deadline-realtime-usec", UINT64_MAX, &j->deadline_realtime_usec)) < 0)
                return r;

        bool seen_connections = false;
        while (c.p < c.end) {
                r = next_line(&c, line, sizeof(line));
                if (r < 0)
                        return r;
                char *blob = NULL;
                if (strncmp(line, "change ", 7) == 0) {
                        if (seen_connections)
                                return fail(&c, "change after connections");
                        if ((r = parse_u64(&c, line + 7, CHANGE_MAX, &v)) < 0)
                                return r;
                        if ((r = read_blob(&c, v, &blob)) < 0)
                                return r;
                        r = bs_journal_add_change(j, blob);
                        free(blob);
                        if (r < 0)
                                return r == -E2BIG ? fail(&c, "too many changes") : r;
                } else if (strncmp(line, "connections ", 12) == 0) {
                        if (seen_connections)
                                return fail(&c, "connections twice");
                        seen_connections = true;
                        if ((r = parse_u64(&c, line + 12, CONNECTIONS_MAX, &v)) < 0)
                                return r;
                        if ((r = read_blob(&c, v, &blob)) < 0)
                                return r;
                        free(j->connections);
                        j->connections = blob;
                } else if (strncmp(line, "table ", 6) == 0) {
                        if (!seen_connections)
                                return fail(&c, "table before connections");
                        if (j->base)
                                return fail(&c, "table and base");
                        if ((r = parse_table(&c, line + 6, version, j->before, j->after)) < 0)
                                return r;
                } else if (strncmp(line, "base ", 5) == 0) {
                        if (version < 4 || !seen_connections || j->base || j->before[0] || j->before[1])
                                return fail(&c, "unexpected base line");
                        char name[sizeof(j->base->name)], hex[32];
                        if (sscanf(line + 5, "%47s %31s", name, hex) != 2 || !bs_journal_base_name_valid(name) ||
                            strlen(hex) != 16 || strspn(hex, "0123456789abcdef") != 16)
                                return fail(&c, "bad base line");
                        j->base = calloc(1, sizeof(*j->base));
                        if (!j->base)
                                return -ENOMEM;
                        j->base->n_ref = 1;
                        snprintf(j->base->name, sizeof(j->base->name), "%s", name);
                        j->base->checksum = strtoull(hex, NULL, 16);
                } else if (strncmp(line, "replay ", 7) == 0) {
                        if (!j->base)
                                return fail(&c, "replay without base");
                        if (j->n_replay >= BS_JOURNAL_REPLAY_MAX)
                                return fail(&c, "too many replay commands");
                        if ((r = parse_u64(&c, line + 7, CHANGE_MAX, &v)) < 0)
                                return r;
                        if ((r = read_blob(&c, v, &blob)) < 0)
                                return r;
                        r = bs_journal_base_append(j->base, &blob, 1);
                        free(blob);
                        if (r < 0)
                                return r;
                        j->n_replay = j->base->n_replay;
                } else
                        return fail(&c, "unexpected \"%.40s\"", line);
        }
        if (!seen_connections)
                return fail(&c, "no connections line");
        if (j->base) {
                /* the tables come with the base (bs_journal_load) */
                *ret = TAKE_PTR(j);
                return 0;
        }
        if (version > 1)
                for (int f = 0; f < 2; f++) {
                        if (!j->before[f])
                                continue;
                        char why[300] = "";
                        r = recompute_after(j, f, why, sizeof(why));
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0)
                                return fail(&c, "%s", why);
                }
        for (int f = 0; f < 2; f++)
                if (!j->before[f] != !j->after[f])
                        return fail(&c, "table before %s without after", family_name(f));
        if (!j->before[0] && !j->before[1])
                return fail(&c, "no tables");

        *ret = TAKE_PTR(j);
        return 0;
}

/* ---------------------------------------------------------------- files */

int bs_journal_write(const char *dir, const bs_journal *j) {
        _cleanup_buf_ bs_buf text = {};
        int r = bs_journal_format(j, &text);
        if (r < 0)
                return r;
        return bs_write_file_atomic(dir, BS_JOURNAL_FILE, text.data, text.len, 0600);
}

/* A journal that names a base: its tables before are the base file's
 * with the replay applied, its tables after those with its changes. Then
 * it is a journal like any other (a rewrite writes its tables). */
static int resolve_base(const char *dir, bs_journal *j, char *err, size_t err_size) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        cursor c = { .err = err, .err_size = err_size };
        int r = bs_read_file(dir, j->base->name, BS_JOURNAL_MAX, &text, &len);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return fail(&c, "cannot read its base %s: %s", j->base->name, strerror(r == -EFBIG ? EFBIG : -r));
        c.p = text;
        c.end = text + len;
        if ((r = check_end_line(&c, text, len)) < 0)
                return r;
        if (strtoull(text + len - 17, NULL, 16) != j->base->checksum)
                return fail(&c, "its base %s is not the one it names (checksum)", j->base->name);
        char line[256];
        if ((r = next_line(&c, line, sizeof(line))) < 0)
                return r;
        if (!streq(line, "backstop-journal-base 1"))
                return fail(&c, "%s is not a journal base", j->base->name);
        bs_table *after_unused[2] = {};
        while (c.p < c.end) {
                if ((r = next_line(&c, line, sizeof(line))) < 0)
                        return r;
                if (strncmp(line, "table ", 6) != 0)
                        return fail(&c, "base: unexpected \"%.40s\"", line);
                if ((r = parse_table(&c, line + 6, BS_JOURNAL_VERSION, j->before, after_unused)) < 0)
                        return r;
        }
        if (!j->before[0] && !j->before[1])
                return fail(&c, "base: no tables");
        for (int f = 0; f < 2; f++) {
                if (!j->before[f])
                        continue;
                char why[300] = "";
                r = apply_commands(j->before[f], f, j->base->replay, j->n_replay, "replay", why, sizeof(why));
                if (r >= 0)
                        r = recompute_after(j, f, why, sizeof(why));
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return fail(&c, "%s", why);
        }
        bs_journal_base_unref(TAKE_PTR(j->base));
        j->n_replay = 0;
        return 0;
}

int bs_journal_load(const char *dir, bs_journal **ret, char *err, size_t err_size) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = bs_read_file(dir, BS_JOURNAL_FILE, BS_JOURNAL_MAX, &text, &len);
        if (r == -EFBIG) {
                if (err && err_size)
                        snprintf(err, err_size, "journal too big");
                return -EBADMSG;
        }
        if (r < 0)
                return r;
        _cleanup_journal_ bs_journal *j = NULL;
        r = bs_journal_parse(text, len, &j, err, err_size);
        if (r < 0)
                return r;
        if (j->base) {
                r = resolve_base(dir, j, err, err_size);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(j);
        return 0;
}

int bs_journal_remove(const char *dir) {
        char path[4096];
        if (snprintf(path, sizeof(path), "%s/%s", dir, BS_JOURNAL_FILE) >= (int) sizeof(path))
                return -ENAMETOOLONG;
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

int bs_journal_mark_ended(const char *dir, uint32_t id) {
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "%" PRIu32 "\n", id);
        return bs_write_file_atomic(dir, BS_JOURNAL_ENDED_FILE, buf, (size_t) n, 0644);
}

int bs_journal_ended_id(const char *dir, uint32_t *ret) {
        _cleanup_free_ char *text = NULL;
        int r = bs_read_file(dir, BS_JOURNAL_ENDED_FILE, 64, &text, NULL);
        if (r < 0)
                return r;
        char *e;
        errno = 0;
        unsigned long long v = strtoull(text, &e, 10);
        if (errno || e == text || (*e != '\n' && *e != 0) || v == 0 || v > UINT32_MAX)
                return -ENOENT;
        *ret = (uint32_t) v;
        return 0;
}

int bs_journal_set_aside(const char *dir, char **ret_path) {
        char from[4096], to[4200];
        if (snprintf(from, sizeof(from), "%s/%s", dir, BS_JOURNAL_FILE) >= (int) sizeof(from))
                return -ENAMETOOLONG;
        /* realtime in microseconds; never overwrite an earlier one */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t usec = (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
        for (unsigned i = 0;; i++) {
                snprintf(to, sizeof(to), "%s.corrupt-%" PRIu64, from, usec + i);
                if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) >= 0)
                        break;
                if (errno != EEXIST || i >= 1000)
                        return -errno;
        }
        if (ret_path) {
                *ret_path = strdup(to);
                if (!*ret_path)
                        return -ENOMEM;
        }
        return 0;
}

int bs_journal_next_id(const char *dir, uint32_t *ret) {
        _cleanup_free_ char *text = NULL;
        uint64_t last = 0;
        int r = bs_read_file(dir, "last-id", 64, &text, NULL);
        if (r >= 0) {
                char *e;
                errno = 0;
                unsigned long long v = strtoull(text, &e, 10);
                /* a damaged counter is no reason to stop: start over, ids only
                 * need to differ from the ones still on the bus */
                if (!errno && e != text && (*e == '\n' || *e == 0) && v < UINT32_MAX)
                        last = v;
        } else if (r != -ENOENT)
                return r;
        uint32_t id = (uint32_t) last + 1;
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "%" PRIu32 "\n", id);
        r = bs_write_file_atomic(dir, "last-id", buf, (size_t) n, 0644);
        if (r < 0)
                return r;
        *ret = id;
        return 0;
}
