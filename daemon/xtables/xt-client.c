/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's side of backstop-xtables (xt-client.h): starting the helper
 * without privileges, the requests with their timeout, the kernel's
 * revision answers, and the text layer's provider on top. */
#include <netinet/in.h> /* before any linux/ header */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "xt-client-internal.h"
#include "xt-proto.h"
#include "xt-reply.h"
#include "xt-revision.h"
#include "xt-text-cache.h"

#define DESCRIBE_CACHE_MAX 256
/* extensions whose text is kept (some 100 bytes of text and key each) */
#define TEXT_CACHE_MAX 16384
/* After a helper hung (killed at the timeout: twice the timeout, 10 s by
 * default) or could not start (the timeout), requests fail at once for a
 * while: a display of many rules must not wait out the timeout once per
 * rule. */
/* The helper's address space: libxtables and every extension loaded
 * take some 30 MiB; a runaway extension stops here, not at the unit's
 * MemoryMax= that the daemon shares. */
#define HELPER_ADDRESS_SPACE_MAX (512ULL * 1024 * 1024)
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
/* The exit status of the child when it could not become the helper
 * (privileges not dropped, exec failed). */
#define CHILD_SETUP_FAILED 127


helper *xtc_helper_of(bs_xt_client *c, bs_family f) {
        return &c->helpers[f == BS_FAMILY_IPV6 ? 1 : 0];
}

int bs_xt_client_new(const char *helper_path, bs_xt_client **ret) {
        const char *path = helper_path ? helper_path : getenv("BACKSTOP_XTABLES_HELPER");
        if (!path || !*path)
                path = BS_XTABLES_HELPER_PATH;
        bs_xt_client *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->path = strdup(path);
        c->buf = malloc(BS_XT_MSG_MAX);
        c->reply = malloc(BS_XT_MSG_MAX);
        if (!c->path || !c->buf || !c->reply || bs_xt_text_cache_new(TEXT_CACHE_MAX, &c->texts) < 0) {
                bs_xt_client_free(c);
                return -ENOMEM;
        }
        c->timeout_usec = BS_XT_TIMEOUT_USEC_DEFAULT;
        c->helpers[0].fd = c->helpers[1].fd = -1;
        *ret = c;
        return 0;
}

bool xtc_helper_stop(helper *h) {
        int status = 0;
        bool start_failed = false;
        if (h->fd >= 0)
                close(h->fd);
        h->fd = -1;
        if (h->pid > 0) {
                kill(h->pid, SIGKILL);
                while (waitpid(h->pid, &status, 0) < 0 && errno == EINTR)
                        ;
                start_failed = WIFEXITED(status) && WEXITSTATUS(status) == CHILD_SETUP_FAILED;
        }
        h->pid = 0;
        return start_failed;
}

static void cache_clear(bs_xt_client *c) {
        for (size_t i = 0; i < c->n_cache; i++)
                free(c->cache[i].opts);
        free(c->cache);
        c->cache = NULL;
        c->n_cache = 0;
}

void bs_xt_client_free(bs_xt_client *c) {
        if (!c)
                return;
        xtc_warm_drop(c);
        xtc_helper_stop(&c->helpers[0]);
        xtc_helper_stop(&c->helpers[1]);
        cache_clear(c);
        bs_xt_text_cache_free(c->texts);
        free(c->path);
        free(c->buf);
        free(c->reply);
        free(c);
}

void bs_xt_client_set_timeout(bs_xt_client *c, uint64_t usec) {
        c->timeout_usec = usec;
}

int bs_xt_client_helper_pid(const bs_xt_client *c, bs_family f) {
        return c->helpers[f == BS_FAMILY_IPV6 ? 1 : 0].pid;
}

uint64_t xtc_now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

/* ------------------------------------------------------------ the process */

