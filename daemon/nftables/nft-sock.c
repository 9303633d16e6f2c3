/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include "nft-sock.h"

/* Big enough for what one recv of a dump brings (the kernel fills up to a
 * page-sized skb per message batch; 64 KiB leaves room for large pages). */
#define RECV_BUFFER_SIZE (128u * 1024u)
/* The socket buffers a batch needs: the kernel takes the whole batch in
 * one message, and queues every echo before we read one. */
#define SOCKET_BUFFER_MIN (1u << 20)
#define SOCKET_BUFFER_MAX (256u << 20)

static int netns_of_self(dev_t *dev, ino_t *ino) {
        struct stat st;
        if (stat("/proc/self/ns/net", &st) < 0)
                return -errno;
        *dev = st.st_dev;
        *ino = st.st_ino;
        return 0;
}

int bs_nft_sock_open(bs_nft_sock *s) {
        *s = (bs_nft_sock) {};
        int r = netns_of_self(&s->netns_dev, &s->netns_ino);
        if (r < 0)
                return r;
        s->pid = getpid();
        s->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
        if (!s->nl)
                return -errno;
        if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
                r = -errno;
                bs_nft_sock_close(s);
                return r;
        }
        s->portid = mnl_socket_get_portid(s->nl);
        s->seq = (uint32_t) time(NULL);
        return 0;
}

void bs_nft_sock_close(bs_nft_sock *s) {
        if (s->nl)
                mnl_socket_close(s->nl);
        s->nl = NULL;
}

static bs_nft_sock kept;

int bs_nft_sock_take(bs_nft_sock *s) {
        dev_t dev = 0;
        ino_t ino = 0;
        if (kept.nl && (kept.pid != getpid() || netns_of_self(&dev, &ino) < 0 || dev != kept.netns_dev ||
                        ino != kept.netns_ino))
                /* a child's copy of its parent's socket (closing it leaves
                 * the parent's open), or a namespace left behind */
                bs_nft_sock_close(&kept);
        if (!kept.nl)
                return bs_nft_sock_open(s);
        *s = kept;
        kept = (bs_nft_sock) {};
        /* what a call that failed half-way left unread: every datagram
         * is consumed whole, however small the buffer */
        uint8_t drop[64];
        while (recv(mnl_socket_get_fd(s->nl), drop, sizeof(drop), MSG_DONTWAIT) >= 0)
                ;
        return 0;
}

void bs_nft_sock_give_back(bs_nft_sock *s) {
        if (s->nl && !kept.nl && s->pid == getpid()) {
                kept = *s;
                *s = (bs_nft_sock) {};
                return;
        }
        bs_nft_sock_close(s);
}

static uint32_t next_seq(bs_nft_sock *s) {
        if (++s->seq == 0)  /* 0 is what unsolicited messages carry */
                s->seq = 1;
        return s->seq;
}

static struct nlmsghdr *put_header(void *buf, uint16_t type, uint8_t family, uint16_t flags, uint32_t seq,
                                   uint16_t res_id) {
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = NLM_F_REQUEST | flags;
        nlh->nlmsg_seq = seq;
        struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
        g->nfgen_family = family;
        g->version = NFNETLINK_V0;
        g->res_id = htons(res_id);
        return nlh;
}

struct nlmsghdr *bs_nft_request_header(bs_nft_sock *s, void *buf, uint16_t cmd, uint8_t family, uint16_t flags) {
        return put_header(buf, bs_nft_msg_type(cmd), family, flags, next_seq(s), 0);
}

int bs_nft_talk(bs_nft_sock *s, struct nlmsghdr *req, mnl_cb_t cb, void *userdata) {
        if (!(req->nlmsg_flags & NLM_F_DUMP))
                req->nlmsg_flags |= NLM_F_ACK;  /* so that the answer has an end */
        if (mnl_socket_sendto(s->nl, req, req->nlmsg_len) < 0)
                return -errno;

        _cleanup_free_ uint8_t *buf = malloc(RECV_BUFFER_SIZE);
        if (!buf)
                return -ENOMEM;
        /* The whole answer is read, up to its end (NLMSG_DONE or the ack),
         * also after cb or the kernel stopped it (an interrupted dump, an
         * error): the socket serves the next request, which must not find
         * this one's remains. Messages of another sequence number are such
         * remains of an earlier request; they are skipped. */
        int result = 0;
        bool stopped = false;
        for (;;) {
                ssize_t n = mnl_socket_recvfrom(s->nl, buf, RECV_BUFFER_SIZE);
                if (n < 0)
                        return result < 0 ? result : -errno;
                int left = (int) n;
                for (const struct nlmsghdr *nlh = (const void *) buf; mnl_nlmsg_ok(nlh, left);
                     nlh = mnl_nlmsg_next(nlh, &left)) {
                        if (nlh->nlmsg_seq != req->nlmsg_seq)
                                continue;
                        bool end = nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR;
                        if (!stopped) {
                                errno = 0;
                                int r = mnl_cb_run(nlh, nlh->nlmsg_len, req->nlmsg_seq, s->portid, cb, userdata);
                                if (r < 0)
                                        result = errno > 0 ? -errno : -EIO;
                                stopped = r <= MNL_CB_STOP;
                        }
                        if (end)
                                return result;
                }
        }
}

typedef struct genid_answer {
        uint32_t genid;
        bool found;
} genid_answer;

static int genid_cb(const struct nlmsghdr *nlh, void *userdata) {
        genid_answer *answer = userdata;
        struct nlattr *a;
        mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
                if (mnl_attr_get_type(a) == NFTA_GEN_ID && mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
                        answer->genid = ntohl(mnl_attr_get_u32(a));
                        answer->found = true;
                }
        }
        return MNL_CB_OK;
}

int bs_nft_genid(bs_nft_sock *s, uint32_t *ret) {
        uint8_t buf[256];
        struct nlmsghdr *nlh = bs_nft_request_header(s, buf, NFT_MSG_GETGEN, AF_UNSPEC, 0);
        genid_answer answer = {};
        int r = bs_nft_talk(s, nlh, genid_cb, &answer);
        if (r == -EOPNOTSUPP)  /* nfnetlink has no nf_tables subsystem */
                return -EPROTONOSUPPORT;
        if (r < 0)
                return r;
        if (!answer.found)
                return -EBADMSG;
        *ret = answer.genid;
        return 0;
}

void bs_nft_batch_done(bs_nft_batch *b) {
        free(b->buf);
        *b = (bs_nft_batch) {};
}

static int batch_reserve(bs_nft_batch *b, size_t more) {
        if (b->len + more <= b->cap)
                return 0;
        size_t cap = b->cap ? b->cap : 256u * 1024u;
        while (cap < b->len + more) {
                if (cap > SOCKET_BUFFER_MAX / 2)
                        return -E2BIG;
                cap *= 2;
        }
        uint8_t *p = realloc(b->buf, cap);
        if (!p)
                return -ENOMEM;
        b->buf = p;
        b->cap = cap;
        return 0;
}

static int batch_put_control(bs_nft_batch *b, uint16_t type, uint16_t flags, uint32_t seq, uint32_t genid) {
        int r = batch_reserve(b, 64);
        if (r < 0)
                return r;
        memset(b->buf + b->len, 0, 64);
        struct nlmsghdr *nlh = put_header(b->buf + b->len, type, AF_UNSPEC, flags, seq, NFNL_SUBSYS_NFTABLES);
        if (genid != 0)
                mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(genid));
        b->len += NLMSG_ALIGN(nlh->nlmsg_len);
        return 0;
}

int bs_nft_batch_begin(bs_nft_batch *b, bs_nft_sock *s, uint32_t genid) {
        bs_nft_batch_done(b);
        b->first_seq = next_seq(s);
        /* NLM_F_ECHO on the begin: the kernel echoes the generation it
         * commits (NFT_MSG_NEWGEN, with the begin's sequence number) */
        return batch_put_control(b, NFNL_MSG_BATCH_BEGIN, NLM_F_ECHO, b->first_seq, genid);
}

int bs_nft_batch_msg(bs_nft_batch *b, bs_nft_sock *s, uint16_t cmd, uint8_t family, uint16_t flags,
                     struct nlmsghdr **ret) {
        int r = batch_reserve(b, BS_NFT_MSG_MAX);
        if (r < 0)
                return r;
        memset(b->buf + b->len, 0, MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg)));
        *ret = put_header(b->buf + b->len, bs_nft_msg_type(cmd), family, flags, next_seq(s), 0);
        return 0;
}