static void set_buffers(int fd) {
        int size = 2 * BS_XT_MSG_MAX + 4096;
        if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

/* In the child, between fork and exec: only async-signal-safe calls. The
 * helper gets fd 3 (its socket), /dev/null as 0 and 1, the daemon's stderr;
 * as root it becomes nobody, which clears every capability; it may gain
 * none (no new privileges) and dies with the daemon. */
_Noreturn static void child(int sock, const char *path, const char *fam, uid_t uid, gid_t gid) {
        sigset_t all;
        sigfillset(&all);
        sigprocmask(SIG_UNBLOCK, &all, NULL);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                _exit(CHILD_SETUP_FAILED);
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0)
                _exit(CHILD_SETUP_FAILED);
        if (sock == 3) {
                if (fcntl(3, F_SETFD, 0) < 0)
                        _exit(CHILD_SETUP_FAILED);
        } else if (dup2(sock, 3) < 0)
                _exit(CHILD_SETUP_FAILED);
        if (close_range(4, ~0U, 0) < 0)
                _exit(CHILD_SETUP_FAILED);
        /* no core dumps, no file written, few files open; the address
         * space bounded (not under ASan, whose shadow needs terabytes) */
        struct rlimit zero = { 0, 0 }, files = { 64, 64 };
        if (setrlimit(RLIMIT_CORE, &zero) < 0 || setrlimit(RLIMIT_FSIZE, &zero) < 0 ||
            setrlimit(RLIMIT_NOFILE, &files) < 0)
                _exit(CHILD_SETUP_FAILED);
#ifndef UNDER_ASAN
        struct rlimit as = { HELPER_ADDRESS_SPACE_MAX, HELPER_ADDRESS_SPACE_MAX };
        if (setrlimit(RLIMIT_AS, &as) < 0)
                _exit(CHILD_SETUP_FAILED);
#endif
        if (geteuid() == 0) {
                if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
                        _exit(CHILD_SETUP_FAILED);
        }
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                _exit(CHILD_SETUP_FAILED);
        char *const argv[] = { (char *) "backstop-xtables", (char *) fam, NULL };
        char *const envp[] = { (char *) "PATH=/usr/sbin:/usr/bin:/sbin:/bin", (char *) "LC_ALL=C", NULL };
        execve(path, argv, envp);
        _exit(CHILD_SETUP_FAILED);
}

int xtc_helper_start(bs_xt_client *c, bs_family f) {
        helper *h = xtc_helper_of(c, f);
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        set_buffers(sv[0]);
        set_buffers(sv[1]);
        uid_t uid = 65534;
        gid_t gid = 65534;
        struct passwd pw, *p = NULL;
        char pwbuf[1024];
        if (getpwnam_r("nobody", &pw, pwbuf, sizeof(pwbuf), &p) == 0 && p) {
                uid = p->pw_uid;
                gid = p->pw_gid;
        }
        pid_t pid = fork();
        if (pid < 0) {
                int r = -errno;
                close(sv[0]);
                close(sv[1]);
                return r;
        }
        if (pid == 0)
                child(sv[1], c->path, f == BS_FAMILY_IPV6 ? "6" : "4", uid, gid);
        close(sv[1]);
        h->pid = pid;
        h->fd = sv[0];
        return 0;
}

/* ------------------------------------------------------------ requests */


static int answer_revision(bs_xt_client *c, helper *h, bs_family f, bs_xt_reader *r, uint32_t id) {
        char name[BS_XT_NAME_MAX + 1];
        uint8_t target = bs_xt_ru8(r), revision = bs_xt_ru8(r);
        bs_xt_rstr(r, BS_XT_NAME_MAX, name);
        if (bs_xt_rend(r) < 0 || !name[0])
                return -EBADMSG;
        uint8_t msg[64];
        bs_xt_writer w;
        size_t len;
        bs_xt_wbegin(&w, msg, BS_XT_REVISION_ANSWER, id, f == BS_FAMILY_IPV6 ? 6 : 4);
        bs_xt_wu8(&w, bs_xt_kernel_supports(f, target, revision, name));
        if (bs_xt_wend(&w, &len) < 0)
                return -EMSGSIZE;
        if (send(h->fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t) len)
                return -ECONNRESET;
        return 0;
}