/* libnftnl closes a nest by writing its length into 16 bits: a nest that
 * grew past 64 KiB wraps silently. Such a message no longer adds up. */
static bool attributes_add_up(const struct nlmsghdr *nlh) {
        size_t off = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg));
        while (off < nlh->nlmsg_len) {
                if (nlh->nlmsg_len - off < sizeof(struct nlattr))
                        return false;
                const struct nlattr *a = (const void *) ((const uint8_t *) nlh + off);
                if (a->nla_len < sizeof(struct nlattr))
                        return false;
                off += MNL_ALIGN(a->nla_len);
        }
        return off == MNL_ALIGN(nlh->nlmsg_len);
}

int bs_nft_batch_msg_add(bs_nft_batch *b, struct nlmsghdr *nlh) {
        if ((uint8_t *) nlh != b->buf + b->len || nlh->nlmsg_len > BS_NFT_MSG_MAX)
                return -E2BIG;
        if (!attributes_add_up(nlh))
                return -E2BIG;
        b->len += NLMSG_ALIGN(nlh->nlmsg_len);
        b->n_msgs++;
        return 0;
}

static void set_buffer(int fd, int option, size_t want) {
        if (want < SOCKET_BUFFER_MIN)
                want = SOCKET_BUFFER_MIN;
        if (want > SOCKET_BUFFER_MAX)
                want = SOCKET_BUFFER_MAX;
        int v = (int) want;
        /* the FORCE variants pass the system's limit (CAP_NET_ADMIN, which
         * whoever changes the ruleset has); without them the kernel keeps
         * its default, which small batches fit */
        (void) setsockopt(fd, SOL_SOCKET, option, &v, sizeof(v));
}

int bs_nft_batch_commit(bs_nft_batch *b, bs_nft_sock *s, bs_nft_echo_fn echo, void *userdata,
                        uint32_t *ret_failed_seq) {
        if (ret_failed_seq)
                *ret_failed_seq = 0;
        uint32_t end_seq = next_seq(s);
        int r = batch_put_control(b, NFNL_MSG_BATCH_END, 0, end_seq, 0);
        if (r < 0)
                return r;

        int fd = mnl_socket_get_fd(s->nl);
        set_buffer(fd, SO_SNDBUFFORCE, b->len * 2);
        set_buffer(fd, SO_RCVBUFFORCE, echo ? b->len * 4 : 0);
        if (mnl_socket_sendto(s->nl, b->buf, b->len) < 0)
                return -errno;

        /* The kernel handles the batch within sendmsg: every answer is
         * queued by now. Reading stops when none is left. */
        _cleanup_free_ uint8_t *buf = malloc(RECV_BUFFER_SIZE);
        if (!buf)
                return -ENOMEM;
        int error = 0;
        for (;;) {
                ssize_t n = recv(fd, buf, RECV_BUFFER_SIZE, MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EWOULDBLOCK)
                                break;
                        if (errno == EINTR)
                                continue;
                        /* ENOBUFS: answers were lost; what was committed
                         * is not known from here */
                        return -errno;
                }
                int left = (int) n;
                for (const struct nlmsghdr *nlh = (const void *) buf; mnl_nlmsg_ok(nlh, left);
                     nlh = mnl_nlmsg_next(nlh, &left)) {
                        if (nlh->nlmsg_seq < b->first_seq || nlh->nlmsg_seq > end_seq)
                                continue;  /* not an answer to this batch */
                        if (nlh->nlmsg_type == NLMSG_ERROR) {
                                if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nlmsgerr)))
                                        return -EBADMSG;
                                const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
                                if (e->error < 0 && error == 0) {
                                        error = e->error;
                                        if (ret_failed_seq)
                                                *ret_failed_seq = e->msg.nlmsg_seq;
                                }
                                continue;
                        }
                        if (echo && error == 0 && (nlh->nlmsg_type >> 8) == NFNL_SUBSYS_NFTABLES) {
                                r = echo(nlh, userdata);
                                if (r < 0)
                                        error = r;
                        }
                }
        }
        return error;
}