static int answer_ipset(helper *h, bs_family f, bs_xt_reader *r, uint32_t id) {
        const uint8_t *req;
        size_t n = bs_xt_rbytes(r, BS_XT_IPSET_MAX, &req);
        if (bs_xt_rend(r) < 0)
                return -EBADMSG;
        uint8_t out[BS_XT_IPSET_MAX];
        size_t out_len = n;
        if (n)
                memcpy(out, req, n);
        int k = bs_xt_kernel_ipset(out, &out_len);
        uint8_t msg[BS_XT_IPSET_MAX + 64];
        bs_xt_writer w;
        size_t len;
        bs_xt_wbegin(&w, msg, BS_XT_IPSET_ANSWER, id, f == BS_FAMILY_IPV6 ? 6 : 4);
        bs_xt_wu32(&w, k < 0 ? (uint32_t) -k : 0);
        bs_xt_wbytes(&w, out, k < 0 ? 0 : out_len);
        if (bs_xt_wend(&w, &len) < 0)
                return -EMSGSIZE;
        if (send(h->fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t) len)
                return -ECONNRESET;
        return 0;
}

static int request_once(bs_xt_client *c, bs_family f, size_t len, bs_xt_type want, bs_xt_reader *ret);

/* Sends c->buf (len bytes) and waits for the reply of type want into
 * c->reply, answering revision and ipset questions on the way. A helper that was
 * dead already (killed, or ended after its last error: the request finds
 * its socket closed) is started again, once. */
static int request(bs_xt_client *c, bs_family f, size_t len, bs_xt_type want, bs_xt_reader *ret) {
        if (c->paused_until && xtc_now_usec() < c->paused_until)
                return -EAGAIN;
        c->paused_until = 0;
        int r = request_once(c, f, len, want, ret);
        if (r == -ECONNRESET && !c->paused_until)
                r = request_once(c, f, len, want, ret);
        if (r == -ETIME)
                c->paused_until = xtc_now_usec() + 2 * c->timeout_usec;
        return r;
}

int xtc_take_message(bs_xt_client *c, bs_family f, uint32_t id, bs_xt_type want, bs_xt_reader *ret) {
        helper *h = xtc_helper_of(c, f);
        ssize_t n = recv(h->fd, c->reply, BS_XT_MSG_MAX, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return 0;
        if (n <= 0 || n > BS_XT_MSG_MAX) {
                /* died, or sent what we cannot read */
                if (xtc_helper_stop(h)) {
                        c->paused_until = xtc_now_usec() + c->timeout_usec;
                        return -ENOEXEC;
                }
                return -ECONNRESET;
        }
        bs_xt_hdr hdr;
        int r = bs_xt_rbegin(ret, c->reply, (size_t) n, &hdr);
        if (r >= 0 && (hdr.id != id || hdr.family != (f == BS_FAMILY_IPV6 ? 6u : 4u)))
                r = -EBADMSG;
        if (r >= 0 && hdr.type == BS_XT_REVISION) {
                r = answer_revision(c, h, f, ret, id);
                if (r >= 0)
                        return 2;
        }
        if (r >= 0 && hdr.type == BS_XT_IPSET) {
                r = answer_ipset(h, f, ret, id);
                if (r >= 0)
                        return 2;
        }
        if (r >= 0 && hdr.type == BS_XT_ERROR) {
                bs_xt_rstr(ret, BS_XT_MESSAGE_MAX, c->message);
                xtc_helper_stop(h); /* it ends after an error: libxtables may be half way */
                return bs_xt_rend(ret) < 0 ? -EBADMSG : -EINVAL;
        }
        if (r >= 0 && hdr.type != want)
                r = -EBADMSG;
        if (r < 0) {
                xtc_helper_stop(h);
                return r;
        }
        c->reply_len = (size_t) n;
        return 1;
}

/* Waits until take_message has the reply or fails, or the deadline
 * passes (the helper is then stopped: -ETIME). */
static int await_reply(bs_xt_client *c, bs_family f, uint32_t id, bs_xt_type want, uint64_t deadline,
                       bs_xt_reader *ret) {
        helper *h = xtc_helper_of(c, f);
        for (;;) {
                uint64_t now = xtc_now_usec();
                if (now >= deadline) {
                        xtc_helper_stop(h);
                        return -ETIME;
                }
                struct pollfd p = { .fd = h->fd, .events = POLLIN };
                uint64_t ms = (deadline - now + 999) / 1000;
                int k = poll(&p, 1, ms > INT32_MAX ? INT32_MAX : (int) ms);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        int r = -errno;
                        xtc_helper_stop(h);
                        return r;
                }
                if (k == 0)
                        continue;
                int r = xtc_take_message(c, f, id, want, ret);
                if (r < 0 || r == 1)
                        return r < 0 ? r : 0;
        }
}

static int request_once(bs_xt_client *c, bs_family f, size_t len, bs_xt_type want, bs_xt_reader *ret) {
        helper *h = xtc_helper_of(c, f);
        uint32_t id;
        memcpy(&id, c->buf + offsetof(bs_xt_hdr, id), sizeof(id));
        c->message[0] = '\0';
        for (int attempt = 0;; attempt++) {
                if (h->pid == 0) {
                        int r = xtc_helper_start(c, f);
                        if (r < 0)
                                return r;
                }
                if (send(h->fd, c->buf, len, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t) len)
                        break;
                int e = errno;
                xtc_helper_stop(h);
                if (attempt > 0 || (e != EPIPE && e != ECONNRESET))
                        return e == EAGAIN ? -ETIME : -ECONNRESET;
        }
        return await_reply(c, f, id, want, xtc_now_usec() + c->timeout_usec, ret);
}

static void begin(bs_xt_client *c, bs_xt_writer *w, bs_xt_type type, bs_family f) {
        bs_xt_wbegin(w, c->buf, type, ++c->next_id, f == BS_FAMILY_IPV6 ? 6 : 4);
}

/* ------------------------------------------------------------ render */

static size_t item_size(const bs_ext_render_item *it) {
        return 1 + 1 + 2 + 1 + 4 + strlen(it->opaque->name) + 4 + it->opaque->size;
}

int xtc_build_render(bs_xt_client *c, const bs_ext_render_item *items, size_t n, size_t *len, size_t *k) {
        bs_family f = items[0].family;
        bs_xt_writer w;
        begin(c, &w, BS_XT_RENDER, f);
        size_t count_at = w.len;
        bs_xt_wu32(&w, 0);
        size_t i = 0;
        while (i < n && i < BS_XT_ITEMS_MAX && items[i].family == f &&
               w.len + item_size(&items[i]) <= BS_XT_MSG_MAX) {
                const bs_ext_render_item *it = &items[i];
                bs_xt_wu8(&w, it->target);
                bs_xt_wu8(&w, it->opaque->revision);
                bs_xt_wu16(&w, it->proto);
                bs_xt_wu8(&w, it->proto_invert);
                bs_xt_wstr(&w, it->opaque->name);
                bs_xt_wbytes(&w, it->opaque->data, it->opaque->size);
                i++;
        }
        *k = i;
        if (i == 0)
                return 0;
        bs_xt_wpatch_u32(&w, count_at, (uint32_t) i);
        return bs_xt_wend(&w, len);
}

/* items[0..n) of one family: as many as fit one message. *done: how many
 * the helper handled (rendered or not). */
static int render_batch(bs_xt_client *c, bs_ext_render_item *items, size_t n, size_t *done) {
        size_t k, len;
        int r = xtc_build_render(c, items, n, &len, &k);
        *done = k ? k : 1;
        if (r < 0 || k == 0)
                return r; /* one that cannot be sent at all stays unrendered */
        bs_xt_reader rd;
        r = request(c, items[0].family, len, BS_XT_RENDERED, &rd);
        if (r < 0)
                return r;
        size_t handled;
        r = bs_xt_read_rendered(&rd, items, k, &handled);
        if (r < 0)
                return r;
        *done = handled ? handled : 1;
        return 0;
}

/* items from the helper, as many per request as fit; each answer kept in
 * the text cache */
static int render_items(bs_xt_client *c, bs_ext_render_item *items, size_t n) {
        size_t i = 0;
        while (i < n) {
                size_t done;
                int r = render_batch(c, items + i, n - i, &done);
                if (r == -ENOMEM || r == -ETIME || r == -EAGAIN || r == -ENOEXEC)
                        return r; /* what is left stays in the raw form */
                for (size_t j = 0; r == 0 && j < done; j++)
                        if (bs_xt_text_cache_add(c->texts, &items[i + j]) < 0)
                                return -ENOMEM;
                if (r < 0 && done > 1) {
                        /* an extension killed the helper: each one alone, so
                         * that only the culprit is left unrendered */
                        for (size_t j = 0; j < done; j++) {
                                size_t one;
                                int k = render_batch(c, items + i + j, 1, &one);
                                if (k == -ENOMEM || k == -ETIME || k == -EAGAIN || k == -ENOEXEC)
                                        return k;
                                if (k == 0 && bs_xt_text_cache_add(c->texts, &items[i + j]) < 0)
                                        return -ENOMEM;
                        }
                }
                i += done;
        }
        return 0;
}

/* The items the cache does not know, from miss[0..*m) (all of them
 * when m is 0 on entry) into miss[] and batch[]; the others get their
 * texts. */
static int look_up(bs_xt_client *c, bs_ext_render_item *items, size_t n, size_t *miss, bs_ext_render_item *batch,
                   size_t *m) {
        size_t from = *m, k_out = 0;
        for (size_t j = 0; j < (from ? from : n); j++) {
                size_t i = from ? miss[j] : j;
                int k = bs_xt_text_cache_keeps(&items[i]) ? bs_xt_text_cache_lookup(c->texts, &items[i]) : 0;
                if (k < 0)
                        return k;
                if (k == 0) {
                        miss[k_out] = i;
                        batch[k_out] = items[i];
                        batch[k_out].text = NULL;
                        k_out++;
                }
        }
        *m = k_out;
        return 0;
}

static int provider_render(void *userdata, bs_ext_render_item *items, size_t n) {
        bs_xt_client *c = userdata;
        /* what the cache knows, then the rest from the helper */
        _cleanup_free_ size_t *miss = malloc((n ? n : 1) * sizeof(size_t));
        _cleanup_free_ bs_ext_render_item *batch = malloc((n ? n : 1) * sizeof(bs_ext_render_item));
        if (!miss || !batch)
                return -ENOMEM;
        size_t m = 0;
        int r = look_up(c, items, n, miss, batch, &m);
        if (r >= 0 && m > 0 && bs_xt_client_warm_fd(c) >= 0) {
                /* the warm-up in flight may bring them */
                xtc_warm_finish(c);
                r = look_up(c, items, n, miss, batch, &m);
        }
        if (r < 0)
                return r;
        r = m ? render_items(c, batch, m) : 0;
        for (size_t j = 0; j < m; j++) {
                items[miss[j]].text = batch[j].text;
                items[miss[j]].exact = batch[j].exact;
        }
        return r;
}

/* ------------------------------------------------------------ describe, parse */

/* What a failed request says to the user (EINVAL: the helper's message). */
static void failure_message(const bs_xt_client *c, int r, char *msg, size_t msg_size) {
        switch (r) {
        case -EINVAL:
                snprintf(msg, msg_size, "%s", c->message);
                break;
        case -ETIME:
                snprintf(msg, msg_size, "the xtables helper did not answer in time and was stopped");
                break;
        case -EAGAIN:
                snprintf(msg, msg_size, "the xtables helper is paused: it hung or could not start a moment ago");
                break;
        case -ECONNRESET:
                snprintf(msg, msg_size, "the xtables helper died");
                break;
        case -ENOEXEC:
                snprintf(msg, msg_size, "the xtables helper could not start (not installed, or its privileges could not be dropped)");
                break;
        default:
                snprintf(msg, msg_size, "the xtables helper failed: %s", strerror(-r));
                break;
        }
}

static int provider_describe(void *userdata, bs_family f, bool target, const char *name,
                             const bs_ext_option **ret, size_t *ret_n, char *msg, size_t msg_size) {
        bs_xt_client *c = userdata;
        if (c->warm.active && c->warm.family == f)
                xtc_warm_finish(c); /* requests never overlap on a socket */
        if (strlen(name) > BS_EXT_NAME_MAX) {
                snprintf(msg, msg_size, "the name is too long");
                return -ENOENT;
        }
        for (size_t i = 0; i < c->n_cache; i++) {
                described *d = &c->cache[i];
                if (d->family == f && d->target == target && strcmp(d->name, name) == 0) {
                        *ret = d->opts;
                        *ret_n = d->n;
                        return 0;
                }
        }
        bs_xt_writer w;
        begin(c, &w, BS_XT_DESCRIBE, f);
        bs_xt_wu8(&w, target);
        bs_xt_wstr(&w, name);
        size_t len;
        int r = bs_xt_wend(&w, &len);
        bs_xt_reader rd;
        if (r >= 0)
                r = request(c, f, len, BS_XT_DESCRIBED, &rd);
        if (r < 0) {
                failure_message(c, r, msg, msg_size);
                return r == -EINVAL ? -ENOENT : r;
        }
        bs_ext_option *opts;
        size_t n;
        r = bs_xt_read_described(&rd, &opts, &n);
        if (r < 0) {
                failure_message(c, r, msg, msg_size);
                return r;
        }
        if (c->n_cache == DESCRIBE_CACHE_MAX)
                cache_clear(c);
        described *grown = reallocarray(c->cache, c->n_cache + 1, sizeof(*grown));
        if (!grown) {
                free(opts);
                return -ENOMEM;
        }
        c->cache = grown;
        described *d = &c->cache[c->n_cache++];
        *d = (described){ .family = f, .target = target, .opts = opts, .n = n };
        snprintf(d->name, sizeof(d->name), "%s", name);
        *ret = opts;
        *ret_n = n;
        return 0;
}

static int provider_parse(void *userdata, bs_family f, bool target, const char *name, uint16_t proto,
                          bool proto_invert, char *const *words, size_t n, bs_opaque *ret, char *msg,
                          size_t msg_size) {
        bs_xt_client *c = userdata;
        if (c->warm.active && c->warm.family == f)
                xtc_warm_finish(c); /* requests never overlap on a socket */
        if (n > BS_XT_WORDS_MAX || strlen(name) > BS_EXT_NAME_MAX) {
                snprintf(msg, msg_size, "too many words");
                return -EINVAL;
        }
        bs_xt_writer w;
        begin(c, &w, BS_XT_PARSE, f);
        bs_xt_wu8(&w, target);
        bs_xt_wu16(&w, proto);
        bs_xt_wu8(&w, proto_invert);
        bs_xt_wstr(&w, name);
        bs_xt_wu32(&w, (uint32_t) n);
        for (size_t i = 0; i < n; i++) {
                if (strlen(words[i]) > BS_XT_WORD_MAX) {
                        snprintf(msg, msg_size, "\"%.32s...\" is too long", words[i]);
                        return -EINVAL;
                }
                bs_xt_wstr(&w, words[i]);
        }
        size_t len;
        int r = bs_xt_wend(&w, &len);
        bs_xt_reader rd;
        if (r >= 0)
                r = request(c, f, len, BS_XT_PARSED, &rd);
        if (r < 0) {
                failure_message(c, r, msg, msg_size);
                return r == -ENOMEM ? r : -EINVAL;
        }
        r = bs_xt_read_parsed(&rd, ret);
        if (r < 0) {
                failure_message(c, r, msg, msg_size);
                return r == -ENOMEM ? r : -EINVAL;
        }
        return 0;
}

const bs_ext_provider bs_xt_client_provider = {
        .render = provider_render,
        .describe = provider_describe,
        .parse = provider_parse,
};
